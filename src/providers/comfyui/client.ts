/**
 * ComfyUI's HTTP API through `fetch` (there is no official client for the server API): one request per call, never
 * repeated here (Temporal retries, and a retried create reconciles by prompt_id first), a timeout to the response
 * headers, and every failure classified into the ProviderError taxonomy from the HTTP status and ComfyUI's error body
 * (`error.type`), never from message text.
 */
import { ProviderError, retryAfterMsFromHeaders } from '../errors.js';
import type { ErrorKind } from '../../contracts/errors.js';
import { PROVIDER } from './spec.js';

/** What a request does: a create may have queued a prompt when its answer is lost; an upload is idempotent. */
export type Operation = 'create' | 'read' | 'upload' | 'download' | 'cancel';

export interface ClientOptions {
  baseURL: string;
  /** Sent on every request (a proxy's key); never logged. */
  headers: Record<string, string>;
  /** Until the response headers arrive, ms. */
  timeoutMs: number;
}

interface ComfyErrorBody {
  error?: { type?: unknown; message?: unknown; details?: unknown } | string;
  node_errors?: Record<
    string,
    { class_type?: unknown; errors?: { type?: unknown; message?: unknown; details?: unknown; extra_info?: unknown }[] }
  >;
}

export class ComfyClient {
  constructor(private readonly opts: ClientOptions) {}

  url(path: string, query?: Record<string, string>): string {
    const base = this.opts.baseURL.replace(/\/+$/, '');
    return `${base}${path}${query ? `?${new URLSearchParams(query).toString()}` : ''}`;
  }

  /** A JSON request; throws ProviderError for anything but 2xx (and for a body that is not JSON). */
  async json<T>(method: 'GET' | 'POST', path: string, op: Operation, body?: unknown, signal?: AbortSignal): Promise<T> {
    const res = await this.send(method, path, op, body === undefined ? undefined : JSON.stringify(body), signal, {
      'content-type': 'application/json',
    });
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ProviderError(
        op === 'create' ? 'ambiguous_submit' : 'transient',
        `${PROVIDER}: ${method} ${path} answered something that is not JSON`,
        {
          provider: PROVIDER,
          httpStatus: res.status,
        },
      );
    }
  }

  /** A multipart upload (the body is a FormData). */
  async form(path: string, form: FormData, signal?: AbortSignal): Promise<unknown> {
    const res = await this.send('POST', path, 'upload', form, signal, {});
    return res.json().catch(() => ({}));
  }

  /** A GET whose body the caller streams (a download); throws for anything but 2xx. */
  async stream(path: string, query: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    return this.send('GET', path, 'download', undefined, signal, {}, query);
  }

  /**
   * One request. The timeout covers the response headers and, for JSON answers, the body; a stream (a download) is
   * released from it once the headers are in (the caller bounds it by an idle timeout instead).
   */
  private async send(
    method: string,
    path: string,
    op: Operation,
    body: string | FormData | undefined,
    signal: AbortSignal | undefined,
    headers: Record<string, string>,
    query?: Record<string, string>,
  ): Promise<Response> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), this.opts.timeoutMs);
    let res: Response;
    try {
      res = await fetch(this.url(path, query), {
        method,
        headers: { ...(body === undefined ? {} : headers), ...this.opts.headers },
        ...(body === undefined ? {} : { body }),
        signal: signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal,
      });
      // JSON answers are read whole under the timeout; a download's body is left to the caller.
      if (op !== 'download' || !res.ok) res = await buffered(res);
    } catch (err) {
      throw this.networkError(timeout.signal.aborted ? timeout.signal.reason : err, op, signal);
    } finally {
      clearTimeout(timer);
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    throw classifyHttp(res.status, text, res.headers, op, path);
  }

  private networkError(err: unknown, op: Operation, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted) return err; // our caller's cancellation or deadline: not a provider failure
    const code = (err as { cause?: { code?: unknown } }).cause?.code;
    const timedOut = (err as { name?: unknown }).name === 'TimeoutError';
    const unreachable = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
    const what = timedOut
      ? 'no answer in time'
      : unreachable
        ? `cannot connect (${String(code)})`
        : `the connection broke (${String(code ?? (err as Error).message)})`;
    // A create whose connection broke after it was sent may have queued the prompt; one never connected did not.
    const kind: ErrorKind = op === 'create' && !unreachable ? 'ambiguous_submit' : 'transient';
    return new ProviderError(kind, `${PROVIDER}: ${what} from ${this.opts.baseURL}`, { provider: PROVIDER, cause: err });
  }
}

/** A non-2xx answer as a ProviderError. Exported for tests. */
export function classifyHttp(status: number, text: string, headers: Headers, op: Operation, path: string): ProviderError {
  let body: ComfyErrorBody | undefined;
  try {
    body = JSON.parse(text) as ComfyErrorBody;
  } catch {
    body = undefined;
  }
  const errorType = typeof body?.error === 'object' && typeof body.error.type === 'string' ? body.error.type : undefined;
  const base = { provider: PROVIDER, httpStatus: status, ...(errorType ? { providerCode: errorType } : {}) };
  const make = (kind: ErrorKind, message: string, extra: { retryAfterMs?: number; retryable?: boolean } = {}) =>
    new ProviderError(kind, `${PROVIDER}: ${message}`, { ...base, ...extra });

  if (status === 429) {
    const retryAfterMs = retryAfterMsFromHeaders((n) => headers.get(n));
    return make('rate_limited', 'too many requests (429)', retryAfterMs !== undefined ? { retryAfterMs } : {});
  }
  if (status === 402)
    return make(
      'quota_exhausted',
      `the ComfyUI host refuses more work until its account is topped up (402): ${errorText(body) ?? ''}`.trim(),
    );
  if (status === 401)
    return make('auth', 'the server (or a proxy in front of it) wants a key: set providers.comfyui.apiKeyEnv to the variable holding it');
  if (status === 403) {
    return make(
      'auth',
      'forbidden (403): ComfyUI refuses requests whose Origin does not match its host unless started with --enable-cors-header; a proxy may refuse the key',
    );
  }
  if (status === 400 && op === 'create')
    return make('invalid_request', `the workflow was refused: ${promptErrorText(body) ?? text.slice(0, 300)}`);
  if (status === 404) {
    if (op === 'download') return make('output_expired', `the output file is gone from the server (GET ${path} answered 404)`);
    return make(op === 'create' ? 'invalid_request' : 'not_found', `${path} answered 404: is the base URL a ComfyUI server?`);
  }
  if (status === 413) return make('invalid_request', `${path}: the request is larger than the server accepts (413, --max-upload-size)`);
  if (status === 408 || status === 409 || status >= 500) {
    // A create answered with a server error may still have queued the prompt: the next attempt looks for it first.
    return make(
      op === 'create' ? 'ambiguous_submit' : 'transient',
      `${path} answered ${status}${errorText(body) ? `: ${errorText(body)}` : ''}`,
    );
  }
  return make('invalid_request', `${path} answered ${status}${errorText(body) ? `: ${errorText(body)}` : ''}`);
}

/** The response with its body read into memory (so the timeout covers it). */
async function buffered(res: Response): Promise<Response> {
  const body = await res.arrayBuffer();
  const empty = res.status === 204 || res.status === 205 || res.status === 304;
  return new Response(empty ? null : body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

function errorText(body: ComfyErrorBody | undefined): string | undefined {
  if (!body?.error) return undefined;
  if (typeof body.error === 'string') return body.error.slice(0, 300);
  return typeof body.error.message === 'string' ? body.error.message.slice(0, 300) : undefined;
}

/** ComfyUI's validation answer in one line: the error, then each node's problems, with a hint for missing models. */
function promptErrorText(body: ComfyErrorBody | undefined): string | undefined {
  if (!body?.error) return undefined;
  const parts: string[] = [errorText(body) ?? 'invalid prompt'];
  const details = typeof body.error === 'object' && typeof body.error.details === 'string' ? body.error.details : '';
  if (details && !Object.keys(body.node_errors ?? {}).length) parts.push(details.split('\n')[0]!);
  let missingModel = false;
  for (const [id, node] of Object.entries(body.node_errors ?? {})) {
    for (const e of node.errors ?? []) {
      parts.push(`node ${id} (${String(node.class_type)}): ${String(e.message)}${e.details ? ` (${String(e.details)})` : ''}`);
      const input = (e.extra_info as { input_name?: unknown } | undefined)?.input_name;
      if (e.type === 'value_not_in_list' && typeof input === 'string' && input.endsWith('_name')) missingModel = true;
    }
  }
  if (missingModel) {
    parts.push('install that model file on the ComfyUI server, or name the file you have with providers.comfyui.workflows.<model>.set');
  }
  return parts.join('; ').slice(0, 1200);
}
