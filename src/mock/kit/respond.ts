/**
 * Writing answers: JSON and text bodies, files (one HTTP Range honoured), the broken versions of a file that content
 * faults ask for, and the provider-neutral parts of an error fault's answer (retry hints, a gateway's HTML page).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import type { ContentFault, ErrorFault } from './faults.js';

/** A file to send; `size` in bytes. */
export interface Asset {
  path: string;
  contentType: string;
  size: number;
}

export type JsonReply = { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> };
export type TextReply = { kind: 'text'; status: number; contentType: string; body: string; headers?: Record<string, string> };
/** A file, with the request's `Range` header (undefined: the whole file). */
export type AssetReply = { kind: 'asset'; asset: Asset; range: string | undefined; headers?: Record<string, string> };
export type Reply = JsonReply | TextReply | AssetReply;

export function json(body: unknown, status = 200, headers?: Record<string, string>): JsonReply {
  return { kind: 'json', status, body, ...(headers ? { headers } : {}) };
}

export function text(body: string, status = 200, contentType = 'text/plain; charset=utf-8', headers?: Record<string, string>): TextReply {
  return { kind: 'text', status, contentType, body, ...(headers ? { headers } : {}) };
}

export function sendBody(res: ServerResponse, reply: JsonReply | TextReply): void {
  const body = reply.kind === 'json' ? JSON.stringify(reply.body) : reply.body;
  res.writeHead(reply.status, {
    ...reply.headers,
    'content-type': reply.kind === 'json' ? 'application/json' : reply.contentType,
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
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

/** Sends a file, or the requested part of it (206 with Content-Range). The caller answers an unsatisfiable range. */
export function sendAsset(res: ServerResponse, asset: Asset, range: ByteRange | undefined, headers: Record<string, string> = {}): void {
  const common = { ...headers, 'content-type': asset.contentType, 'accept-ranges': 'bytes' };
  if (range) {
    res.writeHead(206, {
      ...common,
      'content-length': String(range.end - range.start + 1),
      'content-range': `bytes ${range.start}-${range.end}/${asset.size}`,
    });
  } else {
    res.writeHead(200, { ...common, 'content-length': String(asset.size) });
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
export async function sendFaultyAsset(res: ServerResponse, asset: Asset, fault: ContentFault): Promise<void> {
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

/** `Retry-After` (seconds) and `retry-after-ms`, each only when the fault gives it. */
export function retryHintHeaders(action: { retryAfter?: number; retryAfterMs?: number }): Record<string, string> {
  const h: Record<string, string> = {};
  if (action.retryAfter !== undefined) h['retry-after'] = String(action.retryAfter);
  if (action.retryAfterMs !== undefined) h['retry-after-ms'] = String(action.retryAfterMs);
  return h;
}

/**
 * The answer to an error fault: the provider's body (`providerBody`) plus the hint headers, or, for
 * `{type:'http', html:true}`, the HTML page a CDN in front of any API sends for a gateway error.
 */
export function errorFaultReply(action: ErrorFault, providerBody: (action: ErrorFault) => JsonReply): JsonReply | TextReply {
  const hints = action.type === 'quota' ? {} : retryHintHeaders(action);
  if (action.type === 'http' && action.shouldRetry !== undefined) hints['x-should-retry'] = String(action.shouldRetry);
  if (action.type === 'http' && action.html) return text(gatewayPage(action.status), action.status, 'text/html; charset=utf-8', hints);
  const reply = providerBody(action);
  return { ...reply, headers: { ...reply.headers, ...hints } };
}

/** What a CDN in front of the API sends for a gateway error. */
export function gatewayPage(status: number): string {
  const title = `${status} ${status === 502 ? 'Bad Gateway' : status === 503 ? 'Service Temporarily Unavailable' : status === 504 ? 'Gateway Time-out' : 'Error'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n`;
}
