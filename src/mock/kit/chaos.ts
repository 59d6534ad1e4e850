/**
 * Seeded random faults: a deterministic plan of fault rules for a chaos run. A provider names its routes (method,
 * path pattern) and how likely each fault kind is on each; the plan picks, for every occurrence 1..n of a route's
 * requests, with probability `rate`, one kind from that mix. Same options → same rules, so a failing chaos run can
 * be replayed exactly.
 */
import type { FaultAction, FaultRule } from './faults.js';

/** Fault kinds a robust client must survive by retrying (with reconciliation after a lost create). */
export type SeededFaultKind =
  | 'rate_limit_retry_after'
  | 'rate_limit'
  | 'http_500'
  | 'http_502_html'
  | 'http_503'
  | 'http_504'
  | 'reset'
  | 'accept_then_drop'
  | 'job_failed'
  | 'content_truncated';

export interface SeededRoute {
  method: string;
  /** Path pattern (`*` = one segment), as in a fault rule. */
  path: string;
  /** Relative weight of each kind on this route; kinds left out never occur. */
  mix: Partial<Record<SeededFaultKind, number>>;
}

export interface SeededPlanOptions {
  seed: number;
  /** Probability 0..1 that a given request of a route is faulted. */
  rate: number;
  /** Requests per route the plan covers (occurrences 1..n); later requests are never faulted. Default 200. */
  requestsPerRoute?: number;
  /** Restrict every mix to these kinds (weights of the others are dropped). */
  kinds?: SeededFaultKind[];
  /** Retry-After of `rate_limit_retry_after`, seconds. Default 1. */
  retryAfterS?: number;
}

/**
 * The plan: for each route (in the given order) and each occurrence i in 1..requestsPerRoute, with probability
 * `rate`, one rule `{match:{method, path, nth:i}, action}`. `jobFailureCode` is the code of `job_failed` actions (a
 * transient failure in the provider's vocabulary, e.g. OpenAI's `processing_error`).
 */
export function seededFaultPlan(routes: readonly SeededRoute[], jobFailureCode: string, opts: SeededPlanOptions): FaultRule[] {
  if (!(opts.rate >= 0 && opts.rate <= 1)) throw new RangeError(`rate must be within 0..1, got ${opts.rate}`);
  const random = mulberry32(opts.seed);
  const rules: FaultRule[] = [];
  for (const route of routes) {
    const mix = (Object.entries(route.mix) as [SeededFaultKind, number][]).filter(([kind]) => !opts.kinds || opts.kinds.includes(kind));
    if (!mix.length) continue;
    const total = mix.reduce((sum, [, w]) => sum + w, 0);
    for (let nth = 1; nth <= (opts.requestsPerRoute ?? 200); nth++) {
      if (random() >= opts.rate) continue;
      let pick = random() * total;
      const kind = mix.find(([, w]) => (pick -= w) < 0)?.[0] ?? mix[mix.length - 1]![0];
      rules.push({
        match: { method: route.method, path: route.path, nth },
        action: seededAction(kind, opts.retryAfterS ?? 1, jobFailureCode),
      });
    }
  }
  return rules;
}

function seededAction(kind: SeededFaultKind, retryAfterS: number, jobFailureCode: string): FaultAction {
  switch (kind) {
    case 'rate_limit_retry_after':
      return { type: 'rate_limit', retryAfter: retryAfterS };
    case 'rate_limit':
      return { type: 'rate_limit' };
    case 'http_500':
      return { type: 'http', status: 500 };
    case 'http_502_html':
      return { type: 'http', status: 502, html: true };
    case 'http_503':
      return { type: 'http', status: 503 };
    case 'http_504':
      return { type: 'http', status: 504 };
    case 'reset':
      return { type: 'reset' };
    case 'accept_then_drop':
      return { type: 'accept_then_drop' };
    case 'job_failed':
      return { type: 'job_failed', code: jobFailureCode };
    case 'content_truncated':
      return { type: 'content_truncated' };
  }
}

/** Small, fast, seedable PRNG (uniform in [0, 1)). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
