/**
 * Runway's answers in our error taxonomy, from `@runwayml/sdk` error classes, HTTP status codes, body fields and task
 * `failureCode`s (docs.dev.runwayml.com/api-details/errors and …/task-failures):
 *
 * - 400: the input (`{error, issues[{path, message}]}`), or an account out of credit (the provider confirms that from
 *   the organization's balance, see provider.ts); 401 bad key; 403 not allowed; 404 an unknown route or task.
 * - 429: Runway has no per-minute limit; a 429 on a create means the model's daily generation limit was reached
 *   (the provider tells it from `GET /v1/organization`), else a rate limit honouring Retry-After.
 * - 502 / 503: "Runway is shedding load", documented as safe to retry: the create was not taken.
 * - A create answered 500, 504, 408 or 409, or not answered at all, may have made a task. Runway lets the client name
 *   no task and lists none, so such a create can never be matched to its task: ambiguous_submit, NOT retryable
 *   (never posted again; an operator checks the dashboard).
 * - Task failures: `SAFETY.INPUT.*` / `INPUT_PREPROCESSING.SAFETY.*` → content_policy naming the input, `SAFETY.OUTPUT.*`
 *   → content_policy naming the output (both never retried), anything else (`INTERNAL.*`, `ASSET.INVALID`, none) →
 *   job_failed: a new task, bounded by maxJobAttempts.
 */
import { APIConnectionError, APIError, APIUserAbortError } from '@runwayml/sdk';
import type { ErrorKind } from '../../contracts/errors.js';
import type { JobSnapshot } from '../../contracts/jobs.js';
import { ProviderError, retryAfterMsFromHeaders, type ProviderErrorDetails } from '../errors.js';
import { RUNWAY_PROVIDER } from './catalog.js';

export type Operation = 'create' | 'read' | 'cancel';

interface RunwayErrorBody {
  error?: unknown;
  issues?: { path?: unknown[]; message?: unknown; code?: unknown }[];
}

/** Runway's own words, short and safe: `error`, then `path: message` of each issue (values are never echoed). */
export function runwayMessage(status: number | undefined, body: unknown): string {
  const b = (body && typeof body === 'object' ? body : {}) as RunwayErrorBody;
  const head = typeof b.error === 'string' ? b.error : `HTTP ${status ?? '?'}`;
  const issues = Array.isArray(b.issues)
    ? b.issues.map((i) => {
        const path = Array.isArray(i.path) ? i.path.join('.') : '';
        const text = typeof i.message === 'string' ? i.message : typeof i.code === 'string' ? i.code : 'invalid';
        return path ? `${path}: ${text}` : text;
      })
    : [];
  return `${RUNWAY_PROVIDER}: ${[head, ...issues].join('; ').slice(0, 500)}`;
}

/** The paths the body's issues name (`promptImage.0.uri` → `promptImage`), for a content or input error. */
export function issuePaths(body: unknown): string[] {
  const issues = (body && typeof body === 'object' ? (body as RunwayErrorBody).issues : undefined) ?? [];
  return Array.isArray(issues) ? issues.map((i) => (Array.isArray(i.path) ? String(i.path[0] ?? '') : '')).filter(Boolean) : [];
}

/** Maps anything the SDK throws into our taxonomy; a cancellation (abort) is returned as is. */
export function classifyRunwayError(err: unknown, op: Operation, jobId?: string): unknown {
  if (err instanceof ProviderError || err instanceof APIUserAbortError) return err;
  const base: ProviderErrorDetails = { provider: RUNWAY_PROVIDER, cause: err, ...(jobId ? { jobId } : {}) };
  if (err instanceof APIConnectionError) {
    // APIConnectionTimeoutError is a subclass: either way the request may have reached Runway.
    return op === 'create'
      ? new ProviderError(
          'ambiguous_submit',
          `${RUNWAY_PROVIDER}: the create got no answer (connection lost or timed out), so a task may exist. Runway cannot look tasks up by ` +
            "anything but their id, so storyreel will not post again: check the Runway developer portal's task history, then retry or skip the scene",
          { ...base, retryable: false },
        )
      : new ProviderError('transient', `${RUNWAY_PROVIDER}: no answer (${err.name})`, base);
  }
  if (!(err instanceof APIError) || err.status === undefined) return err;
  const status = err.status;
  const requestId = err.headers?.get('x-request-id') ?? undefined;
  const details: ProviderErrorDetails = { ...base, httpStatus: status, ...(requestId ? { requestId } : {}) };
  const message = runwayMessage(status, err.error);
  const make = (kind: ErrorKind, extra: Partial<ProviderErrorDetails> = {}) => new ProviderError(kind, message, { ...details, ...extra });

  if (status === 429) {
    const retryAfterMs = retryAfterMsFromHeaders((n) => err.headers?.get(n));
    return make('rate_limited', retryAfterMs !== undefined ? { retryAfterMs } : {});
  }
  if (status === 400 || status === 422) return make('invalid_request');
  if (status === 401 || status === 403) return make('auth');
  if (status === 404) return op === 'create' ? make('model_unavailable') : make('not_found');
  if (status === 502 || status === 503) return make('transient');
  if (status === 408 || status === 409 || status >= 500) {
    if (op !== 'create') return make('transient');
    return new ProviderError(
      'ambiguous_submit',
      `${message} (HTTP ${status} on a create: a task may exist. Runway cannot look tasks up by anything but their id, so storyreel will ` +
        "not post again: check the Runway developer portal's task history, then retry or skip the scene)",
      { ...details, retryable: false },
    );
  }
  return make('invalid_request');
}

/** A FAILED task's failure as a snapshot failure: moderation (never retried) or a failed job (a new task). */
export function taskFailure(code: string | undefined, text: string | undefined): NonNullable<JobSnapshot['failure']> {
  const said = text ? `: ${text.slice(0, 300)}` : '';
  if (code?.startsWith('SAFETY.OUTPUT.'))
    return { kind: 'content_policy', code, message: `${RUNWAY_PROVIDER}: the output was refused by moderation (${code})${said}` };
  if (code && (code.startsWith('SAFETY.INPUT.') || code.startsWith('INPUT_PREPROCESSING.SAFETY.'))) {
    return {
      kind: 'content_policy',
      code,
      message: `${RUNWAY_PROVIDER}: the ${flaggedInput(code)} was refused by moderation (${code})${said}`,
    };
  }
  return {
    kind: 'job_failed',
    ...(code ? { code } : {}),
    message: `${RUNWAY_PROVIDER}: the task failed${code ? ` (${code})` : ''}${said}`,
  };
}

/** The input a SAFETY.INPUT code names in its last part (best effort, Runway says): TEXT → the prompt. */
export function flaggedInput(code: string): string {
  const last = code.split('.').at(-1);
  if (last === 'TEXT') return 'input prompt';
  if (last === 'IMAGE') return 'input image (first or last frame)';
  return `input (${last?.toLowerCase() ?? 'unknown'})`;
}
