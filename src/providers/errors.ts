/**
 * One error taxonomy for every provider. Adapters classify from SDK error classes, HTTP status codes and error
 * bodies (never from message text) and throw ProviderError. `activities/to-failure.ts` is the one place that turns
 * it into a Temporal failure.
 */

import { ERROR_KIND_DEFAULTS, type ErrorKind, type ErrorScope } from '../contracts/errors.js';

export interface ProviderErrorDetails {
  provider: string;
  retryable?: boolean;
  /** Wait at least this long before the next request to this provider (from Retry-After / retry-after-ms). */
  retryAfterMs?: number;
  scope?: ErrorScope;
  httpStatus?: number;
  /** The provider's own error code, e.g. `moderation_blocked`, `credit_balance_exhausted`. */
  providerCode?: string;
  /** The provider's request id (x-request-id), for support tickets. */
  requestId?: string;
  jobId?: string;
  /** For content_policy: which input was involved, when known. */
  input?: 'prompt' | 'reference_image' | 'output';
  cause?: unknown;
}

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly provider: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly scope: ErrorScope;
  readonly httpStatus: number | undefined;
  readonly providerCode: string | undefined;
  readonly requestId: string | undefined;
  readonly jobId: string | undefined;
  readonly input: ProviderErrorDetails['input'];

  constructor(
    readonly kind: ErrorKind,
    message: string,
    details: ProviderErrorDetails,
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    const d = ERROR_KIND_DEFAULTS[kind];
    this.provider = details.provider;
    this.retryable = details.retryable ?? d.retryable;
    this.scope = details.scope ?? d.scope;
    this.retryAfterMs = details.retryAfterMs;
    this.httpStatus = details.httpStatus;
    this.providerCode = details.providerCode;
    this.requestId = details.requestId;
    this.jobId = details.jobId;
    this.input = details.input;
  }

  /** Small, secret-free JSON for failure details, manifests and logs. */
  toJSON(): Record<string, unknown> {
    return {
      kind: this.kind,
      message: this.message,
      provider: this.provider,
      retryable: this.retryable,
      scope: this.scope,
      ...(this.retryAfterMs !== undefined && { retryAfterMs: this.retryAfterMs }),
      ...(this.httpStatus !== undefined && { httpStatus: this.httpStatus }),
      ...(this.providerCode && { providerCode: this.providerCode }),
      ...(this.requestId && { requestId: this.requestId }),
      ...(this.jobId && { jobId: this.jobId }),
      ...(this.input && { input: this.input }),
    };
  }
}

export function isProviderError(err: unknown): err is ProviderError {
  return err instanceof ProviderError;
}

/**
 * Parses `retry-after-ms` (float milliseconds) or `Retry-After` (seconds or an HTTP date) into milliseconds.
 * Returns undefined when absent or unusable; caps at one hour so a hostile header cannot park a production.
 */
export function retryAfterMsFromHeaders(get: (name: string) => string | null | undefined, now = Date.now()): number | undefined {
  const cap = 3_600_000;
  const ms = Number(get('retry-after-ms'));
  if (get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return Math.min(ms, cap);
  const raw = get('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, cap);
  const date = Date.parse(raw);
  if (Number.isFinite(date)) return Math.min(Math.max(0, date - now), cap);
  return undefined;
}
