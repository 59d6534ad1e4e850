/**
 * The Replicate flavour of the kit's faults: the answers to error faults, the `error` texts of failed predictions
 * (with Replicate's documented `E####` codes) a `job_failed` fault may pick, and the chaos plan's routes and mix.
 */
import { FaultBook, seededFaultPlan, type ErrorFault, type FaultRule, type JsonReply, type SeededFaultKind } from '../kit/index.js';
import { errorReply, INSUFFICIENT_CREDIT, ProblemError, titleFor } from './errors.js';

/** `job_failed` codes: E005 moderation ([real] text), E1000 unknown, E1001 out of memory, E6716 timeout starting. */
export const FAILURE_CODES = ['E005', 'E1000', 'E1001', 'E6716'] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

export const FAILURE_ERRORS: Record<FailureCode, string> = {
  E005: 'The input or output was flagged as sensitive. Please try again with different inputs. (E005)',
  E1000: 'An unexpected error occurred. (E1000)',
  E1001: 'The model ran out of memory. (E1001)',
  E6716: 'Timeout starting prediction. (E6716)',
};

/** The body of an `http`, `rate_limit` or `quota` fault (the kit adds Retry-After when the fault gives one). */
export function faultBody(action: ErrorFault): JsonReply {
  if (action.type === 'quota') return errorReply(new ProblemError(402, 'Insufficient credit', INSUFFICIENT_CREDIT));
  if (action.type === 'rate_limit') {
    const s = action.retryAfter ?? Math.ceil((action.retryAfterMs ?? 1000) / 1000);
    return errorReply(
      new ProblemError(429, 'Request was throttled.', `Request was throttled. Expected available in ${s} second${s === 1 ? '' : 's'}.`),
    );
  }
  return errorReply(new ProblemError(action.status, action.code ?? titleFor(action.status), action.message ?? titleFor(action.status)));
}

export type SeededRoute = 'create' | 'get' | 'content' | 'list';

export const SEEDED_ROUTES: Record<SeededRoute, { method: string; path: string }> = {
  create: { method: 'POST', path: '/v1/models/*/*/predictions' },
  get: { method: 'GET', path: '/v1/predictions/*' },
  content: { method: 'GET', path: '/files/*/*' },
  list: { method: 'GET', path: '/v1/predictions' },
};

/** Relative weights of each fault kind per route (each one a robust client survives). */
export const SEEDED_FAULT_MIX: Record<SeededRoute, Partial<Record<SeededFaultKind, number>>> = {
  create: { rate_limit_retry_after: 20, http_500: 10, http_502_html: 10, http_503: 10, reset: 10, accept_then_drop: 20, job_failed: 20 },
  get: { rate_limit_retry_after: 20, http_500: 25, http_502_html: 15, http_503: 20, reset: 20 },
  content: { content_truncated: 40, http_503: 20, reset: 20, rate_limit_retry_after: 20 },
  list: { rate_limit_retry_after: 30, http_500: 30, http_503: 20, reset: 20 },
};

/** A deterministic plan over `routes` (default create, get, content); `job_failed` with E1000. */
export function seededFaults(opts: {
  seed: number;
  rate: number;
  requestsPerRoute?: number;
  routes?: SeededRoute[];
  kinds?: SeededFaultKind[];
  retryAfterS?: number;
}): FaultRule[] {
  const routes = (opts.routes ?? ['create', 'get', 'content']).map((r) => ({ ...SEEDED_ROUTES[r], mix: SEEDED_FAULT_MIX[r] }));
  return seededFaultPlan(routes, 'E1000' satisfies FailureCode, opts);
}

const rules = new FaultBook({ jobFailureCodes: FAILURE_CODES });

/** Validates rules for this mock; throws a TypeError naming the first problem. */
export function parseFaultRules(value: unknown): FaultRule[] {
  return rules.parseRules(value);
}
