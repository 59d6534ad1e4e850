/**
 * The OpenAI Videos flavour of the kit's faults: the failure codes a `job_failed` fault may carry, and the routes
 * and fault mix of the seeded chaos plan.
 */
import { FaultBook, seededFaultPlan, type FaultRule, type SeededFaultKind } from '../kit/index.js';

/** `error.code` of a failed Video. */
export const FAILURE_CODES = ['moderation_blocked', 'processing_error'] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

export type SeededRoute = 'create' | 'retrieve' | 'content' | 'list';

export const SEEDED_ROUTES: Record<SeededRoute, { method: string; path: string }> = {
  create: { method: 'POST', path: '/v1/videos' },
  retrieve: { method: 'GET', path: '/v1/videos/*' },
  content: { method: 'GET', path: '/v1/videos/*/content' },
  list: { method: 'GET', path: '/v1/videos' },
};

/**
 * Relative weights of each fault kind per route. Every kind is one a robust client must survive by retrying
 * (with reconciliation after a lost create): 429 with and without Retry-After, 5xx, resets, lost create responses,
 * jobs failing with `processing_error`, and truncated downloads.
 */
export const SEEDED_FAULT_MIX: Record<SeededRoute, Partial<Record<SeededFaultKind, number>>> = {
  create: {
    rate_limit_retry_after: 15,
    rate_limit: 10,
    http_500: 10,
    http_502_html: 10,
    http_503: 10,
    http_504: 5,
    reset: 10,
    accept_then_drop: 15,
    job_failed: 15,
  },
  retrieve: { rate_limit_retry_after: 20, rate_limit: 10, http_500: 20, http_502_html: 15, http_503: 15, http_504: 10, reset: 10 },
  content: { content_truncated: 40, http_500: 15, http_503: 15, reset: 20, rate_limit_retry_after: 10 },
  list: { rate_limit_retry_after: 30, http_500: 30, http_503: 20, reset: 20 },
};

export interface SeededFaultOptions {
  seed: number;
  /** Probability 0..1 that a given request of a route is faulted. */
  rate: number;
  /** Requests per route the plan covers (occurrences 1..n); later requests are never faulted. Default 200. */
  requestsPerRoute?: number;
  /** Default create, retrieve and content. */
  routes?: SeededRoute[];
  /** Restrict the mix to these kinds (weights of the others are dropped). */
  kinds?: SeededFaultKind[];
  /** Retry-After of `rate_limit_retry_after`, seconds. Default 1. */
  retryAfterS?: number;
}

/**
 * A deterministic fault plan: for each route and each occurrence i in 1..requestsPerRoute, with probability
 * `rate`, one rule `{match:{method, path, nth:i}, action}` whose kind is drawn from SEEDED_FAULT_MIX
 * (`job_failed` with `processing_error`). Same options → same rules.
 */
export function seededFaults(opts: SeededFaultOptions): FaultRule[] {
  const routes = (opts.routes ?? ['create', 'retrieve', 'content']).map((r) => ({ ...SEEDED_ROUTES[r], mix: SEEDED_FAULT_MIX[r] }));
  return seededFaultPlan(routes, 'processing_error' satisfies FailureCode, opts);
}

const rules = new FaultBook({ jobFailureCodes: FAILURE_CODES });

/** Validates rules for this mock (from JSON or code); throws a TypeError naming the first problem. */
export function parseFaultRules(value: unknown): FaultRule[] {
  return rules.parseRules(value);
}
