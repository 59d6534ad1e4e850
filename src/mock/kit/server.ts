/**
 * The node:http scaffold every provider mock runs on: listens (127.0.0.1 and a free port by default), logs each API
 * request, picks its fault, performs transport and error faults, checks auth, parses the body, calls the provider,
 * sends its reply (files with Range, or broken by a content fault), serves published media URLs, and answers the
 * control endpoints (control.ts). `close()` stops renders and timers and destroys every open connection, so a hung
 * or stalled request never keeps a test process alive.
 *
 * Order per API request: fault chosen → reset / hang → body read → http / rate_limit / quota fault → auth → unknown
 * route → body parsed → handler → accept_then_drop → reply (content faults). Faults therefore hit requests whatever
 * their key or body, as a gateway in front of the API would.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBody, readBody } from './body.js';
import { handleControl } from './control.js';
import { MockHttpError } from './errors.js';
import { FaultBook, isContentFault, isErrorFault, type ContentFault, type FaultAction, type FaultBookOptions } from './faults.js';
import { MediaHost, type PublishedMedia } from './media-host.js';
import { MediaRenderer } from './media.js';
import type { HandlerResult, MockKit, MockProvider, MockRoute } from './provider.js';
import { RequestLog, type RequestLogEntry } from './request-log.js';
import { errorFaultReply, parseRange, sendAsset, sendBody, sendFaultyAsset, text, type Reply } from './respond.js';

export interface MockServerOptions {
  /** The mock's name (`openai-videos`): its temp dir and messages. */
  name: string;
  /** 0/undefined = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Epoch ms; drives jobs, expiry and log times. Default Date.now (tests may pass a fake clock). */
  clock?: () => number;
  /** Cache of rendered media (kept); default a temp dir removed by close(). */
  workDir?: string;
  /** Parallel ffmpeg processes, default 2. */
  renderConcurrency?: number;
  /** Add `responseBody` (JSON answers) and `responseHeaders` to log entries. Default false. */
  recordBodies?: boolean;
  /** Restricts `job_failed` codes to the provider's. */
  faults?: FaultBookOptions;
  /** Provider credential headers and query parameters beside the usual ones (they are hashed, never logged). */
  credentialHeaders?: readonly string[];
  credentialQueryParams?: readonly string[];
  /** Response header carrying a request id on every answer, default `x-request-id`. */
  requestIdHeader?: string;
  /** New request id, default `req_<32 hex>`. */
  newRequestId?: () => string;
  /** Path prefix of published media URLs, default `/files`. */
  mediaPathPrefix?: string;
}

/** The listening options every mock passes through to its server. */
export type ListenOptions = Pick<MockServerOptions, 'port' | 'host' | 'workDir' | 'recordBodies'>;

/** A mock's listening options without the unset ones (exactOptionalPropertyTypes). */
export function listenOptions(o: {
  port?: number | undefined;
  host?: string | undefined;
  workDir?: string | undefined;
  recordBodies?: boolean | undefined;
}): ListenOptions {
  return {
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.host !== undefined ? { host: o.host } : {}),
    ...(o.workDir !== undefined ? { workDir: o.workDir } : {}),
    ...(o.recordBodies !== undefined ? { recordBodies: o.recordBodies } : {}),
  };
}

export interface MockServer<P> {
  /** http://HOST:PORT */
  url: string;
  port: number;
  provider: P;
  faults: FaultBook;
  requests(): RequestLogEntry[];
  /** Forgets jobs (provider), faults, the log and published media (rendered files stay cached). */
  reset(): void;
  close(): Promise<void>;
}

/** Starts the server, then builds the provider with the kit (which needs the server's URL). */
export async function startMockServer<R extends MockRoute, P extends MockProvider<R>>(
  opts: MockServerOptions,
  build: (kit: MockKit) => P,
): Promise<MockServer<P>> {
  const ownWorkDir = !opts.workDir;
  const workDir = opts.workDir ?? (await mkdtemp(join(tmpdir(), `${opts.name}-mock-`)));
  await mkdir(workDir, { recursive: true });
  const host = opts.host ?? '127.0.0.1';
  const server = createServer();
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const clock = opts.clock ?? Date.now;
  const renderer = new MediaRenderer({ workDir, concurrency: opts.renderConcurrency ?? 2 });
  const media = new MediaHost({ baseUrl: url, pathPrefix: opts.mediaPathPrefix ?? '/files', clock, renderer });
  let provider: P;
  try {
    provider = build({ url, clock, renderer, media, workDir });
  } catch (err) {
    server.close();
    if (ownWorkDir) await rm(workDir, { recursive: true, force: true });
    throw err;
  }
  const handler = new RequestHandler(opts, provider, clock, media);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => void handler.handle(req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (provider.upgrade) provider.upgrade(req, socket, head);
    else socket.destroy();
  });

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    provider,
    faults: handler.faults,
    requests: () => handler.log.all(),
    reset: () => handler.reset(),
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        provider.close?.();
        renderer.close();
        handler.shutdown();
        for (const s of sockets) s.destroy();
        await closed;
        if (ownWorkDir) await rm(workDir, { recursive: true, force: true });
      })()),
  };
}

/** Where a request goes: a published media URL (found or not), or a provider route (undefined = unknown). */
type Target<R> = { media: true; published: PublishedMedia | undefined } | { media: false; route: R | undefined };

class RequestHandler<R extends MockRoute> {
  readonly faults: FaultBook;
  readonly log: RequestLog;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly newRequestId: () => string;

  constructor(
    private readonly opts: MockServerOptions,
    private readonly provider: MockProvider<R>,
    private readonly clock: () => number,
    private readonly media: MediaHost,
  ) {
    this.faults = new FaultBook(opts.faults);
    this.log = new RequestLog({
      clock,
      ...(opts.credentialHeaders ? { credentialHeaders: opts.credentialHeaders } : {}),
      ...(opts.credentialQueryParams ? { credentialQueryParams: opts.credentialQueryParams } : {}),
    });
    this.newRequestId = opts.newRequestId ?? (() => `req_${randomBytes(16).toString('hex')}`);
  }

  reset(): void {
    this.provider.reset();
    this.faults.clear();
    this.log.clear();
    this.media.clear();
  }

  /** Clears hang timers (the server destroys the sockets). */
  shutdown(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://mock.invalid');
    const requestId = this.newRequestId();
    res.setHeader(this.opts.requestIdHeader ?? 'x-request-id', requestId);
    try {
      if (url.pathname.startsWith('/__mock/')) {
        const raw = await readBody(req);
        return await handleControl(req.method ?? 'GET', url, raw, res, {
          requests: () => this.log.all(),
          faults: this.faults,
          reset: () => this.reset(),
          listings: this.provider.listings ?? {},
          errorReply: (err) => this.provider.errorReply(err),
          notFound: (method, path) => this.provider.notFound(method, path),
        });
      }
      await this.handleApi(req, res, url, requestId);
    } catch (err) {
      // An error outside a handler (a control body too large), a bug, or a closed socket: never an unhandled rejection.
      if (res.headersSent || res.destroyed) return void res.destroy();
      const known =
        err instanceof MockHttpError ? err : new MockHttpError(500, `mock error: ${(err as Error).message}`, { code: 'mock_error' });
      sendBody(res, this.provider.errorReply(known));
    }
  }

  private async handleApi(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const target: Target<R> = this.media.owns(path)
      ? { media: true, published: this.media.find(path) }
      : { media: false, route: this.provider.route(method, path) };
    const entry = this.log.start(req, res, url, requestId);
    if (!target.media) for (const [k, v] of Object.entries(this.provider.responseHeaders?.(this.clock()) ?? {})) res.setHeader(k, v);

    let fault: FaultAction | undefined;
    try {
      const header = req.headers['x-mock-fault'];
      fault = this.faults.choose(typeof header === 'string' ? header : undefined, {
        method,
        path,
        createsJob: !target.media && !!target.route?.createsJob,
        servesContent: target.media || !!target.route?.servesContent,
      });
    } catch (err) {
      if (!(err instanceof MockHttpError)) throw err;
      return this.reply(res, entry, this.provider.errorReply(err));
    }
    if (fault) entry.fault = fault.type;

    if (fault?.type === 'reset') return void req.socket.resetAndDestroy();
    if (fault?.type === 'hang') return this.hang(req, fault.ms);

    if (fault?.type === 'delay' && fault.stage === 'before') {
      await this.pause(fault.ms);
      // The client gave up while the request was queued: it is never handled (the log says so: status 0).
      if (req.socket.destroyed || res.destroyed) return;
    }
    let result: HandlerResult;
    const routeJobId = target.media ? target.published?.jobId : target.route?.jobId;
    try {
      const raw = await readBody(req);
      if (isErrorFault(fault))
        return this.reply(
          res,
          entry,
          errorFaultReply(fault, (a) => this.provider.faultBody(a)),
        );
      if (target.media) result = await this.serveMedia(method, target.published, fault, req.headers.range);
      else {
        this.provider.authorize?.(req);
        if (!target.route) throw this.provider.notFound(method, path);
        const body = await (this.provider.parseBody ?? parseBody)(raw, req.headers['content-type']);
        result = await this.provider.handle({
          method,
          path,
          query: url.searchParams,
          headers: req.headers,
          route: target.route,
          body,
          fault,
          range: req.headers.range,
        });
      }
    } catch (err) {
      if (!(err instanceof MockHttpError)) throw err;
      result = { reply: this.provider.errorReply(err) };
    }
    const jobId = result.jobId ?? routeJobId;
    if (jobId) entry.jobId = jobId;
    if (fault?.type === 'accept_then_drop') return void req.socket.destroy();
    if (fault?.type === 'delay' && fault.stage !== 'before') await this.pause(fault.ms);
    await this.reply(res, entry, result.reply, isContentFault(fault) ? fault : undefined);
  }

  /** A published media URL: 404 when unknown or expired (as a CDN answers, not in the API's error format). */
  private async serveMedia(
    method: string,
    published: PublishedMedia | undefined,
    fault: FaultAction | undefined,
    range: string | undefined,
  ): Promise<HandlerResult> {
    if (method !== 'GET' && method !== 'HEAD') return { reply: text('Method Not Allowed\n', 405, undefined, { allow: 'GET, HEAD' }) };
    if (!published) return { reply: text('Not Found\n', 404) };
    if (fault?.type === 'content_expired' || this.media.isExpired(published))
      return { reply: text('Not Found: this URL has expired\n', 404) };
    try {
      return { reply: { kind: 'asset', asset: await this.media.asset(published), range } };
    } catch (err) {
      throw new MockHttpError(500, `rendering failed: ${(err as Error).message}`, { code: 'mock_error' });
    }
  }

  private async reply(res: ServerResponse, entry: RequestLogEntry, reply: Reply, contentFault?: ContentFault): Promise<void> {
    if (res.destroyed) return;
    if (reply.kind === 'asset') {
      const { asset } = reply;
      const range = parseRange(reply.range, asset.size);
      if (contentFault) await sendFaultyAsset(res, asset, contentFault);
      else if (range !== 'unsatisfiable') sendAsset(res, asset, range, reply.headers);
      else {
        const err = new MockHttpError(416, `Requested range not satisfiable: '${reply.range}' for ${asset.size} bytes.`, {
          code: 'range_not_satisfiable',
          headers: { 'content-range': `bytes */${asset.size}` },
        });
        return this.reply(res, entry, this.provider.errorReply(err));
      }
    } else {
      if (this.opts.recordBodies && reply.kind === 'json') entry.responseBody = structuredClone(reply.body);
      sendBody(res, reply);
    }
    if (this.opts.recordBodies) entry.responseHeaders = stringHeaders(res.getHeaders());
  }

  /** Waits `ms` before answering (cleared on close, like hang timers). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
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
}

function stringHeaders(h: Record<string, number | string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}
