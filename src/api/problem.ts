/** An error the API answers with as is: HTTP status, a stable code, a message, and the field at fault. */
import type { InputIssue } from '../storyboard/errors.js';

export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly issues?: readonly InputIssue[],
  ) {
    super(message);
  }
}
