/**
 * A standalone mock of the OpenAI Videos API (`/v1/videos`, Sora 2 contract: openapi.yaml beside this file), built
 * on the mock kit (../kit) with fault injection and a request log. See README.md for the contract and the choices
 * made where the live API's behaviour is unknown.
 *
 * Control endpoints beside the API (not logged, no auth; kit/control.ts): GET /__mock/requests, GET|POST
 * /__mock/faults[?replace=1], POST /__mock/reset, and GET /__mock/videos (current Video objects).
 */
import type { IncomingMessage } from 'node:http';
import { startMockServer, type FaultRule, type MockKit, type MockProvider, type RequestLogEntry, listenOptions } from '../kit/index.js';
import { VideosApi } from './api.js';
import { ApiError, errorReply, invalidUrl } from './errors.js';
import { FAILURE_CODES } from './faults.js';
import type { VideoResource } from './jobs.js';
import { faultBody, parseOpenAIBody, RateWindow } from './replies.js';
import { PROFILES, type ProfileName } from './requests.js';
import { resolveRoute, type VideoRoute } from './routes.js';

export type { FaultAction, FaultMatch, FaultRule, FaultRuleStatus, SeededFaultKind } from '../kit/index.js';
export type { SeededFaultOptions, SeededRoute } from './faults.js';
export { parseFaultRules, SEEDED_FAULT_MIX, seededFaults } from './faults.js';
export type { VideoResource } from './jobs.js';
export type { ProfileName } from './requests.js';
export { resolveRoute } from './routes.js';

/** One entry of the request log (kit/request-log.ts); `jobId` is the video the request created or addressed. */
export type MockRequestLogEntry = RequestLogEntry;

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
  /** `ignore`: list oldest first whatever `order` asks, as some gateways do. Default `honour`. */
  listOrder?: 'honour' | 'ignore';
  /** Status of GET content before completion (or of a failed video). Default 404. */
  contentNotReadyStatus?: 404 | 409;
  /** Value of `x-ratelimit-limit-requests` (per minute; headers only, never enforced). Default 5000. */
  rateLimitRpm?: number;
  /** Parallel ffmpeg processes, default 2. */
  renderConcurrency?: number;
  /** Epoch ms; drives job states, `created_at` and log times. Default Date.now (tests may pass a fake clock). */
  clock?: () => number;
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

export async function startOpenAIMock(opts: OpenAIMockOptions = {}): Promise<OpenAIMock> {
  const server = await startMockServer(
    {
      name: 'openai-videos',
      faults: { jobFailureCodes: FAILURE_CODES },
      ...listenOptions(opts),
      ...(opts.clock ? { clock: opts.clock } : {}),
      renderConcurrency: opts.renderConcurrency ?? 2,
    },
    (kit) => new OpenAIVideosProvider(opts, kit),
  );
  return {
    url: server.url,
    baseURL: `${server.url}/v1`,
    port: server.port,
    requests: () => server.requests(),
    setFaults: (rules) => server.faults.set(rules),
    addFaults: (rules) => server.faults.add(rules),
    reset: () => server.reset(),
    videos: () => server.provider.api.videos(),
    close: () => server.close(),
  };
}

/** The Videos API as a kit provider: routes, OpenAI's error format, Bearer auth, rate-limit headers. */
class OpenAIVideosProvider implements MockProvider<VideoRoute> {
  readonly api: VideosApi;
  readonly listings = { videos: () => this.api.videos() };
  private readonly rate: RateWindow;

  constructor(
    private readonly opts: OpenAIMockOptions,
    kit: MockKit,
  ) {
    this.rate = new RateWindow(opts.rateLimitRpm ?? DEFAULTS.rateLimitRpm);
    this.api = new VideosApi(
      {
        profile: PROFILES[opts.profile ?? 'spec-2026-08'],
        queuedMs: opts.timing?.queuedMs ?? DEFAULTS.queuedMs,
        msPerVideoSecond: opts.timing?.msPerVideoSecond ?? DEFAULTS.msPerVideoSecond,
        fps: opts.fps ?? DEFAULTS.fps,
        expiresAfterS: opts.expiresAfterS ?? DEFAULTS.expiresAfterS,
        pollAfterMs: opts.pollAfterMs ?? DEFAULTS.pollAfterMs,
        listOrder: opts.listOrder ?? 'honour',
        contentNotReadyStatus: opts.contentNotReadyStatus ?? 404,
        prerender: opts.prerender ?? true,
        clock: kit.clock,
      },
      kit.renderer,
    );
  }

  route = resolveRoute;
  handle = (req: Parameters<VideosApi['handle']>[0]) => this.api.handle(req);
  errorReply = errorReply;
  faultBody = faultBody;
  notFound = invalidUrl;
  parseBody = parseOpenAIBody;

  responseHeaders(nowMs: number): Record<string, string> {
    return this.rate.headers(nowMs);
  }

  reset(): void {
    this.api.reset();
  }

  authorize(req: IncomingMessage): void {
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
}

/** `sk-a****wxyz`-style masking, as the live API echoes a wrong key. */
function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}
