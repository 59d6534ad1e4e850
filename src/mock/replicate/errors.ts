/**
 * Replicate's error contract: RFC 7807 problem details, `{"title", "detail", "status"}`, plus `invalid_fields` on
 * 422 input validation errors. Texts marked [real] were reported by users of the live API; the others are
 * plausible stand-ins.
 */
import { json, MockHttpError, type JsonReply } from '../kit/index.js';

export interface InvalidField {
  type: string;
  field: string;
  description: string;
}

/** `type` of MockHttpError carries the problem's title. */
export class ProblemError extends MockHttpError {
  override readonly name: string = 'ProblemError';
  constructor(status: number, title: string, detail: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>) {
    super(status, detail, { type: title, extra, ...(headers ? { headers } : {}) });
  }
}

const DEFAULT_TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthenticated',
  402: 'Insufficient credit',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Request entity too large',
  416: 'Range not satisfiable',
  422: 'Input validation failed',
  429: 'Request was throttled.',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};

export function titleFor(status: number): string {
  return DEFAULT_TITLES[status] ?? `HTTP ${status}`;
}

/** Any error (the mock's or the kit's) as a problem body. */
export function errorReply(err: MockHttpError): JsonReply {
  const body = { title: err.type ?? titleFor(err.status), detail: err.message, status: err.status, ...err.extra };
  return json(body, err.status, err.headers);
}

export function notFound(method: string, path: string): MockHttpError {
  return new ProblemError(404, 'Not found', `Not found: ${method} ${path}`);
}

/** [real] shape of a 422: `detail` lists `- input.<field>: <description>` lines. */
export function invalidInput(fields: InvalidField[]): ProblemError {
  const detail = fields.map((f) => `- ${f.field}: ${f.description}\n`).join('');
  return new ProblemError(422, 'Input validation failed', detail, { invalid_fields: fields });
}

export const predictionNotFound = (id: string) => new ProblemError(404, 'Not found', `Prediction ${id} not found.`);

/** [real] `The specified version does not exist (or perhaps you don't have permission to use it?)` */
export const invalidVersion = () =>
  new ProblemError(
    422,
    'Invalid version or not permitted',
    "The specified version does not exist (or perhaps you don't have permission to use it?)",
  );

/** [real] 402 text of an account out of credit. */
export const INSUFFICIENT_CREDIT =
  'You have insufficient credit to run this model. Go to https://replicate.com/account/billing#billing to purchase credit. Once you purchase credit, please wait a few minutes before trying again.';
