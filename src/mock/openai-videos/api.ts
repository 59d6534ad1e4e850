/**
 * The `/v1/videos` routes: state (jobs, characters) and the handlers, each returning a `Reply` or throwing `ApiError`.
 *
 * Choices where the live behaviour is unknown:
 * - DELETE of a queued or in-progress video: 409 `video_not_finished` (the API only documents deleting completed or
 *   failed videos). Note that openai-node retries 409s unless `maxRetries: 0`.
 * - GET content before completion or of a failed video: `contentNotReadyStatus` (default 404) `video_not_ready`;
 *   after `expires_at`: 404 `video_content_expired`.
 * - Remix, edit and extension need a *completed* source: otherwise 400 `invalid_state`.
 * - Edits and remixes set `remixed_from_video_id` to the source; extensions leave it null.
 */
import { randomBytes } from 'node:crypto';
import type { ParsedBody } from './body.js';
import { ApiError, invalidValue, videoNotFound } from './errors.js';
import type { FaultAction, RouteKind } from './faults.js';
import { isExpired, jobState, JobStore, parseListQuery, toVideoResource, type Job, type JobOutcome, type VideoResource } from './jobs.js';
import { geometry, type MediaRenderer, type RenderSpec, type Variant } from './media.js';
import { parseCharacter, parseCreate, parseEdit, parseExtend, parseRemix, type Profile, type SourceRef } from './requests.js';
import { json, type Reply } from './respond.js';

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

/** What a handler gets besides the body: the route's id and the fault picked for this request (if any). */
export interface HandlerInput {
  id: string | undefined;
  body: ParsedBody;
  query: URLSearchParams;
  range: string | undefined;
  fault: FaultAction | undefined;
}

export interface HandlerResult {
  reply: Reply;
  /** The video the request is about (created or addressed), for the request log. */
  videoId?: string;
}

export class VideosApi {
  readonly jobs = new JobStore();
  private readonly characters = new Map<string, Character>();

  constructor(
    private readonly s: ApiSettings,
    readonly renderer: MediaRenderer,
  ) {}

  reset(): void {
    this.jobs.clear();
    this.characters.clear();
  }

  videos(): VideoResource[] {
    const now = this.s.clock();
    return this.jobs.all().map((j) => toVideoResource(j, now, this.s.expiresAfterS));
  }

  async handle(route: RouteKind, input: HandlerInput): Promise<HandlerResult> {
    switch (route) {
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
      case 'unknown':
        throw new Error('unknown routes are answered by the server');
    }
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
    const source = this.completedSource(input.id!, 'remix', null);
    const { prompt } = parseRemix(input.body.fields);
    const render: RenderSpec = { kind: 'edit', base: source.render, prompt };
    const job = this.addJob(
      { model: source.model, prompt, size: source.size, seconds: source.seconds, remixedFrom: source.id, render },
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
    const page = this.jobs.list(parseListQuery(query));
    const now = this.s.clock();
    const data = page.jobs.map((j) => toVideoResource(j, now, this.s.expiresAfterS));
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
      reply: json(toVideoResource(job, this.s.clock(), this.s.expiresAfterS), 200, { 'openai-poll-after-ms': String(this.s.pollAfterMs) }),
      videoId: id,
    };
  }

  private delete(id: string): HandlerResult {
    const job = this.mustGet(id);
    const { status } = jobState(job, this.s.clock());
    if (status !== 'completed' && status !== 'failed') {
      throw new ApiError(409, `Video '${id}' is ${status}; only completed or failed videos can be deleted.`, {
        code: 'video_not_finished',
      });
    }
    this.jobs.delete(id);
    return { reply: json({ id, object: 'video.deleted', deleted: true }), videoId: id };
  }

  private async content(input: HandlerInput): Promise<HandlerResult> {
    const id = input.id!;
    const job = this.mustGet(id);
    const variantParam = input.query.get('variant') ?? 'video';
    const variants: Variant[] = ['video', 'thumbnail', 'spritesheet'];
    if (!variants.includes(variantParam as Variant)) throw invalidValue('variant', variantParam, variants);
    const now = this.s.clock();
    const { status } = jobState(job, now);
    if (input.fault?.type === 'content_expired' || (status === 'completed' && isExpired(job, now, this.s.expiresAfterS))) {
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
      asset = await this.renderer.asset(job.render, variantParam as Variant);
    } catch (err) {
      throw new ApiError(500, `The server had an error while rendering the content: ${(err as Error).message}`);
    }
    return { reply: { kind: 'asset', asset, range: input.range }, videoId: id };
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

  private addJob(
    fields: Pick<Job, 'model' | 'prompt' | 'size' | 'seconds' | 'remixedFrom' | 'render'>,
    renderSeconds: number,
    fault: FaultAction | undefined,
  ): Job {
    const outcome = outcomeOf(fault);
    const job = this.jobs.add({
      ...fields,
      createdAtMs: this.s.clock(),
      queuedMs: this.s.queuedMs,
      runMs: this.s.msPerVideoSecond * renderSeconds,
      outcome,
    });
    if (this.s.prerender && outcome.kind === 'complete') this.renderer.prerender(job.render);
    return job;
  }

  /** The answer to a create: the job as it is at its creation instant (always `queued`). */
  private created(job: Job): HandlerResult {
    return { reply: json(toVideoResource(job, job.createdAtMs, this.s.expiresAfterS)), videoId: job.id };
  }

  private mustGet(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw videoNotFound(id);
    return job;
  }

  private completedSource(id: string, action: string, param: string | null): Job {
    const job = this.jobs.get(id);
    if (!job) throw videoNotFound(id, param);
    const { status } = jobState(job, this.s.clock());
    if (status !== 'completed') {
      throw new ApiError(400, `Video '${id}' is ${status}; only completed videos can be used to ${action}.`, {
        param,
        code: 'invalid_state',
      });
    }
    return job;
  }

  /** The job (or, for an upload, a job-like description) an extension or edit starts from. */
  private async resolveSource(ref: SourceRef, action: string): Promise<{ id: string | null } & Pick<Job, 'model' | 'size' | 'render'>> {
    if (ref.kind === 'id') return this.completedSource(ref.id, action, 'video');
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

function outcomeOf(fault: FaultAction | undefined): JobOutcome {
  if (fault?.type === 'job_failed') return { kind: 'fail', code: fault.code, atProgress: fault.atProgress ?? 0 };
  if (fault?.type === 'job_stuck') return { kind: 'stuck', atProgress: fault.atProgress ?? 99 };
  return { kind: 'complete' };
}
