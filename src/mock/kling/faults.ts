/**
 * The Kling flavour of the kit's faults: the envelope of an error fault (an `http` fault's `code`, when numeric, is
 * the service code; else the code of its status), the reasons a `job_failed` fault can give a task, and the chaos
 * plan's routes and mix.
 */
import { FaultBook, seededFaultPlan, type ErrorFault, type FaultRule, type JsonReply, type SeededFaultKind } from '../kit/index.js';
import { codeForStatus, errorReply, KLING_ERROR_CODES, KlingError } from './errors.js';

/**
 * `job_failed` codes and the `task_status_msg` each gives. Kling documents the field ("displaying the failure reason
 * when the task fails (such as triggering the content risk control of the platform, etc.)") but no codes: these names
 * are the mock's, the texts plausible stand-ins.
 */
export const FAILURE_REASONS = {
  risk_control: 'Failure to pass the risk control system',
  internal_error: 'Internal error, please try again later',
  timeout: 'Task timed out',
} as const;
export type FailureCode = keyof typeof FAILURE_REASONS;
export const FAILURE_CODES = Object.keys(FAILURE_REASONS) as [FailureCode, ...FailureCode[]];

/** The body of an `http`, `rate_limit` or `quota` fault (the kit adds Retry-After when the fault gives one). */
export function faultBody(action: ErrorFault): JsonReply {
  if (action.type === 'quota') return errorReply(new KlingError(1102));
  if (action.type === 'rate_limit') return errorReply(new KlingError(1302));
  const code = action.code !== undefined && /^\d+$/.test(action.code) ? Number(action.code) : codeForStatus(action.status);
  const err = new KlingError(code, action.message ?? KLING_ERROR_CODES[code]?.message ?? `HTTP ${action.status}`);
  // The fault's status wins over the code's usual one (a gateway may answer 502 whatever the code).
  return { ...errorReply(err), status: action.status };
}

export type SeededRoute = 'create' | 'query' | 'content';

export const SEEDED_ROUTES: Record<SeededRoute, { method: string; path: string }> = {
  create: { method: 'POST', path: '/v1/videos/*' },
  query: { method: 'GET', path: '/v1/videos/*/*' },
  content: { method: 'GET', path: '/kcdn/*/*' },
};

export const SEEDED_FAULT_MIX: Record<SeededRoute, Partial<Record<SeededFaultKind, number>>> = {
  create: { rate_limit_retry_after: 20, http_500: 10, http_502_html: 10, http_503: 10, reset: 10, accept_then_drop: 20, job_failed: 20 },
  query: { rate_limit_retry_after: 20, http_500: 25, http_502_html: 15, http_503: 20, reset: 20 },
  content: { content_truncated: 40, http_503: 20, reset: 20, rate_limit_retry_after: 20 },
};

export function seededFaults(opts: {
  seed: number;
  rate: number;
  requestsPerRoute?: number;
  routes?: SeededRoute[];
  kinds?: SeededFaultKind[];
  retryAfterS?: number;
}): FaultRule[] {
  const routes = (opts.routes ?? ['create', 'query', 'content']).map((r) => ({ ...SEEDED_ROUTES[r], mix: SEEDED_FAULT_MIX[r] }));
  return seededFaultPlan(routes, 'internal_error' satisfies FailureCode, opts);
}

const rules = new FaultBook({ jobFailureCodes: FAILURE_CODES });

/** Validates rules for this mock; throws a TypeError naming the first problem. */
export function parseFaultRules(value: unknown): FaultRule[] {
  return rules.parseRules(value);
}
