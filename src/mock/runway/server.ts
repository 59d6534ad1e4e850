/**
 * A standalone mock of Runway's API for video tasks (`https://api.dev.runwayml.com`), built on the mock kit (../kit)
 * with fault injection and a request log. See README.md for the contract and the choices made where the live
 * behaviour is unknown.
 *
 * Control endpoints beside the API (not logged, no auth; kit/control.ts): GET /__mock/requests, GET|POST
 * /__mock/faults[?replace=1], POST /__mock/reset, and GET /__mock/tasks (every task, deleted ones included).
 */
import type { IncomingMessage } from 'node:http';
import {
  MockHttpError,
  startMockServer,
  type ErrorFault,
  type FaultRule,
  type MockKit,
  type MockProvider,
  type MockRequest,
  type RequestLogEntry,
  listenOptions,
} from '../kit/index.js';
import { TasksApi, TIERS, type TaskListing, type Tier } from './api.js';
import { errorReply, notFound } from './errors.js';
import { FAILURE_CODES, faultBody } from './faults.js';
import { MOCK_MODELS, type MockRunwayModel } from './models.js';
import { resolveRoute, type RunwayRoute } from './routes.js';

export type { FaultRule } from '../kit/index.js';
export type { Task, TaskListing, TaskStatus, Tier } from './api.js';
export { TIERS } from './api.js';
export { FAILURE_CODES, FAILURE_TEXTS, parseFaultRules, seededFaults } from './faults.js';
export { MOCK_MODELS } from './models.js';
export type { MockRunwayModel } from './models.js';

export interface RunwayMockOptions {
  /** 0/undefined = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, requests need `Authorization: Bearer <apiKey>`, else 401. */
  apiKey?: string;
  /** PENDING for `queuedMs` (default 100), then RUNNING `msPerVideoSecond` (default 50) per second of video. */
  timing?: { queuedMs?: number; msPerVideoSecond?: number };
  /** The usage tier whose per-model limits apply (default 1: 2 running per model, the rest THROTTLED). */
  tier?: keyof typeof TIERS;
  /** Overrides of the tier's limits. */
  concurrency?: number;
  dailyGenerations?: number;
  /** Credit balance at start (1 credit = $0.01); default 1 000 000. */
  credits?: number;
  /** Lifetime of each signed output URL, ms; default 24 h (Runway: 24–48 h). */
  outputUrlTtlMs?: number;
  /** Tasks answer 404 this long after they ended; default: kept. */
  taskRetentionMs?: number;
  /** DELETE removes a running task (default, as observed live) or leaves it CANCELLED (false). */
  deleteOnCancel?: boolean;
  /** Models served, default MOCK_MODELS. */
  models?: readonly MockRunwayModel[];
  workDir?: string;
  recordBodies?: boolean;
  /** Start rendering a task's video when it is created. Default true. */
  prerender?: boolean;
  renderConcurrency?: number;
  clock?: () => number;
}

export interface RunwayMock {
  /** http://127.0.0.1:PORT: the SDK's `baseURL` (Runway's paths carry /v1 themselves). */
  url: string;
  baseURL: string;
  port: number;
  requests(): RequestLogEntry[];
  setFaults(rules: FaultRule[]): void;
  addFaults(rules: FaultRule[]): void;
  reset(): void;
  tasks(): TaskListing[];
  creditBalance(): number;
  close(): Promise<void>;
}

export async function startRunwayMock(opts: RunwayMockOptions = {}): Promise<RunwayMock> {
  const server = await startMockServer(
    {
      name: 'runway',
      faults: { jobFailureCodes: FAILURE_CODES },
      ...listenOptions(opts),
      ...(opts.clock ? { clock: opts.clock } : {}),
      renderConcurrency: opts.renderConcurrency ?? 2,
    },
    (kit) => new RunwayProvider(opts, kit),
  );
  return {
    url: server.url,
    baseURL: server.url,
    port: server.port,
    requests: () => server.requests(),
    setFaults: (rules) => server.faults.set(rules),
    addFaults: (rules) => server.faults.add(rules),
    reset: () => server.reset(),
    tasks: () => server.provider.api.listing(),
    creditBalance: () => server.provider.api.creditBalance(),
    close: () => server.close(),
  };
}

class RunwayProvider implements MockProvider<RunwayRoute> {
  readonly api: TasksApi;
  readonly listings = { tasks: () => this.api.listing() };

  constructor(
    private readonly opts: RunwayMockOptions,
    kit: MockKit,
  ) {
    const tier: Tier = {
      ...TIERS[opts.tier ?? 1],
      ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
      ...(opts.dailyGenerations !== undefined ? { dailyGenerations: opts.dailyGenerations } : {}),
    };
    this.api = new TasksApi(
      {
        models: opts.models ?? MOCK_MODELS,
        queuedMs: opts.timing?.queuedMs ?? 100,
        msPerVideoSecond: opts.timing?.msPerVideoSecond ?? 50,
        tier,
        credits: opts.credits ?? 1_000_000,
        outputUrlTtlMs: opts.outputUrlTtlMs ?? 86_400_000,
        taskRetentionMs: opts.taskRetentionMs ?? null,
        deleteOnCancel: opts.deleteOnCancel ?? true,
        prerender: opts.prerender ?? true,
      },
      kit,
    );
  }

  route = resolveRoute;
  handle = (req: MockRequest<RunwayRoute>) => this.api.handle(req);
  errorReply = errorReply;
  notFound = notFound;

  /** A `quota` fault is an account out of credit: the balance is emptied too, so the organization shows it. */
  faultBody = (action: ErrorFault) => {
    if (action.type === 'quota') this.api.drainCredits();
    return faultBody(action);
  };

  reset(): void {
    this.api.reset();
  }

  /** `Authorization: Bearer <key>`; texts are stand-ins. */
  authorize(req: IncomingMessage): void {
    const key = this.opts.apiKey;
    if (!key) return;
    const auth = req.headers.authorization;
    if (!auth) throw new MockHttpError(401, 'No API key was provided. Pass it as a Bearer token in the Authorization header.');
    const given = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim() ?? '';
    if (given !== key) throw new MockHttpError(401, 'The API key provided is not valid.');
  }
}
