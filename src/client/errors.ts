/**
 * Every error a user of the package may catch (`storyreel/errors`): the client's own, bad input, and the error
 * taxonomy that failed scenes carry in their `reason`.
 */
import type { ProductionProgress } from '../../workflows/definitions.js';

/** The production ended without a video (failed, cancelled, out of budget); `progress` says which scene and why. */
export class ProductionFailedError extends Error {
  override readonly name = 'ProductionFailedError';
  constructor(
    message: string,
    readonly productionId: string,
    readonly progress: ProductionProgress | undefined,
  ) {
    super(message);
  }
}

/** A production with this id exists for different content (an explicit id reused for another storyboard). */
export class ProductionConflictError extends Error {
  override readonly name = 'ProductionConflictError';
}

/** The production refused an operator's or reviewer's decision; the message is its validator's reason. */
export class DecisionRejectedError extends Error {
  override readonly name = 'DecisionRejectedError';
}

export { StoryboardError, type InputIssue } from '../storyboard/errors.js';
export { ERROR_KINDS, ERROR_KIND_DEFAULTS, type ErrorKind, type ErrorScope, type FailureDetails } from '../contracts/errors.js';
