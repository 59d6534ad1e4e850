/**
 * A storyreel request as a Replicate model's `input` object, the local checks against what that model takes, and
 * the comparison of an echoed `input` with the one we sent (reconciliation). Pure except for reading image files.
 */
import { readFile } from 'node:fs/promises';
import { describeSeconds, secondsAllowed, sizeText } from '../../contracts/capabilities.js';
import { canonicalJson } from '../../contracts/hash.js';
import type { GenerateRequest, ImageInput } from '../../contracts/jobs.js';
import type { InputValue, ReplicateModel } from './models.js';

/** Replicate's client refuses data URLs above 10 MB in total; the API documents URLs for large files. */
export const MAX_DATA_URL_BYTES = 10_000_000;

/** Problems with the request for this model, each naming the field and what to do. Pure. */
export function inputProblems(id: string, m: ReplicateModel, request: GenerateRequest): string[] {
  const { caps, input } = m;
  const problems: string[] = [];
  const size = sizeText(request.size);
  if (!secondsAllowed(caps.seconds, request.seconds))
    problems.push(`seconds: ${request.seconds} is not allowed by ${id}; allowed: ${describeSeconds(caps.seconds)}`);
  if (input.duration?.frames && secondsAllowed(caps.seconds, request.seconds) && !input.duration.frames[request.seconds])
    problems.push(`seconds: ${id} has no frame count for ${request.seconds} s`);
  if (!input.sizes[size]) problems.push(`size: ${size} is not offered by ${id}; allowed: ${Object.keys(input.sizes).join(', ')}`);
  const bySize = input.secondsBySize?.[size];
  if (bySize && !bySize.includes(request.seconds))
    problems.push(`seconds: ${id} makes ${size} clips of ${bySize.join(', ')} s only; use a smaller size for ${request.seconds} s`);
  if (request.firstFrame && !input.firstFrame) problems.push(`firstFrame: ${id} takes no start image; use continuity "independent"`);
  if (!request.firstFrame && input.requiresFirstFrame)
    problems.push(
      `firstFrame: ${id} is image-to-video and needs a first frame; use continuity "chain" or "anchor", or a text-to-video model`,
    );
  if (request.lastFrame && !input.lastFrame) problems.push(`lastFrame: ${id} takes no last frame; use a model with keyframes`);
  if (request.referenceImages?.length) problems.push(`referenceImages: not mapped for ${id}`);
  if (request.extendJobId || request.remixJobId) problems.push(`${id}: Replicate predictions cannot extend or remix an earlier job`);
  if (request.prompt.length > caps.promptLimit) problems.push(`prompt: ${request.prompt.length} characters, at most ${caps.promptLimit}`);
  return problems;
}

async function dataUrl(image: ImageInput): Promise<string> {
  const bytes = await readFile(image.path);
  return `data:${image.mime};base64,${bytes.toString('base64')}`;
}

/** The `input` object for this model; images become data URLs. Assumes `inputProblems` found nothing. */
export async function buildInput(m: ReplicateModel, request: GenerateRequest): Promise<Record<string, InputValue>> {
  const { input } = m;
  const out: Record<string, InputValue> = { ...input.fixed, ...input.sizes[sizeText(request.size)], [input.prompt]: request.prompt };
  if (input.duration) out[input.duration.field] = input.duration.frames ? input.duration.frames[request.seconds]! : request.seconds;
  if (input.negativePrompt && request.negativePrompt) out[input.negativePrompt] = request.negativePrompt;
  if (input.seed && request.seed !== undefined) out[input.seed] = request.seed;
  if (input.audio) out[input.audio] = true;
  let imageBytes = 0;
  for (const [field, image] of [
    [input.firstFrame, request.firstFrame],
    [input.lastFrame, request.lastFrame],
  ] as const) {
    if (!field || !image) continue;
    out[field] = await dataUrl(image);
    imageBytes += (out[field] as string).length;
  }
  if (imageBytes > MAX_DATA_URL_BYTES)
    throw new RangeError(`images take ${imageBytes} bytes as data URLs, more than ${MAX_DATA_URL_BYTES}`);
  return out;
}

/** The image fields of this model: the API may store an image we sent as a data URL and echo a URL instead. */
export function imageFields(m: ReplicateModel): Set<string> {
  return new Set([m.input.firstFrame, m.input.lastFrame].filter((f): f is string => !!f));
}

/**
 * Whether an echoed `input` is exactly what we sent: the same fields with the same values. An image field matches
 * when equal, or when we sent a data URL and the API shows a URL of its own (it keeps uploads as files); an image we
 * sent never matches an image we did not.
 */
export function sameInput(sent: Record<string, unknown>, echoed: unknown, images: Set<string>): boolean {
  if (!echoed || typeof echoed !== 'object' || Array.isArray(echoed)) return false;
  const e = echoed as Record<string, unknown>;
  const keys = new Set([...Object.keys(sent), ...Object.keys(e)]);
  for (const k of keys) {
    const a = sent[k];
    const b = e[k];
    if (images.has(k) && typeof a === 'string' && a.startsWith('data:') && typeof b === 'string' && /^https?:\/\//.test(b)) continue;
    if (canonicalJson(a) !== canonicalJson(b)) return false;
  }
  return true;
}
