/**
 * Video jobs and their lifecycle, computed lazily from the clock on every read (no timers):
 *
 *   t ≤ 0 or t < queuedMs            queued       progress 0
 *   queuedMs ≤ t < queuedMs + runMs  in_progress  progress = ⌊100·(t − queuedMs)/runMs⌋ (≤ 99)
 *   t ≥ queuedMs + runMs             completed    progress 100, completed_at, expires_at = completed_at + expiresAfterS
 *
 * where t = now − created. A `fail` outcome ends `failed` as soon as progress reaches `atProgress`; a `stuck`
 * outcome stays `in_progress` at min(progress, atProgress) forever.
 */
import { randomBytes } from 'node:crypto';
import { ApiError, invalidType, invalidValue } from './errors.js';
import type { RenderSpec } from './media.js';

/** The `Video` object (`VideoResource` in openapi.yaml). */
export interface VideoResource {
  id: string;
  object: 'video';
  model: string;
  status: VideoStatus;
  /** Approximate percent, integer 0..100. */
  progress: number;
  /** Unix seconds. */
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  prompt: string | null;
  size: string;
  /** Clip length in seconds, as a string; for extensions the stitched total. */
  seconds: string;
  remixed_from_video_id: string | null;
  error: { code: string; message: string } | null;
}

export type VideoStatus = 'queued' | 'in_progress' | 'completed' | 'failed';

export type FailureCode = 'moderation_blocked' | 'processing_error';

export type JobOutcome =
  { kind: 'complete' } | { kind: 'fail'; code: FailureCode; atProgress: number } | { kind: 'stuck'; atProgress: number };

/** [real] The moderation failure text; the processing_error text is a stand-in. */
export const FAILURE_MESSAGES: Record<FailureCode, string> = {
  moderation_blocked: 'Your request was blocked by our moderation system.',
  processing_error: "We're under heavy load, please try again later.",
};

export interface Job {
  id: string;
  /** Creation order; ties in `created_at` are broken by it. */
  seq: number;
  model: string;
  prompt: string;
  size: string;
  /** `seconds` of the Video object (stitched total for extensions). */
  seconds: number;
  remixedFrom: string | null;
  createdAtMs: number;
  /** Time spent queued, ms. */
  queuedMs: number;
  /** Time spent in progress until completion, ms. */
  runMs: number;
  outcome: JobOutcome;
  /** How to produce the content. */
  render: RenderSpec;
}

export interface JobState {
  status: VideoStatus;
  progress: number;
  /** Epoch ms at which the job completed; null unless completed. */
  completedAtMs: number | null;
}

export function jobState(job: Job, nowMs: number): JobState {
  const elapsed = nowMs - job.createdAtMs;
  if (elapsed <= 0 || elapsed < job.queuedMs) {
    // Every job is queued at its creation instant (so a create answers `queued`, even with zero timings); a job
    // failing at 0 % fails when it leaves the queue.
    return { status: 'queued', progress: 0, completedAtMs: null };
  }
  const linear = job.runMs <= 0 ? 100 : Math.min(100, Math.floor((100 * (elapsed - job.queuedMs)) / job.runMs));
  const o = job.outcome;
  if (o.kind === 'fail' && linear >= o.atProgress) return { status: 'failed', progress: o.atProgress, completedAtMs: null };
  if (o.kind === 'stuck') return { status: 'in_progress', progress: Math.min(linear, o.atProgress), completedAtMs: null };
  if (linear >= 100 && o.kind === 'complete')
    return { status: 'completed', progress: 100, completedAtMs: job.createdAtMs + job.queuedMs + job.runMs };
  return { status: 'in_progress', progress: Math.min(linear, 99), completedAtMs: null };
}

export function toVideoResource(job: Job, nowMs: number, expiresAfterS: number): VideoResource {
  const state = jobState(job, nowMs);
  const completedAt = state.completedAtMs === null ? null : Math.floor(state.completedAtMs / 1000);
  return {
    id: job.id,
    object: 'video',
    model: job.model,
    status: state.status,
    progress: state.progress,
    created_at: Math.floor(job.createdAtMs / 1000),
    completed_at: completedAt,
    expires_at: completedAt === null ? null : completedAt + expiresAfterS,
    prompt: job.prompt,
    size: job.size,
    seconds: String(job.seconds),
    remixed_from_video_id: job.remixedFrom,
    error:
      job.outcome.kind === 'fail' && state.status === 'failed'
        ? { code: job.outcome.code, message: FAILURE_MESSAGES[job.outcome.code] }
        : null,
  };
}

/** True when the job's downloadable assets have expired (`now ≥ expires_at`). */
export function isExpired(job: Job, nowMs: number, expiresAfterS: number): boolean {
  const { completedAtMs } = jobState(job, nowMs);
  if (completedAtMs === null) return false;
  return nowMs >= (Math.floor(completedAtMs / 1000) + expiresAfterS) * 1000;
}

export function newVideoId(): string {
  return `video_${randomBytes(16).toString('hex')}`;
}

export interface ListQuery {
  /** 0..100, default 20. */
  limit: number;
  order: 'asc' | 'desc';
  after: string | undefined;
}

export interface ListPage {
  jobs: Job[];
  hasMore: boolean;
}

/** Parses `limit`, `order` and `after` with the spec's bounds (`limit` 0..100). */
export function parseListQuery(q: URLSearchParams): ListQuery {
  const rawLimit = q.get('limit');
  let limit = 20;
  if (rawLimit !== null) {
    if (!/^-?\d+$/.test(rawLimit)) throw invalidType('limit', 'an integer', rawLimit);
    limit = Number(rawLimit);
    if (limit < 0)
      throw new ApiError(400, `Invalid 'limit': integer below minimum value. Expected a value >= 0, but got ${limit} instead.`, {
        param: 'limit',
        code: 'integer_below_min_value',
      });
    if (limit > 100)
      throw new ApiError(400, `Invalid 'limit': integer above maximum value. Expected a value <= 100, but got ${limit} instead.`, {
        param: 'limit',
        code: 'integer_above_max_value',
      });
  }
  const order = q.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw invalidValue('order', order, ['asc', 'desc']);
  return { limit, order, after: q.get('after') ?? undefined };
}

/** All jobs of one mock, with deletion tombstones so a deleted video still works as a list cursor. */
export class JobStore {
  private readonly jobs = new Map<string, Job>();
  private readonly deletedSeq = new Map<string, number>();
  private nextSeq = 1;

  add(fields: Omit<Job, 'id' | 'seq'>): Job {
    const job: Job = { ...fields, id: newVideoId(), seq: this.nextSeq++ };
    this.jobs.set(job.id, job);
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  delete(id: string): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.jobs.delete(id);
    this.deletedSeq.set(id, job.seq);
  }

  /** In creation order. */
  all(): Job[] {
    return [...this.jobs.values()].sort((a, b) => a.seq - b.seq);
  }

  clear(): void {
    this.jobs.clear();
    this.deletedSeq.clear();
  }

  list(q: ListQuery): ListPage {
    const ordered = this.all();
    if (q.order === 'desc') ordered.reverse();
    let rest = ordered;
    if (q.after !== undefined) {
      const cursor = this.jobs.get(q.after)?.seq ?? this.deletedSeq.get(q.after);
      if (cursor === undefined)
        throw new ApiError(400, `Invalid 'after': no video with id '${q.after}'.`, { param: 'after', code: 'invalid_value' });
      rest = ordered.filter((j) => (q.order === 'asc' ? j.seq > cursor : j.seq < cursor));
    }
    return { jobs: rest.slice(0, q.limit), hasMore: rest.length > q.limit };
  }
}
