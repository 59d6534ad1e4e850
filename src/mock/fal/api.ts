/**
 * The queue's handlers: submit, status (202 while queued or running, 200 once COMPLETED), status stream (SSE), result,
 * cancel, and the storage uploads. See README.md for the contract and the choices made where fal's behaviour is
 * not documented.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  imageInfo,
  isUploadedFile,
  json,
  JobStore,
  outcomeOf,
  text,
  type Asset,
  type HandlerResult,
  type Job,
  type JobView,
  type MockKit,
  type MockRequest,
  type RenderSpec,
} from '../kit/index.js';
import { type FalError, modelError, moderation, requestError, type DetailItem } from './errors.js';
import type { FalRoute } from './routes.js';

export type FalState = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';

export interface FalApiSettings {
  queuedMs: number;
  msPerVideoSecond: number;
  /** Jobs running at once (new accounts: 2); more wait IN_QUEUE with a queue_position. */
  concurrency: number;
  /** How long a result stays readable after completion, ms (fal: 1 h; 6 min for results of 10 KB or more). */
  resultRetentionMs: number;
  /** Media expiry when the request sends no lifecycle header, ms; null = never. */
  defaultMediaTtlMs: number | null;
  /** Required `Authorization: Key …` value; undefined = any. */
  apiKey: string | undefined;
}

interface FalJob {
  endpoint: string;
  app: string;
  input: Record<string, unknown>;
  render: RenderSpec;
  /** Lifecycle from X-Fal-Object-Lifecycle-Preference, ms; null = never expires. */
  mediaTtlMs: number | null;
  /** Published output, made on the first result read. */
  output?: { url: string; fileSize: number };
}

const RESOLUTION_HEIGHT: Record<string, number> = {
  '480p': 480,
  '512p': 512,
  '580p': 580,
  '720p': 720,
  '768p': 768,
  '1080p': 1080,
  '1440p': 1440,
  '2160p': 2160,
};
/** Default resolution by endpoint prefix, where a model sends none; else 720p. */
const DEFAULT_RESOLUTION: [string, string][] = [
  ['fal-ai/kling-video/v2.6', '1080p'],
  ['fal-ai/minimax', '768p'],
  ['fal-ai/ltx-2', '1080p'],
  ['fal-ai/kling-video/v4', '1080p'],
];
/** Models that always make sound. */
const ALWAYS_AUDIO = ['fal-ai/wan-25-preview'];
const IMAGE_FIELD = /(^|_)(image_url|frame_url)$/;

export class FalApi {
  readonly jobs: JobStore<FalJob, FalState>;
  private readonly uploads = new Map<string, { asset: Asset | undefined; contentType: string; fileName: string }>();

  constructor(
    private readonly s: FalApiSettings,
    private readonly kit: MockKit,
  ) {
    this.jobs = new JobStore<FalJob, FalState>({
      states: {
        queued: 'IN_QUEUE',
        throttled: 'IN_QUEUE',
        running: 'IN_PROGRESS',
        succeeded: 'COMPLETED',
        failed: 'COMPLETED',
        canceled: 'COMPLETED',
      },
      clock: kit.clock,
      newId: () => randomUUID(),
      concurrency: s.concurrency,
    });
  }

  reset(): void {
    this.jobs.clear();
    this.uploads.clear();
  }

  listing(): unknown[] {
    return this.jobs.all().map((j) => ({ request_id: j.id, endpoint: j.data.endpoint, ...this.statusBody(j, this.jobs.view(j)) }));
  }

  async handle(req: MockRequest<FalRoute>): Promise<HandlerResult> {
    const r = req.route;
    switch (r.kind) {
      case 'submit':
        return this.submit(req);
      case 'upload_initiate':
        return { reply: this.initiateUpload(req) };
      case 'upload_put':
        return { reply: await this.putUpload(req) };
      case 'upload_get': {
        const up = this.uploads.get(r.token!);
        if (!up?.asset) return { reply: text('Not Found\n', 404) };
        return { reply: { kind: 'asset', asset: up.asset, range: req.range } };
      }
      default: {
        const job = this.jobs.get(r.requestId!);
        // A request of another app is not found: the status URL carries the app, and fal scopes requests by it.
        if (!job || job.data.app !== r.app) throw requestError(404, `Request ${r.requestId} not found`);
        return { reply: await this.requestRoute(r.kind, job, req), jobId: job.id };
      }
    }
  }

  private async requestRoute(kind: FalRoute['kind'], job: Job<FalJob>, req: MockRequest<FalRoute>) {
    const view = this.jobs.view(job);
    if (kind === 'status') return json(this.statusBody(job, view, req.query.get('logs') === '1'), view.state === 'COMPLETED' ? 200 : 202);
    if (kind === 'status_stream') return this.statusStream(job, view);
    if (kind === 'cancel') {
      if (view.phase === 'queued' || view.phase === 'throttled') {
        this.jobs.cancel(job.id);
        return json({ status: 'CANCELLATION_REQUESTED' }, 202);
      }
      return json({ status: 'ALREADY_COMPLETED' }, 400);
    }
    return this.result(job, view);
  }

  private statusBody(job: Job<FalJob>, view: JobView<FalState>, logs = false): Record<string, unknown> {
    const base = `${this.kit.url}/${job.data.app}/requests/${job.id}`;
    return {
      status: view.state,
      request_id: job.id,
      response_url: base,
      status_url: `${base}/status`,
      cancel_url: `${base}/cancel`,
      ...(view.state === 'IN_QUEUE' ? { queue_position: view.queuePosition ?? 0 } : {}),
      ...(view.state !== 'IN_QUEUE'
        ? {
            logs: logs
              ? [
                  {
                    message: `progress ${view.progress}%`,
                    level: 'INFO',
                    source: 'USER',
                    timestamp: new Date(this.kit.clock()).toISOString(),
                  },
                ]
              : [],
          }
        : {}),
      ...(view.state === 'COMPLETED' && view.startedAtMs !== null && view.finishedAtMs !== null
        ? { metrics: { inference_time: (view.finishedAtMs - view.startedAtMs) / 1000 } }
        : {}),
    };
  }

  /** One snapshot as an SSE stream that ends (choice: the mock sends the current state once and closes). */
  private statusStream(job: Job<FalJob>, view: JobView<FalState>) {
    return text(`data: ${JSON.stringify(this.statusBody(job, view))}\n\n`, 200, 'text/event-stream');
  }

  private async result(job: Job<FalJob>, view: JobView<FalState>) {
    const now = this.kit.clock();
    if (view.state !== 'COMPLETED') throw requestError(400, 'Request is still in progress');
    if (view.finishedAtMs !== null && now - view.finishedAtMs >= this.s.resultRetentionMs)
      throw requestError(404, `Request ${job.id} not found`);
    if (view.phase === 'canceled') throw requestError(400, 'Request was cancelled', 'request_cancelled');
    if (view.phase === 'failed') throw this.failure(view.failureCode ?? 'internal_server_error');
    const seconds = job.data.render.kind === 'generate' ? job.data.render.seconds : 0;
    if (!job.data.output) {
      const asset = await this.kit.renderer.asset(job.data.render, 'video');
      const sinceDone = now - (view.finishedAtMs ?? now);
      const ttl = job.data.mediaTtlMs === null ? null : Math.max(0, job.data.mediaTtlMs - sinceDone);
      const published = this.kit.media.publish({ spec: job.data.render }, { filename: 'output.mp4', ttlMs: ttl, jobId: job.id });
      job.data.output = { url: published.url, fileSize: asset.size };
    }
    const body = {
      video: { url: job.data.output.url, content_type: 'video/mp4', file_name: 'output.mp4', file_size: job.data.output.fileSize },
      ...(typeof job.data.input.seed === 'number' ? { seed: job.data.input.seed } : {}),
    };
    return json(body, 200, { 'x-fal-billable-units': String(seconds), 'x-fal-request-id': job.id });
  }

  /** A failed request's result: the model's error (422 moderation, 500 otherwise), as fal returns the model's answer. */
  private failure(code: string): FalError {
    if (code === 'content_policy_violation') return modelError([moderation('prompt')], 422);
    const item: DetailItem = { loc: ['body'], msg: `The model failed (${code}).`, type: code };
    return modelError([item], code === 'generation_timeout' ? 504 : 500, { 'x-fal-retryable': 'false' });
  }

  private async submit(req: MockRequest<FalRoute>): Promise<HandlerResult> {
    const endpoint = req.route.endpoint!;
    const input = req.body.fields;
    const render = await this.renderSpec(endpoint, input);
    const lifecycle = lifecycleTtlMs(req.headers['x-fal-object-lifecycle-preference']);
    const job = this.jobs.add({
      data: { endpoint, app: req.route.app!, input, render, mediaTtlMs: lifecycle === undefined ? this.s.defaultMediaTtlMs : lifecycle },
      queuedMs: this.s.queuedMs,
      runMs: Math.round(this.s.msPerVideoSecond * (render.kind === 'generate' ? render.seconds : 1)),
      outcome: outcomeOf(req.fault),
    });
    if (outcomeOf(req.fault).kind === 'succeed') this.kit.renderer.prerender(render);
    const base = `${this.kit.url}/${req.route.app}/requests/${job.id}`;
    const view = this.jobs.view(job);
    return {
      reply: json({
        status: 'IN_QUEUE',
        request_id: job.id,
        gateway_request_id: job.id,
        response_url: base,
        status_url: `${base}/status`,
        cancel_url: `${base}/cancel`,
        queue_position: view.queuePosition ?? 0,
      }),
      jobId: job.id,
    };
  }

  /** Validates the input the way fal's pydantic models do (422 `detail` list) and decides what to render. */
  private async renderSpec(endpoint: string, input: Record<string, unknown>): Promise<RenderSpec> {
    const problems: DetailItem[] = [];
    if (typeof input.prompt !== 'string' || !input.prompt.trim())
      problems.push({ loc: ['body', 'prompt'], msg: 'Field required', type: 'missing' });
    const seconds = secondsOf(input, problems);
    const imageField = Object.keys(input).find((k) => IMAGE_FIELD.test(k) && !/^(end|last|tail)_/.test(k));
    const needsImage = /image-to-video|first-last-frame/.test(endpoint);
    if (needsImage && !imageField) problems.push({ loc: ['body', 'image_url'], msg: 'Field required', type: 'missing' });
    let reference: { kind: 'image'; path: string } | undefined;
    let imageSize: { width: number; height: number } | undefined;
    for (const field of Object.keys(input).filter((k) => IMAGE_FIELD.test(k))) {
      const file = this.fileFor(input[field]);
      if (!file) {
        problems.push({
          loc: ['body', field],
          msg: 'Failed to download the file. Please check if the URL is accessible.',
          type: 'file_download_error',
        });
        continue;
      }
      if (field === imageField) {
        reference = { kind: 'image', path: file.path };
        imageSize = file.size;
      }
    }
    if (problems.length) throw modelError(problems);
    const size = sizeOf(endpoint, input, imageSize);
    const audio = input.generate_audio === true || ALWAYS_AUDIO.some((p) => endpoint.startsWith(p));
    const fps = Number(input.frames_per_second ?? input.fps ?? 24);
    return {
      kind: 'generate',
      prompt: input.prompt as string,
      width: size.width,
      height: size.height,
      seconds,
      fps: Number.isFinite(fps) && fps > 0 ? fps : 24,
      audio,
      ...(reference ? { reference } : {}),
    };
  }

  /** An uploaded file behind a URL this mock handed out, with its pixel size. */
  private fileFor(url: unknown): { path: string; size: { width: number; height: number } } | undefined {
    if (typeof url !== 'string') return undefined;
    const token = /\/storage\/files\/([^/]+)\//.exec(url)?.[1];
    const up = token ? this.uploads.get(token) : undefined;
    const size = up?.asset ? (up as { size?: { width: number; height: number } }).size : undefined;
    return up?.asset && size ? { path: up.asset.path, size } : undefined;
  }

  private initiateUpload(req: MockRequest<FalRoute>) {
    const contentType = typeof req.body.fields.content_type === 'string' ? req.body.fields.content_type : 'application/octet-stream';
    const fileName = typeof req.body.fields.file_name === 'string' ? req.body.fields.file_name : 'upload.bin';
    const token = randomBytes(12).toString('hex');
    this.uploads.set(token, { asset: undefined, contentType, fileName });
    return json({
      upload_url: `${this.kit.url}/storage/uploads/${token}`,
      file_url: `${this.kit.url}/storage/files/${token}/${encodeURIComponent(fileName)}`,
    });
  }

  private async putUpload(req: MockRequest<FalRoute>) {
    const up = this.uploads.get(req.route.token!);
    if (!up) return text('Not Found\n', 404);
    const raw = req.body.fields.bytes;
    const data = isUploadedFile(raw) ? raw.data : Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
    const dir = join(this.kit.workDir, 'uploads');
    await mkdir(dir, { recursive: true });
    const path = join(dir, createHash('sha256').update(data).digest('hex'));
    await writeFile(path, data);
    const info = imageInfo(data);
    Object.assign(up, {
      asset: { path, contentType: up.contentType, size: data.length },
      ...(info ? { size: { width: info.width, height: info.height } } : {}),
    });
    return json({}, 200);
  }
}

function secondsOf(input: Record<string, unknown>, problems: DetailItem[]): number {
  if (input.num_frames !== undefined) {
    const frames = Number(input.num_frames);
    const fps = Number(input.frames_per_second ?? 16);
    if (!Number.isInteger(frames) || frames < 17 || frames > 161) {
      problems.push({ loc: ['body', 'num_frames'], msg: 'Input should be between 17 and 161', type: 'value_error' });
      return 5;
    }
    return (frames - 1) / fps;
  }
  if (input.duration === undefined) return 5;
  const n = Number(String(input.duration).replace(/s$/, ''));
  if (!Number.isFinite(n) || n <= 0 || n > 60) {
    problems.push({
      loc: ['body', 'duration'],
      msg: `Input should be a valid duration, got ${JSON.stringify(input.duration)}`,
      type: 'value_error',
    });
    return 5;
  }
  return n;
}

/** Pixels for aspect × resolution (even numbers, as encoders need); with an image and no aspect, the image's aspect. */
function sizeOf(endpoint: string, input: Record<string, unknown>, image: { width: number; height: number } | undefined) {
  const res = String(input.resolution ?? DEFAULT_RESOLUTION.find(([p]) => endpoint.startsWith(p))?.[1] ?? '720p').toLowerCase();
  const height = RESOLUTION_HEIGHT[res] ?? 720;
  const aspectText = typeof input.aspect_ratio === 'string' && input.aspect_ratio !== 'auto' ? input.aspect_ratio : undefined;
  const [aw, ah] = aspectText ? aspectText.split(':').map(Number) : image ? [image.width, image.height] : [16, 9];
  const ratio = (aw ?? 16) / (ah ?? 9);
  const even = (x: number) => Math.max(2, 2 * Math.round(x / 2));
  // `resolution` names the short side.
  return ratio >= 1 ? { width: even(height * ratio), height: even(height) } : { width: even(height), height: even(height / ratio) };
}

/** `{"expiration_duration_seconds": N|null}` → ms (null = never); undefined when absent or unreadable. */
function lifecycleTtlMs(header: string | string[] | undefined): number | null | undefined {
  if (typeof header !== 'string') return undefined;
  try {
    const v = (JSON.parse(header) as { expiration_duration_seconds?: unknown }).expiration_duration_seconds;
    if (v === null) return null;
    return typeof v === 'number' && v >= 0 ? v * 1000 : undefined;
  } catch {
    return undefined;
  }
}
