/**
 * The wire under the `replicate` SDK, and the classification of what comes back.
 *
 * The SDK (1.4.0) retries inside `request()`: every request after a network error (a create too: two predictions,
 * both paid), GETs after 429/5xx, and it ignores Retry-After. It cannot be told not to. `oncePerRequest` is the
 * `fetch` we give it: the first call for a request goes to the network, and the SDK's repeats of the same request
 * (it reuses one `init` object) get the first answer or error again without touching the network. So every SDK call
 * is exactly one HTTP request, and Temporal (which honours Retry-After through ProviderError.retryAfterMs) decides
 * about retries. Creates do not go through the SDK at all (provider.ts sends them directly).
 *
 * It also refuses to send the key to any origin but the API's: the SDK follows the `next` URL a list page names.
 */
import { ProviderError, retryAfterMsFromHeaders } from '../errors.js';
import type { ErrorKind } from '../../contracts/errors.js';

export const PROVIDER = 'replicate';

/** The SDK's fetch: one network request per SDK request, only to the API's origin. */
export function oncePerRequest(apiOrigin: string): typeof fetch {
  const first = new WeakMap<object, Promise<Response>>();
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    if (url.origin !== apiOrigin) throw new ForeignOriginError(url.origin, apiOrigin);
    const key = init ?? {};
    let answer = first.get(key);
    if (!answer) first.set(key, (answer = fetch(url, init)));
    // Each caller gets its own readable copy; a network error is the same rejection again.
    const real = await answer;
    const copy = real.clone();
    originals.set(copy, real);
    return copy;
  }) as typeof fetch;
}

/** The unread response behind a copy the SDK consumed (it reads an error's body into its message). */
const originals = new WeakMap<Response, Response>();

export class ForeignOriginError extends Error {
  override readonly name = 'ForeignOriginError';
  constructor(origin: string, api: string) {
    super(`refused to send the API key to ${origin} (the API is at ${api})`);
  }
}

/** RFC 7807 problem details, as Replicate answers errors: `{title, detail, status, invalid_fields?}`. */
export interface ProblemBody {
  title?: string;
  detail?: string;
  status?: number;
  invalid_fields?: { type?: string; field?: string; description?: string }[];
}

export async function problemOf(response: Response): Promise<ProblemBody> {
  try {
    const body = (await (originals.get(response) ?? response).clone().json()) as unknown;
    return body && typeof body === 'object' ? (body as ProblemBody) : {};
  } catch {
    return {};
  }
}

/** What a request was: a create (may have made a paid prediction), a read, or an output download. */
export type Operation = 'create' | 'read' | 'download';

/** An HTTP error answer in our taxonomy, from its status and body fields (never its text). */
export async function classifyResponse(response: Response, op: Operation, jobId?: string): Promise<ProviderError> {
  const status = response.status;
  const problem = await problemOf(response);
  const requestId = response.headers.get('x-request-id') ?? undefined;
  const text = problem.detail ?? problem.title ?? `HTTP ${status}`;
  const fields = problem.invalid_fields?.map((f) => f.field).filter(Boolean) ?? [];
  const message = `${PROVIDER}: ${text.slice(0, 500)}${fields.length ? ` (fields: ${fields.join(', ')})` : ''}`;
  const details = {
    provider: PROVIDER,
    httpStatus: status,
    ...(requestId ? { requestId } : {}),
    ...(jobId ? { jobId } : {}),
    ...(problem.title ? { providerCode: problem.title } : {}),
  };
  const make = (kind: ErrorKind, extra: { retryAfterMs?: number } = {}) => new ProviderError(kind, message, { ...details, ...extra });
  if (status === 429) {
    const retryAfterMs = retryAfterMsFromHeaders((n) => response.headers.get(n));
    return make('rate_limited', retryAfterMs !== undefined ? { retryAfterMs } : {});
  }
  // Replicate answers 402 Payment Required when the account is out of credit or past its spend limit.
  if (status === 402) return make('quota_exhausted');
  if (status === 401 || status === 403) return make('auth');
  if (op === 'download' && (status === 404 || status === 410)) return make('output_expired');
  if (status === 404) return make(op === 'create' ? 'model_unavailable' : 'not_found');
  if (status === 400 || status === 413 || status === 422) return make('invalid_request');
  if (status === 408 || status === 409 || status >= 500) return make(op === 'create' ? 'ambiguous_submit' : 'transient');
  return make('invalid_request');
}

/** A request that got no answer: for a create the prediction may exist; otherwise try again. */
export function noAnswer(err: unknown, op: Operation, timedOut: boolean, jobId?: string): ProviderError {
  const base = { provider: PROVIDER, ...(jobId ? { jobId } : {}), cause: err };
  const how = timedOut ? 'timeout' : 'connection error';
  return op === 'create'
    ? new ProviderError('ambiguous_submit', `${PROVIDER}: the create got no answer (${how}); it may have created a prediction`, base)
    : new ProviderError('transient', `${PROVIDER}: no answer from the API (${how})`, base);
}

/** The SDK's ApiError (it exports no class): an Error carrying the HTTP response. */
export function sdkResponseOf(err: unknown): Response | undefined {
  if (err instanceof Error && err.name === 'ApiError' && (err as { response?: unknown }).response instanceof Response)
    return (err as unknown as { response: Response }).response;
  return undefined;
}

/** `E1001`-style codes Replicate puts at the end of a prediction's `error` (documented format `E####`). */
export function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'string') return undefined;
  return /\((E\d{3,4})\)\s*$/.exec(error)?.[1] ?? /\b(E\d{4})\b/.exec(error)?.[1];
}

/** E005: "The input or output was flagged as sensitive" — moderation. */
export const MODERATION_CODES = new Set(['E005']);
