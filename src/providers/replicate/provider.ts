/**
 * `replicate`: video models on Replicate (predictions API), through the official `replicate` SDK for reads and
 * cancels, and a direct request for creates.
 *
 * Why creates bypass the SDK: replicate 1.4.0 sends a create again after a network error (two predictions, both
 * paid) and its retries ignore Retry-After; neither can be switched off. A create here is one `fetch`, sent once per
 * activity attempt: official models by name (`POST /v1/models/{owner}/{name}/predictions`), community models by
 * version (`POST /v1/predictions {version}`), with `Cancel-After` set to the job deadline so a prediction that never
 * finishes is ended by Replicate itself (`aborted` if it never started, `canceled` if it was running). The SDK's
 * own repeats are made harmless by the fetch we give it (http.ts): one network request per SDK call.
 *
 * Reconciliation (an unanswered create): every prediction created since the first attempt whose model (or version)
 * and whole `input` object equal what we sent (findCandidates; activities/submit.ts adopts a single unclaimed one
 * and fails closed on several). Outputs are downloaded at once: Replicate deletes inputs and outputs one hour after
 * a prediction ends (`data_removed`).
 */
import Replicate, { parseProgressFromLogs, type Page, type Prediction } from 'replicate';
import { Readable } from 'node:stream';
import { defaultJobDeadlineSeconds } from '../../contracts/capabilities.js';
import type { ProviderCapabilities } from '../../contracts/capabilities.js';
import type { GenerateRequest, JobSnapshot } from '../../contracts/jobs.js';
import type { ProviderSettings } from '../../contracts/provider-settings.js';
import { streamToFile } from '../../store/files.js';
import { ProviderError } from '../errors.js';
import type { CallContext, DownloadedFile, VideoProvider } from '../types.js';
import { replicateModels } from './catalog.js';
import { buildInput, imageFields, inputProblems, sameInput } from './input.js';
import type { ReplicateModel } from './models.js';
import {
  classifyResponse,
  errorCodeOf,
  ForeignOriginError,
  MODERATION_CODES,
  noAnswer,
  oncePerRequest,
  PROVIDER,
  sdkResponseOf,
  type Operation,
} from './http.js';

export const DEFAULT_BASE_URL = 'https://api.replicate.com/v1';
/** Most predictions one reconciliation reads before it gives up (fail closed): 20 pages of 100. */
const MAX_SCAN = 2000;

export interface ReplicateOptions {
  settings: ProviderSettings;
  env: Readonly<Record<string, string | undefined>>;
}

export class ReplicateProvider implements VideoProvider {
  readonly id = PROVIDER;
  private readonly baseURL: string;
  private readonly models: Record<string, ReplicateModel>;
  private sdk: Replicate | undefined;

  constructor(private readonly opts: ReplicateOptions) {
    this.baseURL = (opts.settings.baseURL ?? opts.env.REPLICATE_BASE_URL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    try {
      this.models = replicateModels(opts.settings);
    } catch (err) {
      throw new ProviderError('invalid_request', (err as Error).message, { provider: PROVIDER, cause: err });
    }
  }

  private model(id: string): ReplicateModel {
    const m = this.models[id];
    if (!m) {
      throw new ProviderError(
        'invalid_request',
        `${PROVIDER} has no model "${id}"; known: ${Object.keys(this.models).join(', ')}. ` +
          'Declare another one under providers.replicate.models (docs/providers.md)',
        { provider: PROVIDER },
      );
    }
    return m;
  }

  capabilities(model: string): ProviderCapabilities {
    return this.model(model).caps;
  }

  assertAvailable(model: string): void {
    this.model(model);
  }

  validate(request: GenerateRequest): string[] {
    return inputProblems(request.model, this.model(request.model), request);
  }

  private apiKey(): string {
    const keyVar = this.opts.settings.apiKeyEnv ?? 'REPLICATE_API_TOKEN';
    const key = this.opts.env[keyVar];
    if (!key) {
      throw new ProviderError(
        'auth',
        `no API token: set the environment variable ${keyVar} on the worker${this.opts.settings.apiKeyEnv ? '' : ' (or name another one with providers.replicate.apiKeyEnv)'}`,
        { provider: PROVIDER },
      );
    }
    return key;
  }

  /** The SDK client, made on first use so a missing key fails a request, not the worker. */
  private client(): Replicate {
    this.sdk ??= new Replicate({
      auth: this.apiKey(),
      baseUrl: this.baseURL,
      fetch: oncePerRequest(new URL(this.baseURL).origin),
      userAgent: 'storyreel',
      useFileOutput: false,
    });
    return this.sdk;
  }

  private timeoutMs(): number {
    return this.opts.settings.requestTimeoutMs ?? 60_000;
  }

  /** The caller's signal plus a timeout; `timedOut()` tells the two apart. */
  private deadline(ctx: CallContext, ms = this.timeoutMs()) {
    const timeout = AbortSignal.timeout(ms);
    return { signal: ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout, timedOut: () => timeout.aborted };
  }

  /** Runs one SDK call and classifies whatever it throws. */
  private async read<T>(op: Operation, ctx: CallContext, call: (signal: AbortSignal) => Promise<T>, jobId?: string): Promise<T> {
    const d = this.deadline(ctx, Math.min(30_000, this.timeoutMs()));
    try {
      return await call(d.signal);
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      const response = sdkResponseOf(err);
      if (response) throw await classifyResponse(response, op, jobId);
      if (err instanceof ForeignOriginError)
        throw new ProviderError('invalid_request', `${PROVIDER}: ${err.message}`, { provider: PROVIDER });
      if (err instanceof ProviderError) throw err;
      throw noAnswer(err, op, d.timedOut(), jobId);
    }
  }

  async submit(request: GenerateRequest, ctx: CallContext): Promise<JobSnapshot> {
    const m = this.model(request.model);
    const problems = inputProblems(request.model, m, request);
    if (problems.length) throw new ProviderError('invalid_request', `${PROVIDER}: ${problems.join('; ')}`, { provider: PROVIDER });
    let input: Record<string, unknown>;
    try {
      input = await buildInput(m, request);
    } catch (err) {
      throw new ProviderError('invalid_request', `${PROVIDER}: ${(err as Error).message}; use smaller images`, {
        provider: PROVIDER,
        cause: err,
      });
    }
    const url = m.version ? `${this.baseURL}/predictions` : `${this.baseURL}/models/${request.model}/predictions`;
    // A callback when the prediction ends (only then: start/logs/output would wake the scene for nothing).
    const webhook = ctx.callbackUrl ? { webhook: ctx.callbackUrl, webhook_events_filter: ['completed'] } : {};
    const body = m.version ? { version: m.version, input, ...webhook } : { input, ...webhook };
    const deadlineS = this.opts.settings.jobDeadlineSeconds ?? defaultJobDeadlineSeconds(m.caps, request.seconds);
    const d = this.deadline(ctx);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.apiKey()}`,
          'content-type': 'application/json',
          'user-agent': 'storyreel',
          // Replicate ends the prediction at the job deadline: aborted (not billed on public models) or canceled.
          'cancel-after': `${Math.ceil(deadlineS)}s`,
        },
        body: JSON.stringify(body),
        signal: d.signal,
      });
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      throw noAnswer(err, 'create', d.timedOut());
    }
    if (!response.ok) throw await classifyResponse(response, 'create');
    let prediction: Prediction;
    try {
      prediction = (await response.json()) as Prediction;
    } catch (err) {
      // The prediction was created, but its answer broke off: only reconciliation can find it.
      throw noAnswer(err, 'create', d.timedOut());
    }
    return this.snapshot(prediction);
  }

  async poll(jobId: string, ctx: CallContext): Promise<JobSnapshot> {
    return this.snapshot(await this.get(jobId, ctx));
  }

  private get(jobId: string, ctx: CallContext): Promise<Prediction> {
    return this.read('read', ctx, (signal) => this.client().predictions.get(jobId, { signal }), jobId);
  }

  async download(jobId: string, dest: string, ctx: CallContext): Promise<DownloadedFile> {
    const prediction = await this.get(jobId, ctx);
    const url = outputUrl(prediction.output);
    if (prediction.data_removed || !url) {
      throw new ProviderError(
        'output_expired',
        `${PROVIDER}: the output of ${jobId} is gone (${prediction.data_removed ? 'removed by Replicate after an hour' : 'no video URL in the output'})`,
        { provider: PROVIDER, jobId },
      );
    }
    // Output files are served by replicate.delivery without the API key (as the SDK fetches them): it is never sent.
    const d = this.deadline(ctx);
    let response: Response;
    try {
      response = await fetch(url, { signal: d.signal });
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      throw noAnswer(err, 'download', d.timedOut(), jobId);
    }
    if (!response.ok) throw await classifyResponse(response, 'download', jobId);
    if (!response.body)
      throw new ProviderError('output_corrupt', `${PROVIDER}: empty download for ${jobId}`, { provider: PROVIDER, jobId });
    const expected = Number(response.headers.get('content-length') ?? NaN);
    let result: { sha256: string; bytes: number };
    try {
      result = await streamToFile(Readable.from(response.body as unknown as AsyncIterable<Uint8Array>), dest, {
        idleTimeoutMs: Math.min(30_000, this.timeoutMs()),
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

  async cancel(jobId: string, ctx: CallContext): Promise<{ supported: boolean }> {
    await this.read('read', ctx, (signal) => this.client().predictions.cancel(jobId, { signal }), jobId);
    return { supported: true };
  }

  /**
   * Every prediction created at or after `since` whose model (or version) and whole `input` equal this request's.
   * Pages are read newest first as documented, but the scan stops early only after the pages have shown themselves
   * in that order; otherwise it reads to the end, up to MAX_SCAN, beyond which it fails closed.
   */
  async findCandidates(request: GenerateRequest, since: Date, ctx: CallContext): Promise<JobSnapshot[]> {
    const m = this.model(request.model);
    const sent = await buildInput(m, request);
    const images = imageFields(m);
    const found: JobSnapshot[] = [];
    let previous = Number.POSITIVE_INFINITY;
    // Newest first so far (every item no newer than the one before it).
    let newestFirst = true;
    let scanned = 0;
    const client = this.client();
    await this.read('read', ctx, async (signal) => {
      const first = () =>
        client
          .request('/predictions', { method: 'GET', params: { created_after: since.toISOString() }, signal })
          .then((r) => r.json() as Promise<Page<Prediction>>);
      for await (const page of client.paginate<Prediction>(first, { signal })) {
        for (const p of page) {
          if (++scanned > MAX_SCAN) {
            throw new ProviderError(
              'ambiguous_submit',
              `${PROVIDER}: the prediction list did not end within ${MAX_SCAN} items; cannot rule out an earlier create`,
              { provider: PROVIDER, retryable: false },
            );
          }
          const created = Date.parse(p.created_at);
          newestFirst &&= created <= previous;
          // An older item right after a strictly newer one, in a list newest first so far: the rest is older still.
          // Anything else (the first item, an ascending or unordered list) proves nothing, so the scan goes on.
          const stop = created < since.getTime() && newestFirst && previous !== Number.POSITIVE_INFINITY && previous > created;
          previous = created;
          if (stop) return;
          if (created < since.getTime()) continue;
          const sameModel = m.version ? p.version === m.version : p.model === request.model;
          if (sameModel && sameInput(sent, p.input, images)) found.push(this.snapshot(p));
        }
      }
    });
    return found;
  }

  private snapshot(p: Prediction): JobSnapshot {
    const base = { provider: PROVIDER, jobId: p.id };
    switch (p.status) {
      case 'starting':
        return { ...base, state: 'queued', progress: 0 };
      case 'processing':
        return { ...base, state: 'running', progress: parseProgressFromLogs(p.logs ?? '')?.percentage ?? 0 };
      case 'succeeded': {
        const done = Date.parse(p.completed_at ?? '');
        return {
          ...base,
          state: 'succeeded',
          progress: 1,
          ...(Number.isFinite(done) ? { expiresAt: new Date(done + this.capsRetentionMs(p)).toISOString() } : {}),
        };
      }
      case 'failed': {
        const code = errorCodeOf(p.error);
        const message = typeof p.error === 'string' && p.error ? p.error.slice(0, 500) : 'the prediction failed';
        return {
          ...base,
          state: 'failed',
          failure: { kind: code && MODERATION_CODES.has(code) ? 'content_policy' : 'job_failed', ...(code ? { code } : {}), message },
        };
      }
      case 'aborted':
        // Final: the Cancel-After deadline passed before the prediction started (not billed on public models).
        return {
          ...base,
          state: 'canceled',
          failure: { kind: 'job_stuck', code: 'aborted', message: 'the prediction never started before its deadline' },
        };
      case 'canceled': {
        const atDeadline = p.deadline !== undefined && Date.parse(p.completed_at ?? '') >= Date.parse(p.deadline) - 1000;
        return {
          ...base,
          state: 'canceled',
          failure: atDeadline
            ? { kind: 'job_stuck', code: 'deadline', message: 'the prediction was still running at its deadline' }
            : { kind: 'job_failed', code: 'canceled', message: 'the prediction was canceled' },
        };
      }
      default:
        return { ...base, state: 'running' };
    }
  }

  private capsRetentionMs(p: Prediction): number {
    const m = this.models[p.model];
    return (m?.caps.outputRetentionSeconds ?? 3600) * 1000;
  }
}

/** The video URL in a prediction's output: a URL, or the first video-looking URL in a list or object. */
export function outputUrl(output: unknown): string | undefined {
  const urls: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string' && /^https?:\/\//.test(v)) urls.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(output);
  return urls.find((u) => /\.(mp4|mov|webm|m4v)(\?|$)/i.test(new URL(u).pathname + new URL(u).search)) ?? urls[0];
}
