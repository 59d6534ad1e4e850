/**
 * Veo on both surfaces, as pure data: the `generateVideos` parameters @google/genai turns into a
 * `predictLongRunning` body, and what a long-running operation document says about the job (Gemini API shape
 * `response.generateVideoResponse.generatedSamples[].video.{uri|encodedVideo}`, Agent Platform shape
 * `response.videos[].{bytesBase64Encoded|gcsUri}`, safety filtering in `raiMediaFilteredCount/Reasons`).
 */
import type { GenerateVideosParameters } from '@google/genai';
import type { GenerateRequest, JobSnapshot } from '../../contracts/jobs.js';
import type { ProviderSettings } from '../../contracts/provider-settings.js';
import { GOOGLE_PROVIDER, makesSound, surfaceOf, type GoogleSettings } from './catalog.js';
import { raiContentPolicy } from './errors.js';
import { isMediaRef } from './json-media-reader.js';
import { resolutionOf, type GoogleModelSpec } from './models.js';

/** An image as the APIs take it: base64 bytes and a MIME type. */
export interface InlineImage {
  imageBytes: string;
  mimeType: string;
}

export interface VeoImages {
  first?: InlineImage;
  last?: InlineImage;
  references: InlineImage[];
}

/**
 * The SDK parameters for one clip. A first frame takes precedence over reference images (Veo takes one or the
 * other); an extension (`extendUri`, Gemini API) sends the source video and no length (it always adds 7 s).
 */
export function veoParameters(
  request: GenerateRequest,
  spec: GoogleModelSpec,
  settings: ProviderSettings,
  images: VeoImages,
  extendUri?: string,
): GenerateVideosParameters {
  const s = settings as GoogleSettings;
  const vertex = surfaceOf(settings) === 'vertex';
  const shape = resolutionOf(request.size)!;
  const references = images.first ? [] : images.references;
  return {
    model: request.model,
    source: {
      prompt: request.prompt,
      ...(images.first ? { image: images.first } : {}),
      ...(extendUri ? { video: { uri: extendUri } } : {}),
    },
    config: {
      numberOfVideos: 1,
      ...(extendUri ? {} : { durationSeconds: request.seconds }),
      aspectRatio: shape.aspect,
      resolution: shape.resolution,
      ...(request.negativePrompt ? { negativePrompt: request.negativePrompt } : {}),
      ...(images.last ? { lastFrame: images.last } : {}),
      // `asset` as Google's REST reference spells it; the SDK passes the value through.
      ...(references.length ? { referenceImages: references.map((image) => ({ image, referenceType: 'asset' as never })) } : {}),
      // The Gemini API takes neither (the SDK throws before sending); the planner refused a seed there already.
      ...(vertex && request.seed !== undefined ? { seed: request.seed } : {}),
      ...(vertex ? { generateAudio: makesSound(spec, settings) } : {}),
      ...(s.personGeneration ? { personGeneration: s.personGeneration as never } : {}),
      ...(s.enhancePrompt !== undefined ? { enhancePrompt: s.enhancePrompt } : {}),
    },
  };
}

/** Where a finished operation's video is: a file uri (Gemini API), or inline bytes (a media string of the read). */
export type VideoLocation = { uri: string } | { media: number } | { gcsUri: string };

export interface VeoRead {
  snapshot: JobSnapshot;
  video?: VideoLocation;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The job an operation document describes. `imagesSent`: the request had input images (for the safety message). */
export function veoSnapshot(jobId: string, doc: unknown, opts: { imagesSent: boolean; retentionS: number; seconds?: number }): VeoRead {
  const op = obj(doc);
  const base = { provider: GOOGLE_PROVIDER, jobId };
  if (op.done !== true) return { snapshot: { ...base, state: 'running' } };
  const error = obj(op.error);
  if (Object.keys(error).length) {
    const code = typeof error.code === 'number' ? `grpc:${error.code}` : 'operation_error';
    const message = typeof error.message === 'string' ? error.message.slice(0, 500) : 'the operation failed';
    return { snapshot: { ...base, state: 'failed', failure: { kind: 'job_failed', code, message: `${GOOGLE_PROVIDER}: ${message}` } } };
  }
  const response = obj(op.response);
  // Gemini API: response.generateVideoResponse; Agent Platform: the response itself.
  const body = Object.keys(obj(response.generateVideoResponse)).length ? obj(response.generateVideoResponse) : response;
  const samples = [...list(body.generatedSamples), ...list(body.videos)].map(obj);
  const video = samples.map(locate).find((v) => !!v);
  if (video) {
    return {
      snapshot: {
        ...base,
        state: 'succeeded',
        progress: 1,
        expiresAt: new Date(Date.now() + opts.retentionS * 1000).toISOString(),
        ...(opts.seconds !== undefined ? { seconds: opts.seconds } : {}),
      },
      video,
    };
  }
  const filtered = typeof body.raiMediaFilteredCount === 'number' ? body.raiMediaFilteredCount : 0;
  const reasons = list(body.raiMediaFilteredReasons).filter((r): r is string => typeof r === 'string');
  if (filtered > 0 || reasons.length)
    return { snapshot: { ...base, state: 'failed', failure: raiContentPolicy(reasons, opts.imagesSent) } };
  return {
    snapshot: {
      ...base,
      state: 'failed',
      failure: { kind: 'job_failed', code: 'no_video', message: `${GOOGLE_PROVIDER}: the operation finished without a video` },
    },
  };
}

/** A sample's video: `{video: {uri | encodedVideo}}` (Gemini API) or `{bytesBase64Encoded | gcsUri}` (Agent Platform). */
function locate(sample: Obj): VideoLocation | undefined {
  const v = Object.keys(obj(sample.video)).length ? obj(sample.video) : sample;
  for (const key of ['encodedVideo', 'bytesBase64Encoded']) {
    const m = v[key];
    if (isMediaRef(m)) return { media: m.$media };
  }
  if (typeof v.uri === 'string') return { uri: v.uri };
  if (typeof v.gcsUri === 'string') return { gcsUri: v.gcsUri };
  return undefined;
}

/** `projects/…/publishers/google/models/{m}/operations/{id}` → the resource whose `:fetchPredictOperation` reads it. */
export function operationResource(name: string): string {
  return name.split('/operations/')[0]!;
}

export function isVeoJobId(jobId: string): boolean {
  return /\/operations\/[^/]+$/.test(jobId) && /^(models|projects|publishers)\//.test(jobId);
}
