/**
 * A standalone mock of a ComfyUI server's HTTP API and WebSocket (README.md beside this file), built on the mock kit
 * with fault injection and a request log: it validates submitted API-format graphs as ComfyUI does, runs them one at a
 * time, streams the execution events, and writes real MP4s that /history lists and /view serves.
 *
 * Control endpoints beside the API (kit/control.ts): GET /__mock/requests, GET|POST /__mock/faults[?replace=1],
 * POST /__mock/reset, GET /__mock/history (every entry), GET /__mock/queue, GET /__mock/sockets (connected client ids).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  JobStore,
  MockHttpError,
  parseBody,
  startMockServer,
  type FaultRule,
  type MockKit,
  type MockProvider,
  type ParsedBody,
  type RequestLogEntry,
  listenOptions,
} from '../kit/index.js';
import { ComfyApi, ImageStore } from './api.js';
import { errorReply, faultBody, notFound } from './errors.js';
import { PromptQueue, RUN_STATES, type HistoryEntry, type RunData, type RunState, type Timing } from './queue.js';
import { resolveRoute, type ComfyRoute } from './routes.js';
import { SocketHub } from './sockets.js';

export type { FaultAction, FaultRule, RequestLogEntry } from '../kit/index.js';
export { seededFaults, SEEDED_FAULT_MIX } from './faults.js';
export type { HistoryEntry, RunState } from './queue.js';

export interface ComfyMockOptions {
  port?: number;
  host?: string;
  /**
   * When set, every request (and the WebSocket upgrade) needs `Authorization: Bearer <apiKey>`: a proxy in front of
   * ComfyUI, which itself has no authentication.
   */
  apiKey?: string;
  /** Node run times, ms: default msPerNode 10, loadMs 40, msPerStep 15. */
  timing?: Partial<Timing>;
  /** Model file names the loaders accept (value_not_in_list otherwise); default: any name. */
  modelFiles?: readonly string[];
  /** How often running prompts are advanced to push their WebSocket events, ms. Default 15. */
  tickMs?: number;
  workDir?: string;
  recordBodies?: boolean;
  renderConcurrency?: number;
  clock?: () => number;
}

export interface ComfyMock {
  /** http://127.0.0.1:PORT: the provider's baseURL (the routes are also under /api). */
  url: string;
  baseURL: string;
  port: number;
  requests(): RequestLogEntry[];
  setFaults(rules: FaultRule[]): void;
  addFaults(rules: FaultRule[]): void;
  reset(): void;
  /** Every history entry by prompt id. */
  history(): Record<string, HistoryEntry>;
  /** Every run ever queued (a reused prompt id appears once per run), oldest first, with its state. */
  runs(): { promptId: string; number: number; extraData: Record<string, unknown>; state: RunState }[];
  /** Client ids with an open WebSocket. */
  sockets(): string[];
  close(): Promise<void>;
}

const DEFAULT_TIMING: Timing = { msPerNode: 10, loadMs: 40, msPerStep: 15 };

export async function startComfyMock(opts: ComfyMockOptions = {}): Promise<ComfyMock> {
  const server = await startMockServer<ComfyRoute, ComfyProvider>(
    {
      name: 'comfyui',
      ...listenOptions(opts),
      ...(opts.clock ? { clock: opts.clock } : {}),
      renderConcurrency: opts.renderConcurrency ?? 2,
    },
    (kit) => new ComfyProvider(opts, kit),
  );
  return {
    url: server.url,
    baseURL: server.url,
    port: server.port,
    requests: () => server.requests(),
    setFaults: (rules) => server.faults.set(rules),
    addFaults: (rules) => server.faults.add(rules),
    reset: () => server.reset(),
    history: () => server.provider.queue.historyOf(),
    runs: () =>
      server.provider.jobs.all().map((j) => ({
        promptId: j.data.promptId,
        number: j.data.number,
        extraData: j.data.extraData,
        state: server.provider.jobs.view(j).state,
      })),
    sockets: () => server.provider.hub.connected(),
    close: () => server.close(),
  };
}

class ComfyProvider implements MockProvider<ComfyRoute> {
  readonly jobs: JobStore<RunData, RunState>;
  readonly queue: PromptQueue;
  readonly hub = new SocketHub();
  private readonly images: ImageStore;
  private readonly api: ComfyApi;
  private readonly ticker: NodeJS.Timeout;
  readonly listings = {
    history: () => this.queue.historyOf(),
    queue: () => this.queue.queue(),
    sockets: () => this.hub.connected(),
  };

  constructor(
    private readonly opts: ComfyMockOptions,
    kit: MockKit,
  ) {
    // One prompt at a time, like one GPU; the rest wait in the queue.
    this.jobs = new JobStore<RunData, RunState>({ states: RUN_STATES, clock: kit.clock, newId: () => 'unused', concurrency: 1 });
    this.images = new ImageStore(kit.renderer);
    this.queue = new PromptQueue(this.jobs, this.hub, kit.renderer, this.images, { ...DEFAULT_TIMING, ...opts.timing }, kit.clock);
    this.api = new ComfyApi(this.queue, this.images, kit.renderer, opts.modelFiles ? { modelFiles: new Set(opts.modelFiles) } : {});
    this.ticker = setInterval(() => this.queue.advance(), opts.tickMs ?? 15);
    this.ticker.unref();
  }

  route = resolveRoute;
  handle = (req: Parameters<ComfyApi['handle']>[0]) => this.api.handle(req);
  errorReply = errorReply;
  faultBody = faultBody;
  notFound = () => notFound();

  /** aiohttp's `request.json()` reads JSON whatever the Content-Type says; forms are forms. */
  async parseBody(raw: Buffer, contentType: string | undefined): Promise<ParsedBody> {
    const mime = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    const form = mime === 'multipart/form-data' || mime === 'application/x-www-form-urlencoded';
    return parseBody(raw, form ? contentType : 'application/json');
  }

  authorize(req: IncomingMessage): void {
    if (!this.authorized(req)) throw new MockHttpError(401, '401: Unauthorized', { type: 'unauthorized' });
  }

  private authorized(req: IncomingMessage): boolean {
    if (!this.opts.apiKey) return true;
    const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    return given === this.opts.apiKey;
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.hub.upgrade(req, socket, head, this.authorized(req), (sid) => {
      const running = this.jobs.all().find((j) => !j.data.sent.ended && this.jobs.view(j).phase === 'running' && j.data.clientId === sid);
      const node = running ? running.data.plan[running.data.sent.step]?.node : undefined;
      return [['status', { status: this.queue.queueInfo(), sid }], ...(node ? [['executing', { node }] as [string, unknown]] : [])];
    });
  }

  reset(): void {
    this.jobs.clear();
    this.queue.reset();
    this.images.clear();
  }

  close(): void {
    clearInterval(this.ticker);
    this.hub.close();
  }
}
