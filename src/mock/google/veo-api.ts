/**
 * Veo: `predictLongRunning` creates an operation; reading it (GET on the Gemini API, `fetchPredictOperation` on the
 * Agent Platform) shows `{name}` until it is `done`, then `error`, or a response: Gemini API
 * `{generateVideoResponse: {generatedSamples: [{video: {uri}}]}}` with the video in the Files API (kept
 * `fileRetentionMs`), Agent Platform `{videos: [{bytesBase64Encoded, mimeType}]}` inline. Safety filtering ends an
 * operation done with `raiMediaFilteredCount`/`raiMediaFilteredReasons` and no video, as the live API does.
 */
import { randomUUID } from 'node:crypto';
import { json, outcomeOf, type HandlerResult, type Job, type MockRequest, type RenderSpec } from '../kit/index.js';
import { googleError } from './errors.js';
import { pixels } from './models.js';
import { servedModel, veoCommand, type DecodedImage } from './requests.js';
import type { GoogleRoute } from './routes.js';
import type { GoogleJob, GoogleState, VeoJob } from './state.js';

/** Failure codes of a `job_failed` fault, and what each ends the job with. */
export const RAI_REASONS = {
  RAI_INPUT:
    "Unable to show generated videos. All videos were filtered out because they violated Google's Responsible AI practices. You will not be charged for blocked videos. Support codes: 90789179",
  RAI_OUTPUT:
    "Unable to show generated videos. All videos were filtered out because they violated Google's Responsible AI practices. You will not be charged for blocked videos. Support codes: 43188360",
} as const;
const OPERATION_ERRORS: Record<string, { code: number; message: string }> = {
  INTERNAL: { code: 13, message: 'Internal error encountered.' },
  DEADLINE_EXCEEDED: { code: 4, message: 'Deadline expired before operation could complete.' },
};

const GEMINI_RESPONSE_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse';
const VERTEX_RESPONSE_TYPE = 'type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse';

export class VeoApi {
  constructor(private readonly st: GoogleState) {}

  async create(req: MockRequest<GoogleRoute>): Promise<HandlerResult> {
    const r = req.route;
    const spec = servedModel(r.model!, r.surface, 'veo');
    const cmd = veoCommand(req.body.fields, r.model!, spec, r.surface);
    let render: RenderSpec;
    if (cmd.videoUri) {
      render = { kind: 'extend', base: this.extensionSource(cmd.videoUri), prompt: cmd.prompt, seconds: 7 };
    } else {
      const size = pixels(cmd.resolution, cmd.aspect);
      render = {
        kind: 'generate',
        prompt: cmd.prompt,
        ...size,
        seconds: cmd.seconds!,
        fps: 24,
        audio: r.surface === 'gemini' || cmd.audio,
        ...(cmd.image ? { reference: { kind: 'image', path: await this.store(cmd.image) } } : {}),
      };
    }
    const name =
      r.surface === 'gemini'
        ? `models/${cmd.model}/operations/${randomUUID().replace(/-/g, '').slice(0, 12)}`
        : `${r.project ? `projects/${r.project}/locations/${r.location}/` : ''}publishers/google/models/${cmd.model}/operations/${randomUUID()}`;
    const seconds = render.kind === 'extend' ? 7 : cmd.seconds!;
    const outcome = outcomeOf(req.fault);
    const params = (req.body.fields.parameters ?? {}) as Record<string, unknown>;
    const received = {
      prompt: cmd.prompt,
      aspectRatio: cmd.aspect,
      resolution: cmd.resolution,
      ...(cmd.seconds !== undefined && params.durationSeconds !== undefined ? { durationSeconds: cmd.seconds } : {}),
      image: !!cmd.image,
      lastFrame: !!cmd.lastFrame,
      referenceImages: cmd.references.length,
      ...(cmd.videoUri ? { video: cmd.videoUri } : {}),
      ...(typeof params.negativePrompt === 'string' ? { negativePrompt: params.negativePrompt } : {}),
      ...(typeof params.seed === 'number' ? { seed: params.seed } : {}),
      ...(typeof params.generateAudio === 'boolean' ? { generateAudio: params.generateAudio } : {}),
      ...(typeof params.personGeneration === 'string' ? { personGeneration: params.personGeneration } : {}),
    };
    const data: VeoJob = { api: 'veo', surface: r.surface, model: cmd.model, received, render, samples: cmd.samples };
    this.st.jobs.add({ id: name, data, queuedMs: this.st.s.queuedMs, runMs: Math.round(this.st.s.msPerVideoSecond * seconds), outcome });
    if (outcome.kind === 'succeed') this.st.kit.renderer.prerender(render);
    return { reply: json({ name }), jobId: name };
  }

  /** The rendering behind a file uri this API handed out; 404 once the file is gone. */
  private extensionSource(uri: string): RenderSpec {
    const id = /\/files\/([a-z0-9]+)/.exec(uri)?.[1];
    const file = id ? this.st.files.get(id) : undefined;
    if (!file || this.st.fileExpired(file.jobId)) throw googleError(404, `File files/${id ?? '?'} was not found or has expired.`);
    const base = file.render;
    const size = base.kind === 'generate' ? base : undefined;
    if (size && Math.min(size.width, size.height) !== 720) throw googleError(400, 'instances[0].video: only 720p videos can be extended');
    return base;
  }

  private async store(image: DecodedImage): Promise<string> {
    return this.st.kit.renderer.storeFile(image.data, image.mime.split('/')[1] ?? 'png');
  }

  /** GET /v1beta/{operation} (Gemini API). */
  async get(req: MockRequest<GoogleRoute>): Promise<HandlerResult> {
    const job = this.st.jobs.get(req.route.id!);
    if (!job || job.data.surface !== 'gemini') throw googleError(404, `Operation ${req.route.id} not found.`);
    return { reply: await this.document(job), jobId: job.id };
  }

  /** POST …/models/{m}:fetchPredictOperation {operationName} (Agent Platform). */
  async fetch(req: MockRequest<GoogleRoute>): Promise<HandlerResult> {
    const name = req.body.fields.operationName;
    if (typeof name !== 'string' || !name) throw googleError(400, 'operationName: required');
    const job = this.st.jobs.get(name);
    if (!job || job.data.surface !== 'vertex' || job.data.model !== req.route.model) throw googleError(404, `Operation ${name} not found.`);
    if (req.fault?.type === 'content_expired') throw googleError(404, `Operation ${name} not found.`);
    return { reply: await this.document(job), jobId: job.id };
  }

  private async document(job: Job<GoogleJob>): Promise<HandlerResult['reply']> {
    const data = job.data as VeoJob;
    const view = this.st.view(job);
    if (!this.st.isDone(job)) return json({ name: job.id });
    const code = view.failureCode ?? '';
    if (view.phase === 'failed' && code in OPERATION_ERRORS) return json({ name: job.id, done: true, error: OPERATION_ERRORS[code] });
    if (view.phase === 'failed') {
      const filtered = {
        raiMediaFilteredCount: data.samples,
        raiMediaFilteredReasons: [RAI_REASONS[code as keyof typeof RAI_REASONS] ?? code],
      };
      return json({ name: job.id, done: true, response: this.wrap(data, filtered) });
    }
    if (data.surface === 'gemini') {
      data.fileIds ??= Array.from({ length: data.samples }, () => this.st.publishFile(job.id, data.render).id);
      const samples = data.fileIds.map((id) => ({ video: { uri: `${this.st.s.fileUriOrigin}/v1beta/files/${id}:download?alt=media` } }));
      return json({ name: job.id, done: true, response: this.wrap(data, { generatedSamples: samples }) });
    }
    // The Agent Platform holds the video inline: the document is written once and sent as a file.
    const asset = await this.st.inlineDocument(job.id, async () => {
      const bytes = await this.st.base64Of(data.render);
      const videos = Array.from({ length: data.samples }, () => ({ bytesBase64Encoded: bytes, mimeType: 'video/mp4' }));
      return { name: job.id, done: true, response: this.wrap(data, { raiMediaFilteredCount: 0, videos }) };
    });
    return { kind: 'asset', asset, range: undefined };
  }

  private wrap(data: VeoJob, body: Record<string, unknown>): Record<string, unknown> {
    return data.surface === 'gemini'
      ? { '@type': GEMINI_RESPONSE_TYPE, generateVideoResponse: body }
      : { '@type': VERTEX_RESPONSE_TYPE, ...body };
  }

  /** GET /v1beta/files/{id}:download?alt=media: the video, 404 once the file is gone. */
  async download(req: MockRequest<GoogleRoute>): Promise<HandlerResult> {
    const id = req.route.id!;
    if (req.query.get('alt') !== 'media') throw googleError(400, 'alt=media is required to download file content');
    const file = this.st.files.get(id);
    if (!file || this.st.fileExpired(file.jobId) || req.fault?.type === 'content_expired')
      throw googleError(404, `File files/${id} was not found.`);
    const asset = await this.st.kit.renderer.asset(file.render, 'video');
    return { reply: { kind: 'asset', asset, range: req.range }, jobId: file.jobId };
  }
}
