/**
 * Kling's error envelope `{code, message, request_id, data}` in our taxonomy, by the documented service code (and the
 * HTTP status when there is no known code), never by message text.
 *
 * The code table is Kling's API reference, "General Information" → Error Code (read 2026-12, mirrored in the docs
 * corpus as apiReference_commonInfo): HTTP status, service code, meaning, suggested solution.
 *
 * | HTTP | code | meaning (Kling)                                          | kind here |
 * |------|------|----------------------------------------------------------|-----------|
 * | 401  | 1000 | authentication failed                                    | auth |
 * | 401  | 1001 | Authorization is empty                                   | auth |
 * | 401  | 1002 | Authorization is invalid                                 | auth |
 * | 401  | 1003 | Authorization is not yet valid (`nbf`)                   | auth (check the worker's clock) |
 * | 401  | 1004 | Authorization has expired                                | auth, retryable: a fresh token is signed |
 * | 429  | 1100 | account exception                                        | auth |
 * | 429  | 1101 | account in arrears (postpaid)                            | quota_exhausted |
 * | 429  | 1102 | resource pack depleted or expired (prepaid)              | quota_exhausted |
 * | 403  | 1103 | no access to the requested resource (API, model)         | model_unavailable |
 * | 400  | 1200 | invalid request parameters                               | invalid_request |
 * | 400  | 1201 | invalid parameters (wrong key, illegal value)            | invalid_request (a taken external_task_id too: see provider.ts) |
 * | 404  | 1202 | invalid request method                                   | invalid_request |
 * | 404  | 1203 | requested resource does not exist (e.g. the model)       | create: model_unavailable; read: not_found |
 * | 400  | 1300 | a platform policy was triggered                          | invalid_request |
 * | 400  | 1301 | the content security policy was triggered                | content_policy |
 * | 429  | 1302 | requests too fast (rate limit)                           | rate_limited (Retry-After honoured) |
 * | 429  | 1303 | concurrency or QPS over the resource pack's limit        | concurrency_limited |
 * | 429  | 1304 | IP whitelist policy                                      | auth |
 * | 500  | 5000 | server internal error                                    | create: ambiguous_submit; read: transient |
 * | 503  | 5001 | temporarily unavailable (maintenance)                    | create: ambiguous_submit; read: transient |
 * | 504  | 5002 | internal timeout (backlog)                               | create: ambiguous_submit; read: transient |
 *
 * A create that may have reached Kling is ambiguous_submit: the next attempt finds it by its external_task_id.
 */
import type { ErrorKind } from '../../contracts/errors.js';
import { ProviderError, retryAfterMsFromHeaders } from '../errors.js';
import { KLING_PROVIDER as PROVIDER } from './catalog.js';

/** The body of every Kling answer. `code` 0 is success. */
export interface KlingEnvelope<D = unknown> {
  code?: number;
  message?: string;
  request_id?: string;
  data?: D;
}

/** What a request was: a create (may have made a paid task), a read of the API, or an output download. */
export type Operation = 'create' | 'read' | 'download';

interface CodeRule {
  kind: ErrorKind | ((op: Operation) => ErrorKind);
  /** What to do, for the message. */
  advice: string;
  retryable?: boolean;
}

const serverError = (op: Operation): ErrorKind => (op === 'create' ? 'ambiguous_submit' : 'transient');

export const KLING_CODES: Readonly<Record<number, CodeRule>> = {
  1000: { kind: 'auth', advice: 'check the access key and secret key' },
  1001: { kind: 'auth', advice: 'no Authorization header reached Kling' },
  1002: { kind: 'auth', advice: 'check the access key and secret key (the token was refused)' },
  1003: { kind: 'auth', advice: "the token is not yet valid: the worker's clock runs ahead of Kling's; sync it (NTP)" },
  1004: { kind: 'auth', retryable: true, advice: 'the token had expired; a fresh one is signed for the next request' },
  1100: { kind: 'auth', advice: "the account is in an abnormal state; check it in Kling's developer console" },
  1101: { kind: 'quota_exhausted', advice: 'the account is in arrears: recharge it, then resume' },
  1102: { kind: 'quota_exhausted', advice: 'the resource pack is used up or expired: buy another, then resume' },
  1103: { kind: 'model_unavailable', advice: 'this account may not use this API or model' },
  1200: { kind: 'invalid_request', advice: 'check the request parameters' },
  1201: { kind: 'invalid_request', advice: 'a parameter was refused (see the message)' },
  1202: { kind: 'invalid_request', advice: 'the request method is not valid for this path' },
  1203: { kind: (op) => (op === 'create' ? 'model_unavailable' : 'not_found'), advice: 'the model or task does not exist' },
  1300: { kind: 'invalid_request', advice: 'a Kling platform policy was triggered' },
  1301: { kind: 'content_policy', advice: "Kling's content security policy refused the input; edit the prompt or the images" },
  1302: { kind: 'rate_limited', advice: 'too many requests; storyreel waits and tries again' },
  1303: { kind: 'concurrency_limited', advice: 'as many tasks are running as the resource pack allows; storyreel waits for one to end' },
  1304: { kind: 'auth', advice: "Kling's IP allow-list refused this worker's address" },
  5000: { kind: serverError, advice: 'Kling had an internal error' },
  5001: { kind: serverError, advice: 'Kling is temporarily unavailable (maintenance)' },
  5002: { kind: serverError, advice: 'Kling timed out internally (backlog)' },
};

/** The codes of a rate or concurrency limit: Retry-After, when sent, holds every call to Kling from this worker. */
const WAIT_KINDS: readonly ErrorKind[] = ['rate_limited', 'concurrency_limited'];

export interface ClassifyContext {
  op: Operation;
  jobId?: string;
  /** For a content_policy refusal of a create: which input Kling judged (a text-only create: the prompt). */
  input?: ProviderError['input'];
}

/** Parses a body as Kling's envelope; anything else (a gateway's HTML page, no body) gives `{}`. */
export function envelopeOf(body: unknown): KlingEnvelope {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as KlingEnvelope) : {};
}

/** An error answer (HTTP status ≥ 400, or a 200 whose `code` is not 0) as a ProviderError. */
export function classifyKling(status: number, body: unknown, headers: Headers, ctx: ClassifyContext): ProviderError {
  const env = envelopeOf(body);
  const code = typeof env.code === 'number' ? env.code : undefined;
  const rule = code !== undefined ? KLING_CODES[code] : undefined;
  const kind: ErrorKind = rule ? (typeof rule.kind === 'function' ? rule.kind(ctx.op) : rule.kind) : kindFromStatus(status, ctx.op);
  // Only a rate or concurrency limit waits: a 429 for an exhausted resource pack is never retried.
  const retryAfterMs = WAIT_KINDS.includes(kind) ? retryAfterMsFromHeaders((n) => headers.get(n)) : undefined;
  const said = typeof env.message === 'string' && env.message ? env.message.slice(0, 500) : `HTTP ${status}`;
  const advice = rule ? `; ${rule.advice}` : '';
  const where = code !== undefined ? ` (code ${code}${advice})` : ` (HTTP ${status}${advice})`;
  return new ProviderError(kind, `${PROVIDER}: ${said}${where}`, {
    provider: PROVIDER,
    httpStatus: status,
    ...(code !== undefined ? { providerCode: String(code) } : {}),
    ...(typeof env.request_id === 'string' && env.request_id ? { requestId: env.request_id } : {}),
    ...(ctx.jobId ? { jobId: ctx.jobId } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(rule?.retryable !== undefined ? { retryable: rule.retryable } : {}),
    ...(kind === 'content_policy' && ctx.input ? { input: ctx.input } : {}),
  });
}

/** An answer without a code Kling documents: by HTTP status alone. */
function kindFromStatus(status: number, op: Operation): ErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (op === 'download' && (status === 404 || status === 410)) return 'output_expired';
  if (status === 404) return op === 'create' ? 'model_unavailable' : 'not_found';
  if (status === 408 || status === 409 || status >= 500) return serverError(op);
  // A 200 with a code we do not know: for a create, whether it made a task is unknown.
  if (status < 400) return op === 'create' ? 'ambiguous_submit' : 'transient';
  return 'invalid_request';
}

/** A request that got no (complete) answer: for a create the task may exist; otherwise try again. */
export function noAnswer(err: unknown, op: Operation, timedOut: boolean, jobId?: string): ProviderError {
  const how = timedOut ? 'timeout' : 'connection error';
  const base = { provider: PROVIDER, ...(jobId ? { jobId } : {}), cause: err };
  return op === 'create'
    ? new ProviderError('ambiguous_submit', `${PROVIDER}: the create got no answer (${how}); it may have created a task`, base)
    : new ProviderError('transient', `${PROVIDER}: no answer from the API (${how})`, base);
}
