/**
 * Gemini Omni through the Interactions API, as pure data: the create body (`background: true`, video output shaped
 * by `response_format`, the task in `generation_config.video_config`), and what an interaction document says about
 * the job: `status` (queued, in_progress, completed, failed, cancelled, incomplete, …) and the video in
 * `steps[type=model_output].content[type=video]` as inline base64 `data` or a `uri` (the older `outputs[]` envelope
 * is read too).
 */
import type { GenerateRequest, JobSnapshot } from '../../contracts/jobs.js';
import type { ProviderSettings } from '../../contracts/provider-settings.js';
import { GOOGLE_PROVIDER, type GoogleSettings } from './catalog.js';
import { INTERACTION_SAFETY_CODES } from './errors.js';
import { isMediaRef } from './json-media-reader.js';
import { resolutionOf } from './models.js';
import type { InlineImage, VideoLocation } from './veo.js';

export const INTERACTION_JOB_PREFIX = 'interactions/';

export function interactionJobId(id: string): string {
  return `${INTERACTION_JOB_PREFIX}${id}`;
}

export function interactionIdOf(jobId: string): string | undefined {
  return jobId.startsWith(INTERACTION_JOB_PREFIX) ? jobId.slice(INTERACTION_JOB_PREFIX.length) : undefined;
}

/**
 * The body of `POST …/interactions`. A first frame makes it image-to-video; without one, reference images make it
 * reference-to-video (Omni takes one or the other here, as Veo does).
 */
export function interactionBody(
  request: GenerateRequest,
  settings: ProviderSettings,
  images: { first?: InlineImage; references: InlineImage[] },
): Record<string, unknown> {
  const shape = resolutionOf(request.size)!;
  const sent = images.first ? [images.first] : images.references;
  const task = images.first ? 'image_to_video' : sent.length ? 'reference_to_video' : 'text_to_video';
  const delivery = (settings as GoogleSettings).delivery;
  return {
    model: request.model,
    input: sent.length
      ? [{ type: 'text', text: request.prompt }, ...sent.map((i) => ({ type: 'image', data: i.imageBytes, mime_type: i.mimeType }))]
      : request.prompt,
    response_modalities: ['video'],
    response_format: {
      type: 'video',
      aspect_ratio: shape.aspect,
      resolution: shape.resolution,
      duration: `${request.seconds}s`,
      ...(delivery ? { delivery } : {}),
    },
    generation_config: { video_config: { task }, ...(request.seed !== undefined ? { seed: request.seed } : {}) },
    background: true,
  };
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);

export interface InteractionRead {
  snapshot: JobSnapshot;
  video?: VideoLocation;
}

/** The job an interaction document describes. */
export function interactionSnapshot(jobId: string, doc: unknown, opts: { retentionS: number; imagesSent: boolean }): InteractionRead {
  const i = obj(doc);
  const base = { provider: GOOGLE_PROVIDER, jobId };
  const status = typeof i.status === 'string' ? i.status : 'in_progress';
  if (status === 'queued') return { snapshot: { ...base, state: 'queued', progress: 0 } };
  if (status === 'in_progress') return { snapshot: { ...base, state: 'running' } };
  if (status === 'cancelled')
    return {
      snapshot: {
        ...base,
        state: 'canceled',
        failure: { kind: 'job_failed', code: 'cancelled', message: `${GOOGLE_PROVIDER}: the interaction was cancelled` },
      },
    };
  const outputs = [
    ...list(i.steps).filter((s) => s.type === 'model_output'),
    ...(Array.isArray(i.outputs) ? [{ content: i.outputs }] : []),
  ];
  const contents = outputs.flatMap((s) => list(s.content));
  if (status === 'completed') {
    const video = contents
      .filter((c) => c.type === 'video')
      .map(locate)
      .find((v) => !!v);
    if (video) {
      return {
        snapshot: { ...base, state: 'succeeded', progress: 1, expiresAt: new Date(Date.now() + opts.retentionS * 1000).toISOString() },
        video,
      };
    }
    const said = contents
      .filter((c) => c.type === 'text' && typeof c.text === 'string')
      .map((c) => c.text as string)
      .join(' ')
      .slice(0, 300);
    return {
      snapshot: {
        ...base,
        state: 'failed',
        failure: {
          kind: 'job_failed',
          code: 'no_video',
          message: `${GOOGLE_PROVIDER}: the interaction completed without a video${said ? ` (the model said: ${said})` : ''}`,
        },
      },
    };
  }
  // failed, incomplete, budget_exceeded, and states a background video job should never reach (requires_action…).
  const errors = [...list(i.errors), ...outputs.map((s) => obj(s.error)).filter((e) => Object.keys(e).length)];
  const codes = errors.map((e) => (typeof e.code === 'string' || typeof e.code === 'number' ? String(e.code) : '')).filter(Boolean);
  const message = errors
    .map((e) => (typeof e.message === 'string' ? e.message : ''))
    .filter(Boolean)
    .join('; ')
    .slice(0, 500);
  const safety = codes.find((c) => INTERACTION_SAFETY_CODES.has(c));
  if (safety) {
    const input = opts.imagesSent ? 'prompt or input images' : 'prompt';
    return {
      snapshot: {
        ...base,
        state: 'failed',
        failure: {
          kind: 'content_policy',
          code: safety,
          message: `${GOOGLE_PROVIDER}: ${message || 'blocked by safety filters'} (input: ${input}, or the generated video)`,
        },
      },
    };
  }
  return {
    snapshot: {
      ...base,
      state: 'failed',
      failure: {
        kind: 'job_failed',
        code: codes[0] ?? status,
        message: `${GOOGLE_PROVIDER}: the interaction ended ${status}${message ? `: ${message}` : ''}`,
      },
    },
  };
}

function locate(content: Obj): VideoLocation | undefined {
  if (isMediaRef(content.data)) return { media: content.data.$media };
  if (typeof content.uri === 'string') return content.uri.startsWith('gs://') ? { gcsUri: content.uri } : { uri: content.uri };
  return undefined;
}
