/**
 * The built-in `local` provider: renders real H.264/AAC clips with ffmpeg, offline and free. It behaves like a
 * remote job service so workflows take exactly the path they take for paid providers: submit returns a job id at
 * once, rendering happens in the background, poll reports progress, download streams the file.
 *
 * Jobs live on disk under `root` (jobs/<id>.json, outputs/<id>.mp4), so a job survives the worker that submitted
 * it: if that process died, the next poll resumes the render, as a remote service would simply keep going.
 * Settings can add latency, an "instant" mode (one template clip per size and length, for benchmarks) and
 * injected faults.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { renderCard } from '../../media/render-card.js';
import { hashOf } from '../../contracts/hash.js';
import { localCatalog, LocalSettings } from './catalog.js';
import { ProviderError } from '../errors.js';
import type { CallContext, DownloadedFile, VideoProvider } from '../types.js';
import { fileSize, isProcessAlive, streamToFile, tempPathFor, writeJsonAtomic } from '../../store/files.js';
import { secondsAllowed, describeSeconds } from '../../contracts/capabilities.js';
import type { ProviderSettings } from '../../contracts/provider-settings.js';
import type { ErrorKind } from '../../contracts/errors.js';
import type { GenerateRequest, JobSnapshot } from '../../contracts/jobs.js';
import type { ProviderCapabilities } from '../../contracts/capabilities.js';

/** One job as the local provider keeps it on disk (jobs/<id>.json under its root). */
export interface LocalJob {
  jobId: string;
  clientRef: string;
  createdAt: number;
  request: GenerateRequest;
  latencyMs: number;
  render: 'full' | 'instant';
  ownerPid: number;
  failure?: { kind: 'job_failed' | 'content_policy'; message: string; code?: string };
  canceled?: boolean;
}

/** The look of a scene's clip: a colour and a tone derived from its content (the same request, the same look). */
export function localLook(request: Pick<GenerateRequest, 'prompt' | 'title'>): { color: number; toneHz: number } {
  const h = hashOf({ p: request.prompt, t: request.title ?? '' });
  const hue = parseInt(h.slice(0, 4), 16) % 360;
  const tone = 220 + (parseInt(h.slice(4, 8), 16) % 12) * 55;
  return { color: hsvToRgb(hue, 0.65, 0.8), toneHz: tone };
}

function hsvToRgb(h: number, s: number, v: number): number {
  const c = v * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = v - c;
  const [r, g, b] = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x] : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  const to = (n: number) => Math.round((n + m) * 255);
  return (to(r) << 16) | (to(g) << 8) | to(b);
}

const sceneOf = (clientRef: string) => clientRef.split(':')[1];

/** Where a worker with this work dir keeps its local jobs and outputs. */
export const localProviderRoot = (workDir: string): string => join(workDir, 'local-provider');

/** Every job under `root`, oldest file name first (none when nothing was ever submitted); unreadable files are skipped. */
export async function localJobs(root: string): Promise<LocalJob[]> {
  const dir = join(root, 'jobs');
  const files = await readdir(dir).catch(() => [] as string[]);
  const jobs: LocalJob[] = [];
  for (const f of files.filter((n) => n.endsWith('.json')).sort()) {
    const job = await readFile(join(dir, f), 'utf8').then(
      (t) => JSON.parse(t) as LocalJob,
      () => undefined,
    );
    if (job) jobs.push(job);
  }
  return jobs;
}

export class LocalProvider implements VideoProvider {
  readonly id = 'local';
  private readonly active = new Map<string, { done: Promise<void>; abort: AbortController; progress: number }>();
  private readonly templates = new Map<string, Promise<string>>();

  constructor(
    private readonly root: string,
    settings: ProviderSettings = {},
  ) {
    this.settings = LocalSettings.parse(settings);
  }

  private readonly settings: LocalSettings;

  capabilities(model: string): ProviderCapabilities {
    const caps = localCatalog.models[model];
    if (!caps) throw new ProviderError('invalid_request', `local has no model "${model}"; use local-v1`, { provider: this.id });
    return caps;
  }

  assertAvailable(model: string): void {
    this.capabilities(model);
  }

  validate(request: GenerateRequest): string[] {
    const caps = this.capabilities(request.model);
    const problems: string[] = [];
    if (!secondsAllowed(caps.seconds, request.seconds))
      problems.push(`seconds: ${request.seconds} not allowed; allowed: ${describeSeconds(caps.seconds)}`);
    if (request.size.width % 2 || request.size.height % 2) problems.push('size: width and height must be even');
    return problems;
  }

  async submit(request: GenerateRequest, ctx: CallContext): Promise<JobSnapshot> {
    ctx.signal?.throwIfAborted();
    this.assertAvailable(request.model);
    const problems = this.validate(request);
    if (problems.length) throw new ProviderError('invalid_request', problems.join('; '), { provider: this.id });
    const scene = sceneOf(request.clientRef);
    const fault = await this.takeFault('submit', scene);
    if (fault) throw this.faultError(fault, scene);
    const jobFault = await this.takeFault('job', scene);
    const job: LocalJob = {
      jobId: `local_${randomUUID().replaceAll('-', '')}`,
      clientRef: request.clientRef,
      createdAt: Date.now(),
      request,
      latencyMs: this.settings.latencyMs ?? 0,
      render: this.settings.render ?? 'full',
      ownerPid: process.pid,
      ...(jobFault
        ? {
            failure:
              jobFault === 'content_policy'
                ? {
                    kind: 'content_policy' as const,
                    code: 'moderation_blocked',
                    message: 'The local provider was told to reject this prompt (injected fault).',
                  }
                : { kind: 'job_failed' as const, code: 'processing_error', message: 'Injected job failure.' },
          }
        : {}),
    };
    await writeJsonAtomic(this.jobPath(job.jobId), job);
    if (!job.failure) this.startRender(job);
    return this.snapshot(job);
  }

  async poll(jobId: string, ctx: CallContext): Promise<JobSnapshot> {
    ctx.signal?.throwIfAborted();
    const job = await this.readJob(jobId);
    if (!job.failure && !job.canceled && !this.active.has(jobId) && (await fileSize(this.outputPath(jobId))) === undefined) {
      if (job.ownerPid === process.pid || !isProcessAlive(job.ownerPid)) {
        // The process that was rendering is gone: carry on here, as a remote service would.
        job.ownerPid = process.pid;
        await writeJsonAtomic(this.jobPath(jobId), job);
        this.startRender(job);
      }
    }
    return this.snapshot(job);
  }

  async download(jobId: string, dest: string, ctx: CallContext): Promise<DownloadedFile> {
    const job = await this.readJob(jobId);
    const output = this.outputPath(jobId);
    const size = await fileSize(output);
    if (size === undefined) {
      throw new ProviderError('output_expired', `local job ${jobId} has no output`, { provider: this.id, jobId });
    }
    const fault = await this.takeFault('download', sceneOf(job.clientRef));
    const { sha256, bytes } = await streamToFile(createReadStream(output), dest, {
      idleTimeoutMs: 30_000,
      expectedBytes: size,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onProgress: (f) => ctx.onProgress?.(f),
    });
    if (fault) {
      // An injected corrupt download: cut the file in half, as a dropped connection would.
      await truncate(dest, Math.floor(bytes / 2));
      return { path: dest, bytes: Math.floor(bytes / 2), sha256 };
    }
    return { path: dest, bytes, sha256 };
  }

  async cancel(jobId: string): Promise<{ supported: boolean }> {
    const job = await this.readJob(jobId).catch(() => undefined);
    this.active.get(jobId)?.abort.abort();
    if (job) await writeJsonAtomic(this.jobPath(jobId), { ...job, canceled: true });
    return { supported: true };
  }

  /** Local jobs carry our clientRef, so reconciliation is exact. */
  async findByClientRef(clientRef: string): Promise<JobSnapshot | null> {
    const job = (await localJobs(this.root)).find((j) => j.clientRef === clientRef);
    return job ? this.snapshot(job) : null;
  }

  /** Waits for any renders this process started (tests and shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.active.values()].map((a) => a.done));
  }

  private async snapshot(job: LocalJob): Promise<JobSnapshot> {
    const base = { provider: this.id, jobId: job.jobId, pollAfterMs: this.settings.pollIntervalMs ?? 250 };
    if (job.canceled) return { ...base, state: 'canceled' };
    const elapsed = Date.now() - job.createdAt;
    const latencyDone = elapsed >= job.latencyMs;
    if (job.failure) {
      return latencyDone
        ? { ...base, state: 'failed', failure: job.failure }
        : { ...base, state: 'running', progress: elapsed / Math.max(1, job.latencyMs) };
    }
    const rendered = (await fileSize(this.outputPath(job.jobId))) !== undefined;
    if (rendered && latencyDone) {
      return {
        ...base,
        state: 'succeeded',
        progress: 1,
        seconds: job.request.seconds,
        expiresAt: new Date(job.createdAt + 7 * 86_400_000).toISOString(),
      };
    }
    const renderProgress = rendered ? 1 : (this.active.get(job.jobId)?.progress ?? 0);
    const latencyProgress = job.latencyMs ? Math.min(1, elapsed / job.latencyMs) : 1;
    const progress = Math.min(0.99, Math.min(renderProgress, latencyProgress));
    // A rendered job waiting out its latency knows when it ends: the hint says so (a remote service's Retry-After).
    const endsInMs = rendered && this.settings.pollIntervalMs === undefined ? job.latencyMs - elapsed + 5 : Infinity;
    return { ...base, pollAfterMs: Math.min(base.pollAfterMs, endsInMs), state: progress > 0 ? 'running' : 'queued', progress };
  }

  private startRender(job: LocalJob): void {
    const abort = new AbortController();
    const entry = { abort, progress: 0, done: Promise.resolve() };
    entry.done = this.render(job, abort.signal, (p) => (entry.progress = p))
      .catch(async (err: unknown) => {
        if (abort.signal.aborted) return;
        await writeJsonAtomic(this.jobPath(job.jobId), {
          ...job,
          failure: { kind: 'job_failed', code: 'render_error', message: `local render failed: ${(err as Error).message}` },
        });
      })
      .finally(() => this.active.delete(job.jobId));
    this.active.set(job.jobId, entry);
  }

  private async render(job: LocalJob, signal: AbortSignal, onProgress: (p: number) => void): Promise<void> {
    const output = this.outputPath(job.jobId);
    await mkdir(join(this.root, 'outputs'), { recursive: true });
    const tmp = tempPathFor(output);
    const r = job.request;
    try {
      if (job.render === 'instant') {
        await copyFile(await this.template(r), tmp);
      } else {
        const look = localLook(r);
        await renderCard(
          {
            width: r.size.width,
            height: r.size.height,
            fps: r.fps,
            seconds: r.seconds,
            ...look,
            title: r.title ?? 'Scene',
            body: r.prompt,
            ...(r.firstFrame ? { firstFrame: r.firstFrame.path } : {}),
            ...(r.lastFrame ? { lastFrame: r.lastFrame.path } : {}),
          },
          tmp,
          { signal, onProgress: (p) => onProgress(p.fraction) },
        );
      }
      await rename(tmp, output);
      onProgress(1);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** One rendered clip per size/fps/length, reused by every instant job. */
  private template(r: GenerateRequest): Promise<string> {
    const key = `${r.size.width}x${r.size.height}-${r.fps}-${r.seconds}`;
    let pending = this.templates.get(key);
    if (!pending) {
      pending = (async () => {
        const path = join(this.root, 'templates', `${key}.mp4`);
        if ((await fileSize(path)) !== undefined) return path;
        await mkdir(join(this.root, 'templates'), { recursive: true });
        const tmp = tempPathFor(path);
        await renderCard(
          {
            width: r.size.width,
            height: r.size.height,
            fps: r.fps,
            seconds: r.seconds,
            color: 0x404860,
            toneHz: 440,
            title: 'instant',
            body: key,
          },
          tmp,
        );
        await rename(tmp, path);
        return path;
      })();
      pending.catch(() => this.templates.delete(key));
      this.templates.set(key, pending);
    }
    return pending;
  }

  /**
   * Consumes one injected fault matching (on, scene). Counters live on disk so they hold across worker restarts
   * and activity retries.
   */
  private async takeFault(on: 'submit' | 'job' | 'download', scene: string | undefined): Promise<ErrorKind | undefined> {
    const faults = this.settings.faults ?? [];
    for (let i = 0; i < faults.length; i++) {
      const f = faults[i]!;
      if (f.on !== on || (f.scene && f.scene !== scene)) continue;
      const counter = join(this.root, 'faults', `${hashOf({ f, i, scene: f.scene ? scene : '*' }).slice(0, 16)}.json`);
      let used = 0;
      try {
        used = (JSON.parse(await readFile(counter, 'utf8')) as { used: number }).used;
      } catch {
        // first use
      }
      if (f.times !== 0 && used >= f.times) continue;
      await writeJsonAtomic(counter, { used: used + 1 });
      return f.kind;
    }
    return undefined;
  }

  private faultError(kind: ErrorKind, scene: string | undefined): ProviderError {
    return new ProviderError(kind, `injected ${kind} fault${scene ? ` for scene ${scene}` : ''}`, {
      provider: this.id,
      ...(kind === 'rate_limited' ? { retryAfterMs: 1000 } : {}),
      ...(kind === 'content_policy' ? { input: 'prompt' as const, providerCode: 'moderation_blocked' } : {}),
    });
  }

  private jobPath(jobId: string): string {
    if (!/^local_[0-9a-f]{32}$/.test(jobId)) throw new ProviderError('not_found', `no local job ${jobId}`, { provider: this.id, jobId });
    return join(this.root, 'jobs', `${jobId}.json`);
  }

  private outputPath(jobId: string): string {
    return join(this.root, 'outputs', `${jobId}.mp4`);
  }

  private async readJob(jobId: string): Promise<LocalJob> {
    try {
      return JSON.parse(await readFile(this.jobPath(jobId), 'utf8')) as LocalJob;
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      throw new ProviderError('not_found', `no local job ${jobId}`, { provider: this.id, jobId, cause: err });
    }
  }
}
