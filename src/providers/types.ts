/**
 * The provider contract. Every video-generation backend (the built-in `local` renderer, the OpenAI-compatible
 * `/v1/videos` API, ...) implements VideoProvider. Adapters never import Temporal: they take an AbortSignal and an
 * onProgress callback, and they throw ProviderError (see errors.ts) and nothing else.
 */

export interface PixelSize {
  width: number;
  height: number;
}

/** Allowed clip lengths: a fixed set (e.g. 4, 8, 12) or a stepped range. */
export type SecondsSpec = { kind: 'enum'; values: readonly number[] } | { kind: 'range'; min: number; max: number; step: number };

/** USD per generated second; the first rule whose `sizes` include the request's size (or has none) wins. */
export interface PriceRule {
  sizes?: readonly string[];
  usdPerSecond: number;
}

export type LifecycleStatus = 'preview' | 'ga' | 'deprecated' | 'shutdown';

export interface ProviderCapabilities {
  provider: string;
  model: string;
  lifecycle: { status: LifecycleStatus; /** ISO date */ shutdownAt?: string; note?: string };
  seconds: SecondsSpec;
  /** Exact pixel sizes the provider may be asked for. The first size of an aspect is its default. */
  sizes: readonly PixelSize[];
  /** Any size is accepted (the local renderer); `sizes` then only supplies the per-aspect defaults. */
  anySize: boolean;
  /** Frame rates the provider renders at; a different storyboard fps is converted at assembly. */
  fps: readonly number[];
  nativeAudio: boolean;
  /** Longest prompt in characters. The composer trims low-priority blocks to fit. */
  promptLimit: number;
  negativePrompt: boolean;
  firstFrame: boolean;
  lastFrame: boolean;
  /** The first-frame image must have exactly the requested pixel size (OpenAI: yes). */
  firstFrameExactSize: boolean;
  maxReferenceImages: number;
  /** Provider-native extension of a previous clip; the result is the stitched whole. */
  extend: false | { seconds: SecondsSpec; maxTotalSeconds: number };
  remix: boolean;
  cancel: 'server' | 'none';
  /** Typical time to render one second of video, for the per-job deadline (job_stuck). */
  renderSecondsPerSecond: number;
  /** How long a finished output can be downloaded, in seconds. */
  outputRetentionSeconds: number;
  pricing: readonly PriceRule[];
}

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
  /** Set when state is failed: the classified reason. */
  failure?: { kind: 'job_failed' | 'content_policy'; code?: string; message: string };
}

export interface DownloadedFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface ReconcileWindow {
  since: Date;
  exclude: readonly string[];
}

export interface CallContext {
  signal?: AbortSignal;
  /** Called with 0..1 while a long call makes progress (a download, a render). */
  onProgress?: (fraction: number) => void;
}

export interface VideoProvider {
  readonly id: string;
  capabilities(model: string): ProviderCapabilities;
  /** Pure and local: problems with the request as messages (field: what to do). Never calls the network. */
  validate(request: GenerateRequest): string[];
  /** Throws ProviderError(model_unavailable) before any request when the endpoint/model is shut down. */
  assertAvailable(model: string): void;
  /** Exactly one POST (SDK retries off). An outcome the server may have seen throws kind 'ambiguous_submit'. */
  submit(request: GenerateRequest, ctx: CallContext): Promise<JobSnapshot>;
  /** One idempotent status read. */
  poll(jobId: string, ctx: CallContext): Promise<JobSnapshot>;
  /** Streams the output to `dest` (the caller verifies and renames). Throws output_expired when it is gone. */
  download(jobId: string, dest: string, ctx: CallContext): Promise<DownloadedFile>;
  /** Best effort. */
  cancel(jobId: string, ctx: CallContext): Promise<{ supported: boolean }>;
  /**
   * Reconcile an ambiguous submit: the job the server created for this request after `since`, if any — never one
   * of `exclude` (jobs this scene already knows, e.g. an earlier job that failed with the same request).
   */
  findSubmitted?(request: GenerateRequest, window: ReconcileWindow, ctx: CallContext): Promise<JobSnapshot | null>;
}
