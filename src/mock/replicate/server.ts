/**
 * A standalone mock of Replicate's predictions API (`/v1`), built on the mock kit (../kit) with fault injection and a
 * request log. See README.md for the contract and the choices made where the live behaviour is unknown.
 *
 * Control endpoints beside the API (not logged, no auth; kit/control.ts): GET /__mock/requests, GET|POST
 * /__mock/faults[?replace=1], POST /__mock/reset, and GET /__mock/predictions (current prediction objects).
 */
import type { IncomingMessage } from 'node:http';
import {
  startMockServer,
  type FaultRule,
  type MockKit,
  type MockProvider,
  type MockRequest,
  type RequestLogEntry,
  listenOptions,
} from '../kit/index.js';
import { PredictionsApi, type Prediction } from './api.js';
import { errorReply, notFound, ProblemError } from './errors.js';
import { FAILURE_CODES, faultBody } from './faults.js';
import { MOCK_MODELS, type MockModel } from './models.js';
import { resolveRoute, type ReplicateRoute } from './routes.js';
import { newSigningSecret, type WebhookAttempt } from './webhooks.js';

export type { FaultRule } from '../kit/index.js';
export type { Prediction, PredictionStatus } from './api.js';
export type { WebhookAttempt, WebhookEvent } from './webhooks.js';
export { signWebhook } from './webhooks.js';
export { FAILURE_CODES, FAILURE_ERRORS, parseFaultRules, seededFaults } from './faults.js';
export { MOCK_MODELS, versionOf } from './models.js';
export type { FieldSpec, MockModel, SizeRule } from './models.js';

export interface ReplicateMockOptions {
  /** 0/undefined = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, requests need `Authorization: Bearer <apiKey>`, else 401. */
  apiKey?: string;
  /** Timings: `starting` for `queuedMs` (default 100), then `msPerVideoSecond` (default 50) per second of video. */
  timing?: { queuedMs?: number; msPerVideoSecond?: number };
  /** Inputs/outputs removed this long after a prediction ends; default 3 600 000 (one hour, as Replicate). */
  dataRetentionMs?: number;
  /** Predictions running at once; more stay `starting`. Default unlimited. */
  concurrency?: number;
  /** Predictions per list page, default 100. */
  pageSize?: number;
  /** Order of the list, default `desc` (newest first, as documented). */
  listOrder?: 'asc' | 'desc';
  /** Ignore `created_after`/`created_before` on the list. Default false. */
  ignoreListFilters?: boolean;
  /** Hold creates with `Prefer: wait`. Default true; false answers at once (a server may ignore the preference). */
  honourPreferWait?: boolean;
  /** Models served, default MOCK_MODELS; `extraModels` are added to them. */
  models?: readonly MockModel[];
  extraModels?: readonly MockModel[];
  workDir?: string;
  recordBodies?: boolean;
  /** Start rendering a prediction's video when it is created. Default true. */
  prerender?: boolean;
  renderConcurrency?: number;
  clock?: () => number;
  /** The account's webhook signing secret (`GET /v1/webhooks/default/secret`); default a new random `whsec_…`. */
  webhookSecret?: string;
  /** Waits before each retry of a `completed` webhook the receiver did not take; default 1 s, 2 s, 4 s, 8 s, 16 s. */
  webhookRetryDelaysMs?: number[];
}

export interface ReplicateMock {
  /** http://127.0.0.1:PORT */
  url: string;
  /** http://127.0.0.1:PORT/v1: the SDK's `baseUrl`. */
  baseURL: string;
  port: number;
  requests(): RequestLogEntry[];
  setFaults(rules: FaultRule[]): void;
  addFaults(rules: FaultRule[]): void;
  reset(): void;
  predictions(): Prediction[];
  /** Every webhook POST made, retries included (also `GET /__mock/webhooks`). */
  webhooks(): WebhookAttempt[];
  /** The signing secret of the webhooks. */
  webhookSecret: string;
  close(): Promise<void>;
}

export async function startReplicateMock(given: ReplicateMockOptions = {}): Promise<ReplicateMock> {
  const opts = { ...given, webhookSecret: given.webhookSecret ?? newSigningSecret() };
  const server = await startMockServer(
    {
      name: 'replicate',
      faults: { jobFailureCodes: FAILURE_CODES },
      ...listenOptions(opts),
      ...(opts.clock ? { clock: opts.clock } : {}),
      renderConcurrency: opts.renderConcurrency ?? 2,
    },
    (kit) => new ReplicateProvider(opts, kit),
  );
  return {
    url: server.url,
    baseURL: `${server.url}/v1`,
    port: server.port,
    requests: () => server.requests(),
    setFaults: (rules) => server.faults.set(rules),
    addFaults: (rules) => server.faults.add(rules),
    reset: () => server.reset(),
    predictions: () => server.provider.api.predictions(),
    webhooks: () => server.provider.api.webhookAttempts(),
    webhookSecret: opts.webhookSecret,
    close: () => server.close(),
  };
}

class ReplicateProvider implements MockProvider<ReplicateRoute> {
  readonly api: PredictionsApi;
  readonly listings = { predictions: () => this.api.predictions(), webhooks: () => this.api.webhookAttempts() };

  constructor(
    private readonly opts: ReplicateMockOptions & { webhookSecret: string },
    kit: MockKit,
  ) {
    this.api = new PredictionsApi(
      {
        models: [...(opts.models ?? MOCK_MODELS), ...(opts.extraModels ?? [])],
        queuedMs: opts.timing?.queuedMs ?? 100,
        msPerVideoSecond: opts.timing?.msPerVideoSecond ?? 50,
        dataRetentionMs: opts.dataRetentionMs ?? 3_600_000,
        concurrency: opts.concurrency,
        pageSize: opts.pageSize ?? 100,
        listOrder: opts.listOrder ?? 'desc',
        ignoreListFilters: opts.ignoreListFilters ?? false,
        honourPreferWait: opts.honourPreferWait ?? true,
        prerender: opts.prerender ?? true,
        webhookSecret: opts.webhookSecret,
        webhookRetryDelaysMs: opts.webhookRetryDelaysMs ?? [1000, 2000, 4000, 8000, 16_000],
      },
      kit,
    );
  }

  route = resolveRoute;
  handle = (req: MockRequest<ReplicateRoute>) => this.api.handle(req);
  errorReply = errorReply;
  faultBody = faultBody;
  notFound = notFound;

  reset(): void {
    this.api.reset();
  }

  close(): void {
    this.api.close();
  }

  /** [real] texts of a missing and of a wrong token. */
  authorize(req: IncomingMessage): void {
    const key = this.opts.apiKey;
    if (!key) return;
    const auth = req.headers.authorization;
    if (!auth) throw new ProblemError(401, 'Unauthenticated', 'You did not pass an authentication token');
    const given = /^(?:Bearer|Token)\s+(.+)$/i.exec(auth)?.[1]?.trim() ?? '';
    if (given !== key) throw new ProblemError(401, 'Unauthenticated', 'You did not pass a valid authentication token');
  }
}
