/**
 * A storyreel request as a Kling create: which endpoint (`text2video`, or `image2video` when a first or last frame
 * is given), the documented body fields, the local checks that spare a refused request, and the deterministic
 * `external_task_id` that lets a retried submit find the task an earlier attempt created.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { describeSeconds, secondsAllowed, sizeText } from '../../contracts/capabilities.js';
import type { GenerateRequest, ImageInput } from '../../contracts/jobs.js';
import type { ProviderSettings } from '../../contracts/provider-settings.js';
import { modesOf, wantsSound } from './catalog.js';
import { KLING_PROMPT_LIMIT, type KlingAspect, type KlingMode, type KlingModelSpec, type ModeSpec } from './models.js';

export type TaskKind = 'text2video' | 'image2video';
export const TASK_KINDS: readonly TaskKind[] = ['text2video', 'image2video'];

/** Kling's image limits (Image to Video → `image`): .jpg/.jpeg/.png, at most 10 MB. */
const IMAGE_MIMES: readonly ImageInput['mime'][] = ['image/png', 'image/jpeg'];
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

export function kindOf(request: Pick<GenerateRequest, 'firstFrame' | 'lastFrame'>): TaskKind {
  return request.firstFrame || request.lastFrame ? 'image2video' : 'text2video';
}

/** The mode (and its facts) and aspect ratio that render `size` under these settings. */
export function placementOf(
  spec: KlingModelSpec,
  settings: ProviderSettings,
  size: string,
): { mode: KlingMode; m: ModeSpec; aspect: KlingAspect } | undefined {
  for (const [mode, m] of modesOf(spec, settings)) {
    const aspect = (Object.keys(m.sizes) as KlingAspect[]).find((a) => m.sizes[a] === size);
    if (aspect) return { mode, m, aspect };
  }
  return undefined;
}

/** Problems with a request for this model, as `field: what to do` (pure: no file is read). */
export function requestProblems(model: string, spec: KlingModelSpec, settings: ProviderSettings, r: GenerateRequest): string[] {
  const problems: string[] = [];
  const size = sizeText(r.size);
  const placed = placementOf(spec, settings, size);
  if (!placed) {
    const offered = modesOf(spec, settings).flatMap(([, m]) => Object.values(m.sizes));
    problems.push(
      `size: ${size} is not offered by kling/${model}${settings.mode ? ` in ${String(settings.mode)} mode` : ''}; allowed: ${offered.join(', ')}`,
    );
  }
  if (!secondsAllowed(spec.seconds, r.seconds)) {
    problems.push(`seconds: ${r.seconds} is not allowed by kling/${model}; allowed: ${describeSeconds(spec.seconds)}`);
  }
  if (r.lastFrame && placed && !placed.m.lastFrame) {
    const withLast = modesOf(spec, settings).filter(([, m]) => m.lastFrame);
    problems.push(
      `lastFrame: kling/${model} takes a last frame only in ${withLast.map(([mode]) => mode).join('/') || 'no'} mode` +
        (withLast.length ? ` (sizes ${withLast.flatMap(([, m]) => Object.values(m.sizes)).join(', ')})` : '') +
        '; use one of those sizes, or continuity "chain" or "anchor" (first frame only)',
    );
  }
  if (r.prompt.length > KLING_PROMPT_LIMIT)
    problems.push(`prompt: ${r.prompt.length} characters; Kling takes at most ${KLING_PROMPT_LIMIT}`);
  if ((r.negativePrompt?.length ?? 0) > KLING_PROMPT_LIMIT)
    problems.push(`negativePrompt: ${r.negativePrompt!.length} characters; Kling takes at most ${KLING_PROMPT_LIMIT}`);
  for (const [field, image] of [
    ['firstFrame', r.firstFrame],
    ['lastFrame', r.lastFrame],
  ] as const) {
    if (image && !IMAGE_MIMES.includes(image.mime))
      problems.push(`${field}: Kling takes PNG or JPEG images, not ${image.mime}; convert it`);
  }
  if (r.referenceImages?.length) problems.push('referenceImages: Kling text/image to video takes no reference images; remove them');
  if (r.extendJobId) problems.push('continuity: kling cannot extend a clip; use "chain" (first frame = the previous last frame)');
  if (r.remixJobId) problems.push('remix: kling has no remix; a re-take generates anew');
  return problems;
}

/** Raw base64 of an image file (Kling wants no `data:` prefix), after checking its byte size. */
async function base64Of(field: string, image: ImageInput): Promise<string> {
  const { size } = await stat(image.path);
  if (size > MAX_IMAGE_BYTES) throw new Error(`${field}: ${image.path} is ${size} bytes; Kling takes at most 10 MB`);
  return (await readFile(image.path)).toString('base64');
}

/** The create's endpoint kind and body, without `external_task_id` (see externalTaskId). */
export async function buildCreate(
  model: string,
  spec: KlingModelSpec,
  settings: ProviderSettings,
  r: GenerateRequest,
): Promise<{ kind: TaskKind; body: Record<string, unknown> }> {
  const placed = placementOf(spec, settings, sizeText(r.size));
  if (!placed) throw new Error(`size: ${sizeText(r.size)} is not offered by kling/${model}`);
  const kind = kindOf(r);
  const body: Record<string, unknown> = {
    model_name: model,
    prompt: r.prompt,
    ...(r.negativePrompt ? { negative_prompt: r.negativePrompt } : {}),
    duration: String(r.seconds),
    ...(spec.modeless ? {} : { mode: placed.mode }),
  };
  // Image to video takes the frame's aspect ratio (it has no aspect_ratio field); storyreel fits frames to the size.
  if (kind === 'text2video') body.aspect_ratio = placed.aspect;
  if (r.firstFrame) body.image = await base64Of('firstFrame', r.firstFrame);
  if (r.lastFrame) body.image_tail = await base64Of('lastFrame', r.lastFrame);
  if (placed.m.sound) {
    const allowed = !r.lastFrame || spec.soundWithLastFrame;
    body.sound = wantsSound(settings) && allowed ? 'on' : 'off';
  }
  return { kind, body };
}

/** sha256 of a create body (images included, as sent): equal bodies, equal digests. */
export function bodyDigest(body: Record<string, unknown>): string {
  const canonical = JSON.stringify(
    Object.keys(body)
      .sort()
      .map((k) => [k, body[k]]),
  );
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * The `external_task_id` of generation `g` of the task for `clientRef` with this body: `sr-` and 40 hex digits, never
 * all digits (Kling's own task ids are numeric, and the query path takes either). The body's digest is part of it,
 * so a resumed production (whose clientRefs repeat) with an edited scene never finds the old scene's task; the
 * generation moves past a task an earlier run left failed, whose id Kling will not give out again.
 */
export function externalTaskId(clientRef: string, digest: string, generation: number): string {
  const h = createHash('sha256').update(`${clientRef}\n${digest}\n${generation}`).digest('hex');
  return `sr-${h.slice(0, 40)}`;
}

/** Our job ids name the endpoint too (a query needs it): `text2video:<task_id>`. */
export function jobIdOf(kind: TaskKind, taskId: string): string {
  return `${kind}:${taskId}`;
}

export function parseJobId(jobId: string): { kind: TaskKind; taskId: string } | undefined {
  const i = jobId.indexOf(':');
  const kind = jobId.slice(0, i) as TaskKind;
  const taskId = jobId.slice(i + 1);
  return i > 0 && TASK_KINDS.includes(kind) && /^[A-Za-z0-9_-]{1,128}$/.test(taskId) ? { kind, taskId } : undefined;
}
