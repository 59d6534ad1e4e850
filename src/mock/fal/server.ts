/**
 * A standalone mock of fal's queue API (queue.fal.run) and of the storage uploads the SDK makes (rest.fal.ai), built
 * on the mock kit (../kit) with fault injection and a request log. Point `@fal-ai/client` at it by rewriting both
 * hosts to `url` (storyreel's adapter does this for `providers.fal.baseURL` / `FAL_BASE_URL`). See README.md.
 *
 * Control endpoints beside the API (not logged, no key): GET /__mock/requests, GET|POST /__mock/faults[?replace=1],
 * POST /__mock/reset, GET /__mock/requests-state (every request's status).
 */
import type { IncomingMessage } from 'node:http';
import {
  parseBody,
  startMockServer,
  type FaultRule,
  type MockKit,
  type MockProvider,
  type RequestLogEntry,
  listenOptions,
} from '../kit/index.js';
import { FalApi, type FalApiSettings } from './api.js';
import { errorReply, FalError, faultBody, notFound } from './errors.js';
import { resolveRoute, type FalRoute } from './routes.js';

export type { FaultAction, FaultRule } from '../kit/index.js';

/** Codes a `job_failed` fault may carry: how the request's result fails. */
export const FAL_FAILURE_CODES = [
  'content_policy_violation',
  'internal_server_error',
  'generation_timeout',
  'downstream_service_error',
  'no_media_generated',
] as const;

export interface FalMockOptions {
  port?: number;
  host?: string;
  /** When set, API requests need `Authorization: Key <apiKey>`, else 401. */
  apiKey?: string;
  /** Queued ms before a request may start (default 100) and ms of IN_PROGRESS per second of video (default 50). */
  timing?: { queuedMs?: number; msPerVideoSecond?: number };
  /** Requests running at once; more wait IN_QUEUE with a queue_position. Default 2 (a new account's limit). */
  concurrency?: number;
  /** How long results stay readable after completion, seconds. Default 3600. */
  resultRetentionS?: number;
  /** Media expiry without a lifecycle header, seconds; default never. */
  defaultMediaTtlS?: number;
  workDir?: string;
  recordBodies?: boolean;
  clock?: () => number;
}

export interface FalMock {
  url: string;
  /** Same as `url`: both of fal's hosts live here. */
  baseURL: string;
  port: number;
  requests(): RequestLogEntry[];
  setFaults(rules: FaultRule[]): void;
  addFaults(rules: FaultRule[]): void;
  reset(): void;
  /** Every request the queue holds, with its current status body. */
  queue(): unknown[];
  close(): Promise<void>;
}

export async function startFalMock(opts: FalMockOptions = {}): Promise<FalMock> {
  const server = await startMockServer(
    {
      name: 'fal',
      faults: { jobFailureCodes: FAL_FAILURE_CODES },
      requestIdHeader: 'x-fal-request-id',
      ...listenOptions(opts),
      ...(opts.clock ? { clock: opts.clock } : {}),
      renderConcurrency: 2,
    },
    (kit) => new FalProviderMock(opts, kit),
  );
  return {
    url: server.url,
    baseURL: server.url,
    port: server.port,
    requests: () => server.requests(),
    setFaults: (rules) => server.faults.set(rules),
    addFaults: (rules) => server.faults.add(rules),
    reset: () => server.reset(),
    queue: () => server.provider.api.listing(),
    close: () => server.close(),
  };
}

class FalProviderMock implements MockProvider<FalRoute> {
  readonly api: FalApi;
  readonly listings = { 'requests-state': () => this.api.listing() };

  constructor(
    private readonly opts: FalMockOptions,
    kit: MockKit,
  ) {
    const settings: FalApiSettings = {
      queuedMs: opts.timing?.queuedMs ?? 100,
      msPerVideoSecond: opts.timing?.msPerVideoSecond ?? 50,
      concurrency: opts.concurrency ?? 2,
      resultRetentionMs: (opts.resultRetentionS ?? 3600) * 1000,
      defaultMediaTtlMs: opts.defaultMediaTtlS === undefined ? null : opts.defaultMediaTtlS * 1000,
      apiKey: opts.apiKey,
    };
    this.api = new FalApi(settings, kit);
  }

  route = resolveRoute;
  handle = (req: Parameters<FalApi['handle']>[0]) => this.api.handle(req);
  errorReply = errorReply;
  faultBody = faultBody;
  notFound = notFound;

  /** Upload bodies are raw bytes (an image), not JSON. */
  async parseBody(raw: Buffer, contentType: string | undefined) {
    const mime = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (mime.startsWith('image/') || mime === 'application/octet-stream') return { format: 'empty' as const, fields: { bytes: raw } };
    return parseBody(raw, contentType);
  }

  reset(): void {
    this.api.reset();
  }

  authorize(req: IncomingMessage): void {
    const key = this.opts.apiKey;
    // Pre-signed upload URLs and uploaded files need no key, as on fal's storage.
    if (!key || /^\/storage\/(uploads|files)\//.test(req.url ?? '')) return;
    const auth = req.headers.authorization;
    if (!auth) throw new FalError(401, 'Missing authorization header', { extra: { detail: 'Missing authorization header' } });
    const given = /^Key\s+(.+)$/i.exec(auth)?.[1]?.trim();
    if (given !== key) throw new FalError(401, 'Invalid authorization header', { extra: { detail: 'Invalid authorization header' } });
  }
}
