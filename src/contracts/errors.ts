/**
 * The error taxonomy every room shares: what went wrong (kind), whether the same request may be tried again
 * (retryable), and whose move it is (scope). Adapters classify into it; activities translate it once into Temporal
 * failures (activities/to-failure.ts); workflows branch on the kind, never on messages.
 */

export const ERROR_KINDS = [
  'invalid_request', // 400/422: enum, size mismatch, unsupported combination. Fix the input.
  'content_policy', // moderation. The same input is never retried.
  'auth', // 401/403
  'not_found', // 404 for a job or asset
  'model_unavailable', // model or whole API shut down / not enabled
  'quota_exhausted', // out of credit or spend limit. Never retried: top up and resume.
  'provider_outage', // the provider's circuit breaker is open (many failures from every worker): go elsewhere or wait
  'rate_limited', // 429 rate limits: retried after Retry-After
  'concurrency_limited', // too many running jobs: retried later
  'transient', // 408/409/5xx, resets, timeouts on reads: retried with backoff
  'ambiguous_submit', // a POST that may have created a job: reconcile before any new POST
  'job_failed', // the job failed on the provider's side: submit a NEW job (bounded)
  'job_stuck', // the job passed its deadline: abandon it and submit a new one (bounded)
  'output_expired', // the output is gone: submit a new job
  'source_expired', // a remix/extension's source video is gone: a fresh create (remix), or re-make the source (extend)
  'output_corrupt', // a download was truncated or is not a video: download again
  'output_invalid', // a complete clip that is not what was requested (size, frame rate, sound) or does not decode: never stored
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Whose move it is: a request can be retried, a job must be replaced, a provider is unusable for now. */
export type ErrorScope = 'request' | 'job' | 'provider';

/** How each kind is handled unless the adapter says otherwise. */
export const ERROR_KIND_DEFAULTS: Record<ErrorKind, { retryable: boolean; scope: ErrorScope }> = {
  invalid_request: { retryable: false, scope: 'request' },
  content_policy: { retryable: false, scope: 'request' },
  auth: { retryable: false, scope: 'provider' },
  not_found: { retryable: false, scope: 'request' },
  model_unavailable: { retryable: false, scope: 'provider' },
  quota_exhausted: { retryable: false, scope: 'provider' },
  provider_outage: { retryable: false, scope: 'provider' },
  rate_limited: { retryable: true, scope: 'provider' },
  concurrency_limited: { retryable: true, scope: 'provider' },
  transient: { retryable: true, scope: 'request' },
  ambiguous_submit: { retryable: true, scope: 'request' },
  job_failed: { retryable: false, scope: 'job' },
  job_stuck: { retryable: false, scope: 'job' },
  output_expired: { retryable: false, scope: 'job' },
  source_expired: { retryable: false, scope: 'request' },
  output_corrupt: { retryable: true, scope: 'request' },
  output_invalid: { retryable: false, scope: 'job' },
};

/** Details attached to every failure that crosses Temporal: small, JSON, free of secrets. */
export interface FailureDetails {
  kind: string;
  message: string;
  provider?: string;
  providerCode?: string;
  requestId?: string;
  jobId?: string;
  input?: string;
  retryAfterMs?: number;
}
