/**
 * `comfyui`: a self-hosted ComfyUI server through its HTTP API and WebSocket. A scene's model is a workflow (a
 * shipped template or the storyboard's own, in API format); the request's values are written into it by its mapping,
 * first/last frames are uploaded (content-addressed names, so an upload repeated is harmless) and the graph is queued
 * with `POST /prompt`.
 *
 * Exactly once, without guessing: the prompt id is chosen here, a UUIDv5 of the request's clientRef and a generation
 * number. A retried submit looks the id up in /history and /queue (findByClientRef) before anything is posted, so a
 * lost answer never queues the same work twice. The generation moves past ids the server already has (from an earlier
 * run of the same production, whose clientRefs repeat), because ComfyUI queues and runs a reused id again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { v5 as uuidv5 } from 'uuid';
import { describeSeconds, secondsAllowed, sizeText, type ProviderCapabilities } from '../../contracts/capabilities.js';
import type { GenerateRequest, ImageInput, JobSnapshot } from '../../contracts/jobs.js';
import { withoutFiles, type ProviderSettings } from '../../contracts/provider-settings.js';
import { streamToFile } from '../../store/files.js';
import { ProviderError } from '../errors.js';
import type { CallContext, DownloadedFile, VideoProvider } from '../types.js';
import { ComfyClient } from './client.js';
import { historyEntry, outcomeOf, pickVideo, QueueLists, queueState, storyreelModel, type HistoryEntry } from './history.js';
import { ProgressSocket } from './progress.js';
import { ComfyUISettings } from './settings.js';
import { capabilitiesOf, framesFor, PROVIDER, resolveModel, type WorkflowSpec } from './spec.js';
import { TEMPLATE_IDS } from './templates/index.js';
import { applyValues, type ApiGraph, type SlotValues } from './workflow.js';

/** Namespace of our prompt ids (UUIDv5 of `<clientRef>#<generation>`). */
const PROMPT_ID_NAMESPACE = '6f0b6c52-3c1e-4b8e-9d57-2c6a4f1e9b31';
/** More earlier runs than this under one clientRef means something else is wrong: refuse rather than scan on. */
const MAX_GENERATIONS = 50;
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8188';
const FINISHED_ENTRIES_KEPT = 256;

export interface ComfyUIOptions {
  settings: ProviderSettings;
  env: Readonly<Record<string, string | undefined>>;
  /** A download fails when no byte arrives for this long, ms. Default: requestTimeoutMs, at most 30 s. */
  idleTimeoutMs?: number;
}

/**
 * Every save node writes under `storyreel/<prompt id>`: ComfyUI caches a node whose inputs did not change, and a
 * cached save node reports the file it saved before (perhaps deleted since) instead of saving again. With its own
 * prefix, a new job's save node always runs (cheaply, when everything upstream is cached) and its file is traceable.
 */
function savePerPrompt(graph: ApiGraph, promptId: string): void {
  for (const node of Object.values(graph)) {
    if (typeof node.inputs.filename_prefix === 'string') node.inputs.filename_prefix = `storyreel/${promptId}`;
  }
}

/** The prompt id of a clientRef's generation: deterministic, a canonical lowercase UUID as ComfyUI requires. */
export function promptIdFor(clientRef: string, generation: number): string {
  return uuidv5(`${clientRef}#${generation}`, PROMPT_ID_NAMESPACE);
}

type Located = { promptId: string; snapshot: JobSnapshot };

export class ComfyUIProvider implements VideoProvider {
  readonly id = PROVIDER;
  private readonly baseURL: string;
  private readonly own: ComfyUISettings;
  private clientInstance: ComfyClient | undefined;
  private socket: ProgressSocket | undefined;
  private readonly finishedEntries = new Map<string, HistoryEntry>();

  constructor(private readonly opts: ComfyUIOptions) {
    this.baseURL = opts.settings.baseURL ?? opts.env.COMFYUI_BASE_URL ?? DEFAULT_BASE_URL;
    this.own = ComfyUISettings.parse(withoutFiles(opts.settings));
  }

  private spec(model: string): WorkflowSpec {
    const r = resolveModel(model, this.opts.settings);
    if (!r) {
      const known = [...TEMPLATE_IDS, ...Object.keys(this.own.workflows ?? {})];
      throw new ProviderError('invalid_request', `${PROVIDER} has no model "${model}"; known: ${known.join(', ')}`, { provider: PROVIDER });
    }
    if ('issues' in r) {
      throw new ProviderError('invalid_request', `${PROVIDER}: ${r.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
        provider: PROVIDER,
      });
    }
    return r.spec;
  }

  capabilities(model: string): ProviderCapabilities {
    return capabilitiesOf(this.spec(model));
  }

  assertAvailable(model: string): void {
    this.spec(model);
  }

  validate(request: GenerateRequest): string[] {
    const spec = this.spec(request.model);
    const caps = capabilitiesOf(spec);
    const problems: string[] = [];
    if (!secondsAllowed(caps.seconds, request.seconds)) {
      problems.push(`seconds: ${request.seconds} is not allowed by ${request.model}; allowed: ${describeSeconds(caps.seconds)}`);
    }
    if (!caps.sizes.some((s) => s.width === request.size.width && s.height === request.size.height)) {
      problems.push(`size: ${sizeText(request.size)} is not one of ${request.model}'s sizes: ${caps.sizes.map(sizeText).join(', ')}`);
    }
    if (request.firstFrame && !caps.firstFrame) problems.push(`firstFrame: ${request.model} has no first-frame input in its mapping`);
    if (!request.firstFrame && spec.firstFrameRequired) problems.push(`firstFrame: ${request.model} needs a first-frame image`);
    if (request.lastFrame && !caps.lastFrame) problems.push(`lastFrame: ${request.model} has no last-frame input in its mapping`);
    if (request.referenceImages?.length) problems.push('referenceImages: not supported by ComfyUI workflows here');
    if (request.extendJobId || request.remixJobId) problems.push('extend/remix: not supported by ComfyUI');
    if (request.prompt.length > caps.promptLimit) problems.push(`prompt: ${request.prompt.length} characters, at most ${caps.promptLimit}`);
    return problems;
  }

  private client(): ComfyClient {
    if (this.clientInstance) return this.clientInstance;
    this.clientInstance = new ComfyClient({
      baseURL: this.baseURL,
      headers: this.authHeaders(),
      timeoutMs: this.opts.settings.requestTimeoutMs ?? 60_000,
    });
    return this.clientInstance;
  }

  /** `Authorization: Bearer` for a proxy in front of ComfyUI, when apiKeyEnv names the key's variable. */
  private authHeaders(): Record<string, string> {
    const name = this.opts.settings.apiKeyEnv;
    if (!name) return {};
    const key = this.opts.env[name];
    if (!key)
      throw new ProviderError('auth', `no key: set the environment variable ${name} on the worker (providers.comfyui.apiKeyEnv)`, {
        provider: PROVIDER,
      });
    return { authorization: `Bearer ${key}` };
  }

  private progress(): ProgressSocket {
    if (!this.socket) {
      const clientId = randomUUID().replace(/-/g, '');
      this.socket = new ProgressSocket(ProgressSocket.urlFor(this.baseURL, clientId), clientId, this.authHeaders());
    }
    return this.socket;
  }

  async submit(request: GenerateRequest, ctx: CallContext): Promise<JobSnapshot> {
    const problems = this.validate(request);
    if (problems.length) throw new ProviderError('invalid_request', `${PROVIDER}: ${problems.join('; ')}`, { provider: PROVIDER });
    const spec = this.spec(request.model);
    const client = this.client();
    const values: SlotValues = {
      prompt: request.prompt,
      ...(request.negativePrompt ? { negativePrompt: request.negativePrompt } : {}),
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      width: request.size.width,
      height: request.size.height,
      frames: framesFor(spec, request.seconds),
      fps: spec.fps,
      ...(request.firstFrame ? { firstFrame: await this.upload(request.firstFrame, ctx) } : {}),
      ...(request.lastFrame ? { lastFrame: await this.upload(request.lastFrame, ctx) } : {}),
    };
    const defaultSeed = parseInt(createHash('sha256').update(request.prompt).digest('hex').slice(0, 8), 16);
    const promptId = await this.freePromptId(request.clientRef, ctx);
    const graph = applyValues(spec.graph, spec.targets, values, spec.fixed, defaultSeed);
    savePerPrompt(graph, promptId);
    const socket = this.progress();
    socket.watch(promptId, Object.keys(graph).length);
    let answer: { prompt_id?: unknown } | undefined;
    try {
      answer = await client.json(
        'POST',
        '/prompt',
        'create',
        {
          prompt: graph,
          client_id: socket.clientId,
          prompt_id: promptId,
          // Shown in ComfyUI's queue, and how a download finds the workflow's output node again.
          extra_data: { storyreel: { clientRef: request.clientRef, model: request.model } },
        },
        ctx.signal,
      );
    } catch (err) {
      if (err instanceof ProviderError && err.kind !== 'ambiguous_submit') socket.forget(promptId);
      throw err;
    }
    // A server from before client-chosen ids ignores ours and answers its own: that job is the one to follow,
    // though a retry could not find it by our id.
    const jobId = typeof answer?.prompt_id === 'string' && answer.prompt_id ? answer.prompt_id : promptId;
    if (jobId !== promptId) socket.watch(jobId, Object.keys(graph).length);
    return { provider: PROVIDER, jobId, state: 'queued', progress: 0 };
  }

  /** Uploads an image under a name made from its content: a repeated upload finds the same file. */
  private async upload(image: ImageInput, ctx: CallContext): Promise<string> {
    const bytes = await readFile(image.path);
    const ext = image.mime === 'image/jpeg' ? 'jpg' : image.mime.split('/')[1];
    const name = `storyreel-${createHash('sha256').update(bytes).digest('hex').slice(0, 24)}.${ext}`;
    const form = new FormData();
    form.append('image', new Blob([bytes], { type: image.mime }), name);
    form.append('type', 'input');
    form.append('subfolder', 'storyreel');
    const answer = (await this.client().form('/upload/image', form, ctx.signal)) as { name?: unknown; subfolder?: unknown };
    const stored = typeof answer.name === 'string' ? answer.name : name;
    const folder = typeof answer.subfolder === 'string' ? answer.subfolder : 'storyreel';
    return folder ? `${folder}/${stored}` : stored;
  }

  /** The first generation's prompt id the server does not know (neither in its history nor its queue). */
  private async freePromptId(clientRef: string, ctx: CallContext): Promise<string> {
    const queue = await this.queue(ctx);
    for (let g = 0; g < MAX_GENERATIONS; g++) {
      const id = promptIdFor(clientRef, g);
      if (!(await this.locate(id, queue, ctx))) return id;
    }
    throw new ProviderError('invalid_request', `${PROVIDER}: ${MAX_GENERATIONS} prompts already exist for ${clientRef}`, {
      provider: PROVIDER,
    });
  }

  private async queue(ctx: CallContext): Promise<QueueLists> {
    return QueueLists.parse((await this.client().json('GET', '/queue', 'read', undefined, ctx.signal)) ?? {});
  }

  /** Where a prompt id stands: in the history (with its outcome), running, pending, or nowhere (undefined). */
  private async locate(promptId: string, queue: QueueLists | undefined, ctx: CallContext): Promise<Located | undefined> {
    const body = await this.client().json('GET', `/history/${encodeURIComponent(promptId)}`, 'read', undefined, ctx.signal);
    const entry = historyEntry(body, promptId);
    if (entry) {
      this.remember(promptId, entry);
      return { promptId, snapshot: this.finished(promptId, outcomeOf(entry)) };
    }
    const q = queueState(queue ?? (await this.queue(ctx)), promptId);
    if (!q) return undefined;
    const progress = q.state === 'running' ? (this.socket?.progressOf(promptId) ?? 0) : 0;
    return { promptId, snapshot: { provider: PROVIDER, jobId: promptId, state: q.state === 'running' ? 'running' : 'queued', progress } };
  }

  /** History entries of finished prompts this instance saw, newest last (a few hundred at most). */
  private remember(promptId: string, entry: HistoryEntry): void {
    this.finishedEntries.delete(promptId);
    this.finishedEntries.set(promptId, entry);
    if (this.finishedEntries.size > FINISHED_ENTRIES_KEPT) this.finishedEntries.delete(this.finishedEntries.keys().next().value!);
  }

  private finished(promptId: string, outcome: ReturnType<typeof outcomeOf>): JobSnapshot {
    this.socket?.forget(promptId);
    const base = { provider: PROVIDER, jobId: promptId };
    if (outcome.state === 'succeeded') return { ...base, state: 'succeeded', progress: 1 };
    if (outcome.state === 'canceled')
      return { ...base, state: 'canceled', failure: { kind: 'job_failed', code: 'interrupted', message: outcome.message } };
    const policy = this.own.policyExceptionTypes?.includes(outcome.exceptionType);
    return {
      ...base,
      state: 'failed',
      failure: { kind: policy ? 'content_policy' : 'job_failed', code: outcome.exceptionType, message: outcome.message },
    };
  }

  async poll(jobId: string, ctx: CallContext): Promise<JobSnapshot> {
    const found = (await this.locate(jobId, undefined, ctx)) ?? (await this.locate(jobId, undefined, ctx)); // it may have just ended
    if (found) return found.snapshot;
    // Neither queued nor in the history: deleted from the queue, or the server restarted (its history is in memory).
    return {
      provider: PROVIDER,
      jobId,
      state: 'failed',
      failure: {
        kind: 'job_failed',
        code: 'prompt_lost',
        message: `ComfyUI no longer knows prompt ${jobId} (deleted from its queue, or the server restarted)`,
      },
    };
  }

  /**
   * The prompt a submit for this clientRef queued, or null: generations are looked up in order and the newest one
   * that exists is the candidate. A newest one that failed or was interrupted belongs to an earlier attempt that is
   * over (an earlier run, or a prompt that failed at once), so null lets the caller queue the next generation.
   */
  async findByClientRef(clientRef: string, ctx: CallContext): Promise<JobSnapshot | null> {
    const queue = await this.queue(ctx);
    let newest: Located | undefined;
    for (let g = 0; g < MAX_GENERATIONS; g++) {
      const found = await this.locate(promptIdFor(clientRef, g), queue, ctx);
      if (!found) break;
      newest = found;
    }
    if (!newest || newest.snapshot.state === 'failed' || newest.snapshot.state === 'canceled') return null;
    if (newest.snapshot.state !== 'succeeded') this.progress().watch(newest.promptId, 0);
    return newest.snapshot;
  }

  async download(jobId: string, dest: string, ctx: CallContext): Promise<DownloadedFile> {
    // The entry the poll that saw the job finish read; another worker (or a restart) reads it again.
    const entry =
      this.finishedEntries.get(jobId) ??
      historyEntry(await this.client().json('GET', `/history/${encodeURIComponent(jobId)}`, 'read', undefined, ctx.signal), jobId);
    const outcome = entry ? outcomeOf(entry) : undefined;
    if (!entry || !outcome || outcome.state !== 'succeeded') {
      throw new ProviderError('output_expired', `${PROVIDER}: prompt ${jobId} is not in the server's history any more (restarted?)`, {
        provider: PROVIDER,
        jobId,
      });
    }
    const model = storyreelModel(entry);
    const resolved = model === undefined ? undefined : resolveModel(model, this.opts.settings);
    const file = pickVideo(outcome.outputs, resolved && 'spec' in resolved ? resolved.spec.outputNode : undefined);
    if (!file) {
      const listed = outcome.outputs.map((f) => `${f.node}:${f.key}/${f.filename} (${f.type})`).join(', ') || 'nothing';
      // The workflow's fault, not the job's: another job of it would save nothing either.
      throw new ProviderError(
        'invalid_request',
        `${PROVIDER}: prompt ${jobId} saved no video to the output folder (it listed ${listed}); end the workflow with SaveVideo or VHS_VideoCombine`,
        { provider: PROVIDER, jobId },
      );
    }
    const res = await this.client().stream('/view', { filename: file.filename, subfolder: file.subfolder, type: file.type }, ctx.signal);
    if (!res.body) throw new ProviderError('output_corrupt', `${PROVIDER}: empty download for ${jobId}`, { provider: PROVIDER, jobId });
    const expected = Number(res.headers.get('content-length') ?? NaN);
    let result: { sha256: string; bytes: number };
    try {
      result = await streamToFile(Readable.from(res.body as unknown as AsyncIterable<Uint8Array>), dest, {
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

  /** Pending: deleted from the queue; running: interrupted (newer servers check the id; older ones stop whatever runs). */
  async cancel(jobId: string, ctx: CallContext): Promise<{ supported: boolean }> {
    const q = queueState(await this.queue(ctx), jobId);
    if (q?.state === 'pending') await this.client().json('POST', '/queue', 'cancel', { delete: [jobId] }, ctx.signal);
    else if (q?.state === 'running') await this.client().json('POST', '/interrupt', 'cancel', { prompt_id: jobId }, ctx.signal);
    this.socket?.forget(jobId);
    return { supported: true };
  }
}
