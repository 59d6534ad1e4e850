/**
 * The Runway flavour of the kit's faults: the task failure codes a `job_failed` fault may pick (with the `failure`
 * text a failed task shows), the bodies of error faults, and the chaos plan's routes and mix.
 *
 * Failure codes (docs.dev.runwayml.com/api-details/task-failures): `SAFETY.INPUT.*` (an input refused by moderation;
 * the last part names the input, best effort), `SAFETY.OUTPUT.*` (the output refused), `INTERNAL.BAD_OUTPUT.*`
 * (rejected for quality; "may retry"), `INPUT_PREPROCESSING.SAFETY.TEXT`, `INPUT_PREPROCESSING.INTERNAL`; plus
 * `ASSET.INVALID` and `INTERNAL` from Runway's own API reference skill. The `failure` texts are stand-ins.
 */
import {
  FaultBook,
  MockHttpError,
  seededFaultPlan,
  type ErrorFault,
  type FaultRule,
  type JsonReply,
  type SeededFaultKind,
} from '../kit/index.js';
import { errorReply, NOT_ENOUGH_CREDITS, DOC_URL } from './errors.js';

export const FAILURE_CODES = [
  'SAFETY.INPUT.TEXT',
  'SAFETY.INPUT.IMAGE',
  'SAFETY.OUTPUT.VIDEO',
  'INTERNAL.BAD_OUTPUT.CODE01',
  'INTERNAL',
  'INPUT_PREPROCESSING.SAFETY.TEXT',
  'INPUT_PREPROCESSING.INTERNAL',
  'ASSET.INVALID',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

export const FAILURE_TEXTS: Record<FailureCode, string> = {
  'SAFETY.INPUT.TEXT': 'The prompt text did not pass content moderation.',
  'SAFETY.INPUT.IMAGE': 'An input image did not pass content moderation.',
  'SAFETY.OUTPUT.VIDEO': 'The generated video did not pass content moderation.',
  'INTERNAL.BAD_OUTPUT.CODE01': 'The generation was rejected by our quality checks. Avoid overlaid text or graphics in input images.',
  INTERNAL: 'An unexpected error occurred.',
  'INPUT_PREPROCESSING.SAFETY.TEXT': 'The prompt text was rejected during input preprocessing.',
  'INPUT_PREPROCESSING.INTERNAL': 'Content moderation of the inputs could not be performed.',
  'ASSET.INVALID': 'An input asset could not be used.',
};

/** SAFETY.INPUT.* failures are not refunded (Runway's reference); others are. */
export const isChargedFailure = (code: string) => code.startsWith('SAFETY.INPUT.');

const DEFAULT_TEXTS: Record<number, string> = {
  400: 'Bad request',
  401: 'Invalid API key',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  429: 'Too many requests',
  500: 'Internal server error',
  502: 'Runway is temporarily shedding load. Please retry.',
  503: 'Runway is temporarily shedding load. Please retry.',
  504: 'Runway is overloaded and could not complete the request.',
};

/**
 * The body of an `http`, `rate_limit` or `quota` fault (the kit adds Retry-After when the fault gives one). A quota
 * answers as an account out of credit does: 400 with Runway's [real] text (the server also empties the balance).
 */
export function faultBody(action: ErrorFault): JsonReply {
  if (action.type === 'quota') return errorReply(new MockHttpError(400, NOT_ENOUGH_CREDITS, { extra: { docUrl: DOC_URL } }));
  if (action.type === 'rate_limit') return errorReply(new MockHttpError(429, DEFAULT_TEXTS[429]!));
  return errorReply(new MockHttpError(action.status, action.message ?? DEFAULT_TEXTS[action.status] ?? `HTTP ${action.status}`));
}

export type SeededRoute = 'text_to_video' | 'image_to_video' | 'task' | 'content';

export const SEEDED_ROUTES: Record<SeededRoute, { method: string; path: string }> = {
  text_to_video: { method: 'POST', path: '/v1/text_to_video' },
  image_to_video: { method: 'POST', path: '/v1/image_to_video' },
  task: { method: 'GET', path: '/v1/tasks/*' },
  content: { method: 'GET', path: '/files/*/*' },
};

/**
 * Relative weights of each fault kind per route, each one a robust client survives without an operator: no 500 or
 * dropped create (Runway has no way to find such a task, so a careful client stops for an operator).
 */
const CREATE_MIX: Partial<Record<SeededFaultKind, number>> = {
  rate_limit_retry_after: 30,
  http_502_html: 20,
  http_503: 20,
  job_failed: 30,
};
export const SEEDED_FAULT_MIX: Record<SeededRoute, Partial<Record<SeededFaultKind, number>>> = {
  text_to_video: CREATE_MIX,
  image_to_video: CREATE_MIX,
  task: { rate_limit_retry_after: 20, http_500: 25, http_502_html: 15, http_503: 20, reset: 20 },
  content: { content_truncated: 40, http_503: 20, reset: 20, rate_limit_retry_after: 20 },
};

/** A deterministic plan over `routes` (default every route); `job_failed` with INTERNAL.BAD_OUTPUT.CODE01. */
export function seededFaults(opts: {
  seed: number;
  rate: number;
  requestsPerRoute?: number;
  routes?: SeededRoute[];
  kinds?: SeededFaultKind[];
  retryAfterS?: number;
}): FaultRule[] {
  const routes = (opts.routes ?? (Object.keys(SEEDED_ROUTES) as SeededRoute[])).map((r) => ({
    ...SEEDED_ROUTES[r],
    mix: SEEDED_FAULT_MIX[r],
  }));
  return seededFaultPlan(routes, 'INTERNAL.BAD_OUTPUT.CODE01' satisfies FailureCode, opts);
}

const rules = new FaultBook({ jobFailureCodes: FAILURE_CODES });

/** Validates rules for this mock; throws a TypeError naming the first problem. */
export function parseFaultRules(value: unknown): FaultRule[] {
  return rules.parseRules(value);
}
