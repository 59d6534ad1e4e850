/**
 * `kling`: Kling's own API (https://api-singapore.klingai.com), text to video and image to video, by plain `fetch`
 * (Kling publishes no npm SDK). Every request carries a JWT signed from the access key and secret key (auth.ts).
 *
 * Exactly once, without guessing: every create carries an `external_task_id` derived from the request's clientRef
 * and the body itself (request.ts), which Kling keeps unique per account and lets us query by. A retried submit
 * (activities/submit.ts) asks for that id first (`findByClientRef`) and posts only when Kling has no live task under
 * it. A create Kling refuses with a parameter error is checked the same way: if the id is already taken by a live
 * task, that task is the answer ("already created"); if by a task that failed (a resumed production repeats its
 * clientRefs), the create is sent under the next generation of the id. A refused create made nothing, so no attempt
 * ever pays twice.
 *
 * Job ids are `<kind>:<task_id>` (`text2video:8672…`): a query needs the endpoint. Outputs are fetched from the
 * task's video URL without our token (a CDN; the token never leaves for another host).
 */
import { Readable } from 'node:stream';
import type { ProviderCapabilities } from '../../contracts/capabilities.js';
import type { GenerateRequest, JobSnapshot } from '../../contracts/jobs.js';
import type { ProviderSettings } from '../../contracts/provider-settings.js';
import { streamToFile } from '../../store/files.js';
import { ProviderError } from '../errors.js';
import type { CallContext, DownloadedFile, VideoProvider } from '../types.js';
import { KlingTokenSource } from './auth.js';
import { capabilitiesFor, DEFAULT_ACCESS_KEY_ENV, DEFAULT_SECRET_KEY_ENV, KLING_PROVIDER as PROVIDER, KlingSettings } from './catalog.js';
import { classifyKling, envelopeOf, noAnswer, type Operation } from './errors.js';
import { KLING_MODELS, KLING_RETENTION_SECONDS, type KlingModelSpec } from './models.js';
import { bodyDigest, buildCreate, externalTaskId, jobIdOf, parseJobId, requestProblems, type TaskKind } from './request.js';

export const DEFAULT_BASE_URL = 'https://api-singapore.klingai.com';
/** Generations of one clientRef's id looked at before giving up (more means something else is wrong). */
const MAX_GENERATIONS = 20;

/** A task as Kling's create and query answers show it (`data`). */
export interface KlingTask {
  task_id: string;
  task_status?: string;
  task_status_msg?: string;
  task_info?: { external_task_id?: string };
  task_result?: { videos?: { id?: string; url?: string; duration?: string }[] };
  final_unit_deduction?: string;
  created_at?: number;
  updated_at?: number;
}

export interface KlingOptions {
  settings: ProviderSettings;
  env: Readonly<Record<string, string | undefined>>;
  /** Epoch ms for token times (tests). */
  now?: () => number;
}

export class KlingProvider implements VideoProvider {
  readonly id = PROVIDER;
  private readonly baseURL: string;
  private readonly settings: KlingSettings;
  private tokenSource: KlingTokenSource | undefined;

  constructor(private readonly opts: KlingOptions) {
    const parsed = KlingSettings.safeParse(opts.settings);
    if (!parsed.success) {
      throw new ProviderError(
        'invalid_request',
        `providers.kling: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        {
          provider: PROVIDER,
        },
      );
    }
    this.settings = parsed.data;
    this.baseURL = (this.settings.baseURL ?? opts.env.KLING_BASE_URL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  }

  private spec(model: string): KlingModelSpec {
    const spec = KLING_MODELS[model];
    if (!spec) {
      throw new ProviderError('invalid_request', `${PROVIDER} has no model "${model}"; known: ${Object.keys(KLING_MODELS).join(', ')}`, {
        provider: PROVIDER,
      });
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
    const spec = KLING_MODELS[request.model];
    if (!spec) return [`model: kling has no model "${request.model}"; known: ${Object.keys(KLING_MODELS).join(', ')}`];
    return requestProblems(request.model, spec, this.settings, request);
  }

  /** The token source, made on first use so that missing keys fail a request (naming the variables), not the worker. */
  private tokens(): KlingTokenSource {
    if (this.tokenSource) return this.tokenSource;
    const akVar = this.settings.accessKeyEnv ?? DEFAULT_ACCESS_KEY_ENV;
    const skVar = this.settings.secretKeyEnv ?? DEFAULT_SECRET_KEY_ENV;
    const accessKey = this.opts.env[akVar];
    const secretKey = this.opts.env[skVar];
    const missing = [!accessKey && akVar, !secretKey && skVar].filter(Boolean);
    if (!accessKey || !secretKey) {
      throw new ProviderError(
        'auth',
        `no Kling keys: set ${missing.join(' and ')} on the worker (or name other variables with providers.kling.accessKeyEnv / secretKeyEnv)`,
        { provider: PROVIDER },
      );
    }
    this.tokenSource = new KlingTokenSource({ accessKey, secretKey }, this.opts.now);
    return this.tokenSource;
  }

  private timeoutMs(op: Operation): number {
    const configured = this.settings.requestTimeoutMs ?? 60_000;
    return op === 'create' ? configured : Math.min(30_000, configured);
  }

  /** The caller's signal plus a timeout; `timedOut()` tells the two apart. */
  private deadline(ctx: CallContext, ms: number) {
    const timeout = AbortSignal.timeout(ms);
    return { signal: ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout, timedOut: () => timeout.aborted };
  }

  /** One request to the API: Kling's envelope unwrapped to its `data`, or a classified ProviderError. */
  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    ctx: CallContext,
    how: { op: Operation; jobId?: string; input?: ProviderError['input'] },
  ): Promise<T> {
    const { op, jobId } = how;
    const token = await this.tokens().token();
    const d = this.deadline(ctx, this.timeoutMs(op));
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseURL}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          'user-agent': 'storyreel',
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: d.signal,
      });
      // The whole answer is read here: a create whose answer breaks off may still have made its task.
      text = await response.text();
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      throw noAnswer(err, op, d.timedOut(), jobId);
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined; // a gateway's HTML page: classified by its status
    }
    const env = envelopeOf(parsed);
    const failure = !response.ok || env.code !== 0;
    if (failure) {
      const err = classifyKling(response.status, parsed, response.headers, how);
      if (err.providerCode === '1004') this.tokenSource?.invalidate();
      throw err;
    }
    if (env.data === undefined || env.data === null) {
      throw op === 'create'
        ? noAnswer(new Error('the answer has no data'), op, false)
        : new ProviderError('transient', `${PROVIDER}: an answer without data (HTTP ${response.status})`, { provider: PROVIDER });
    }
    return env.data as T;
  }

  async submit(request: GenerateRequest, ctx: CallContext): Promise<JobSnapshot> {
    const problems = this.validate(request);
    if (problems.length) throw new ProviderError('invalid_request', `${PROVIDER}: ${problems.join('; ')}`, { provider: PROVIDER });
    const { kind, body, digest } = await this.create(request);
    let generation = 0;
    for (let posts = 0; ; posts++) {
      const external = externalTaskId(request.clientRef, digest, generation);
      try {
        // A refusal of a text-only create judged the prompt; with images Kling does not say which input it was.
        const task = await this.call<KlingTask>('POST', `/v1/videos/${kind}`, { ...body, external_task_id: external }, ctx, {
          op: 'create',
          ...(kind === 'text2video' ? { input: 'prompt' as const } : {}),
        });
        return this.snapshot(kind, task);
      } catch (err) {
        // A parameter error may be Kling refusing an external_task_id it already has: look the id's generations up.
        if (!(err instanceof ProviderError) || err.kind !== 'invalid_request' || err.httpStatus !== 400 || posts > 0) throw err;
        const newest = await this.newestGeneration(kind, request.clientRef, digest, ctx);
        if (!newest || newest.generation < generation) throw err;
        if (newest.snapshot.state !== 'failed') return newest.snapshot; // already created, for this very request
        generation = newest.generation + 1;
      }
    }
  }

  private async create(request: GenerateRequest) {
    try {
      const { kind, body } = await buildCreate(request.model, this.spec(request.model), this.settings, request);
      return { kind, body, digest: bodyDigest(body) };
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      throw new ProviderError('invalid_request', `${PROVIDER}: ${(err as Error).message}`, { provider: PROVIDER, cause: err });
    }
  }

  /**
   * The newest generation of this request's external_task_id that Kling has (generations are used in order), or
   * undefined when it has none.
   */
  private async newestGeneration(
    kind: TaskKind,
    clientRef: string,
    digest: string,
    ctx: CallContext,
  ): Promise<{ generation: number; snapshot: JobSnapshot } | undefined> {
    let newest: { generation: number; snapshot: JobSnapshot } | undefined;
    for (let g = 0; g < MAX_GENERATIONS; g++) {
      const snapshot = await this.lookup(kind, externalTaskId(clientRef, digest, g), ctx);
      if (!snapshot) return newest;
      newest = { generation: g, snapshot };
    }
    throw new ProviderError(
      'ambiguous_submit',
      `${PROVIDER}: ${MAX_GENERATIONS} tasks already carry this scene's ids; not creating another. Check Kling's console, then retry or skip the scene.`,
      { provider: PROVIDER, retryable: false },
    );
  }

  /** The task Kling has under this external_task_id, or null when it has none. */
  private async lookup(kind: TaskKind, external: string, ctx: CallContext): Promise<JobSnapshot | null> {
    let task: KlingTask;
    try {
      task = await this.call<KlingTask>('GET', `/v1/videos/${kind}/${encodeURIComponent(external)}`, undefined, ctx, { op: 'read' });
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'not_found') return null;
      throw err;
    }
    const echoed = task.task_info?.external_task_id;
    if (echoed !== undefined && echoed !== external) {
      throw new ProviderError(
        'ambiguous_submit',
        `${PROVIDER}: asked for external_task_id ${external}, Kling answered with task ${task.task_id} of ${echoed}; not guessing`,
        { provider: PROVIDER, retryable: false },
      );
    }
    return this.snapshot(kind, task);
  }

  /**
   * The task a create for this clientRef and request made (the newest generation of its id), or null when Kling has
   * none or the newest one failed (then a create under the next generation is the way on).
   */
  async findByClientRef(clientRef: string, ctx: CallContext, request: GenerateRequest): Promise<JobSnapshot | null> {
    const { kind, digest } = await this.create(request);
    const newest = await this.newestGeneration(kind, clientRef, digest, ctx);
    return newest && newest.snapshot.state !== 'failed' ? newest.snapshot : null;
  }

  private job(jobId: string): { kind: TaskKind; taskId: string } {
    const parsed = parseJobId(jobId);
    if (!parsed)
      throw new ProviderError('not_found', `${PROVIDER}: "${jobId}" is not a kling job id (<kind>:<task_id>)`, { provider: PROVIDER });
    return parsed;
  }

  private async task(jobId: string, ctx: CallContext): Promise<{ kind: TaskKind; task: KlingTask }> {
    const { kind, taskId } = this.job(jobId);
    return { kind, task: await this.call<KlingTask>('GET', `/v1/videos/${kind}/${taskId}`, undefined, ctx, { op: 'read', jobId }) };
  }

  async poll(jobId: string, ctx: CallContext): Promise<JobSnapshot> {
    const { kind, task } = await this.task(jobId, ctx);
    return this.snapshot(kind, task);
  }

  async download(jobId: string, dest: string, ctx: CallContext): Promise<DownloadedFile> {
    let url: string | undefined;
    try {
      url = (await this.task(jobId, ctx)).task.task_result?.videos?.[0]?.url;
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'not_found')
        throw new ProviderError('output_expired', `${PROVIDER}: task ${jobId} is gone (Kling deletes videos after 30 days)`, {
          provider: PROVIDER,
          jobId,
          cause: err,
        });
      throw err;
    }
    if (!url) throw new ProviderError('output_expired', `${PROVIDER}: task ${jobId} has no video URL`, { provider: PROVIDER, jobId });
    const d = this.deadline(ctx, this.timeoutMs('download'));
    let response: Response;
    try {
      // A CDN URL: fetched without our token.
      response = await fetch(url, { signal: d.signal, headers: { 'user-agent': 'storyreel' } });
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      throw noAnswer(err, 'download', d.timedOut(), jobId);
    }
    if (!response.ok) {
      await response.body?.cancel();
      const gone = [403, 404, 410].includes(response.status);
      throw new ProviderError(
        gone ? 'output_expired' : 'transient',
        `${PROVIDER}: the video of ${jobId} answered HTTP ${response.status}${gone ? ' (expired)' : ''}`,
        { provider: PROVIDER, jobId, httpStatus: response.status },
      );
    }
    if (!response.body)
      throw new ProviderError('output_corrupt', `${PROVIDER}: empty download for ${jobId}`, { provider: PROVIDER, jobId });
    const expected = Number(response.headers.get('content-length') ?? NaN);
    let result: { sha256: string; bytes: number };
    try {
      result = await streamToFile(Readable.from(response.body as unknown as AsyncIterable<Uint8Array>), dest, {
        idleTimeoutMs: this.timeoutMs('read'),
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

  /** Kling's API has no cancel: a task runs to its end. */
  cancel(): Promise<{ supported: boolean }> {
    return Promise.resolve({ supported: false });
  }

  private snapshot(kind: TaskKind, t: KlingTask): JobSnapshot {
    const base = { provider: PROVIDER, jobId: jobIdOf(kind, String(t.task_id)) };
    switch (t.task_status) {
      case 'submitted':
        return { ...base, state: 'queued', progress: 0 };
      case 'succeed': {
        const video = t.task_result?.videos?.[0];
        const seconds = Number(video?.duration);
        const units = Number(t.final_unit_deduction);
        const made = t.updated_at ?? t.created_at;
        return {
          ...base,
          state: 'succeeded',
          progress: 1,
          ...(typeof made === 'number' ? { expiresAt: new Date(made + KLING_RETENTION_SECONDS * 1000).toISOString() } : {}),
          ...(Number.isFinite(seconds) && seconds > 0 ? { seconds } : {}),
          ...(t.final_unit_deduction !== undefined && Number.isFinite(units)
            ? {
                billed: {
                  units,
                  ...(this.settings.usdPerUnit ? { usd: Math.round(units * this.settings.usdPerUnit * 10_000) / 10_000 } : {}),
                },
              }
            : {}),
        };
      }
      case 'failed':
        // Kling gives a failed task a reason in words only (no code), so it is a job failure: a new task, bounded by
        // maxJobAttempts. Content refused at create time comes back as code 1301 (content_policy).
        return {
          ...base,
          state: 'failed',
          failure: { kind: 'job_failed', code: 'failed', message: t.task_status_msg?.slice(0, 500) || 'the task failed' },
        };
      default:
        return { ...base, state: 'running' };
    }
  }
}
