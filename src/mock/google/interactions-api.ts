/**
 * The Interactions API for Gemini Omni video: a background create answers `{id, status: "in_progress"}` at once (a
 * create without `background` is held until the video is ready, as the synchronous API does); GET shows the
 * interaction, `completed` with the video in `steps[type=model_output].content[type=video]`, inline base64 `data`
 * or a Files API `uri` (the request's `response_format.delivery`, else the mock's default). The Agent Platform
 * answers with the `steps[]` envelope only for `Api-Revision: 2026-05-20`; without it, with the older `outputs[]`.
 */
import { randomBytes } from 'node:crypto';
import { json, outcomeOf, type HandlerResult, type Job, type MockRequest } from '../kit/index.js';
import { googleError } from './errors.js';
import { pixels } from './models.js';
import { interactionCommand } from './requests.js';
import type { GoogleRoute } from './routes.js';
import type { GoogleJob, GoogleState, InteractionJob } from './state.js';

export const STEPS_REVISION = '2026-05-20';
/** Longest a synchronous create is held. */
const SYNC_LIMIT_MS = 10 * 60_000;

const ERRORS: Record<string, { code: string; status: number; message: string }> = {
  INTERNAL: { code: 'INTERNAL', status: 13, message: 'An internal error occurred while generating the video.' },
  DEADLINE_EXCEEDED: { code: 'DEADLINE_EXCEEDED', status: 4, message: 'The video generation did not finish in time.' },
  RAI_INPUT: { code: 'PROHIBITED_CONTENT', status: 3, message: 'The prompt was blocked by safety filters.' },
  RAI_OUTPUT: { code: 'SAFETY', status: 3, message: 'The generated video was blocked by safety filters.' },
};

export class InteractionsApi {
  private readonly waits = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly st: GoogleState) {}

  close(): void {
    this.closed = true;
    for (const t of this.waits) clearTimeout(t);
    this.waits.clear();
  }

  async create(req: MockRequest<GoogleRoute>): Promise<HandlerResult> {
    const r = req.route;
    if (r.location && r.location !== 'global') throw googleError(400, `Gemini Omni is served in location global only, not ${r.location}.`);
    const { command: cmd } = interactionCommand(req.body.fields, r.surface);
    const first = cmd.task === 'image_to_video' ? cmd.images[0] : undefined;
    const render = {
      kind: 'generate' as const,
      prompt: cmd.prompt,
      ...pixels(cmd.resolution, cmd.aspect),
      seconds: cmd.seconds,
      fps: 24,
      audio: true,
      ...(first
        ? {
            reference: {
              kind: 'image' as const,
              path: await this.st.kit.renderer.storeFile(first.data, first.mime.split('/')[1] ?? 'png'),
            },
          }
        : {}),
    };
    const id = `v1_${randomBytes(18).toString('base64url')}`;
    const outcome = outcomeOf(req.fault);
    const data: InteractionJob = {
      api: 'interactions',
      surface: r.surface,
      model: cmd.model,
      received: {
        prompt: cmd.prompt,
        task: cmd.task,
        images: cmd.images.length,
        aspect_ratio: cmd.aspect,
        resolution: cmd.resolution,
        duration: `${cmd.seconds}s`,
        background: cmd.background,
        ...(typeof (req.body.fields.generation_config as { seed?: unknown } | undefined)?.seed === 'number'
          ? { seed: (req.body.fields.generation_config as { seed: number }).seed }
          : {}),
      },
      render,
      delivery: cmd.delivery ?? this.st.s.omniDelivery,
      createdIso: new Date(this.st.kit.clock()).toISOString(),
    };
    const job = this.st.jobs.add({
      id,
      data,
      queuedMs: this.st.s.queuedMs,
      runMs: Math.round(this.st.s.msPerVideoSecond * cmd.seconds),
      outcome,
    });
    if (outcome.kind === 'succeed') this.st.kit.renderer.prerender(render);
    if (!cmd.background) await this.until(job);
    return { reply: await this.document(job, req), jobId: id };
  }

  /** Holds a synchronous create until its job ends (or the limit, or the server closes). */
  private async until(job: Job<GoogleJob>): Promise<void> {
    const start = Date.now();
    while (!this.closed && !this.st.isDone(job) && Date.now() - start < SYNC_LIMIT_MS) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.waits.delete(t);
          resolve();
        }, 50);
        this.waits.add(t);
      });
    }
  }

  private found(req: MockRequest<GoogleRoute>): Job<GoogleJob> {
    const job = this.st.jobs.get(req.route.id!);
    if (!job || job.data.api !== 'interactions' || job.data.surface !== req.route.surface || req.fault?.type === 'content_expired') {
      throw googleError(404, `Interaction ${req.route.id} not found.`);
    }
    return job;
  }

  async get(req: MockRequest<GoogleRoute>): Promise<HandlerResult> {
    const job = this.found(req);
    return { reply: await this.document(job, req), jobId: job.id };
  }

  async cancel(req: MockRequest<GoogleRoute>): Promise<HandlerResult> {
    const job = this.found(req);
    if (!this.st.jobs.cancel(job.id))
      throw googleError(400, `Interaction ${job.id} is already ${this.st.view(job).state}.`, { status: 'FAILED_PRECONDITION' });
    return { reply: await this.document(job, req), jobId: job.id };
  }

  delete(req: MockRequest<GoogleRoute>): HandlerResult {
    const job = this.found(req);
    this.st.jobs.delete(job.id);
    return { reply: json({}), jobId: job.id };
  }

  /** Whether GET of this interaction now carries a video inline (content faults apply to it). */
  servesInline(id: string): boolean {
    const job = this.st.jobs.get(id);
    return !!job && job.data.api === 'interactions' && job.data.delivery === 'inline' && this.st.view(job).phase === 'succeeded';
  }

  private async document(job: Job<GoogleJob>, req: MockRequest<GoogleRoute>): Promise<HandlerResult['reply']> {
    const data = job.data as InteractionJob;
    const view = this.st.view(job);
    const steps = data.surface === 'gemini' || req.headers['api-revision'] === STEPS_REVISION;
    const base = {
      id: job.id,
      model: data.model,
      role: 'model',
      created: data.createdIso,
      updated: new Date(view.finishedAtMs ?? this.st.kit.clock()).toISOString(),
    };
    const envelope = (content: unknown[], error?: unknown) =>
      steps ? { steps: [{ type: 'model_output', content, ...(error ? { error } : {}) }] } : { outputs: content };
    if (view.phase === 'queued' || view.phase === 'throttled' || view.phase === 'running') return json({ ...base, status: 'in_progress' });
    if (view.phase === 'canceled') return json({ ...base, status: 'cancelled' });
    if (view.phase === 'failed') {
      const e = ERRORS[view.failureCode ?? ''] ?? ERRORS.INTERNAL!;
      return json({
        ...base,
        status: 'failed',
        errors: [{ code: e.code, message: e.message }],
        ...envelope([], { code: e.status, message: e.message }),
      });
    }
    const text = { type: 'text', text: 'Here is the video you asked for.' };
    // About 5,792 video tokens per second (57,920 for 10 s, reference §A.1).
    const tokens = 5792 * this.seconds(data);
    const usage = { total_output_tokens: tokens, output_tokens_by_modality: [{ modality: 'video', tokens }] };
    if (data.delivery === 'uri') {
      data.fileId ??= this.st.publishFile(job.id, data.render).id;
      const video = { type: 'video', mime_type: 'video/mp4', uri: `${this.st.s.fileUriOrigin}/v1beta/files/${data.fileId}` };
      return json({ ...base, status: 'completed', ...envelope([text, video]), usage });
    }
    const asset = await this.st.inlineDocument(`${job.id}:${steps ? 'steps' : 'outputs'}`, async () => {
      const video = { type: 'video', mime_type: 'video/mp4', data: await this.st.base64Of(data.render) };
      return { ...base, status: 'completed', ...envelope([text, video]), usage };
    });
    return { kind: 'asset', asset, range: undefined };
  }

  private seconds(data: InteractionJob): number {
    return data.render.kind === 'generate' ? data.render.seconds : 0;
  }
}
