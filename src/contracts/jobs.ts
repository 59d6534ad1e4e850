/**
 * A clip request and what polling a job observes: plain JSON that travels through Temporal payloads between
 * workflows, activities and provider adapters.
 */
import type { PixelSize } from './capabilities.js';

export type ImageInput = { kind: 'file'; path: string; mime: 'image/png' | 'image/jpeg' | 'image/webp' };

/** One clip to generate. Plain JSON (it travels through Temporal payloads). */
export interface GenerateRequest {
  /** Our reference for this job: `${productionId}:${sceneId}:${jobAttempt}`. Logged everywhere. */
  clientRef: string;
  model: string;
  prompt: string;
  negativePrompt?: string;
  seconds: number;
  size: PixelSize;
  fps: number;
  /** Already prepared at the exact pixel size when the provider requires it. */
  firstFrame?: ImageInput;
  lastFrame?: ImageInput;
  referenceImages?: ImageInput[];
  /** Provider-native extension of an earlier job of the same provider. */
  extendJobId?: string;
  /** A new take of an earlier job of the same provider, steered by `prompt` (providers with remix). */
  remixJobId?: string;
  seed?: number;
  /** Shown on the local provider's clips; ignored by remote providers. */
  title?: string;
}

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';

/** What a poll observed. Plain JSON. */
export interface JobSnapshot {
  provider: string;
  jobId: string;
  state: JobState;
  /** 0..1 */
  progress?: number;
  /** ISO time after which the output can no longer be downloaded. */
  expiresAt?: string;
  /** Provider's hint for the next poll, in milliseconds. */
  pollAfterMs?: number;
  /** Seconds of video the job produced (an extension reports the stitched total). */
  seconds?: number;
  /** Requests ahead of this one in the provider's queue, while queued (fal's `queue_position`). */
  queuePosition?: number;
  /**
   * What the provider reports it billed for a finished job, where its API says (fal: `x-fal-billable-units` on the
   * result, in the model's price unit, seconds for every video model storyreel knows), and that priced by the catalog.
   */
  billed?: { units: number; usd?: number };
  /**
   * Set when state is failed or canceled: the classified reason. `job_stuck`: the provider ended the job itself at
   * the deadline it was given (Replicate's Cancel-After), which the workflow treats like its own deadline.
   */
  failure?: { kind: 'job_failed' | 'content_policy' | 'job_stuck'; code?: string; message: string };
}
