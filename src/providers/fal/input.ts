/**
 * Pure: which fal endpoint a request goes to and the input body it sends, from the model's spec. Image fields are
 * filled by the caller with URLs (uploads to fal's storage) after this decided which fields exist.
 */
import { describeSeconds, secondsAllowed, sizeText } from '../../contracts/capabilities.js';
import type { GenerateRequest } from '../../contracts/jobs.js';
import type { ProviderSettings } from '../../contracts/provider-settings.js';
import { wantsAudio, type FalSettings } from './catalog.js';
import type { FalModelSpec } from './models.js';

export interface FalCall {
  /** The endpoint id the create is POSTed to (model id with its subpath). */
  endpoint: string;
  input: Record<string, unknown>;
  /** Input field → which image goes there. */
  images: { field: string; which: 'firstFrame' | 'lastFrame' }[];
}

/** Problems with the request for this model, as `field: what to do` messages. Pure. */
export function falProblems(id: string, spec: FalModelSpec, request: GenerateRequest): string[] {
  const problems: string[] = [];
  if (!secondsAllowed(spec.seconds, request.seconds))
    problems.push(`seconds: ${request.seconds} is not allowed by fal/${id}; allowed: ${describeSeconds(spec.seconds)}`);
  const size = sizeText(request.size);
  if (!spec.sizes[size]) problems.push(`size: ${size} is not offered by fal/${id}; allowed: ${Object.keys(spec.sizes).join(', ')}`);
  if (request.prompt.length > spec.promptLimit) problems.push(`prompt: ${request.prompt.length} characters, at most ${spec.promptLimit}`);
  if (request.firstFrame && !(spec.imageToVideo && spec.firstFrameField))
    problems.push(`firstFrame: fal/${id} has no image-to-video endpoint; use continuity "none" or another model`);
  if (request.lastFrame && !request.firstFrame) problems.push('lastFrame: fal models take a last frame only together with a first frame');
  if (request.lastFrame && !spec.lastFrameField)
    problems.push(`lastFrame: fal/${id} takes no last frame; use continuity "chain" or another model`);
  if (request.referenceImages?.length) problems.push(`referenceImages: fal/${id} takes no reference images here`);
  if (request.extendJobId) problems.push(`extend: fal/${id} cannot extend a clip through storyreel`);
  if (request.remixJobId) problems.push(`remix: fal/${id} has no remix`);
  return problems;
}

function durationValue(spec: FalModelSpec, seconds: number): Record<string, unknown> {
  switch (spec.durationFormat) {
    case 'integer':
      return { [spec.durationField]: seconds };
    case 'string':
      return { [spec.durationField]: String(seconds) };
    case 'seconds-suffix':
      return { [spec.durationField]: `${seconds}s` };
    case 'frames': {
      const fps = spec.framesPerSecond ?? 16;
      // Frame-count models count the first frame too (Wan: 81 frames at 16 fps = 5 s).
      return { [spec.durationField]: Math.round(seconds * fps) + 1, frames_per_second: fps };
    }
  }
}

/** The endpoint and input for a request (validated first with falProblems). */
export function falCall(spec: FalModelSpec, request: GenerateRequest, settings: ProviderSettings): FalCall {
  const withImage = !!request.firstFrame;
  const flf = !!request.lastFrame && !!spec.firstLastFrame;
  const endpoint = flf ? spec.firstLastFrame! : withImage ? spec.imageToVideo! : spec.textToVideo;
  const sizeFields = { ...spec.sizes[sizeText(request.size)] };
  if (withImage) for (const f of spec.sizeFieldsIgnoredWithImage ?? []) delete sizeFields[f];
  const images: FalCall['images'] = [];
  if (withImage) images.push({ field: (flf ? spec.firstLastFirstField : undefined) ?? spec.firstFrameField!, which: 'firstFrame' });
  if (request.lastFrame) images.push({ field: spec.lastFrameField!, which: 'lastFrame' });
  const input: Record<string, unknown> = {
    ...((settings as FalSettings).input ?? {}),
    prompt: request.prompt,
    ...durationValue(spec, request.seconds),
    ...sizeFields,
    ...(spec.negativePromptField && request.negativePrompt ? { [spec.negativePromptField]: request.negativePrompt } : {}),
    ...(spec.seedField && request.seed !== undefined ? { [spec.seedField]: request.seed } : {}),
    ...(spec.audioField ? { [spec.audioField]: wantsAudio(spec, settings) } : {}),
  };
  return { endpoint, input, images };
}
