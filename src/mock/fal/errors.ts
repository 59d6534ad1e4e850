/**
 * fal's error bodies: model errors `{"detail": [{loc, msg, type, …}]}` and request errors
 * `{"detail": "…", "error_type": "…"}` with the same type in `X-Fal-Error-Type`
 * (fal.ai/docs/documentation/model-apis/errors, …/request-errors). Texts marked [real] were reported from the live
 * API; the others are stand-ins.
 */
import { json, MockHttpError, type ErrorFault, type JsonReply } from '../kit/index.js';

/** A model error item. */
export interface DetailItem {
  loc: (string | number)[];
  msg: string;
  type: string;
  url?: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
  categories?: string[];
}

export class FalError extends MockHttpError {
  override readonly name: string = 'FalError';
}

/** A model error: 422 (or `status`) with a `detail` list. */
export function modelError(items: DetailItem[], status = 422, headers: Record<string, string> = {}): FalError {
  return new FalError(status, items[0]?.msg ?? 'invalid input', { code: items[0]?.type ?? null, headers, extra: { detail: items } });
}

/** A request error: `{detail, error_type}` and `X-Fal-Error-Type`. */
export function requestError(status: number, detail: string, errorType?: string): FalError {
  return new FalError(status, detail, {
    ...(errorType ? { code: errorType, headers: { 'x-fal-error-type': errorType } } : {}),
    extra: { detail, ...(errorType ? { error_type: errorType } : {}) },
  });
}

/** Any error (the mock's or the kit's) in fal's format. */
export function errorReply(err: MockHttpError): JsonReply {
  const body = 'detail' in err.extra ? err.extra : { detail: err.message, ...(err.code ? { error_type: err.code } : {}) };
  return json(body, err.status, err.headers);
}

export function notFound(method: string, path: string): FalError {
  return new FalError(404, `Path ${method} ${path} not found`, { extra: { detail: 'Not Found' } });
}

/** [real] 403 of a locked account (fal-ai/fal issues #1147, #1162). */
export const EXHAUSTED_BALANCE = 'User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing.';

const DEFAULTS: Record<number, string> = {
  400: 'Bad request',
  401: 'Invalid authorization header',
  403: EXHAUSTED_BALANCE,
  404: 'Not Found',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service temporarily unavailable',
  504: 'Gateway timeout',
};

/** The body of an injected `http`, `rate_limit` or `quota` fault. */
export function faultBody(action: ErrorFault): JsonReply {
  if (action.type === 'quota') return errorReply(requestError(403, EXHAUSTED_BALANCE));
  if (action.type === 'rate_limit') return errorReply(requestError(429, 'Rate limit exceeded', 'rate_limited'));
  if ((action.status === 422 || action.status === 400) && action.code === 'content_policy_violation') {
    return errorReply(modelError([moderation('prompt')], action.status));
  }
  return errorReply(
    requestError(action.status, action.message ?? DEFAULTS[action.status] ?? `HTTP ${action.status}`, action.errorType ?? action.code),
  );
}

/** [real] the content checker's item (fal.ai/docs errors#content_policy_violation). */
export function moderation(field: string): DetailItem {
  return {
    loc: ['body', field],
    msg: 'The content was flagged by a content checker.',
    type: 'content_policy_violation',
    url: 'https://docs.fal.ai/errors#content_policy_violation',
    categories: ['violence'],
  };
}
