/**
 * The HTTP calls the `google` adapter makes itself: one attempt each (no retry loop anywhere; Retry-After goes back
 * to the caller in the ProviderError), a deadline on the response headers only (bodies are watched by an idle timer
 * instead, so a long download is never cut for being long), and every non-2xx answer classified once.
 */
import { retryAfterMsFromHeaders, type ProviderError } from '../errors.js';
import { classifyGoogleHttp, noAnswer, type GoogleOperation } from './errors.js';

export interface SendOptions {
  op: GoogleOperation;
  timeoutMs: number;
  /**
   * `total`: the whole exchange, body included, within `timeoutMs` (small JSON answers). `headers`: only until the
   * response headers arrive; the caller watches the body (streamed media) with an idle timer.
   */
  timeoutCovers: 'total' | 'headers';
  signal?: AbortSignal | undefined;
  jobId?: string;
}

/** One request. Throws ProviderError (or the caller's abort reason); returns only 2xx responses, body unread. */
export async function send(url: string, init: RequestInit, opts: SendOptions): Promise<Response> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline.signal]) : deadline.signal;
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal });
  } catch (err) {
    clearTimeout(timer);
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    throw noAnswer(opts.op, err, opts.jobId);
  }
  if (opts.timeoutCovers === 'headers') clearTimeout(timer);
  // A `total` deadline stays armed while the caller reads the body; it cannot keep the process alive for long.
  else timer.unref();
  if (res.ok) return res;
  throw await httpError(opts.op, res, opts.jobId);
}

/** A non-2xx answer as a ProviderError (its small JSON body read and classified). */
export async function httpError(op: GoogleOperation, res: Response, jobId?: string): Promise<ProviderError> {
  const body = await readJson(res);
  const retryAfterMs = retryAfterMsFromHeaders((n) => res.headers.get(n));
  return classifyGoogleHttp(op, { status: res.status, body, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }, jobId);
}

export async function readJson(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => '');
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

/** Content-Length of an unencoded body (a compressed body's length counts compressed bytes, which fetch does not show). */
export function plainLength(res: Response): number | undefined {
  const encoding = res.headers.get('content-encoding');
  if (encoding && encoding !== 'identity') return undefined;
  const n = Number(res.headers.get('content-length') ?? NaN);
  return Number.isFinite(n) ? n : undefined;
}
