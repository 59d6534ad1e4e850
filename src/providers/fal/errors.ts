/**
 * fal's answers in our error taxonomy, from status codes, body shapes and body `type`s (never message text):
 *
 * - model errors: `{"detail": [{loc, msg, type, …}]}` (422 `content_policy_violation` = moderation, with the input in
 *   `loc`); request errors: `{"detail": "…", "error_type": "…"}` (also the `X-Fal-Error-Type` header);
 *   fal.ai/docs/documentation/model-apis/errors and …/request-errors.
 * - 401: bad key. 403 with a `detail`: the account is locked (exhausted balance, or an admin lock): nothing runs until
 *   someone tops up or support unlocks it, so it is quota_exhausted (never retried), not auth.
 * - A create answered 408/409/5xx, or not answered at all, may have been queued: ambiguous_submit.
 */
import type { ErrorKind } from '../../contracts/errors.js';
import { ProviderError, type ProviderErrorDetails } from '../errors.js';
import { FAL_PROVIDER } from './catalog.js';

export type FalOperation = 'create' | 'read' | 'upload' | 'cancel';

interface DetailItem {
  loc?: unknown[];
  msg?: string;
  type?: string;
}

/** The machine-readable parts of an error body. */
export function parseFalError(body: unknown): { items: DetailItem[]; text: string | undefined; errorType: string | undefined } {
  const b = (body && typeof body === 'object' ? body : {}) as { detail?: unknown; error_type?: unknown; error?: unknown };
  const items = Array.isArray(b.detail) ? (b.detail.filter((d) => d && typeof d === 'object') as DetailItem[]) : [];
  const text = typeof b.detail === 'string' ? b.detail : typeof b.error === 'string' ? b.error : undefined;
  return { items, text, errorType: typeof b.error_type === 'string' ? b.error_type : undefined };
}

/** Whether a body is one of fal's error bodies (a model's answer) rather than a gateway's page. */
export function isFalErrorBody(body: unknown): boolean {
  return !!body && typeof body === 'object' && 'detail' in body;
}

/** Short, safe text: `loc: msg` of each item (the flagged input itself is never repeated), or the detail string. */
export function falMessage(status: number, body: unknown): string {
  const { items, text } = parseFalError(body);
  const parts = items.map((i) => {
    const where = Array.isArray(i.loc) ? i.loc.filter((l) => l !== 'body').join('.') : '';
    return `${where ? `${where}: ` : ''}${i.msg ?? i.type ?? 'invalid'}`;
  });
  const detail = parts.length ? parts.join('; ') : (text ?? `HTTP ${status}`);
  return `${FAL_PROVIDER}: ${detail.slice(0, 500)}`;
}

/** The input a moderation answer names: the prompt, or an image field. */
export function flaggedInput(body: unknown): 'prompt' | 'reference_image' | undefined {
  const item = parseFalError(body).items.find((i) => i.type === 'content_policy_violation');
  if (!item) return undefined;
  const field = Array.isArray(item.loc) ? String(item.loc[item.loc.length - 1] ?? '') : '';
  return /image|frame/.test(field) ? 'reference_image' : field ? 'prompt' : undefined;
}

export function isModeration(body: unknown): boolean {
  return parseFalError(body).items.some((i) => i.type === 'content_policy_violation');
}

/** The most specific code of an error body: the first item's `type`, else `error_type`. */
export function falCode(body: unknown, headerType?: string | null): string | undefined {
  const { items, errorType } = parseFalError(body);
  return items[0]?.type ?? errorType ?? headerType ?? undefined;
}

export interface HttpFailure {
  status: number;
  body: unknown;
  retryAfterMs?: number;
  requestId?: string;
  errorTypeHeader?: string | null;
}

/** An HTTP error answer as a ProviderError. */
export function classifyFalHttp(op: FalOperation, f: HttpFailure, jobId?: string): ProviderError {
  const code = falCode(f.body, f.errorTypeHeader);
  const details: ProviderErrorDetails = {
    provider: FAL_PROVIDER,
    httpStatus: f.status,
    ...(code ? { providerCode: code } : {}),
    ...(f.requestId ? { requestId: f.requestId } : {}),
    ...(jobId ? { jobId } : {}),
  };
  const make = (kind: ErrorKind, extra: Partial<ProviderErrorDetails> = {}) =>
    new ProviderError(kind, falMessage(f.status, f.body), { ...details, ...extra });
  const s = f.status;
  if (s === 429) return make('rate_limited', f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {});
  if (s === 400 || s === 422) {
    if (isModeration(f.body)) {
      const input = flaggedInput(f.body);
      return make('content_policy', input ? { input } : {});
    }
    return make('invalid_request');
  }
  if (s === 401) return make('auth');
  if (s === 403) return op === 'read' ? make('auth') : make('quota_exhausted');
  if (s === 404) return op === 'create' ? make('model_unavailable') : make('not_found');
  if (s === 408 || s === 409 || s >= 500) return op === 'create' ? make('ambiguous_submit') : make('transient');
  return make('invalid_request');
}

/** A create or read that got no HTTP answer (reset, timeout, DNS). */
export function noAnswer(op: FalOperation, cause: unknown, jobId?: string): ProviderError {
  const base = { provider: FAL_PROVIDER, cause, ...(jobId ? { jobId } : {}) };
  return op === 'create'
    ? new ProviderError(
        'ambiguous_submit',
        `${FAL_PROVIDER}: the create got no answer (connection lost or timed out); it may have queued a job`,
        base,
      )
    : new ProviderError('transient', `${FAL_PROVIDER}: no answer (${(cause as Error)?.name ?? 'network error'})`, base);
}
