/**
 * `fal`: video models on fal's queue API (https://queue.fal.run), through the official `@fal-ai/client` for status,
 * result, cancel and image uploads.
 *
 * The create is a direct HTTP request: the SDK's `queue.submit` retries with a fixed policy (3×, network errors
 * included) that its configuration cannot turn off, and re-sends a create whose connection dropped after fal had
 * queued it (providers-2026.md §A.10): two paid jobs. Here every create is sent once per activity attempt; a lost
 * answer is ambiguous_submit, and a retried submit never posts again (activities/submit.ts: fal has no client-chosen
 * id and no lookup by one, so reconciliation fails closed for an operator; a plain 429 or 4xx is known to have
 * created nothing and is simply retried).
 *
 * Job ids are `<endpoint id>::<request_id>`: status, result and cancel need the endpoint's owner/app (the SDK strips
 * the subpath, as fal's docs require).
 */
import { ApiError, createFalClient, type FalClient } from '@fal-ai/client';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ProviderCapabilities } from '../../contracts/capabilities.js';
import type { GenerateRequest, JobSnapshot } from '../../contracts/jobs.js';
import type { ProviderSettings } from '../../contracts/provider-settings.js';
import { streamToFile } from '../../store/files.js';
import { ProviderError, retryAfterMsFromHeaders } from '../errors.js';
import type { CallContext, DownloadedFile, VideoProvider } from '../types.js';
import { capabilitiesFor, FAL_PROVIDER, falModelSpec, RESULT_RETENTION_SECONDS, type FalSettings } from './catalog.js';
import { classifyFalHttp, falCode, falMessage, flaggedInput, isFalErrorBody, isModeration, noAnswer, type FalOperation } from './errors.js';
import { falCall, falProblems } from './input.js';
import { FAL_MODELS } from './models.js';

const QUEUE_URL = 'https://queue.fal.run';
const REST_URL = 'https://rest.fal.ai';
const BILLABLE_UNITS = 'x-fal-billable-units';

export interface FalOptions {
  settings: ProviderSettings;
  env: Readonly<Record<string, string | undefined>>;
}

interface Output {
  url: string;
}

export function falJobId(endpoint: string, requestId: string): string {
  return `${endpoint}::${requestId}`;
}

export function parseFalJobId(jobId: string): { endpoint: string; requestId: string } {
  const i = jobId.lastIndexOf('::');
  if (i <= 0)
    throw new ProviderError('not_found', `${FAL_PROVIDER}: "${jobId}" is not a fal job id (<endpoint>::<request_id>)`, {
      provider: FAL_PROVIDER,
    });
  return { endpoint: jobId.slice(0, i), requestId: jobId.slice(i + 2) };
}

export class FalProvider implements VideoProvider {
  readonly id = FAL_PROVIDER;
  private readonly settings: FalSettings;
  private readonly baseURL: string | undefined;
  private sdk: FalClient | undefined;
  /** Output URLs of finished jobs, so a download right after the poll needs no second result read. */
  private readonly outputs = new Map<string, Output>();
  /** `x-fal-billable-units` seen on result answers, by request id. */
  private readonly billedUnits = new Map<string, number>();

  constructor(private readonly opts: FalOptions) {
    this.settings = opts.settings as FalSettings;
    this.baseURL = (opts.settings.baseURL ?? opts.env.FAL_BASE_URL)?.replace(/\/+$/, '');
  }

  capabilities(model: string): ProviderCapabilities {
    const spec = falModelSpec(model, this.settings);
    if (!spec) {
      throw new ProviderError(
        'invalid_request',
        `${FAL_PROVIDER} has no model "${model}" in its catalog; declare it under providers.fal.models (see docs/providers.md#fal)`,
        { provider: FAL_PROVIDER },
      );
    }
    return capabilitiesFor(model, spec, this.settings);
  }

  assertAvailable(model: string): void {
    this.capabilities(model);
  }

  validate(request: GenerateRequest): string[] {
    const spec = falModelSpec(request.model, this.settings);
    if (!spec) return [`model: fal has no model "${request.model}"; declare it under providers.fal.models`];
    return falProblems(request.model, spec, request);
  }

  private apiKey(): string {
    const keyVar = this.settings.apiKeyEnv ?? 'FAL_KEY';
    const key = this.opts.env[keyVar];
    if (!key) {
      throw new ProviderError(
        'auth',
        `no API key: set the environment variable ${keyVar} on the worker${this.settings.apiKeyEnv ? '' : ' (or name another one with providers.fal.apiKeyEnv)'}`,
        { provider: FAL_PROVIDER },
      );
    }
    return key;
  }

  /** fal's own hosts, or the configured base URL in their place (a mock or a proxy serving both). */
  private url(original: string): string {
    if (!this.baseURL) return original;
    for (const host of [QUEUE_URL, REST_URL]) if (original.startsWith(`${host}/`)) return `${this.baseURL}${original.slice(host.length)}`;
    return original;
  }

  /** The SDK, created on first use (a missing key fails the request, not the worker). */
  private client(): FalClient {
    if (this.sdk) return this.sdk;
    const credentials = this.apiKey();
    const fetchVia: typeof fetch = async (input, init) => {
      const target = this.url(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const res = await fetch(target, init);
      // The SDK drops response headers; the billed units of a result are read here, by the request id in its path.
      const units = Number(res.headers.get(BILLABLE_UNITS) ?? NaN);
      const requestId = /\/requests\/([^/?]+)$/.exec(new URL(target).pathname)?.[1];
      if (requestId && Number.isFinite(units)) this.billedUnits.set(decodeURIComponent(requestId), units);
      return res;
    };
    this.sdk = createFalClient({ credentials, fetch: fetchVia, suppressLocalCredentialsWarning: true });
    return this.sdk;
  }

  private timeoutMs(): number {
    return this.settings.requestTimeoutMs ?? 60_000;
  }

  private signal(ctx: CallContext, ms = this.timeoutMs()): AbortSignal {
    return ctx.signal ? AbortSignal.any([ctx.signal, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms);
  }

  async submit(request: GenerateRequest, ctx: CallContext): Promise<JobSnapshot> {
    const spec = falModelSpec(request.model, this.settings);
    const problems = this.validate(request);
    if (!spec || problems.length)
      throw new ProviderError('invalid_request', `${FAL_PROVIDER}: ${problems.join('; ')}`, { provider: FAL_PROVIDER });
    const key = this.apiKey();
    const call = falCall(spec, request, this.settings);
    for (const image of call.images) call.input[image.field] = await this.upload(request[image.which]!, ctx);

    const retention = this.settings.outputRetentionSeconds ?? RESULT_RETENTION_SECONDS;
    let res: Response;
    try {
      // fal calls `fal_webhook` when the request ends (what the SDK's `webhookUrl` option sends).
      const hook = ctx.callbackUrl ? `?fal_webhook=${encodeURIComponent(ctx.callbackUrl)}` : '';
      res = await fetch(`${this.url(`${QUEUE_URL}/${call.endpoint}`)}${hook}`, {
        method: 'POST',
        headers: {
          authorization: `Key ${key}`,
          'content-type': 'application/json',
          accept: 'application/json',
          'x-fal-object-lifecycle-preference': JSON.stringify({ expiration_duration_seconds: retention }),
          'x-fal-queue-priority': this.settings.priority ?? 'normal',
          ...(this.settings.startTimeoutSeconds ? { 'x-fal-request-start-timeout': String(this.settings.startTimeoutSeconds) } : {}),
        },
        body: JSON.stringify(call.input),
        signal: this.signal(ctx),
      });
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      throw noAnswer('create', err);
    }
    const body = await readJson(res);
    if (!res.ok) {
      throw classifyFalHttp('create', {
        status: res.status,
        body,
        ...optionalRetryAfter(res.headers),
        ...(res.headers.get('x-fal-request-id') ? { requestId: res.headers.get('x-fal-request-id')! } : {}),
        errorTypeHeader: res.headers.get('x-fal-error-type'),
      });
    }
    const queued = body as { request_id?: unknown; queue_position?: unknown } | undefined;
    if (typeof queued?.request_id !== 'string' || !queued.request_id) {
      throw new ProviderError(
        'ambiguous_submit',
        `${FAL_PROVIDER}: the create answered ${res.status} without a request_id; a job may exist`,
        {
          provider: FAL_PROVIDER,
          httpStatus: res.status,
        },
      );
    }
    return {
      provider: FAL_PROVIDER,
      jobId: falJobId(call.endpoint, queued.request_id),
      state: 'queued',
      progress: 0,
      ...(typeof queued.queue_position === 'number' ? { queuePosition: queued.queue_position } : {}),
    };
  }

  /** Uploads a prepared image to fal's storage (through the SDK): fal models take image inputs as URLs. */
  private async upload(image: NonNullable<GenerateRequest['firstFrame']>, ctx: CallContext): Promise<string> {
    const bytes = await readFile(image.path);
    ctx.signal?.throwIfAborted();
    try {
      return await this.client().storage.upload(new Blob([bytes], { type: image.mime }), { lifecycle: { expiresIn: '1d' } });
    } catch (err) {
      throw this.sdkError('upload', err);
    }
  }

  async poll(jobId: string, ctx: CallContext): Promise<JobSnapshot> {
    const { endpoint, requestId } = parseFalJobId(jobId);
    let status;
    try {
      status = await this.client().queue.status(endpoint, { requestId, logs: false, abortSignal: this.signal(ctx, this.readTimeoutMs()) });
    } catch (err) {
      const startTimeout = this.startTimedOut(err, jobId);
      if (startTimeout) return startTimeout;
      if (ctx.signal?.aborted) throw err;
      throw this.sdkError('read', err, jobId);
    }
    const base = { provider: FAL_PROVIDER, jobId };
    if (status.status === 'IN_QUEUE') return { ...base, state: 'queued', progress: 0, queuePosition: status.queue_position };
    if (status.status === 'IN_PROGRESS') return { ...base, state: 'running' };
    return this.completed(jobId, endpoint, requestId, ctx);
  }

  /** A COMPLETED request's result: the output, or the error the model answered with (a failed job). */
  private async completed(jobId: string, endpoint: string, requestId: string, ctx: CallContext): Promise<JobSnapshot> {
    const base = { provider: FAL_PROVIDER, jobId };
    let data: unknown;
    try {
      data = (await this.client().queue.result(endpoint, { requestId, abortSignal: this.signal(ctx, this.readTimeoutMs()) })).data;
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      const failed = this.failedResult(err, jobId);
      if (failed) return failed;
      throw this.sdkError('read', err, jobId);
    }
    const video = (data as { video?: { url?: unknown } } | undefined)?.video;
    if (typeof video?.url !== 'string') {
      return {
        ...base,
        state: 'failed',
        failure: { kind: 'job_failed', code: 'no_video', message: `${FAL_PROVIDER}: the result has no video` },
      };
    }
    const units = this.billedUnits.get(requestId);
    const seconds = typeof (data as { duration?: unknown }).duration === 'number' ? (data as { duration: number }).duration : undefined;
    this.outputs.set(jobId, { url: video.url });
    const retention = Math.min(RESULT_RETENTION_SECONDS, this.settings.outputRetentionSeconds ?? RESULT_RETENTION_SECONDS);
    return {
      ...base,
      state: 'succeeded',
      progress: 1,
      // fal keeps the result (the URL) an hour after completion; measured from now, so slightly optimistic.
      expiresAt: new Date(Date.now() + retention * 1000).toISOString(),
      ...(seconds !== undefined ? { seconds } : {}),
      ...(units !== undefined ? { billed: { units, ...this.unitPrice(endpoint, units) } } : {}),
    };
  }

  /**
   * Billed units priced by the catalog, when the model has one price per second whatever the size (the result does
   * not say which size was made). Every video model here bills per second of output.
   */
  private unitPrice(endpoint: string, units: number): { usd?: number } {
    const ids = [...new Set([...Object.keys(this.settings.models ?? {}), ...Object.keys(FAL_MODELS)])];
    const model = ids.find((id) => {
      const s = falModelSpec(id, this.settings)!;
      return [s.textToVideo, s.imageToVideo, s.firstLastFrame].includes(endpoint);
    });
    const pricing = model ? this.capabilities(model).pricing : [];
    return pricing.length === 1 ? { usd: Math.round(units * pricing[0]!.usdPerSecond * 10_000) / 10_000 } : {};
  }

  /** The model's error for a finished request as a failed snapshot; undefined when it is a transport error. */
  private failedResult(err: unknown, jobId: string): JobSnapshot | undefined {
    if (!(err instanceof ApiError)) return undefined;
    const status = err.status;
    if (status === 404) {
      return {
        provider: FAL_PROVIDER,
        jobId,
        state: 'failed',
        failure: {
          kind: 'job_failed',
          code: 'result_expired',
          message: `${FAL_PROVIDER}: the result of ${jobId} is no longer kept (fal keeps it an hour)`,
        },
      };
    }
    if (status === 401 || status === 403 || status === 429 || !isFalErrorBody(err.body)) return undefined;
    const moderated = isModeration(err.body);
    const code = falCode(err.body);
    const input = flaggedInput(err.body);
    return {
      provider: FAL_PROVIDER,
      jobId,
      state: 'failed',
      failure: {
        kind: moderated ? 'content_policy' : 'job_failed',
        ...(code ? { code } : {}),
        message: `${falMessage(status, err.body)}${moderated && input ? ` (input: ${input})` : ''}`,
      },
    };
  }

  /** A 504 with X-Fal-Request-Timeout-Type: user: the job never started within startTimeoutSeconds (not billed). */
  private startTimedOut(err: unknown, jobId: string): JobSnapshot | undefined {
    if (!(err instanceof ApiError) || !err.isUserTimeout) return undefined;
    return {
      provider: FAL_PROVIDER,
      jobId,
      state: 'failed',
      failure: { kind: 'job_failed', code: 'start_timeout', message: `${FAL_PROVIDER}: the job did not start within startTimeoutSeconds` },
    };
  }

  private sdkError(op: FalOperation, err: unknown, jobId?: string): unknown {
    if (err instanceof ProviderError) return err;
    if (err instanceof ApiError) {
      return classifyFalHttp(op, { status: err.status, body: err.body, ...(err.requestId ? { requestId: err.requestId } : {}) }, jobId);
    }
    return noAnswer(op, err, jobId);
  }

  private readTimeoutMs(): number {
    return Math.min(30_000, this.timeoutMs());
  }

  async download(jobId: string, dest: string, ctx: CallContext): Promise<DownloadedFile> {
    let output = this.outputs.get(jobId);
    if (!output) {
      const { endpoint, requestId } = parseFalJobId(jobId);
      const snap = await this.completed(jobId, endpoint, requestId, ctx);
      output = this.outputs.get(jobId);
      if (!output) {
        throw new ProviderError('output_expired', snap.failure?.message ?? `${FAL_PROVIDER}: no output for ${jobId}`, {
          provider: FAL_PROVIDER,
          jobId,
        });
      }
    }
    let res: Response;
    try {
      res = await fetch(output.url, { signal: this.signal(ctx) });
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      throw noAnswer('read', err, jobId);
    }
    if (res.status === 404 || res.status === 403 || res.status === 410) {
      this.outputs.delete(jobId);
      await res.body?.cancel();
      throw new ProviderError('output_expired', `${FAL_PROVIDER}: the output of ${jobId} has expired on fal's CDN (HTTP ${res.status})`, {
        provider: FAL_PROVIDER,
        jobId,
        httpStatus: res.status,
      });
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new ProviderError('transient', `${FAL_PROVIDER}: the output download answered HTTP ${res.status}`, {
        provider: FAL_PROVIDER,
        jobId,
        httpStatus: res.status,
        ...optionalRetryAfter(res.headers),
      });
    }
    const expected = Number(res.headers.get('content-length') ?? NaN);
    let result: { sha256: string; bytes: number };
    try {
      result = await streamToFile(Readable.from(res.body as unknown as AsyncIterable<Uint8Array>), dest, {
        idleTimeoutMs: Math.min(30_000, this.timeoutMs()),
        ...(Number.isFinite(expected) ? { expectedBytes: expected } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onProgress: (f) => ctx.onProgress?.(f),
      });
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      throw new ProviderError('output_corrupt', `${FAL_PROVIDER}: the download of ${jobId} broke off (${(err as Error).message})`, {
        provider: FAL_PROVIDER,
        jobId,
        cause: err,
      });
    }
    if (Number.isFinite(expected) && result.bytes !== expected) {
      throw new ProviderError('output_corrupt', `${FAL_PROVIDER}: the download of ${jobId} ended at ${result.bytes} of ${expected} bytes`, {
        provider: FAL_PROVIDER,
        jobId,
      });
    }
    return { path: dest, ...result };
  }

  /** `PUT …/cancel`: fal cancels a request that has not started; one already running or done goes on. */
  async cancel(jobId: string, ctx: CallContext): Promise<{ supported: boolean }> {
    const { endpoint, requestId } = parseFalJobId(jobId);
    try {
      await this.client().queue.cancel(endpoint, { requestId, abortSignal: this.signal(ctx, this.readTimeoutMs()) });
    } catch (err) {
      // 400 ALREADY_COMPLETED: nothing left to cancel.
      if (err instanceof ApiError && err.status === 400) return { supported: true };
      if (ctx.signal?.aborted) throw err;
      throw this.sdkError('cancel', err, jobId);
    }
    return { supported: true };
  }
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => '');
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

function optionalRetryAfter(headers: Headers): { retryAfterMs?: number } {
  const ms = retryAfterMsFromHeaders((n) => headers.get(n));
  return ms !== undefined ? { retryAfterMs: ms } : {};
}
