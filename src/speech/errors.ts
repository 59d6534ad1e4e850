/**
 * Speech request failures in the shared taxonomy, from the HTTP status and headers (never message text).
 *
 * A speech request has no job to look up afterwards: a request that got no answer may have been synthesized and
 * billed, so it is `ambiguous_submit` and NOT retried (the production fails closed; a resume sends it again, once).
 * A status answer means the server did not deliver audio: 5xx and 408/409 are retried, 429 after Retry-After.
 */
import type { ErrorKind } from '../contracts/errors.js';
import { ProviderError, retryAfterMsFromHeaders } from '../providers/errors.js';

export interface HttpFailure {
  status: number;
  /** The provider's own code (`insufficient_quota`, `quota_exceeded`, `voice_not_found`, …). */
  code?: string;
  message: string;
  requestId?: string;
  header: (name: string) => string | null | undefined;
}

const QUOTA_CODES = new Set(['insufficient_quota', 'credit_balance_exhausted', 'quota_exceeded', 'billing_hard_limit_reached']);

export function speechHttpError(provider: string, f: HttpFailure, cause: unknown): ProviderError {
  const base = {
    provider,
    httpStatus: f.status,
    ...(f.code ? { providerCode: f.code } : {}),
    ...(f.requestId ? { requestId: f.requestId } : {}),
    cause,
  };
  const message = `${provider}: ${f.message.slice(0, 300)}`;
  const make = (kind: ErrorKind, extra: { retryable?: boolean; retryAfterMs?: number } = {}) =>
    new ProviderError(kind, message, { ...base, ...extra });
  if (f.code && QUOTA_CODES.has(f.code)) return make('quota_exhausted');
  if (f.status === 429) {
    const retryAfterMs = retryAfterMsFromHeaders(f.header);
    return make('rate_limited', retryAfterMs !== undefined ? { retryAfterMs } : {});
  }
  if (f.status === 401 || f.status === 403) return make('auth');
  if (f.status === 404) return make('model_unavailable');
  if (f.status === 408 || f.status === 409 || f.status >= 500)
    return make('transient', f.header('x-should-retry') === 'false' ? { retryable: false } : {});
  return make('invalid_request');
}

/** No answer (reset, timeout, dropped): the server may have synthesized and billed it. Never retried automatically. */
export function speechNoAnswer(provider: string, cause: unknown): ProviderError {
  return new ProviderError(
    'ambiguous_submit',
    `${provider}: the speech request got no answer (connection lost or timed out); it may have been synthesized and billed, so it is not sent again automatically. Resume the production to send it once more`,
    { provider, retryable: false, cause },
  );
}
