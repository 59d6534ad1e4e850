/**
 * Video jobs on the kit's JobStore, and the `Video` object they are shown as. Lifecycle (kit/jobs.ts, from the
 * clock on every read): `queued` for queuedMs, then `in_progress` with progress = ⌊100·t/runMs⌋ (≤ 99), then
 * `completed` (`completed_at`, `expires_at = completed_at + expiresAfterS`); a failed job keeps `completed_at` and
 * `expires_at` null and the progress at failure.
 */
import { randomBytes } from 'node:crypto';
import type { Job, JobPhase, JobStore, JobView, RenderSpec } from '../kit/index.js';
import { ApiError, invalidType, invalidValue } from './errors.js';
import type { FailureCode } from './faults.js';

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

/** The Videos API has no throttled or canceled state: throttled shows as queued; nothing here cancels. */
export const VIDEO_STATES: Record<JobPhase, VideoStatus> = {
  queued: 'queued',
  throttled: 'queued',
  running: 'in_progress',
  succeeded: 'completed',
  failed: 'failed',
  canceled: 'failed',
};

/** [real] The moderation failure text; the processing_error text is a stand-in. */
export const FAILURE_MESSAGES: Record<FailureCode, string> = {
  moderation_blocked: 'Your request was blocked by our moderation system.',
  processing_error: "We're under heavy load, please try again later.",
};

export interface VideoData {
  model: string;
  prompt: string;
  size: string;
  /** `seconds` of the Video object (stitched total for extensions). */
  seconds: number;
  remixedFrom: string | null;
  /** How to produce the content. */
  render: RenderSpec;
}

export type VideoJob = Job<VideoData>;
export type VideoJobs = JobStore<VideoData, VideoStatus>;

export function newVideoId(): string {
  return `video_${randomBytes(16).toString('hex')}`;
}

export function toVideoResource(job: VideoJob, view: JobView<VideoStatus>, expiresAfterS: number): VideoResource {
  const completedAt = view.phase === 'succeeded' ? Math.floor(view.finishedAtMs! / 1000) : null;
  const code = view.failureCode;
  return {
    id: job.id,
    object: 'video',
    model: job.data.model,
    status: view.state,
    progress: view.progress,
    created_at: Math.floor(job.createdAtMs / 1000),
    completed_at: completedAt,
    expires_at: completedAt === null ? null : completedAt + expiresAfterS,
    prompt: job.data.prompt,
    size: job.data.size,
    seconds: String(job.data.seconds),
    remixed_from_video_id: job.data.remixedFrom,
    error: code === null ? null : { code, message: FAILURE_MESSAGES[code as FailureCode] ?? 'The video failed.' },
  };
}

/** True when the job's downloadable assets have expired (`now ≥ expires_at`). */
export function isExpired(view: JobView<VideoStatus>, nowMs: number, expiresAfterS: number): boolean {
  if (view.phase !== 'succeeded') return false;
  return nowMs >= (Math.floor(view.finishedAtMs! / 1000) + expiresAfterS) * 1000;
}

export interface ListQuery {
  /** 0..100, default 20. */
  limit: number;
  order: 'asc' | 'desc';
  after: string | undefined;
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

/** One page of the list; a cursor that names no video (live or deleted) is a 400. */
export function listPage(jobs: VideoJobs, q: ListQuery): { jobs: VideoJob[]; hasMore: boolean } {
  const page = jobs.page(q);
  if (!page) throw new ApiError(400, `Invalid 'after': no video with id '${q.after}'.`, { param: 'after', code: 'invalid_value' });
  return page;
}
