/**
 * `runway`: video tasks on Runway's API (`https://api.dev.runwayml.com`, `X-Runway-Version: 2024-11-06`) through the
 * official `@runwayml/sdk`: `POST /v1/text_to_video` or `/v1/image_to_video` (a first frame, optionally a last),
 * `GET /v1/tasks/{id}`, `DELETE /v1/tasks/{id}`, and `GET /v1/organization` to tell an empty credit balance or a
 * spent daily limit from other refusals.
 *
 * Paying once: the SDK retries every request twice by default, the create POST included (a 500 after creation or a
 * dropped answer made two tasks, providers-2026.md §A.10). Here the client is built with `maxRetries: 0` and every
 * create passes `maxRetries: 0` again, so each activity attempt sends one POST; Retry-After is honoured by the
 * registry's gate and the activity's retry delay, not by the SDK. Runway lets the client name no task and lists none,
 * so a create that may have made a task (500/504/408/409, a dropped or timed-out answer) can never be matched to it:
 * it fails closed (ambiguous_submit, not retryable) for an operator rather than paying again. The SDK declares an
 * idempotency header but never sends one; nothing here relies on it.
 *
 * Outputs: `output[]` URLs are signed and expire within 24–48 h; every GET of the task signs fresh ones. A download
 * answered 403/404/410 reads the task once more for a fresh URL before it reports output_expired.
 */
import RunwayML, { type ClientOptions } from '@runwayml/sdk';
import { Readable } from 'node:stream';
import type { ProviderCapabilities } from '../../contracts/capabilities.js';
import type { GenerateRequest, JobSnapshot } from '../../contracts/jobs.js';
import type { ProviderSettings } from '../../contracts/provider-settings.js';
import { streamToFile } from '../../store/files.js';
import { ProviderError } from '../errors.js';
import type { CallContext, DownloadedFile, VideoProvider } from '../types.js';
import {
  capabilitiesFor,
  DEFAULT_BASE_URL,
  OUTPUT_RETENTION_SECONDS,
  RUNWAY_API_VERSION,
  RUNWAY_PROVIDER,
  USD_PER_CREDIT,
  wantsAudio,
  type RunwaySettings,
} from './catalog.js';
import { classifyRunwayError, taskFailure, type Operation } from './errors.js';
import { RUNWAY_MODELS, type RunwayModelSpec } from './models.js';
import { createBody, ImageTooLargeError, problems } from './request.js';

/** Runway: "Consumers of this API should not expect updates more frequent than once every five seconds." */
const POLL_HINT_MS = 5000;
/** [real] the `error` of a create the credit balance cannot pay for; used only when the balance cannot be read. */
const NOT_ENOUGH_CREDITS = 'You do not have enough credits to run this task.';

export interface RunwayOptions {
  settings: ProviderSettings;
  env: Readonly<Record<string, string | undefined>>;
}

export class RunwayProvider implements VideoProvider {
  readonly id = RUNWAY_PROVIDER;
  private readonly settings: RunwaySettings;
  private readonly baseURL: string;
  private sdk: RunwayML | undefined;
  /** The output URL of a task last seen SUCCEEDED, so a download right after the poll needs no second read. */
  private readonly outputs = new Map<string, string>();

  constructor(private readonly opts: RunwayOptions) {
    this.settings = opts.settings as RunwaySettings;
    this.baseURL = (opts.settings.baseURL ?? opts.env.RUNWAYML_BASE_URL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  }

  private spec(model: string): RunwayModelSpec {
    const spec = Object.hasOwn(RUNWAY_MODELS, model) ? RUNWAY_MODELS[model] : undefined;
    if (!spec) {
      throw new ProviderError(
        'invalid_request',
        `${RUNWAY_PROVIDER} has no model "${model}"; known: ${Object.keys(RUNWAY_MODELS).join(', ')}`,
        {
          provider: RUNWAY_PROVIDER,
        },
      );
    }
    return spec;
  }

  capabilities(model: string): ProviderCapabilities {
    return capabilitiesFor(model, this.spec(model), this.settings);
  }

  assertAvailable(model: string): void {
    this.spec(model);
  }

  validate(request: GenerateRequest): string[] {
    const spec = Object.hasOwn(RUNWAY_MODELS, request.model) ? RUNWAY_MODELS[request.model] : undefined;
    if (!spec) return [`model: runway has no model "${request.model}"; known: ${Object.keys(RUNWAY_MODELS).join(', ')}`];
    return problems(request.model, spec, request);
  }

  private apiKey(): string {
    const keyVar = this.settings.apiKeyEnv ?? 'RUNWAYML_API_SECRET';
    const key = this.opts.env[keyVar];
    if (!key) {
      throw new ProviderError(
        'auth',
        `no API key: set the environment variable ${keyVar} on the worker${this.settings.apiKeyEnv ? '' : ' (or name another one with providers.runway.apiKeyEnv)'}`,
        { provider: RUNWAY_PROVIDER },
      );
    }
    return key;
  }

  /** The SDK client, made on first use so a missing key fails a request, not the worker. */
  private client(): RunwayML {
    if (this.sdk) return this.sdk;
    const options: ClientOptions = {
      apiKey: this.apiKey(),
      // Always explicit: the SDK would otherwise read RUNWAYML_BASE_URL from the process, not from our env.
      baseURL: this.baseURL,
      runwayVersion: RUNWAY_API_VERSION,
      // No request is ever repeated by the SDK: a repeated create is a second paid task. Temporal retries instead.
      maxRetries: 0,
      timeout: this.timeoutMs(),
      logLevel: 'off',
    };
    this.sdk = new RunwayML(options);
    return this.sdk;
  }

  private timeoutMs(): number {
    return this.settings.requestTimeoutMs ?? 60_000;
  }

  private readOptions(ctx: CallContext) {
    return { maxRetries: 0, timeout: Math.min(30_000, this.timeoutMs()), ...(ctx.signal ? { signal: ctx.signal } : {}) };
  }

  async submit(request: GenerateRequest, ctx: CallContext): Promise<JobSnapshot> {
    const spec = this.spec(request.model);
    const found = problems(request.model, spec, request);
    if (found.length) throw new ProviderError('invalid_request', `${RUNWAY_PROVIDER}: ${found.join('; ')}`, { provider: RUNWAY_PROVIDER });
    const client = this.client();
    let call;
    try {
      call = await createBody(request.model, spec, request, this.settings, ctx.signal);
    } catch (err) {
      if (!(err instanceof ImageTooLargeError)) throw err;
      throw new ProviderError('invalid_request', `${RUNWAY_PROVIDER}: ${err.message}`, { provider: RUNWAY_PROVIDER, cause: err });
    }
    // Sent once: retries off for this call whatever the client says.
    const options = { maxRetries: 0, timeout: this.timeoutMs(), ...(ctx.signal ? { signal: ctx.signal } : {}) };
    let created: { id?: unknown; estimatedCost?: { credits?: unknown } };
    try {
      created =
        call.endpoint === 'text_to_video'
          ? await client.textToVideo.create(call.body as unknown as RunwayML.TextToVideoCreateParams, options)
          : await client.imageToVideo.create(call.body as unknown as RunwayML.ImageToVideoCreateParams, options);
    } catch (err) {
      const classified = classifyRunwayError(err, 'create');
      throw classified instanceof ProviderError ? await this.refineRefusal(classified, request, spec, ctx) : classified;
    }
    if (typeof created.id !== 'string' || !created.id) {
      throw new ProviderError(
        'ambiguous_submit',
        `${RUNWAY_PROVIDER}: the create answered without a task id; a task may exist. Check the Runway developer portal's task history`,
        { provider: RUNWAY_PROVIDER, retryable: false },
      );
    }
    return { provider: RUNWAY_PROVIDER, jobId: created.id, state: 'queued', progress: 0, pollAfterMs: POLL_HINT_MS };
  }

  /**
   * A refused create that may be the account rather than the request: a 400 from a balance that cannot pay for the
   * task, or a 429 from the model's spent daily limit (Runway has no per-minute limit). Told apart by the
   * organization's own numbers (`GET /v1/organization`), not by the error's wording; only when those cannot be read
   * does a 400 whose whole `error` is Runway's out-of-credit sentence count as out of credit.
   */
  private async refineRefusal(err: ProviderError, r: GenerateRequest, spec: RunwayModelSpec, ctx: CallContext): Promise<ProviderError> {
    if (err.httpStatus !== 400 && err.httpStatus !== 429) return err;
    const quota = (message: string, code: string) =>
      new ProviderError('quota_exhausted', message, {
        provider: RUNWAY_PROVIDER,
        httpStatus: err.httpStatus!,
        providerCode: code,
        ...(err.requestId ? { requestId: err.requestId } : {}),
        cause: err,
      });
    let org: Awaited<ReturnType<RunwayML['organization']['retrieve']>> | undefined;
    try {
      org = await this.client().organization.retrieve(this.readOptions(ctx));
    } catch {
      org = undefined;
    }
    if (err.httpStatus === 400) {
      const rate =
        wantsAudio(spec, this.settings) && spec.creditsPerSecondWithAudio !== undefined
          ? spec.creditsPerSecondWithAudio
          : spec.creditsPerSecond;
      const needed = Math.round(rate * r.seconds);
      const balance = typeof org?.creditBalance === 'number' ? org.creditBalance : undefined;
      const body = (err.cause as { error?: { error?: unknown } } | undefined)?.error;
      if ((balance !== undefined && balance < needed) || (balance === undefined && body?.error === NOT_ENOUGH_CREDITS)) {
        return quota(
          `${RUNWAY_PROVIDER}: the organization's credit balance${balance !== undefined ? ` (${balance} credits)` : ''} cannot pay for this task ` +
            `(about ${needed} credits). Buy credits in the Runway developer portal, then resume the production`,
          'insufficient_credits',
        );
      }
      return err;
    }
    const used = org?.usage?.models?.[r.model]?.dailyGenerations;
    const max = org?.tier?.models?.[r.model]?.maxDailyGenerations;
    if (typeof used === 'number' && typeof max === 'number' && used >= max) {
      return quota(
        `${RUNWAY_PROVIDER}: ${r.model} reached its daily limit of ${max} generations (a rolling 24 h window of your usage tier). ` +
          'Resume later, or raise the tier in the Runway developer portal',
        'daily_generation_limit',
      );
    }
    return err;
  }

  private async retrieve(jobId: string, op: Operation, ctx: CallContext): Promise<TaskRetrieveResponse> {
    try {
      return await this.client().tasks.retrieve(jobId, this.readOptions(ctx));
    } catch (err) {
      throw classifyRunwayError(err, op, jobId);
    }
  }

  async poll(jobId: string, ctx: CallContext): Promise<JobSnapshot> {
    return this.snapshot(await this.retrieve(jobId, 'read', ctx));
  }

  private snapshot(task: TaskRetrieveResponse): JobSnapshot {
    const base = { provider: RUNWAY_PROVIDER, jobId: task.id, pollAfterMs: POLL_HINT_MS };
    switch (task.status) {
      // THROTTLED: over the tier's concurrency the task is stored and waits its turn: queued, not a failure.
      case 'PENDING':
      case 'THROTTLED':
        return { ...base, state: 'queued', progress: 0 };
      case 'RUNNING':
        return { ...base, state: 'running', progress: Math.max(0, Math.min(1, Number(task.progress) || 0)) };
      case 'SUCCEEDED': {
        const url = task.output?.[0];
        if (typeof url !== 'string' || !url) {
          return {
            ...base,
            state: 'failed',
            failure: { kind: 'job_failed', code: 'NO_OUTPUT', message: `${RUNWAY_PROVIDER}: the task succeeded without an output` },
          };
        }
        this.outputs.set(task.id, url);
        const credits = task.cost?.credits;
        return {
          ...base,
          state: 'succeeded',
          progress: 1,
          expiresAt: new Date(Date.now() + OUTPUT_RETENTION_SECONDS * 1000).toISOString(),
          ...(typeof credits === 'number'
            ? { billed: { units: credits, usd: Math.round(credits * USD_PER_CREDIT * 10_000) / 10_000 } }
            : {}),
        };
      }
      case 'FAILED':
        return { ...base, state: 'failed', failure: taskFailure(task.failureCode, task.failure) };
      case 'CANCELLED':
        return {
          ...base,
          state: 'canceled',
          failure: { kind: 'job_failed', code: 'CANCELLED', message: `${RUNWAY_PROVIDER}: the task was cancelled on Runway` },
        };
      default:
        return { ...base, state: 'running' };
    }
  }

  async download(jobId: string, dest: string, ctx: CallContext): Promise<DownloadedFile> {
    let url = this.outputs.get(jobId);
    // A failed URL is tried again once with a fresh one from the task before the output counts as gone.
    for (let round = 0; ; round++) {
      url ??= await this.freshOutput(jobId, ctx);
      let res: Response;
      try {
        // A signed CDN URL: no key is sent with it.
        res = await fetch(url, {
          signal: ctx.signal ? AbortSignal.any([ctx.signal, AbortSignal.timeout(this.timeoutMs())]) : AbortSignal.timeout(this.timeoutMs()),
        });
      } catch (err) {
        if (ctx.signal?.aborted) throw err;
        throw new ProviderError('transient', `${RUNWAY_PROVIDER}: the output download got no answer (${(err as Error).name})`, {
          provider: RUNWAY_PROVIDER,
          jobId,
          cause: err,
        });
      }
      if (res.status === 403 || res.status === 404 || res.status === 410) {
        await res.body?.cancel();
        this.outputs.delete(jobId);
        url = undefined;
        if (round === 0) continue;
        throw new ProviderError(
          'output_expired',
          `${RUNWAY_PROVIDER}: the output of task ${jobId} is gone (a fresh URL also answered HTTP ${res.status})`,
          {
            provider: RUNWAY_PROVIDER,
            jobId,
            httpStatus: res.status,
          },
        );
      }
      return this.save(res, jobId, dest, ctx);
    }
  }

  /** A fresh signed URL from the task; output_expired when the task is gone or has no output. */
  private async freshOutput(jobId: string, ctx: CallContext): Promise<string> {
    let task: TaskRetrieveResponse;
    try {
      task = await this.retrieve(jobId, 'read', ctx);
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'not_found') {
        throw new ProviderError('output_expired', `${RUNWAY_PROVIDER}: task ${jobId} no longer exists on Runway`, {
          provider: RUNWAY_PROVIDER,
          jobId,
          httpStatus: 404,
        });
      }
      throw err;
    }
    const url = task.status === 'SUCCEEDED' ? task.output?.[0] : undefined;
    if (!url) {
      throw new ProviderError('output_expired', `${RUNWAY_PROVIDER}: task ${jobId} is ${task.status} and has no output to download`, {
        provider: RUNWAY_PROVIDER,
        jobId,
      });
    }
    return url;
  }

  /** Streams the body to `dest` with an idle timeout; a short or broken body is output_corrupt (downloaded again). */
  private async save(res: Response, jobId: string, dest: string, ctx: CallContext): Promise<DownloadedFile> {
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new ProviderError('transient', `${RUNWAY_PROVIDER}: the output download answered HTTP ${res.status}`, {
        provider: RUNWAY_PROVIDER,
        jobId,
        httpStatus: res.status,
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
      throw new ProviderError('output_corrupt', `${RUNWAY_PROVIDER}: the download of ${jobId} broke off (${(err as Error).message})`, {
        provider: RUNWAY_PROVIDER,
        jobId,
        cause: err,
      });
    }
    if (Number.isFinite(expected) && result.bytes !== expected) {
      throw new ProviderError(
        'output_corrupt',
        `${RUNWAY_PROVIDER}: the download of ${jobId} ended at ${result.bytes} of ${expected} bytes`,
        {
          provider: RUNWAY_PROVIDER,
          jobId,
        },
      );
    }
    this.outputs.delete(jobId);
    return { path: dest, ...result };
  }

  /** `DELETE /v1/tasks/{id}`: cancels a task that has not ended (Runway then deletes it); a gone task is fine. */
  async cancel(jobId: string, ctx: CallContext): Promise<{ supported: boolean }> {
    try {
      await this.client().tasks.delete(jobId, this.readOptions(ctx));
    } catch (err) {
      const classified = classifyRunwayError(err, 'cancel', jobId);
      if (classified instanceof ProviderError && classified.kind === 'not_found') return { supported: true };
      throw classified;
    }
    return { supported: true };
  }
}

type TaskRetrieveResponse = RunwayML.TaskRetrieveResponse;
