/**
 * The request log tests count requests in. One entry per API request (control requests are not logged), written
 * when the request arrives and completed when its connection closes, so an entry exists even for a request the mock
 * reset, left hanging or dropped.
 *
 * Credentials never appear in it: the values of credential headers are replaced by `REDACTED`, credential query
 * parameters by `REDACTED`, and `auth` keeps only the sha256 of the credential, so a test can prove that the right
 * key was sent (`auth.sha256 === credentialSha256('test-key')`) without the key being written anywhere.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface RequestLogEntry {
  method: string;
  path: string;
  /** Query string without the leading `?` ('' when none); credential parameters REDACTED. */
  query: string;
  /** HTTP status sent; 0 when no status line was sent (reset, hang, dropped). */
  status: number;
  /** Epoch ms (mock clock) when the request arrived. */
  time: number;
  /** Wall-clock ms from arrival until the connection finished with this request. */
  durationMs: number;
  /** Value of the request-id header the mock sent. */
  requestId: string;
  /** `X-Stainless-Retry-Count` of the request (Stainless SDKs: openai, runway), when present. */
  retryCount?: number;
  /** Type of the fault applied to this request, if any. */
  fault?: string;
  /** The job the request created or addressed, when the provider says so. */
  jobId?: string;
  /** The credential sent: where, with which scheme (`Bearer`, `Key`, …), and the sha256 (hex) of the credential itself. */
  auth?: { header: string; scheme?: string; sha256: string };
  /** Request headers, lower-case names; credential headers REDACTED; `x-mock-fault` removed. */
  headers: Record<string, string>;
  /** Only with `recordBodies`: the JSON body sent. */
  responseBody?: unknown;
  /** Only with `recordBodies`: the response headers sent. */
  responseHeaders?: Record<string, string>;
}

/** Headers whose values are credentials in the APIs we mock (`authorization`: Bearer/Key/Token schemes). */
export const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'api-key', 'x-api-key', 'x-goog-api-key', 'xi-api-key'] as const;

export const REDACTED = 'REDACTED';

/** sha256 (hex) of a credential: what `auth.sha256` holds for a request that sent `key`. */
export function credentialSha256(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export interface RequestLogOptions {
  /** Extra credential header names (lower-case), beside CREDENTIAL_HEADERS. */
  credentialHeaders?: readonly string[];
  /** Query parameters that carry a key (e.g. Google's `key`). */
  credentialQueryParams?: readonly string[];
  /** Epoch ms for `time`. */
  clock: () => number;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private readonly credentialHeaders: readonly string[];

  constructor(private readonly opts: RequestLogOptions) {
    this.credentialHeaders = [...CREDENTIAL_HEADERS, ...(opts.credentialHeaders ?? []).map((h) => h.toLowerCase())];
  }

  /** A copy of every entry, oldest first. */
  all(): RequestLogEntry[] {
    return structuredClone(this.entries);
  }

  clear(): void {
    this.entries = [];
  }

  /** Logs a request as it arrives; `status` and `durationMs` are filled in when the response closes. */
  start(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string): RequestLogEntry {
    const retry = req.headers['x-stainless-retry-count'];
    const auth = this.auth(req);
    const entry: RequestLogEntry = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: this.query(url),
      status: 0,
      time: this.opts.clock(),
      durationMs: 0,
      requestId,
      ...(typeof retry === 'string' && retry.trim() !== '' && Number.isFinite(Number(retry)) ? { retryCount: Number(retry) } : {}),
      ...(auth ? { auth } : {}),
      headers: this.headers(req),
    };
    this.entries.push(entry);
    const started = performance.now();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      entry.status = res.headersSent ? res.statusCode : 0;
      entry.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    };
    res.once('close', finish); // also emitted when the connection dies before an answer
    return entry;
  }

  private auth(req: IncomingMessage): RequestLogEntry['auth'] {
    for (const header of this.credentialHeaders) {
      const raw = req.headers[header];
      const value = Array.isArray(raw) ? raw[0] : raw;
      if (value === undefined) continue;
      // `Bearer sk-…`, `Key fal-…`, `Token r8_…`: hash the credential, keep the scheme (it says which format was used).
      const m = /^([A-Za-z][\w-]*)\s+(\S.*)$/.exec(value.trim());
      if (m && header.endsWith('authorization')) return { header, scheme: m[1]!, sha256: credentialSha256(m[2]!.trim()) };
      return { header, sha256: credentialSha256(value.trim()) };
    }
    return undefined;
  }

  private headers(req: IncomingMessage): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name === 'x-mock-fault' || value === undefined) continue;
      out[name] = this.credentialHeaders.includes(name) ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
    }
    return out;
  }

  private query(url: URL): string {
    const secret = this.opts.credentialQueryParams ?? [];
    if (!secret.some((p) => url.searchParams.has(p))) return url.search.replace(/^\?/, '');
    const params = new URLSearchParams(url.searchParams);
    for (const p of secret) if (params.has(p)) params.set(p, REDACTED);
    return params.toString();
  }
}
