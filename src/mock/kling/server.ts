/**
 * A standalone mock of Kling's video API (`/v1/videos/text2video`, `/v1/videos/image2video`), built on the mock kit
 * (../kit) with fault injection and a request log. See README.md for the contract and the choices made where the
 * live behaviour is unknown.
 *
 * Control endpoints beside the API (not logged, no auth; kit/control.ts): GET /__mock/requests, GET|POST
 * /__mock/faults[?replace=1], POST /__mock/reset, and GET /__mock/tasks (every task as a query shows it).
 */
import {
  startMockServer,
  type FaultRule,
  type MockKit,
  type MockProvider,
  type MockRequest,
  type RequestLogEntry,
  listenOptions,
} from '../kit/index.js';
import { TasksApi, type KlingTask, type TaskRequestView } from './api.js';
import { verifyToken, type AccountKeys } from './auth.js';
import { errorReply, notFound } from './errors.js';
import { FAILURE_CODES, faultBody } from './faults.js';
import { resolveRoute, type KlingRoute } from './routes.js';

export type { FaultRule } from '../kit/index.js';
export type { KlingTask, TaskRequestView, TaskStatus } from './api.js';
export { FAILURE_CODES, FAILURE_REASONS, parseFaultRules, seededFaults } from './faults.js';
export { KLING_ERROR_CODES } from './errors.js';

const DAY_MS = 86_400_000;

export interface KlingMockOptions {
  port?: number;
  host?: string;
  /** The account's keys: when both are set, every API request needs a valid JWT signed with them (else any passes). */
  accessKey?: string;
  secretKey?: string;
  /** `submitted` for `queuedMs` (default 100), then `msPerVideoSecond` (default 50) per second of video. */
  timing?: { queuedMs?: number; msPerVideoSecond?: number };
  /** Tasks submitted or processing at once (the resource pack's concurrency); more creates get 1303. Default unlimited. */
  concurrency?: number;
  /** A video URL answers this long after its task ended; default retentionMs. */
  outputTtlMs?: number;
  /** A task and its video exist this long after it ended; default 30 days (Kling). */
  retentionMs?: number;
  /** Prompts containing one of these are refused at create (1301). */
  blockedWords?: readonly string[];
  /** Prompts containing one of these are accepted, then the task fails the risk control. */
  riskWords?: readonly string[];
  workDir?: string;
  recordBodies?: boolean;
  /** Start rendering a task's video when it is created. Default true. */
  prerender?: boolean;
  renderConcurrency?: number;
  clock?: () => number;
}

export interface KlingMock {
  /** http://127.0.0.1:PORT: the provider's `baseURL` (paths start with /v1). */
  url: string;
  baseURL: string;
  port: number;
  requests(): RequestLogEntry[];
  setFaults(rules: FaultRule[]): void;
  addFaults(rules: FaultRule[]): void;
  reset(): void;
  tasks(): (KlingTask & TaskRequestView)[];
  close(): Promise<void>;
}

export async function startKlingMock(opts: KlingMockOptions = {}): Promise<KlingMock> {
  if (!!opts.accessKey !== !!opts.secretKey) throw new TypeError('kling mock: give both accessKey and secretKey, or neither');
  const server = await startMockServer(
    {
      name: 'kling',
      faults: { jobFailureCodes: FAILURE_CODES },
      mediaPathPrefix: '/kcdn',
      ...listenOptions(opts),
      ...(opts.clock ? { clock: opts.clock } : {}),
      renderConcurrency: opts.renderConcurrency ?? 2,
    },
    (kit) => new KlingProvider(opts, kit),
  );
  return {
    url: server.url,
    baseURL: server.url,
    port: server.port,
    requests: () => server.requests(),
    setFaults: (rules) => server.faults.set(rules),
    addFaults: (rules) => server.faults.add(rules),
    reset: () => server.reset(),
    tasks: () => server.provider.api.tasks(),
    close: () => server.close(),
  };
}

class KlingProvider implements MockProvider<KlingRoute> {
  readonly api: TasksApi;
  readonly listings = { tasks: () => this.api.tasks() };
  private readonly keys: AccountKeys | undefined;

  constructor(
    opts: KlingMockOptions,
    private readonly kit: MockKit,
  ) {
    this.keys = opts.accessKey && opts.secretKey ? { accessKey: opts.accessKey, secretKey: opts.secretKey } : undefined;
    const retentionMs = opts.retentionMs ?? 30 * DAY_MS;
    this.api = new TasksApi(
      {
        queuedMs: opts.timing?.queuedMs ?? 100,
        msPerVideoSecond: opts.timing?.msPerVideoSecond ?? 50,
        concurrency: opts.concurrency,
        outputTtlMs: opts.outputTtlMs ?? retentionMs,
        retentionMs,
        blockedWords: opts.blockedWords ?? [],
        riskWords: opts.riskWords ?? [],
        prerender: opts.prerender ?? true,
      },
      kit,
    );
  }

  route = resolveRoute;
  errorReply = errorReply;
  faultBody = faultBody;
  notFound = notFound;

  /** The token is checked here (jose verifies asynchronously), before anything else of the request is looked at. */
  async handle(req: MockRequest<KlingRoute>) {
    if (this.keys) await verifyToken(req.headers, this.keys, this.kit.clock());
    return this.api.handle(req);
  }

  reset(): void {
    this.api.reset();
  }
}
