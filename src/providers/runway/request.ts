/**
 * A storyreel clip request as Runway's create body: which endpoint (image_to_video when there is a first frame,
 * else text_to_video), and only the fields the model knows (Runway refuses unknown keys). `problems` is the pure,
 * local check `validate` runs; `createBody` builds the body, reading the images as data URIs.
 */
import { readFile, rm } from 'node:fs/promises';
import { runFfmpeg } from '../../media/ffmpeg.js';
import { tempPathFor } from '../../store/files.js';
import { describeSeconds, secondsAllowed, sizeText } from '../../contracts/capabilities.js';
import type { GenerateRequest, ImageInput } from '../../contracts/jobs.js';
import type { ProviderSettings } from '../../contracts/provider-settings.js';
import { wantsAudio, type RunwaySettings } from './catalog.js';
import { ratioToSize, RUNWAY_MODELS, sizeToRatio, type RunwayEndpoint, type RunwayModelSpec } from './models.js';

/** Runway takes a data URI up to 5 MB of text (docs.dev.runwayml.com/assets/inputs). */
export const MAX_DATA_URI_CHARS = 5 * 1024 * 1024;
/** ffmpeg `-q:v` steps tried for a frame too large as PNG (2 is near-lossless). */
const JPEG_QUALITIES = [2, 4, 8];

export function modelsThat(test: (spec: RunwayModelSpec) => boolean): string {
  return Object.entries(RUNWAY_MODELS)
    .filter(([, s]) => test(s))
    .map(([id]) => id)
    .join(', ');
}

/** What is wrong with the request for this model, as `field: what to do` messages. Pure. */
export function problems(model: string, spec: RunwayModelSpec, r: GenerateRequest): string[] {
  const out: string[] = [];
  if (!secondsAllowed(spec.seconds, r.seconds))
    out.push(`seconds: ${r.seconds} is not allowed by runway/${model}; allowed: ${describeSeconds(spec.seconds)}`);
  const ratio = sizeToRatio(r.size);
  if (!spec.ratios.includes(ratio))
    out.push(`size: ${sizeText(r.size)} is not offered by runway/${model}; allowed: ${spec.ratios.map(ratioToSize).join(', ')}`);
  if (!r.prompt.trim() && (!r.firstFrame || spec.promptRequiredWithImage)) out.push(`prompt: runway/${model} needs a prompt`);
  // UTF-16 code units, Runway's unit (a string's length in JavaScript).
  if (r.prompt.length > spec.promptLimit)
    out.push(`prompt: ${r.prompt.length} UTF-16 code units; runway/${model} takes at most ${spec.promptLimit}`);
  if (!spec.textToVideo && !r.firstFrame)
    out.push(
      `firstFrame: runway/${model} is image-to-video only and needs a first frame; use continuity "chain" or "anchor", or one of ${modelsThat((s) => s.textToVideo)}`,
    );
  if (r.lastFrame && !spec.lastFrame)
    out.push(`lastFrame: runway/${model} takes no last frame; models that do: ${modelsThat((s) => s.lastFrame)}`);
  else if (r.lastFrame && !r.firstFrame)
    out.push(
      'lastFrame: Runway takes a last frame only together with a first frame; give the scene an anchor or a previous scene to start from',
    );
  if (r.negativePrompt && !spec.negativePrompt)
    out.push(`negativePrompt: runway/${model} has none; models that do: ${modelsThat((s) => s.negativePrompt)}`);
  if (r.referenceImages?.length)
    out.push('referenceImages: the runway provider sends no reference images; use continuity "anchor" for a first frame');
  if (r.extendJobId) out.push('extendJobId: Runway has no extension of an earlier task; use continuity "chain"');
  if (r.remixJobId) out.push('remixJobId: Runway has no remix of an earlier task');
  return out;
}

export interface CreateCall {
  endpoint: RunwayEndpoint;
  body: Record<string, unknown>;
}

/** The create: endpoint and body. Reads the frame images (throws ImageTooLargeError when one cannot be sent). */
export async function createBody(
  model: string,
  spec: RunwayModelSpec,
  r: GenerateRequest,
  settings: ProviderSettings,
  signal?: AbortSignal,
): Promise<CreateCall> {
  const s = settings as RunwaySettings;
  const body: Record<string, unknown> = {
    model,
    promptText: r.prompt,
    ratio: sizeToRatio(r.size),
    duration: r.seconds,
    ...(spec.seed && r.seed !== undefined ? { seed: r.seed } : {}),
    ...(spec.negativePrompt && r.negativePrompt ? { negativePrompt: r.negativePrompt } : {}),
    ...(spec.audio ? { audio: wantsAudio(spec, settings) } : {}),
    ...(spec.publicFigureThreshold && s.publicFigureThreshold
      ? { contentModeration: { publicFigureThreshold: s.publicFigureThreshold } }
      : {}),
  };
  // An image-only model may take no prompt at all; an empty one is refused, so it is left out.
  if (!r.prompt.trim()) delete body.promptText;
  if (!r.firstFrame) return { endpoint: 'text_to_video', body };
  const first = await dataUri(r.firstFrame, 'firstFrame', signal);
  body.promptImage = r.lastFrame
    ? [
        { uri: first, position: 'first' },
        { uri: await dataUri(r.lastFrame, 'lastFrame', signal), position: 'last' },
      ]
    : first;
  return { endpoint: 'image_to_video', body };
}

export class ImageTooLargeError extends Error {
  override readonly name = 'ImageTooLargeError';
}

/**
 * The image as a data URI. A frame too large for Runway's 5 MB (a detailed 4K PNG) is sent as a JPEG instead, at the
 * best quality that fits: the same picture in a fraction of the bytes.
 */
async function dataUri(image: ImageInput, field: string, signal?: AbortSignal): Promise<string> {
  const uri = `data:${image.mime};base64,${(await readFile(image.path)).toString('base64')}`;
  if (uri.length <= MAX_DATA_URI_CHARS) return uri;
  const jpeg = `${tempPathFor(image.path)}.jpg`;
  try {
    let size = 0;
    for (const quality of JPEG_QUALITIES) {
      await runFfmpeg({
        inputs: [{ source: image.path }],
        output: jpeg,
        expectedDurationS: 0,
        outputOptions: ['-frames:v', '1', '-c:v', 'mjpeg', '-q:v', String(quality), '-pix_fmt', 'yuvj420p', '-f', 'image2'],
        ...(signal ? { signal } : {}),
      });
      const smaller = `data:image/jpeg;base64,${(await readFile(jpeg)).toString('base64')}`;
      if (smaller.length <= MAX_DATA_URI_CHARS) return smaller;
      size = smaller.length;
    }
    throw new ImageTooLargeError(
      `${field}: the image is ${(size / 1024 / 1024).toFixed(1)} MB even as a JPEG data URI; Runway takes at most 5 MB. Use a smaller scene size`,
    );
  } finally {
    await rm(jpeg, { force: true });
  }
}
