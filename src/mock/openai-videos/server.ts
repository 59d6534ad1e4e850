/**
 * A standalone mock of the OpenAI Videos API (`/v1/videos`, Sora 2 contract: openapi.yaml beside this file), on
 * node:http, with fault injection and a request log. See README.md for the contract and the choices made where the
 * live API's behaviour is unknown.
 *
 * Control endpoints beside the API (not logged, no auth):
 *   GET  /__mock/requests            the request log (JSON array of MockRequestLogEntry)
 *   GET  /__mock/faults              current rules with their `seen`/`fired` counters
 *   POST /__mock/faults[?replace=1]  JSON FaultRule or array of them: appended (or replacing the current ones)
 *   POST /__mock/reset               clears jobs, characters, log and faults
 *   GET  /__mock/videos              current Video objects
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { VideosApi } from './api.js';
import { parseBody, readBody } from './body.js';
import { ApiError, invalidUrl } from './errors.js';
import { FaultBook, parseFaultHeader, parseFaultRules, type FaultAction, type FaultRule, type RouteKind } from './faults.js';
import type { VideoResource } from './jobs.js';
import { MediaRenderer } from './media.js';
import { PROFILES, type ProfileName } from './requests.js';
import {
  contentFaultOf,
  errorReply,
  faultReply,
  json,
  RateWindow,
  sendAsset,
  sendJson,
  type ContentFault,
  type JsonReply,
  type Reply,
} from './respond.js';

export type { FaultAction, FaultMatch, FaultRule, FaultRuleStatus, SeededFaultKind, SeededFaultOptions, SeededRoute } from './faults.js';
export { parseFaultRules, SEEDED_FAULT_MIX, seededFaults } from './faults.js';
export type { VideoResource } from './jobs.js';
export type { ProfileName } from './requests.js';

export interface OpenAIMockOptions {
  /** 0/undefined = a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, `/v1` requests need `Authorization: Bearer <apiKey>`, else 401 `invalid_api_key`. */
  apiKey?: string;
  /**
   * Accepted value sets. `spec-2026-08` (default): seconds 4/8/12; sizes 720x1280, 1280x720, 1024x1792, 1792x1024.
   * `guide-2026-03`: adds seconds 16/20, sizes 1920x1080/1080x1920 (sora-2-pro only), `characters`, 120 s max total.
   */
  profile?: ProfileName;
  /** Job timings, deterministic: queued for `queuedMs` (default 100), then `msPerVideoSecond` (default 50) per second of video. */
  timing?: { queuedMs?: number; msPerVideoSecond?: number };
  /** Frame rate of generated content, default 24. */
  fps?: number;
  /** `expires_at − completed_at`, seconds, default 3600. */
  expiresAfterS?: number;
  /** Cache of rendered media (kept); default a temp dir removed by close(). */
  workDir?: string;
  /** Add `responseBody` (parsed JSON) and `responseHeaders` to log entries. Default false. */
  recordBodies?: boolean;
  /** Render a job's video as soon as it is created, so downloads right after completion are fast. Default true. */
  prerender?: boolean;
  /** `openai-poll-after-ms` on GET /v1/videos/{id}, ms. Default 200. */
  pollAfterMs?: number;
  /** Status of GET content before completion (or of a failed video). Default 404. */
  contentNotReadyStatus?: 404 | 409;
  /** Value of `x-ratelimit-limit-requests` (per minute; headers only, never enforced). Default 5000. */
  rateLimitRpm?: number;
  /** Parallel ffmpeg processes, default 2. */
  renderConcurrency?: number;
  /** Epoch ms; drives job states, `created_at` and log times. Default Date.now (tests may pass a fake clock). */
  clock?: () => number;
}

export interface MockRequestLogEntry {
  method: string;
  path: string;
  /** Query string without the leading `?` ('' when none). */
  query: string;
  /** HTTP status sent; 0 when no status line was sent (reset, hang, dropped). */
  status: number;
  /** Epoch ms (mock clock) when the request arrived. */
  time: number;
  durationMs: number;
  requestId: string;
  /** `X-Stainless-Retry-Count` of the request, when present. */
  retryCount?: number;
  /** Type of the fault applied to this request, if any. */
  fault?: string;
  videoId?: string;
  /** Request headers, lower-case names; `authorization` (and `api-key`) values REDACTED; `x-mock-fault` removed. */
  headers: Record<string, string>;
  /** Only with `recordBodies`: the JSON body sent. */
  responseBody?: unknown;
  /** Only with `recordBodies`: the response headers sent. */
  responseHeaders?: Record<string, string>;
}

export interface OpenAIMock {
  /** http://127.0.0.1:PORT */
  url: string;
  /** http://127.0.0.1:PORT/v1: the SDK's `baseURL`. */
  baseURL: string;
  port: number;
  requests(): MockRequestLogEntry[];
  setFaults(rules: FaultRule[]): void;
  addFaults(rules: FaultRule[]): void;
  /** Clears jobs, characters, the log and faults (rendered media stay cached). */
  reset(): void;
  videos(): VideoResource[];
  close(): Promise<void>;
}

const DEFAULTS = { queuedMs: 100, msPerVideoSecond: 50, fps: 24, expiresAfterS: 3600, pollAfterMs: 200, rateLimitRpm: 5000 };
const REDACTED_HEADERS = new Set(['authorization', 'api-key', 'x-api-key']);

export async function startOpenAIMock(opts: OpenAIMockOptions = {}): Promise<OpenAIMock> {
  const ownWorkDir = !opts.workDir;
  const workDir = opts.workDir ?? (await mkdtemp(join(tmpdir(), 'openai-videos-mock-')));
  await mkdir(workDir, { recursive: true });
  const mock = new MockServer(opts, workDir);
  const server = createServer((req, res) => void mock.handle(req, res));
  server.on('connection', (socket) => mock.track(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    baseURL: `${url}/v1`,
    port,
    requests: () => mock.requests(),
    setFaults: (rules) => mock.faults.set(rules),
    addFaults: (rules) => mock.faults.add(rules),
    reset: () => mock.reset(),
    videos: () => mock.api.videos(),
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        mock.shutdown();
        await closed;
        if (ownWorkDir) await rm(workDir, { recursive: true, force: true });
      })()),
  };
}

interface Route {
  kind: RouteKind;
  id?: string;
}

/** Maps method + path to a route of the API (`unknown` for anything else). */
export function resolveRoute(method: string, path: string): Route {
  const seg = path.split('/').slice(1);
  if (seg[0] !== 'v1' || seg[1] !== 'videos') return { kind: 'unknown' };
  const [, , a, b] = seg;
  const id = (s: string) => decodeURIComponent(s);
  if (seg.length === 2) return { kind: method === 'POST' ? 'create' : method === 'GET' ? 'list' : 'unknown' };
  if (seg.length === 3 && a) {
    if (method === 'POST' && a === 'characters') return { kind: 'character_create' };
    if (method === 'POST' && a === 'extensions') return { kind: 'extend' };
    if (method === 'POST' && a === 'edits') return { kind: 'edit' };
    if (method === 'GET') return { kind: 'retrieve', id: id(a) };
    if (method === 'DELETE') return { kind: 'delete', id: id(a) };
  }
  if (seg.length === 4 && a && b) {
    if (method === 'GET' && a === 'characters') return { kind: 'character_get', id: id(b) };
    if (method === 'GET' && b === 'content') return { kind: 'content', id: id(a) };
    if (method === 'POST' && b === 'remix') return { kind: 'remix', id: id(a) };
  }
  return { kind: 'unknown' };
}

class MockServer {
  readonly faults = new FaultBook();
  readonly api: VideosApi;
  private log: MockRequestLogEntry[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly rate: RateWindow;
  private readonly clock: () => number;

  constructor(
    private readonly opts: OpenAIMockOptions,
    workDir: string,
  ) {
    this.clock = opts.clock ?? Date.now;
    this.rate = new RateWindow(opts.rateLimitRpm ?? DEFAULTS.rateLimitRpm);
    const renderer = new MediaRenderer({ workDir, concurrency: opts.renderConcurrency ?? 2 });
    this.api = new VideosApi(
      {
        profile: PROFILES[opts.profile ?? 'spec-2026-08'],
        queuedMs: opts.timing?.queuedMs ?? DEFAULTS.queuedMs,
        msPerVideoSecond: opts.timing?.msPerVideoSecond ?? DEFAULTS.msPerVideoSecond,
        fps: opts.fps ?? DEFAULTS.fps,
        expiresAfterS: opts.expiresAfterS ?? DEFAULTS.expiresAfterS,
        pollAfterMs: opts.pollAfterMs ?? DEFAULTS.pollAfterMs,
        contentNotReadyStatus: opts.contentNotReadyStatus ?? 404,
        prerender: opts.prerender ?? true,
        clock: this.clock,
      },
      renderer,
    );
  }

  track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  requests(): MockRequestLogEntry[] {
    return structuredClone(this.log);
  }

  reset(): void {
    this.api.reset();
    this.faults.clear();
    this.log = [];
  }

  /** Stops renders and timers and destroys every open connection (hung or stalled ones included). */
  shutdown(): void {
    this.api.renderer.close();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://mock.invalid');
    const requestId = `req_${randomBytes(16).toString('hex')}`;
    res.setHeader('x-request-id', requestId);
    try {
      if (url.pathname.startsWith('/__mock/')) return await this.control(req, res, url);
      await this.handleApi(req, res, url, requestId);
    } catch (err) {
      // Last resort: a bug or a closed socket. Never let it escape as an unhandled rejection.
      if (!res.headersSent && !res.destroyed) sendJson(res, errorReply(new ApiError(500, `mock error: ${(err as Error).message}`)));
      else res.destroy();
    }
  }

  private async handleApi(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const route = resolveRoute(method, path);
    const entry = this.startEntry(req, res, url, requestId);
    for (const [k, v] of Object.entries(this.rate.headers(this.clock()))) res.setHeader(k, v);

    let fault: FaultAction | undefined;
    try {
      const header = req.headers['x-mock-fault'];
      fault = typeof header === 'string' ? parseFaultHeader(header) : this.faults.pick(method, path, route.kind);
    } catch (err) {
      return this.reply(res, entry, errorReply(new ApiError(400, (err as Error).message, { type: 'mock_error', code: 'invalid_fault' })));
    }
    if (fault) entry.fault = fault.type;

    if (fault?.type === 'reset') return void req.socket.resetAndDestroy();
    if (fault?.type === 'hang') return this.hang(req, fault.ms);

    let result: { reply: Reply; videoId?: string };
    try {
      const raw = await readBody(req);
      if (fault?.type === 'http' || fault?.type === 'rate_limit' || fault?.type === 'quota')
        return this.reply(res, entry, faultReply(fault));
      this.authorize(req);
      if (route.kind === 'unknown') throw invalidUrl(method, path);
      const body = await parseBody(raw, req.headers['content-type']);
      result = await this.api.handle(route.kind, { id: route.id, body, query: url.searchParams, range: req.headers.range, fault });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      result = { reply: errorReply(err), ...(route.id ? { videoId: route.id } : {}) };
    }
    if (result.videoId) entry.videoId = result.videoId;
    if (fault?.type === 'accept_then_drop') return void req.socket.destroy();
    await this.reply(res, entry, result.reply, contentFaultOf(fault));
  }

  private authorize(req: IncomingMessage): void {
    const key = this.opts.apiKey;
    if (!key) return;
    const auth = req.headers.authorization;
    if (!auth) {
      throw new ApiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
        { code: 'invalid_api_key' },
      );
    }
    const given = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim() ?? '';
    if (given !== key) {
      throw new ApiError(
        401,
        `Incorrect API key provided: ${maskKey(given)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        { code: 'invalid_api_key' },
      );
    }
  }

  private async reply(res: ServerResponse, entry: MockRequestLogEntry, reply: Reply, contentFault?: ContentFault): Promise<void> {
    if (res.destroyed) return;
    if (this.opts.recordBodies && reply.kind === 'json') entry.responseBody = structuredClone(reply.body);
    if (reply.kind === 'asset') await sendAsset(res, reply, contentFault);
    else sendJson(res, reply);
    if (this.opts.recordBodies) entry.responseHeaders = stringHeaders(res.getHeaders());
  }

  /** Never answers; resets the connection after `ms` when given. */
  private hang(req: IncomingMessage, ms: number | undefined): void {
    req.resume(); // drain the body so the client is not blocked writing it
    if (ms === undefined) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!req.socket.destroyed) req.socket.resetAndDestroy();
    }, ms);
    this.timers.add(timer);
    req.socket.once('close', () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    });
  }

  private startEntry(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string): MockRequestLogEntry {
    const retry = req.headers['x-stainless-retry-count'];
    const entry: MockRequestLogEntry = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      status: 0,
      time: this.clock(),
      durationMs: 0,
      requestId,
      ...(typeof retry === 'string' && retry.trim() !== '' && Number.isFinite(Number(retry)) ? { retryCount: Number(retry) } : {}),
      headers: loggedHeaders(req),
    };
    this.log.push(entry);
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

  private async control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    const send = (r: JsonReply) => sendJson(res, r);
    const key = `${method} ${url.pathname}`;
    switch (key) {
      case 'GET /__mock/requests':
        return send(json(this.requests()));
      case 'GET /__mock/videos':
        return send(json(this.api.videos()));
      case 'GET /__mock/faults':
        return send(json(this.faults.status()));
      case 'POST /__mock/reset':
        this.reset();
        return send(json({ ok: true }));
      case 'POST /__mock/faults': {
        let rules: FaultRule[];
        try {
          rules = parseFaultRules(JSON.parse(raw.toString('utf8') || 'null'));
        } catch (err) {
          return send(errorReply(new ApiError(400, (err as Error).message, { type: 'mock_error', code: 'invalid_fault' })));
        }
        const replace = ['1', 'true'].includes(url.searchParams.get('replace') ?? '');
        if (replace) this.faults.set(rules);
        else this.faults.add(rules);
        return send(json({ ok: true, added: rules.length, total: this.faults.status().length }));
      }
      default:
        return send(errorReply(invalidUrl(method, url.pathname)));
    }
  }
}

function loggedHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === 'x-mock-fault' || value === undefined) continue;
    out[name] = REDACTED_HEADERS.has(name) ? 'REDACTED' : Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function stringHeaders(h: Record<string, number | string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}

/** `sk-a****wxyz`-style masking, as the live API echoes a wrong key. */
function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}
