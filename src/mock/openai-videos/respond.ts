/** Writing answers: JSON, files (with Range), error bodies for injected faults, and the content faults. */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { ApiError } from './errors.js';
import type { FaultAction } from './faults.js';
import type { Asset } from './media.js';

export type JsonReply = { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> };
export type HtmlReply = { kind: 'html'; status: number; body: string; headers?: Record<string, string> };
export type AssetReply = { kind: 'asset'; asset: Asset; range: string | undefined };
export type Reply = JsonReply | HtmlReply | AssetReply;

export function json(body: unknown, status = 200, headers?: Record<string, string>): JsonReply {
  return { kind: 'json', status, body, ...(headers ? { headers } : {}) };
}

export function errorReply(err: ApiError): JsonReply {
  return json(err.body(), err.status, err.headers);
}

/** Content faults change how an asset is sent; everything else is a plain answer. */
export type ContentFault = Extract<FaultAction, { type: 'content_truncated' | 'content_corrupt' | 'content_stall' }>;

export function contentFaultOf(fault: FaultAction | undefined): ContentFault | undefined {
  return fault?.type === 'content_truncated' || fault?.type === 'content_corrupt' || fault?.type === 'content_stall' ? fault : undefined;
}

export function sendJson(res: ServerResponse, reply: JsonReply | HtmlReply): void {
  const text = reply.kind === 'json' ? JSON.stringify(reply.body) : reply.body;
  res.writeHead(reply.status, {
    ...reply.headers,
    'content-type': reply.kind === 'json' ? 'application/json' : 'text/html; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export type ByteRange = { start: number; end: number };

/**
 * One `bytes=` range of RFC 9110 (`a-b`, `a-`, `-n`). Undefined means "serve the whole file" (no header, several
 * ranges, or a malformed header, which the RFC says to ignore); 'unsatisfiable' means answer 416.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** Sends a file (honouring one Range), or a broken version of it for a content fault. */
export async function sendAsset(res: ServerResponse, reply: AssetReply, fault: ContentFault | undefined): Promise<void> {
  const { asset } = reply;
  if (fault) return sendFaultyAsset(res, asset, fault);
  const range = parseRange(reply.range, asset.size);
  if (range === 'unsatisfiable') {
    const err = new ApiError(416, `Requested range not satisfiable: '${reply.range}' for ${asset.size} bytes.`, {
      code: 'range_not_satisfiable',
    });
    return sendJson(res, json(err.body(), 416, { 'content-range': `bytes */${asset.size}` }));
  }
  const headers: Record<string, string> = { 'content-type': asset.contentType, 'accept-ranges': 'bytes' };
  if (range) {
    res.writeHead(206, {
      ...headers,
      'content-length': String(range.end - range.start + 1),
      'content-range': `bytes ${range.start}-${range.end}/${asset.size}`,
    });
  } else {
    res.writeHead(200, { ...headers, 'content-length': String(asset.size) });
  }
  if (asset.size === 0) return void res.end();
  createReadStream(asset.path, range ?? {})
    .on('error', () => res.destroy()) // e.g. the cache was removed by close()
    .pipe(res);
}

/** Bytes that are neither an MP4 nor an image: what a broken CDN or proxy might serve. */
export function corruptBytes(length: number): Buffer {
  const pattern = Buffer.from('<!-- mock: corrupt content, not an mp4 -->\n');
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += pattern.length) pattern.copy(out, i);
  return out;
}

/**
 * content_corrupt: 200 with up to 64 KiB of non-media bytes. content_truncated: announces the whole file, sends
 * the first half, then closes the connection once those bytes have left. content_stall: announces the whole file,
 * sends `afterBytes`, then nothing (the connection stays open until the client gives up or the server closes).
 */
async function sendFaultyAsset(res: ServerResponse, asset: Asset, fault: ContentFault): Promise<void> {
  const headers = { 'content-type': asset.contentType, 'accept-ranges': 'bytes' };
  if (fault.type === 'content_corrupt') {
    const bytes = corruptBytes(Math.min(asset.size, 64 * 1024));
    res.writeHead(200, { ...headers, 'content-length': String(bytes.length) });
    res.end(bytes);
    return;
  }
  const length =
    fault.type === 'content_truncated' ? Math.floor(asset.size / 2) : Math.min(fault.afterBytes ?? 16384, Math.max(0, asset.size - 1));
  const prefix = await readPrefix(asset.path, length);
  res.writeHead(200, { ...headers, 'content-length': String(asset.size) });
  res.write(prefix, () => {
    if (fault.type === 'content_truncated') res.socket?.destroy();
  });
}

async function readPrefix(path: string, length: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await file.read(buf, 0, length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

const HTTP_DEFAULTS: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: 'Bad request.', type: 'invalid_request_error', code: null },
  401: {
    message: 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  },
  403: { message: 'Country, region, or territory not supported', type: 'request_forbidden', code: 'unsupported_country_region_territory' },
  404: {
    message: 'The model `sora-2` does not exist or you do not have access to it.',
    type: 'invalid_request_error',
    code: 'model_not_found',
  },
  409: { message: 'Another request is modifying this resource. Please try again.', type: 'invalid_request_error', code: 'conflict' },
  500: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null },
  502: { message: 'Bad gateway.', type: 'server_error', code: null },
  503: { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', code: null },
  504: { message: 'Gateway timeout.', type: 'server_error', code: null },
};

/** [real] text of a quota 429. */
const QUOTA_MESSAGE =
  'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.';

/** The answer for an `http`, `rate_limit` or `quota` fault. */
export function faultReply(action: Extract<FaultAction, { type: 'http' | 'rate_limit' | 'quota' }>): JsonReply | HtmlReply {
  if (action.type === 'quota') {
    return errorReply(new ApiError(429, QUOTA_MESSAGE, { type: 'insufficient_quota', code: 'credit_balance_exhausted' }));
  }
  const headers = retryHeaders(action);
  if (action.type === 'rate_limit') {
    const wait =
      action.retryAfterMs !== undefined ? `${action.retryAfterMs}ms` : action.retryAfter !== undefined ? `${action.retryAfter}s` : '20s';
    const message = `Rate limit reached for sora-2 in organization org-mock on requests per min (RPM): Limit 25, Used 25, Requested 1. Please try again in ${wait}. Visit https://platform.openai.com/account/rate-limits to learn more.`;
    return errorReply(
      new ApiError(429, message, {
        type: 'requests',
        code: 'rate_limit_exceeded',
        headers: { ...headers, 'x-ratelimit-remaining-requests': '0' },
      }),
    );
  }
  if (action.shouldRetry !== undefined) headers['x-should-retry'] = String(action.shouldRetry);
  if (action.html) return { kind: 'html', status: action.status, body: htmlErrorPage(action.status), headers };
  const d = HTTP_DEFAULTS[action.status] ?? {
    message: `HTTP ${action.status}`,
    type: action.status >= 500 ? 'server_error' : 'invalid_request_error',
    code: null,
  };
  return errorReply(
    new ApiError(action.status, action.message ?? d.message, { type: action.errorType ?? d.type, code: action.code ?? d.code, headers }),
  );
}

function retryHeaders(action: { retryAfter?: number; retryAfterMs?: number }): Record<string, string> {
  const h: Record<string, string> = {};
  if (action.retryAfter !== undefined) h['retry-after'] = String(action.retryAfter);
  if (action.retryAfterMs !== undefined) h['retry-after-ms'] = String(action.retryAfterMs);
  return h;
}

/** What a CDN in front of the API sends for a gateway error. */
function htmlErrorPage(status: number): string {
  const title = `${status} ${status === 502 ? 'Bad Gateway' : status === 503 ? 'Service Temporarily Unavailable' : status === 504 ? 'Gateway Time-out' : 'Error'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n`;
}

/**
 * `x-ratelimit-*-requests` headers from a fixed one-minute window. Informational only: the mock never limits by
 * itself (inject `rate_limit` faults for that). Reset is a duration string like `59.2s` or `1m0s`.
 */
export class RateWindow {
  private start = 0;
  private count = 0;
  constructor(private readonly limitPerMinute: number) {}

  headers(nowMs: number): Record<string, string> {
    if (nowMs - this.start >= 60_000 || nowMs < this.start) {
      this.start = nowMs;
      this.count = 0;
    }
    this.count++;
    return {
      'x-ratelimit-limit-requests': String(this.limitPerMinute),
      'x-ratelimit-remaining-requests': String(Math.max(0, this.limitPerMinute - this.count)),
      'x-ratelimit-reset-requests': durationText(this.start + 60_000 - nowMs),
    };
  }
}

/** Go-style duration text as OpenAI sends it: `20ms`, `1.5s`, `6m0s`. */
export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number(s.toFixed(3))}s`;
  return `${Math.floor(s / 60)}m${Number((s % 60).toFixed(3))}s`;
}
