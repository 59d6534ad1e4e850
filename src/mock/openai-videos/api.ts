/**
 * The `/v1/videos` routes: state (jobs, characters) and the handlers, each returning a `Reply` or throwing `ApiError`.
 *
 * Choices where the live behaviour is unknown:
 * - DELETE of a queued or in-progress video: 409 `video_not_finished` (the API only documents deleting completed or
 *   failed videos). Note that openai-node retries 409s unless `maxRetries: 0`.
 * - GET content before completion or of a failed video: `contentNotReadyStatus` (default 404) `video_not_ready`;
 *   after `expires_at`: 404 `video_content_expired`.
 * - Remix, edit and extension need a *completed* source: otherwise 400 `invalid_state`; an expired one: 404
 *   `video_content_expired`.
 * - Edits and remixes set `remixed_from_video_id` to the source; extensions leave it null.
 */
import { randomBytes } from 'node:crypto';
import {
  geometry,
  json,
  JobStore,
  outcomeOf,
  type FaultAction,
  type HandlerResult,
  type MediaRenderer,
  type MockRequest,
  type Reply,
  type RenderSpec,
  type Variant,
} from '../kit/index.js';
import { ApiError, invalidValue, videoNotFound } from './errors.js';
import {
  isExpired,
  listPage,
  newVideoId,
  parseListQuery,
  toVideoResource,
  VIDEO_STATES,
  type VideoData,
  type VideoJob,
  type VideoJobs,
  type VideoResource,
} from './jobs.js';
import { parseCharacter, parseCreate, parseEdit, parseExtend, parseRemix, type Profile, type SourceRef } from './requests.js';
import type { VideoRoute } from './routes.js';

export interface ApiSettings {
  profile: Profile;
  /** Ms a job stays queued. */
  queuedMs: number;
  /** Ms of `in_progress` per second of generated video. */
  msPerVideoSecond: number;
  /** Frame rate of generated content. */
  fps: number;
  /** `expires_at − completed_at`, seconds. */
  expiresAfterS: number;
  /** Value of `openai-poll-after-ms` on GET /videos/{id}. */
  pollAfterMs: number;
  /** `ignore`: GET /videos lists oldest first whatever `order` says (gateways that do not implement it). */
  listOrder: 'honour' | 'ignore';
  contentNotReadyStatus: 404 | 409;
  /** Start rendering a job's video when it is created (for jobs that will complete). */
  prerender: boolean;
  /** Epoch ms. */
  clock: () => number;
}

export interface Character {
  id: string;
  name: string;
  created_at: number;
}

/** What a handler gets: the request with the route's id and the fault picked for it (if any). */
type HandlerInput = MockRequest<VideoRoute> & { id: string | undefined };

export class VideosApi {
  readonly jobs: VideoJobs;
  private readonly characters = new Map<string, Character>();

  constructor(
    private readonly s: ApiSettings,
    readonly renderer: MediaRenderer,
  ) {
    this.jobs = new JobStore<VideoData, VideoResource['status']>({ states: VIDEO_STATES, clock: s.clock, newId: newVideoId });
  }

  reset(): void {
    this.jobs.clear();
    this.characters.clear();
  }

  videos(): VideoResource[] {
    const now = this.s.clock();
    return this.jobs.all().map((j) => this.resource(j, now));
  }

  async handle(req: MockRequest<VideoRoute>): Promise<HandlerResult> {
    const input: HandlerInput = { ...req, id: req.route.id };
    switch (req.route.kind) {
      case 'create':
        return this.create(input);
      case 'list':
        return { reply: this.list(input.query) };
      case 'retrieve':
        return this.retrieve(input.id!);
      case 'delete':
        return this.delete(input.id!);
      case 'content':
        return this.content(input);
      case 'remix':
        return this.remix(input);
      case 'extend':
        return this.extend(input);
      case 'edit':
        return this.edit(input);
      case 'character_create':
        return { reply: await this.createCharacter(input) };
      case 'character_get':
        return { reply: this.getCharacter(input.id!) };
    }
  }

  private resource(job: VideoJob, nowMs: number): VideoResource {
    return toVideoResource(job, this.jobs.view(job, nowMs), this.s.expiresAfterS);
  }

  private async create(input: HandlerInput): Promise<HandlerResult> {
    const cmd = await parseCreate(input.body.fields, this.s.profile, (data) => this.probeUpload(data));
    let reference: Extract<RenderSpec, { kind: 'generate' }>['reference'];
    if (cmd.reference?.kind === 'image')
      reference = { kind: 'image', path: await this.renderer.storeFile(cmd.reference.data, cmd.reference.ext) };
    if (cmd.reference?.kind === 'video') reference = { kind: 'video', path: await this.renderer.storeFile(cmd.reference.data, 'mp4') };
    const render: RenderSpec = {
      kind: 'generate',
      prompt: cmd.prompt,
      width: cmd.size.width,
      height: cmd.size.height,
      seconds: cmd.seconds,
      fps: this.s.fps,
      ...(reference ? { reference } : {}),
    };
    const job = this.addJob(
      { model: cmd.model, prompt: cmd.prompt, size: cmd.size.text, seconds: cmd.seconds, remixedFrom: null, render },
      cmd.seconds,
      input.fault,
    );
    return this.created(job);
  }

  private async remix(input: HandlerInput): Promise<HandlerResult> {
    const { id: sourceId, data: source } = this.completedSource(input.id!, 'remix', null);
    const { prompt } = parseRemix(input.body.fields);
    const render: RenderSpec = { kind: 'edit', base: source.render, prompt };
    const job = this.addJob(
      { model: source.model, prompt, size: source.size, seconds: source.seconds, remixedFrom: sourceId, render },
      source.seconds,
      input.fault,
    );
    return this.created(job);
  }

  private async extend(input: HandlerInput): Promise<HandlerResult> {
    const cmd = parseExtend(input.body.fields, this.s.profile);
    const source = await this.resolveSource(cmd.source, 'extend');
    const total = geometry(source.render).seconds + cmd.seconds;
    const max = this.s.profile.maxTotalSeconds;
    if (max !== undefined && total > max) {
      throw new ApiError(400, `Invalid 'seconds': the extended video would be ${total} seconds long; the maximum is ${max} seconds.`, {
        param: 'seconds',
        code: 'invalid_value',
      });
    }
    const render: RenderSpec = { kind: 'extend', base: source.render, prompt: cmd.prompt, seconds: cmd.seconds };
    const job = this.addJob(
      { model: source.model, prompt: cmd.prompt, size: source.size, seconds: total, remixedFrom: null, render },
      cmd.seconds,
      input.fault,
    );
    return this.created(job);
  }

  private async edit(input: HandlerInput): Promise<HandlerResult> {
    const cmd = parseEdit(input.body.fields, this.s.profile);
    const source = await this.resolveSource(cmd.source, 'edit');
    const render: RenderSpec = { kind: 'edit', base: source.render, prompt: cmd.prompt };
    const seconds = geometry(source.render).seconds;
    const job = this.addJob(
      { model: cmd.model ?? source.model, prompt: cmd.prompt, size: source.size, seconds, remixedFrom: source.id, render },
      seconds,
      input.fault,
    );
    return this.created(job);
  }

  private list(query: URLSearchParams): Reply {
    const q = parseListQuery(query);
    const page = listPage(this.jobs, this.s.listOrder === 'ignore' ? { ...q, order: 'asc' } : q);
    const now = this.s.clock();
    const data = page.jobs.map((j) => this.resource(j, now));
    return json({
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data[data.length - 1]?.id ?? null,
      has_more: page.hasMore,
    });
  }

  private retrieve(id: string): HandlerResult {
    const job = this.mustGet(id);
    return {
      reply: json(this.resource(job, this.s.clock()), 200, { 'openai-poll-after-ms': String(this.s.pollAfterMs) }),
      jobId: id,
    };
  }

  private delete(id: string): HandlerResult {
    const job = this.mustGet(id);
    const { state: status } = this.jobs.view(job);
    if (status !== 'completed' && status !== 'failed') {
      throw new ApiError(409, `Video '${id}' is ${status}; only completed or failed videos can be deleted.`, {
        code: 'video_not_finished',
      });
    }
    this.jobs.delete(id);
    return { reply: json({ id, object: 'video.deleted', deleted: true }), jobId: id };
  }

  private async content(input: HandlerInput): Promise<HandlerResult> {
    const id = input.id!;
    const job = this.mustGet(id);
    const variantParam = input.query.get('variant') ?? 'video';
    const variants: Variant[] = ['video', 'thumbnail', 'spritesheet'];
    if (!variants.includes(variantParam as Variant)) throw invalidValue('variant', variantParam, variants);
    const now = this.s.clock();
    const view = this.jobs.view(job, now);
    const status = view.state;
    if (input.fault?.type === 'content_expired' || isExpired(view, now, this.s.expiresAfterS)) {
      throw new ApiError(404, `The content of video '${id}' has expired and is no longer available.`, { code: 'video_content_expired' });
    }
    if (status !== 'completed') {
      throw new ApiError(
        this.s.contentNotReadyStatus,
        `Video '${id}' is ${status}; content is only available once its status is 'completed'.`,
        { code: 'video_not_ready' },
      );
    }
    let asset;
    try {
      asset = await this.renderer.asset(job.data.render, variantParam as Variant);
    } catch (err) {
      throw new ApiError(500, `The server had an error while rendering the content: ${(err as Error).message}`);
    }
    return { reply: { kind: 'asset', asset, range: input.range }, jobId: id };
  }

  private async createCharacter(input: HandlerInput): Promise<Reply> {
    const cmd = parseCharacter(input.body.fields);
    await this.probeUpload(cmd.video.data).catch(() => {
      throw new ApiError(400, "Invalid file 'video': the file could not be decoded as a video.", { param: 'video', code: 'invalid_video' });
    });
    const character: Character = {
      id: `char_${randomBytes(16).toString('hex')}`,
      name: cmd.name,
      created_at: Math.floor(this.s.clock() / 1000),
    };
    this.characters.set(character.id, character);
    return json(character);
  }

  private getCharacter(id: string): Reply {
    const c = this.characters.get(id);
    if (!c) throw new ApiError(404, `Character with id '${id}' not found.`, { code: 'character_not_found' });
    return json(c);
  }

  private addJob(data: VideoData, renderSeconds: number, fault: FaultAction | undefined): VideoJob {
    const outcome = outcomeOf(fault);
    const job = this.jobs.add({ data, queuedMs: this.s.queuedMs, runMs: this.s.msPerVideoSecond * renderSeconds, outcome });
    if (this.s.prerender && outcome.kind === 'succeed') this.renderer.prerender(data.render);
    return job;
  }

  /** The answer to a create: the job as it is at its creation instant (always `queued`). */
  private created(job: VideoJob): HandlerResult {
    return { reply: json(this.resource(job, job.createdAtMs)), jobId: job.id };
  }

  private mustGet(id: string): VideoJob {
    const job = this.jobs.get(id);
    if (!job) throw videoNotFound(id);
    return job;
  }

  private completedSource(id: string, action: string, param: string | null): VideoJob {
    const job = this.jobs.get(id);
    if (!job) throw videoNotFound(id, param);
    const view = this.jobs.view(job);
    const status = view.state;
    if (status !== 'completed') {
      throw new ApiError(400, `Video '${id}' is ${status}; only completed videos can be used to ${action}.`, {
        param,
        code: 'invalid_state',
      });
    }
    // Unknown live behaviour (README): a source whose content expired cannot be remixed or extended, answered like
    // its content endpoint (404 video_content_expired).
    if (isExpired(view, this.s.clock(), this.s.expiresAfterS)) {
      throw new ApiError(404, `The content of video '${id}' has expired and is no longer available to ${action}.`, {
        param,
        code: 'video_content_expired',
      });
    }
    return job;
  }

  /** The job (or, for an upload, a job-like description) an extension or edit starts from. */
  private async resolveSource(
    ref: SourceRef,
    action: string,
  ): Promise<{ id: string | null } & Pick<VideoData, 'model' | 'size' | 'render'>> {
    if (ref.kind === 'id') {
      const job = this.completedSource(ref.id, action, 'video');
      return { id: job.id, ...job.data };
    }
    const path = await this.renderer.storeFile(ref.file.data, 'mp4');
    const info = await this.renderer.probe(path).catch(() => {
      throw new ApiError(400, "Invalid file 'video': the file could not be decoded as a video.", { param: 'video', code: 'invalid_video' });
    });
    const size = `${info.width}x${info.height}`;
    if (!this.s.profile.sizes.includes(size)) throw invalidValue('video', size, this.s.profile.sizes);
    const seconds = Math.max(1, Math.round(info.durationS));
    return {
      id: null,
      model: 'sora-2',
      size,
      render: { kind: 'upload', path, width: info.width, height: info.height, seconds, fps: this.s.fps, hasAudio: info.hasAudio },
    };
  }

  private async probeUpload(data: Buffer): Promise<{ width: number; height: number }> {
    return this.renderer.probe(await this.renderer.storeFile(data, 'mp4'));
  }
}
