/**
 * Fault injection: rules `{match, action}` chosen per request (the seeded-random plan is in chaos.ts).
 *
 * Matching: a rule matches a request when its `method` (any when omitted, case-insensitive) and `path` (any when
 * omitted; exact, or `*` standing for one whole path segment) match, and its action applies to the request (job
 * faults only to requests that create a job, content faults only to requests that serve content: the provider's
 * route says which, and the kit's media URLs serve content). Each rule counts the requests it matches (from when it
 * was added); it fires on the `nth` of them (on any when `nth` is omitted) and the following ones until it has fired
 * `times` times (default 1; a negative or infinite `times` never runs out). When several rules could fire, the first
 * one (in the order they were added) wins and only it counts as fired. A per-request `x-mock-fault` header overrides
 * the rules (which then do not count that request).
 */
import { z } from 'zod';
import { MockHttpError } from './errors.js';

/** The answer of an `http`, `rate_limit` or `quota` fault: the provider renders the body, the kit adds the hints. */
export type ErrorFault =
  /**
   * An error body in the provider's format (or, with `html`, a gateway's HTML page) with this status. `retryAfter`
   * in s → `Retry-After`, `retryAfterMs` → `retry-after-ms`; `shouldRetry` → `x-should-retry` (Stainless SDKs).
   */
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
  /** 429 in the provider's rate-limit format, with `Retry-After` / `retry-after-ms` only when given. */
  | { type: 'rate_limit'; retryAfter?: number; retryAfterMs?: number }
  /** 429 (or what the provider uses) for an exhausted quota or credit balance, never with Retry-After. */
  | { type: 'quota' };

/** Faults that change how an asset is sent. */
export type ContentFault =
  /** Announces the full Content-Length, sends half, then closes the connection. */
  | { type: 'content_truncated' }
  /** 200 with bytes that are no MP4 (or image). */
  | { type: 'content_corrupt' }
  /** Sends `afterBytes` (default 16384) bytes, then nothing more, holding the connection open. */
  | { type: 'content_stall'; afterBytes?: number };

export type FaultAction =
  | ErrorFault
  | ContentFault
  /** TCP reset before any response byte. */
  | { type: 'reset' }
  /** Never answers; after `ms` (when given) resets the connection. */
  | { type: 'hang'; ms?: number }
  /** Handles the request fully (a create really creates its job), then closes the connection without answering. */
  | { type: 'accept_then_drop' }
  /**
   * A slow gateway. `after` (default): handles the request at once (a create creates its job), answers after `ms`.
   * `before`: holds the request `ms` before handling it, like a gateway queue; a client that disconnects meanwhile
   * cancels it (it is never handled), as a proxy that has not yet forwarded a request drops it.
   */
  | { type: 'delay'; ms: number; stage?: 'before' | 'after' }
  /** The job created by this request ends failed with `code` once its progress reaches `atProgress` (default 0). */
  | { type: 'job_failed'; code: string; atProgress?: number }
  /** The job created by this request stays running at `atProgress` (default 99) forever. */
  | { type: 'job_stuck'; atProgress?: number }
  /** A content request answers as after the output expired. */
  | { type: 'content_expired' };

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

export interface FaultRuleStatus extends FaultRule {
  /** Requests this rule matched so far. */
  seen: number;
  /** Times it fired. */
  fired: number;
}

/** What the book needs to know about a request. */
export interface FaultTarget {
  method: string;
  path: string;
  /** The request creates a job (job_failed / job_stuck apply). */
  createsJob: boolean;
  /** The request downloads an output (content_* apply). */
  servesContent: boolean;
}

export interface FaultBookOptions {
  /** The codes `job_failed` may carry (the provider's failure codes); default any non-empty string. */
  jobFailureCodes?: readonly [string, ...string[]];
}

const nonNegative = z.number().int().nonnegative();
const progress = z.number().int().min(0).max(100);

function actionSchema(opts: FaultBookOptions): z.ZodType<FaultAction> {
  return z.discriminatedUnion('type', [
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
    z.strictObject({
      type: z.literal('rate_limit'),
      retryAfter: nonNegative.optional(),
      retryAfterMs: z.number().nonnegative().optional(),
    }),
    z.strictObject({ type: z.literal('quota') }),
    z.strictObject({ type: z.literal('reset') }),
    z.strictObject({ type: z.literal('hang'), ms: nonNegative.optional() }),
    z.strictObject({ type: z.literal('accept_then_drop') }),
    z.strictObject({ type: z.literal('delay'), ms: nonNegative, stage: z.enum(['before', 'after']).optional() }),
    z.strictObject({
      type: z.literal('job_failed'),
      code: opts.jobFailureCodes ? z.enum(opts.jobFailureCodes) : z.string().min(1),
      atProgress: progress.optional(),
    }),
    z.strictObject({ type: z.literal('job_stuck'), atProgress: progress.max(99).optional() }),
    z.strictObject({ type: z.literal('content_expired') }),
    z.strictObject({ type: z.literal('content_truncated') }),
    z.strictObject({ type: z.literal('content_corrupt') }),
    z.strictObject({ type: z.literal('content_stall'), afterBytes: nonNegative.optional() }),
  ]);
}

function ruleSchema(action: z.ZodType<FaultAction>): z.ZodType<FaultRule> {
  return z.strictObject({
    match: z.strictObject({
      method: z.string().optional(),
      path: z.string().startsWith('/').optional(),
      nth: z.number().int().positive().optional(),
      times: z.custom<number>((v) => typeof v === 'number' && !Number.isNaN(v), 'times must be a number').optional(),
    }),
    action,
  });
}

/** Whether `action` can act on this request. */
export function actionApplies(action: FaultAction, target: FaultTarget): boolean {
  switch (action.type) {
    case 'job_failed':
    case 'job_stuck':
      return target.createsJob;
    case 'content_expired':
    case 'content_truncated':
    case 'content_corrupt':
    case 'content_stall':
      return target.servesContent;
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

export function isContentFault(fault: FaultAction | undefined): fault is ContentFault {
  return fault?.type === 'content_truncated' || fault?.type === 'content_corrupt' || fault?.type === 'content_stall';
}

export function isErrorFault(fault: FaultAction | undefined): fault is ErrorFault {
  return fault?.type === 'http' || fault?.type === 'rate_limit' || fault?.type === 'quota';
}

interface RuleState {
  rule: FaultRule;
  seen: number;
  fired: number;
}

/** The rules of one mock, their counters, and the choice of a fault per request. */
export class FaultBook {
  private states: RuleState[] = [];
  private readonly actions: z.ZodType<FaultAction>;
  private readonly rules: z.ZodType<FaultRule>;

  constructor(opts: FaultBookOptions = {}) {
    this.actions = actionSchema(opts);
    this.rules = ruleSchema(this.actions);
  }

  /** Validates one rule or an array of them (from JSON or code); throws a TypeError naming the first problem. */
  parseRules(value: unknown): FaultRule[] {
    const list = Array.isArray(value) ? value : [value];
    return list.map((rule, i) => {
      const r = this.rules.safeParse(rule);
      if (!r.success) throw new TypeError(`fault rule ${i}: ${z.prettifyError(r.error)}`);
      return r.data;
    });
  }

  /** An `x-mock-fault` value: a JSON action (`{"type":"http","status":503}`) or a bare type name (`reset`). */
  parseHeader(value: string): FaultAction {
    let raw: unknown;
    try {
      raw = value.trim().startsWith('{') ? JSON.parse(value) : { type: value.trim() };
    } catch {
      throw new TypeError(`x-mock-fault: not JSON: ${value}`);
    }
    const r = this.actions.safeParse(raw);
    if (!r.success) throw new TypeError(`x-mock-fault: ${z.prettifyError(r.error)}`);
    return r.data;
  }

  set(rules: FaultRule[]): void {
    this.states = this.parseRules(rules).map((rule) => ({ rule, seen: 0, fired: 0 }));
  }

  add(rules: FaultRule[]): void {
    this.states.push(...this.parseRules(rules).map((rule) => ({ rule, seen: 0, fired: 0 })));
  }

  clear(): void {
    this.states = [];
  }

  status(): FaultRuleStatus[] {
    return this.states.map((s) => ({ ...structuredClone(s.rule), seen: s.seen, fired: s.fired }));
  }

  /**
   * The fault for one request: the `x-mock-fault` header when present (the rules do not count the request), else
   * the rules. A bad header is a 400 `invalid_fault`.
   */
  choose(header: string | undefined, target: FaultTarget): FaultAction | undefined {
    if (header === undefined) return this.pick(target);
    try {
      return this.parseHeader(header);
    } catch (err) {
      throw new MockHttpError(400, (err as Error).message, { type: 'mock_error', code: 'invalid_fault' });
    }
  }

  /** Counts this request against every matching rule and returns the action of the first one that fires. */
  pick(target: FaultTarget): FaultAction | undefined {
    let chosen: FaultAction | undefined;
    for (const s of this.states) {
      const { match, action } = s.rule;
      if (match.method && match.method.toUpperCase() !== target.method.toUpperCase()) continue;
      if (match.path && !pathMatches(match.path, target.path)) continue;
      if (!actionApplies(action, target)) continue;
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
