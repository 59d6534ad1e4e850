/**
 * `openai-videos`: the OpenAI-compatible `/v1/videos` contract, through the official `openai` SDK.
 *
 * OpenAI itself shut this API down on 2026-09-24 (api.openai.com is refused before any request); gateways keep
 * serving the same shape. Every POST is sent exactly once (`maxRetries: 0`): Temporal retries the activity, and a
 * retry first reconciles (findCandidates) so a create whose response was lost is never paid for twice.
 * Errors are classified from SDK error classes, status codes and error bodies, never from message text.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, toFile } from 'openai';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { describeSeconds, secondsAllowed, sizeText } from '../../contracts/capabilities.js';
import { streamToFile } from '../../store/files.js';
import { openAIUnavailableReason, openAIVideosCatalog } from './catalog.js';
import { ProviderError, retryAfterMsFromHeaders } from '../errors.js';
import type { CallContext, DownloadedFile, VideoProvider } from '../types.js';
import type { ProviderSettings } from '../../contracts/provider-settings.js';
import type { ErrorKind } from '../../contracts/errors.js';
import type { GenerateRequest, JobSnapshot } from '../../contracts/jobs.js';
import type { ProviderCapabilities } from '../../contracts/capabilities.js';

const PROVIDER = 'openai-videos';

/** Most list items one reconciliation reads before it gives up (fail closed): 20 pages of 100. */
const MAX_SCAN = 2000;

/** 429 codes that mean "out of money", not "slow down" (never retried). */
const QUOTA_CODES = new Set([
  'insufficient_quota',
  'credit_balance_exhausted',
  'organization_spend_limit_exceeded',
  'project_spend_limit_exceeded',
  'organization_usage_limit_exceeded',
  'billing_hard_limit_reached',
]);
const CONCURRENCY_CODES = new Set(['too_many_running_tasks', 'concurrent_requests_exceeded']);

export interface OpenAIVideosOptions {
  settings: ProviderSettings;
  env: Readonly<Record<string, string | undefined>>;
  /** Per-request timeout until response headers, ms. Default 60 s. */
  requestTimeoutMs?: number;
  /** A download fails when no byte arrives for this long, ms. Default: requestTimeoutMs, at most 30 s. */
  idleTimeoutMs?: number;
}

/** `derive`: a remix or extension, which names an earlier video as its source. */
type Operation = 'create' | 'derive' | 'read' | 'download';

/** Maps anything the SDK throws into our taxonomy. Exported for tests. */
export function classifyOpenAIError(err: unknown, op: Operation, jobId?: string): unknown {
  if (err instanceof ProviderError) return err;
  if (err instanceof APIUserAbortError) return err; // cancellation: not a provider failure
  const base = { provider: PROVIDER, ...(jobId ? { jobId } : {}), cause: err };
  if (err instanceof APIConnectionTimeoutError || err instanceof APIConnectionError) {
    // The request may have reached the server: for a create, the job may exist.
    return op === 'create' || op === 'derive'
      ? new ProviderError(
          'ambiguous_submit',
          'the create request got no answer (timeout or connection reset); it may have created a job',
          base,
        )
      : new ProviderError(
          'transient',
          `no answer from the provider (${err instanceof APIConnectionTimeoutError ? 'timeout' : 'connection error'})`,
          base,
        );
  }
  if (!(err instanceof APIError)) return err;

  const status = err.status ?? 0;
  const code = err.code ?? undefined;
  const headers = err.headers;
  const get = (name: string) => headers?.get(name);
  const details = {
    ...base,
    httpStatus: status,
    ...(code ? { providerCode: code } : {}),
    ...(err.requestID ? { requestId: err.requestID } : {}),
    ...(get('x-should-retry') === 'false' ? { retryable: false } : {}),
  };
  const message = providerMessage(err);
  const make = (kind: ErrorKind, extra: Partial<typeof details> & { retryAfterMs?: number; input?: 'prompt' | 'reference_image' } = {}) =>
    new ProviderError(kind, message, { ...details, ...extra });

  if (status === 429) {
    if ((code && QUOTA_CODES.has(code)) || err.type === 'insufficient_quota') return make('quota_exhausted', { retryable: false });
    const retryAfterMs = retryAfterMsFromHeaders((n) => get(n));
    const kind = code && CONCURRENCY_CODES.has(code) ? 'concurrency_limited' : 'rate_limited';
    return make(kind, retryAfterMs !== undefined ? { retryAfterMs } : {});
  }
  if (status === 400 || status === 422) {
    if (code === 'moderation_blocked' || err.type === 'moderation_error') {
      return make('content_policy', { input: err.param === 'input_reference' ? 'reference_image' : 'prompt' });
    }
    return make('invalid_request');
  }
  if (status === 401 || status === 403) return make('auth');
  if (status === 404) {
    if (op === 'download') return make('output_expired');
    if (op === 'create') return make('model_unavailable');
    // The source video of a remix or extension is gone (outputs are kept about an hour): not the model's fault.
    if (op === 'derive') return make('source_expired');
    return make('not_found');
  }
  if (status === 408 || status === 409 || status >= 500)
    return op === 'create' || op === 'derive' ? make('ambiguous_submit') : make('transient');
  return make('invalid_request');
}

/** The provider's own message, without request echoes: short and safe to show. */
function providerMessage(err: APIError): string {
  const body = err.error as { message?: unknown } | undefined;
  const text = typeof body?.message === 'string' ? body.message : `HTTP ${err.status ?? '?'}`;
  return `${PROVIDER}: ${text.slice(0, 500)}${err.param ? ` (param: ${err.param})` : ''}`;
}

export class OpenAIVideosProvider implements VideoProvider {
  readonly id = PROVIDER;
  private readonly baseURL: string | undefined;
  private clientInstance: OpenAI | undefined;

  constructor(private readonly opts: OpenAIVideosOptions) {
    this.baseURL = opts.settings.baseURL ?? opts.env.OPENAI_BASE_URL;
  }

  capabilities(model: string): ProviderCapabilities {
    const caps = openAIVideosCatalog.models[model];
    if (!caps) {
      throw new ProviderError(
        'invalid_request',
        `${PROVIDER} has no model "${model}"; known: ${Object.keys(openAIVideosCatalog.models).join(', ')}`,
        {
          provider: PROVIDER,
        },
      );
    }
    return caps;
  }

  assertAvailable(model: string): void {
    const reason = openAIUnavailableReason(this.baseURL);
    if (reason) throw new ProviderError('model_unavailable', reason, { provider: PROVIDER });
    this.capabilities(model);
  }

  validate(request: GenerateRequest): string[] {
    const caps = this.capabilities(request.model);
    const problems: string[] = [];
    if (!secondsAllowed(caps.seconds, request.seconds))
      problems.push(`seconds: ${request.seconds} is not allowed; allowed: ${describeSeconds(caps.seconds)}`);
    if (!caps.sizes.some((s) => s.width === request.size.width && s.height === request.size.height)) {
      problems.push(`size: ${sizeText(request.size)} is not offered; allowed: ${caps.sizes.map(sizeText).join(', ')}`);
    }
    if (request.lastFrame) problems.push('lastFrame: not supported by this API');
    if (request.prompt.length > caps.promptLimit) problems.push(`prompt: ${request.prompt.length} characters, at most ${caps.promptLimit}`);
    return problems;
  }

  /** The SDK client, created on first use so a missing key fails the request, not the worker. */
  private client(): OpenAI {
    if (this.clientInstance) return this.clientInstance;
    const keyVar = this.opts.settings.apiKeyEnv ?? 'OPENAI_API_KEY';
    const apiKey = this.opts.env[keyVar];
    if (!apiKey) {
      throw new ProviderError(
        'auth',
        `no API key: set the environment variable ${keyVar} on the worker${this.opts.settings.apiKeyEnv ? '' : ' (or name another one with providers.openai-videos.apiKeyEnv)'}`,
        {
          provider: PROVIDER,
        },
      );
    }
    this.clientInstance = new OpenAI({
      apiKey,
      ...(this.baseURL ? { baseURL: this.baseURL } : {}),
      // Never let the SDK repeat a request: a repeated POST is a second paid job. Temporal retries instead.
      maxRetries: 0,
      timeout: this.opts.settings.requestTimeoutMs ?? this.opts.requestTimeoutMs ?? 60_000,
    });
    return this.clientInstance;
  }

  async submit(request: GenerateRequest, ctx: CallContext): Promise<JobSnapshot> {
    this.assertAvailable(request.model);
    const problems = this.validate(request);
    if (problems.length) throw new ProviderError('invalid_request', `${PROVIDER}: ${problems.join('; ')}`, { provider: PROVIDER });
    const client = this.client();
    const seconds = String(request.seconds) as OpenAI.Videos.VideoSeconds;
    const size = sizeText(request.size) as OpenAI.Videos.VideoSize;
    const options = { maxRetries: 0, ...(ctx.signal ? { signal: ctx.signal } : {}) };
    try {
      if (request.remixJobId) {
        const { data, response } = await client.videos.remix(request.remixJobId, { prompt: request.prompt }, options).withResponse();
        return this.snapshot(data, response.headers);
      }
      if (request.extendJobId) {
        const { data, response } = await client.videos
          .extend({ video: { id: request.extendJobId }, prompt: request.prompt, seconds }, options)
          .withResponse();
        return this.snapshot(data, response.headers);
      }
      const input_reference = request.firstFrame
        ? await toFile(await readFile(request.firstFrame.path), `first-frame.${request.firstFrame.mime.split('/')[1]}`, {
            type: request.firstFrame.mime,
          })
        : undefined;
      const { data, response } = await client.videos
        .create(
          {
            prompt: request.prompt,
            model: request.model as OpenAI.Videos.VideoModel,
            seconds,
            size,
            ...(input_reference ? { input_reference } : {}),
          },
          options,
        )
        .withResponse();
      return this.snapshot(data, response.headers);
    } catch (err) {
      throw classifyOpenAIError(err, request.remixJobId || request.extendJobId ? 'derive' : 'create');
    }
  }

  async poll(jobId: string, ctx: CallContext): Promise<JobSnapshot> {
    try {
      const { data, response } = await this.client()
        .videos.retrieve(jobId, { maxRetries: 0, timeout: this.readTimeoutMs(), ...(ctx.signal ? { signal: ctx.signal } : {}) })
        .withResponse();
      return this.snapshot(data, response.headers);
    } catch (err) {
      throw classifyOpenAIError(err, 'read', jobId);
    }
  }

  async download(jobId: string, dest: string, ctx: CallContext): Promise<DownloadedFile> {
    let response: Response;
    try {
      response = await this.client().videos.downloadContent(
        jobId,
        { variant: 'video' },
        { maxRetries: 0, timeout: this.opts.settings.requestTimeoutMs ?? 60_000, ...(ctx.signal ? { signal: ctx.signal } : {}) },
      );
    } catch (err) {
      throw classifyOpenAIError(err, 'download', jobId);
    }
    if (!response.body)
      throw new ProviderError('output_corrupt', `${PROVIDER}: empty download for ${jobId}`, { provider: PROVIDER, jobId });
    const expected = Number(response.headers.get('content-length') ?? NaN);
    let result: { sha256: string; bytes: number };
    try {
      // The SDK's timeout stops at the headers; the body is bounded by our idle timeout.
      // Iterating the web stream directly (not Readable.fromWeb) keeps a broken-off body a rejection we catch here,
      // rather than an 'error' event nobody listens to.
      result = await streamToFile(Readable.from(response.body as unknown as AsyncIterable<Uint8Array>), dest, {
        idleTimeoutMs: this.opts.idleTimeoutMs ?? Math.min(30_000, this.opts.settings.requestTimeoutMs ?? 30_000),
        ...(Number.isFinite(expected) ? { expectedBytes: expected } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onProgress: (f) => ctx.onProgress?.(f),
      });
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      throw new ProviderError('output_corrupt', `${PROVIDER}: the download of ${jobId} broke off (${(err as Error).message})`, {
        provider: PROVIDER,
        jobId,
        cause: err,
      });
    }
    if (Number.isFinite(expected) && result.bytes !== expected) {
      throw new ProviderError('output_corrupt', `${PROVIDER}: the download of ${jobId} ended at ${result.bytes} of ${expected} bytes`, {
        provider: PROVIDER,
        jobId,
      });
    }
    return { path: dest, ...result };
  }

  private readTimeoutMs(): number {
    return Math.min(30_000, this.opts.settings.requestTimeoutMs ?? 30_000);
  }

  /** The Videos API has no cancel endpoint; a queued or running job cannot be stopped. */
  async cancel(): Promise<{ supported: boolean }> {
    return { supported: false };
  }

  /**
   * Every video created at or after `since` whose echoed inputs match the request: prompt, size, model (creates and
   * remixes), seconds (creates), and the remix source (`remixed_from_video_id`). The first-frame image is not echoed
   * by the API, so two requests differing only in it are told apart only by the caller's ledger.
   *
   * The scan does not trust `order=desc`: it stops early only after the pages have shown themselves newest-first;
   * a gateway that ignores the order is scanned to the end, up to MAX_SCAN items, beyond which it fails closed
   * (ambiguous) rather than guess.
   */
  async findCandidates(request: GenerateRequest, since: Date, ctx: CallContext): Promise<JobSnapshot[]> {
    const sinceS = Math.floor(since.getTime() / 1000);
    const size = sizeText(request.size);
    const found: JobSnapshot[] = [];
    // The direction the gateway really lists in, learned from the items themselves: only a list seen going
    // newest-first may be cut short at the first video older than `since`.
    let previous: number | undefined;
    let sawOlder = false;
    let sawNewer = false;
    let scanned = 0;
    try {
      const page = this.client().videos.list(
        { order: 'desc', limit: 100 },
        { maxRetries: 0, timeout: this.readTimeoutMs(), ...(ctx.signal ? { signal: ctx.signal } : {}) },
      );
      for await (const v of page) {
        if (++scanned > MAX_SCAN) {
          throw new ProviderError(
            'ambiguous_submit',
            `${PROVIDER}: the video list did not end within ${MAX_SCAN} items; cannot rule out an earlier create`,
            { provider: PROVIDER, retryable: false },
          );
        }
        if (previous !== undefined) {
          sawOlder ||= v.created_at < previous;
          sawNewer ||= v.created_at > previous;
        }
        previous = v.created_at;
        if (v.created_at < sinceS) {
          if (sawOlder && !sawNewer) break;
          continue;
        }
        if (matchesRequest(v, request, size)) found.push(this.snapshot(v, undefined));
      }
      return found;
    } catch (err) {
      throw classifyOpenAIError(err, 'read');
    }
  }

  private snapshot(v: OpenAI.Videos.Video, headers: Headers | undefined): JobSnapshot {
    const pollAfter = Number(headers?.get('openai-poll-after-ms') ?? NaN);
    const base = {
      provider: PROVIDER,
      jobId: v.id,
      progress: Math.max(0, Math.min(1, (v.progress ?? 0) / 100)),
      ...(Number.isFinite(pollAfter) && pollAfter > 0 ? { pollAfterMs: pollAfter } : {}),
      ...(v.seconds ? { seconds: Number(v.seconds) } : {}),
      ...(v.expires_at ? { expiresAt: new Date(v.expires_at * 1000).toISOString() } : {}),
    };
    switch (v.status) {
      case 'queued':
        return { ...base, state: 'queued' };
      case 'in_progress':
        return { ...base, state: 'running' };
      case 'completed':
        return { ...base, state: 'succeeded', progress: 1 };
      case 'failed': {
        const code = v.error?.code;
        return {
          ...base,
          state: 'failed',
          failure: {
            kind: code === 'moderation_blocked' ? 'content_policy' : 'job_failed',
            ...(code ? { code } : {}),
            message: v.error?.message ?? 'the job failed',
          },
        };
      }
      default:
        return { ...base, state: 'running' };
    }
  }
}

/** Whether a listed video is what this request would have created (every input the API echoes back). */
function matchesRequest(v: OpenAI.Videos.Video, request: GenerateRequest, size: string): boolean {
  if (v.prompt !== request.prompt || v.size !== size) return false;
  const remixedFrom = (v as { remixed_from_video_id?: string | null }).remixed_from_video_id ?? null;
  if (request.remixJobId) return remixedFrom === request.remixJobId;
  if (remixedFrom !== null) return false;
  // An extension reports the stitched total and the source's model; its own length is checked after download.
  if (request.extendJobId) return true;
  return v.model === request.model && Number(v.seconds) === request.seconds;
}
