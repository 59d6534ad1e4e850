/**
 * Google's answers in our error taxonomy, from HTTP status codes and the machine-readable parts of Google's error
 * JSON (`{"error": {code, message, status, details: [ErrorInfo, RetryInfo, QuotaFailure, …]}}`, AIP-193), never
 * from message text:
 *
 * - 429 RESOURCE_EXHAUSTED is a rate limit (retried after Retry-After or RetryInfo.retryDelay), unless a
 *   QuotaFailure names a per-day quota: then nothing more runs today (quota_exhausted, never retried).
 * - 403 with ErrorInfo BILLING_DISABLED: out of credit (quota_exhausted); other 403s and 401: auth. The Gemini API
 *   answers a bad key with 400 INVALID_ARGUMENT + ErrorInfo API_KEY_INVALID: auth as well.
 * - 400 FAILED_PRECONDITION (billing or region required for this model): model_unavailable.
 * - A create answered 408/409/499/5xx, or not answered at all, may have started a paid job: ambiguous_submit.
 *
 * Safety filtering ("Responsible AI") is not an HTTP error: a Veo operation ends with `raiMediaFilteredCount` and
 * `raiMediaFilteredReasons`, an interaction ends `failed` with a safety code. raiContentPolicy() turns those into
 * the failure of a content_policy snapshot that names the provider's reason and the input involved.
 */
import type { ErrorKind } from '../../contracts/errors.js';
import { ProviderError, type ProviderErrorDetails } from '../errors.js';
import { GOOGLE_PROVIDER } from './catalog.js';

export type GoogleOperation = 'create' | 'read' | 'download' | 'cancel';

interface Detail {
  '@type'?: unknown;
  reason?: unknown;
  retryDelay?: unknown;
  violations?: unknown;
}

export interface GoogleErrorParts {
  /** The canonical status name, e.g. RESOURCE_EXHAUSTED. */
  status: string | undefined;
  message: string | undefined;
  /** ErrorInfo reasons, e.g. API_KEY_INVALID, BILLING_DISABLED. */
  reasons: string[];
  /** RetryInfo.retryDelay in ms. */
  retryDelayMs: number | undefined;
  /** QuotaFailure violations' quota ids and metrics. */
  quotas: string[];
}

const typeOf = (d: Detail, name: string) => typeof d['@type'] === 'string' && d['@type'].endsWith(`google.rpc.${name}`);

/** The parts of `{"error": {...}}` (or a bare google.rpc.Status) storyreel classifies by. */
export function parseGoogleError(body: unknown): GoogleErrorParts {
  const root = (body && typeof body === 'object' ? body : {}) as { error?: unknown };
  const e = (root.error && typeof root.error === 'object' ? root.error : root) as {
    status?: unknown;
    message?: unknown;
    details?: unknown;
  };
  const details = (Array.isArray(e.details) ? e.details : []).filter((d): d is Detail => !!d && typeof d === 'object');
  const delay = details.find((d) => typeOf(d, 'RetryInfo'))?.retryDelay;
  const seconds = typeof delay === 'string' ? Number(delay.replace(/s$/, '')) : NaN;
  return {
    status: typeof e.status === 'string' ? e.status : undefined,
    message: typeof e.message === 'string' ? e.message : undefined,
    reasons: details.filter((d) => typeOf(d, 'ErrorInfo') && typeof d.reason === 'string').map((d) => d.reason as string),
    retryDelayMs: Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, 3_600_000) : undefined,
    quotas: details
      .filter((d) => typeOf(d, 'QuotaFailure') && Array.isArray(d.violations))
      .flatMap((d) => d.violations as { quotaId?: unknown; quotaMetric?: unknown }[])
      .flatMap((v) => [v.quotaId, v.quotaMetric].filter((x): x is string => typeof x === 'string')),
  };
}

export interface HttpFailure {
  status: number;
  body: unknown;
  retryAfterMs?: number;
  requestId?: string;
}

/** Short, safe text: the status name and Google's message (which never repeats a key). */
export function googleMessage(status: number, body: unknown): string {
  const p = parseGoogleError(body);
  const text = [p.status, p.message].filter(Boolean).join(': ') || `HTTP ${status}`;
  return `${GOOGLE_PROVIDER}: ${text.slice(0, 500)}`;
}

/** An HTTP error answer as a ProviderError. */
export function classifyGoogleHttp(op: GoogleOperation, f: HttpFailure, jobId?: string): ProviderError {
  const p = parseGoogleError(f.body);
  const code = p.reasons[0] ?? p.status;
  const details: ProviderErrorDetails = {
    provider: GOOGLE_PROVIDER,
    httpStatus: f.status,
    ...(code ? { providerCode: code } : {}),
    ...(f.requestId ? { requestId: f.requestId } : {}),
    ...(jobId ? { jobId } : {}),
  };
  const make = (kind: ErrorKind, extra: Partial<ProviderErrorDetails> = {}) =>
    new ProviderError(kind, googleMessage(f.status, f.body), { ...details, ...extra });
  const s = f.status;
  if (s === 429) {
    if (p.quotas.some((q) => /per ?day/i.test(q))) return make('quota_exhausted');
    const wait = Math.max(f.retryAfterMs ?? 0, p.retryDelayMs ?? 0);
    return make('rate_limited', f.retryAfterMs !== undefined || p.retryDelayMs !== undefined ? { retryAfterMs: wait } : {});
  }
  if (s === 400 && p.reasons.includes('API_KEY_INVALID')) return make('auth');
  if (s === 400 && p.status === 'FAILED_PRECONDITION') return make('model_unavailable');
  if (s === 401) return make('auth');
  if (s === 403) return p.reasons.includes('BILLING_DISABLED') ? make('quota_exhausted') : make('auth');
  if (s === 404) return op === 'create' ? make('model_unavailable') : make('not_found');
  if (s === 408 || s === 409 || s === 499 || s >= 500) return op === 'create' ? make('ambiguous_submit') : make('transient');
  return make('invalid_request');
}

/** A request that got no HTTP answer (reset, timeout, DNS). */
export function noAnswer(op: GoogleOperation, cause: unknown, jobId?: string): ProviderError {
  const base = { provider: GOOGLE_PROVIDER, cause, ...(jobId ? { jobId } : {}) };
  if (op === 'create') {
    return new ProviderError(
      'ambiguous_submit',
      `${GOOGLE_PROVIDER}: the create got no answer (connection lost or timed out); it may have started a paid job`,
      base,
    );
  }
  return new ProviderError('transient', `${GOOGLE_PROVIDER}: no answer (${(cause as Error)?.name ?? 'network error'})`, base);
}

/**
 * Veo's safety-filter support codes (Agent Platform "Responsible AI" guidelines for Veo): which category, and
 * whether the code is given for the request's inputs or for the generated video. The input/output split is as that
 * table states it; the stored reference does not confirm it, so an unknown code names neither.
 */
const RAI_CODES: Record<string, { category: string; on: 'prompt' | 'output' }> = {
  '58061214': { category: 'child', on: 'prompt' },
  '17301594': { category: 'child', on: 'output' },
  '29310472': { category: 'celebrity', on: 'prompt' },
  '15236754': { category: 'celebrity', on: 'output' },
  '64151117': { category: 'video safety', on: 'prompt' },
  '42237218': { category: 'video safety', on: 'output' },
  '62263041': { category: 'dangerous content', on: 'prompt' },
  '57734940': { category: 'hate', on: 'prompt' },
  '22137204': { category: 'hate', on: 'output' },
  '92201652': { category: 'personal information', on: 'prompt' },
  '89371032': { category: 'prohibited content', on: 'prompt' },
  '49114662': { category: 'prohibited content', on: 'output' },
  '72817394': { category: 'prohibited content', on: 'output' },
  '90789179': { category: 'sexual', on: 'prompt' },
  '43188360': { category: 'sexual', on: 'output' },
  '78610348': { category: 'toxic', on: 'prompt' },
  '61493863': { category: 'violence', on: 'prompt' },
  '56562880': { category: 'violence', on: 'output' },
  '32635315': { category: 'vulgar', on: 'prompt' },
};

/** Interaction error codes that mean the request or its output was blocked for safety. */
export const INTERACTION_SAFETY_CODES = new Set(['SAFETY', 'PROHIBITED_CONTENT', 'BLOCKLIST', 'IMAGE_SAFETY', 'SPII', 'RAI_FILTERED']);

/**
 * The failure of a filtered Veo job: Google's own reasons, the support codes they carry (eight-digit numbers Google
 * documents for exactly this purpose), and which input was involved: the prompt or input images (`imagesSent`), or
 * the generated video.
 */
export function raiContentPolicy(reasons: string[], imagesSent: boolean): { kind: 'content_policy'; code: string; message: string } {
  const codes = [...new Set(reasons.flatMap((r) => r.match(/\b\d{8}\b/g) ?? []))];
  const known = codes.map((c) => RAI_CODES[c]).filter((x) => !!x);
  const on = new Set(known.map((k) => k.on));
  const input =
    on.size === 1 && on.has('output')
      ? 'output'
      : on.size === 1 && on.has('prompt')
        ? imagesSent
          ? 'prompt or input images'
          : 'prompt'
        : 'prompt, input images or output';
  const categories = [...new Set(known.map((k) => k.category))];
  const why = reasons.length ? reasons.join(' ').slice(0, 500) : "the video was filtered by Google's safety filters";
  return {
    kind: 'content_policy',
    code: codes.length ? `rai:${codes.join(',')}` : 'rai_filtered',
    message: `${GOOGLE_PROVIDER}: ${why}${categories.length ? ` [${categories.join(', ')}]` : ''} (input: ${input})`,
  };
}
