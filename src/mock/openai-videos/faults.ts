/**
 * Fault injection: rules `{match, action}` chosen per request, plus a seeded-random fault plan.
 *
 * Matching: a rule matches a request when its `method` (any when omitted, case-insensitive) and `path` (any when
 * omitted; exact, or `*` standing for one whole path segment) match, and its action applies to the route (job faults
 * only to requests that create a job, content faults only to `GET /v1/videos/{id}/content`). Each rule counts the
 * requests it matches (from when it was added); it fires on the `nth` of them (on any when `nth` is omitted) and the
 * following ones until it has fired `times` times (default 1; a negative or infinite `times` never runs out).
 * When several rules could fire, the first one (in the order they were added) wins and only it counts as fired.
 * A per-request `x-mock-fault` header overrides the rules.
 */
import { z } from 'zod';

export type FaultAction =
  /** A standard error body (or an HTML page) with this status. `retryAfter` in s, `retryAfterMs` in ms; `shouldRetry` sets `x-should-retry`. */
  | {
      type: 'http';
      status: number;
      code?: string;
      message?: string;
      errorType?: string;
      retryAfter?: number;
      retryAfterMs?: number;
      html?: boolean;
      shouldRetry?: boolean;
    }
  /** 429 `rate_limit_exceeded`, with `Retry-After` / `retry-after-ms` only when given. */
  | { type: 'rate_limit'; retryAfter?: number; retryAfterMs?: number }
  /** 429 `insufficient_quota` / `credit_balance_exhausted`, never with Retry-After. */
  | { type: 'quota' }
  /** TCP reset before any response byte. */
  | { type: 'reset' }
  /** Never answers; after `ms` (when given) resets the connection. */
  | { type: 'hang'; ms?: number }
  /** Handles the request fully (a create really creates its job), then closes the connection without answering. */
  | { type: 'accept_then_drop' }
  /** The job created by this request ends `failed` with `code` once its progress reaches `atProgress` (default 0). */
  | { type: 'job_failed'; code: 'moderation_blocked' | 'processing_error'; atProgress?: number }
  /** The job created by this request stays `in_progress` at `atProgress` (default 99) forever. */
  | { type: 'job_stuck'; atProgress?: number }
  /** Content download answers 404 as after expiry. */
  | { type: 'content_expired' }
  /** Content download announces the full Content-Length, sends half, then closes the connection. */
  | { type: 'content_truncated' }
  /** Content download answers 200 with bytes that are no MP4 (or image). */
  | { type: 'content_corrupt' }
  /** Content download sends `afterBytes` (default 16384) bytes, then nothing more, holding the connection open. */
  | { type: 'content_stall'; afterBytes?: number };

export type FaultType = FaultAction['type'];

export interface FaultMatch {
  method?: string;
  /** Exact path (`/v1/videos`) or a pattern where `*` is one segment (`/v1/videos/*\/content`). */
  path?: string;
  /** 1-based index among the requests this rule matches at which it starts firing; omitted = the first. */
  nth?: number;
  /** How many times the rule fires, default 1; negative or Infinity = unlimited. */
  times?: number;
}

export interface FaultRule {
  match: FaultMatch;
  action: FaultAction;
}

/** Routes of the mock, as far as faults care. */
export type RouteKind =
  'create' | 'list' | 'retrieve' | 'delete' | 'content' | 'remix' | 'extend' | 'edit' | 'character_create' | 'character_get' | 'unknown';

export const JOB_CREATING_ROUTES: readonly RouteKind[] = ['create', 'remix', 'extend', 'edit'];

const nonNegative = z.number().int().nonnegative();
const progress = z.number().int().min(0).max(100);

export const FaultActionSchema: z.ZodType<FaultAction> = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('http'),
    status: z.number().int().min(100).max(599),
    code: z.string().optional(),
    message: z.string().optional(),
    errorType: z.string().optional(),
    retryAfter: nonNegative.optional(),
    retryAfterMs: z.number().nonnegative().optional(),
    html: z.boolean().optional(),
    shouldRetry: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('rate_limit'), retryAfter: nonNegative.optional(), retryAfterMs: z.number().nonnegative().optional() }),
  z.strictObject({ type: z.literal('quota') }),
  z.strictObject({ type: z.literal('reset') }),
  z.strictObject({ type: z.literal('hang'), ms: nonNegative.optional() }),
  z.strictObject({ type: z.literal('accept_then_drop') }),
  z.strictObject({
    type: z.literal('job_failed'),
    code: z.enum(['moderation_blocked', 'processing_error']),
    atProgress: progress.optional(),
  }),
  z.strictObject({ type: z.literal('job_stuck'), atProgress: progress.max(99).optional() }),
  z.strictObject({ type: z.literal('content_expired') }),
  z.strictObject({ type: z.literal('content_truncated') }),
  z.strictObject({ type: z.literal('content_corrupt') }),
  z.strictObject({ type: z.literal('content_stall'), afterBytes: nonNegative.optional() }),
]);

export const FaultRuleSchema: z.ZodType<FaultRule> = z.strictObject({
  match: z.strictObject({
    method: z.string().optional(),
    path: z.string().startsWith('/').optional(),
    nth: z.number().int().positive().optional(),
    times: z.custom<number>((v) => typeof v === 'number' && !Number.isNaN(v), 'times must be a number').optional(),
  }),
  action: FaultActionSchema,
});

/** Validates rules from JSON or code; throws a TypeError naming the first problem. */
export function parseFaultRules(value: unknown): FaultRule[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((rule, i) => {
    const r = FaultRuleSchema.safeParse(rule);
    if (!r.success) throw new TypeError(`fault rule ${i}: ${z.prettifyError(r.error)}`);
    return r.data;
  });
}

/** `x-mock-fault` value: a JSON action (`{"type":"http","status":503}`) or a bare type name (`reset`). */
export function parseFaultHeader(value: string): FaultAction {
  let raw: unknown;
  try {
    raw = value.trim().startsWith('{') ? JSON.parse(value) : { type: value.trim() };
  } catch {
    throw new TypeError(`x-mock-fault: not JSON: ${value}`);
  }
  const r = FaultActionSchema.safeParse(raw);
  if (!r.success) throw new TypeError(`x-mock-fault: ${z.prettifyError(r.error)}`);
  return r.data;
}

/** Whether `action` can act on a request of this route. */
export function actionApplies(action: FaultAction, route: RouteKind): boolean {
  switch (action.type) {
    case 'job_failed':
    case 'job_stuck':
      return JOB_CREATING_ROUTES.includes(route);
    case 'content_expired':
    case 'content_truncated':
    case 'content_corrupt':
    case 'content_stall':
      return route === 'content';
    default:
      return true;
  }
}

export function pathMatches(pattern: string, path: string): boolean {
  if (!pattern.includes('*')) return pattern === path;
  const want = pattern.split('/');
  const got = path.split('/');
  return want.length === got.length && want.every((seg, i) => (seg === '*' ? got[i] !== '' : seg === got[i]));
}

interface RuleState {
  rule: FaultRule;
  /** Requests matched so far. */
  seen: number;
  fired: number;
}

export interface FaultRuleStatus extends FaultRule {
  seen: number;
  fired: number;
}

export class FaultBook {
  private states: RuleState[] = [];

  set(rules: FaultRule[]): void {
    this.states = parseFaultRules(rules).map((rule) => ({ rule, seen: 0, fired: 0 }));
  }

  add(rules: FaultRule[]): void {
    this.states.push(...parseFaultRules(rules).map((rule) => ({ rule, seen: 0, fired: 0 })));
  }

  clear(): void {
    this.states = [];
  }

  status(): FaultRuleStatus[] {
    return this.states.map((s) => ({ ...s.rule, seen: s.seen, fired: s.fired }));
  }

  /** Counts this request against every matching rule and returns the action of the first one that fires. */
  pick(method: string, path: string, route: RouteKind): FaultAction | undefined {
    let chosen: FaultAction | undefined;
    for (const s of this.states) {
      const { match, action } = s.rule;
      if (match.method && match.method.toUpperCase() !== method.toUpperCase()) continue;
      if (match.path && !pathMatches(match.path, path)) continue;
      if (!actionApplies(action, route)) continue;
      s.seen++;
      const times = match.times ?? 1;
      const left = times < 0 || !Number.isFinite(times) || s.fired < times;
      if (!chosen && left && s.seen >= (match.nth ?? 1)) {
        s.fired++;
        chosen = action;
      }
    }
    return chosen;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Seeded random faults

export type SeededRoute = 'create' | 'retrieve' | 'content' | 'list';

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
 * `rate`, one rule `{match:{method, path, nth:i}, action}` whose kind is drawn from SEEDED_FAULT_MIX.
 * Same options → same rules.
 */
export function seededFaults(opts: SeededFaultOptions): FaultRule[] {
  if (!(opts.rate >= 0 && opts.rate <= 1)) throw new RangeError(`rate must be within 0..1, got ${opts.rate}`);
  const random = mulberry32(opts.seed);
  const rules: FaultRule[] = [];
  for (const route of opts.routes ?? ['create', 'retrieve', 'content']) {
    const mix = Object.entries(SEEDED_FAULT_MIX[route]).filter(([kind]) => !opts.kinds || opts.kinds.includes(kind as SeededFaultKind)) as [
      SeededFaultKind,
      number,
    ][];
    if (!mix.length) continue;
    const total = mix.reduce((sum, [, w]) => sum + w, 0);
    for (let nth = 1; nth <= (opts.requestsPerRoute ?? 200); nth++) {
      if (random() >= opts.rate) continue;
      let pick = random() * total;
      const kind = mix.find(([, w]) => (pick -= w) < 0)?.[0] ?? mix[mix.length - 1]![0];
      rules.push({ match: { ...SEEDED_ROUTES[route], nth }, action: seededAction(kind, opts.retryAfterS ?? 1) });
    }
  }
  return rules;
}

function seededAction(kind: SeededFaultKind, retryAfterS: number): FaultAction {
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
      return { type: 'job_failed', code: 'processing_error' };
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
