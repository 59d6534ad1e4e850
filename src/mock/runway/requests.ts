/**
 * Validation of a create's body the way Runway answers it: 400 `Validation of body failed` with zod-style `issues`
 * (path, code, message, accepted `values`), the model chosen by `model` (a discriminated union, so an unknown model
 * is the only issue reported), unknown keys refused (`unrecognized_keys` [real]), and `promptImage` checked as the
 * asset docs describe (https URLs on a domain, or data URIs of PNG/JPEG/WebP under 5 MB).
 */
import { imageInfo, type ImageInfo } from '../kit/index.js';
import { validationFailed, type Issue } from './errors.js';
import { creditsFor, durationAllowed, type Endpoint, type MockRunwayModel } from './models.js';

export interface DecodedImage {
  data: Buffer;
  info: ImageInfo;
}

export interface CreateCommand {
  model: MockRunwayModel;
  endpoint: Endpoint;
  promptText: string;
  width: number;
  height: number;
  seconds: number;
  /** The clip has sound: the model makes it and the request did not switch it off. */
  audio: boolean;
  /** The first-frame image, when it was sent as a data URI (URLs are accepted, never fetched). */
  firstFrame?: DecodedImage;
  /** Images sent with `position: last` and without a position (Seedance references), counted. */
  lastFrames: number;
  references: number;
  credits: number;
}

/** 5 MB of data URI, as documented (docs.dev.runwayml.com/assets/inputs). */
export const MAX_DATA_URI_CHARS = 5 * 1024 * 1024;
const MAX_URL_CHARS = 2048;
const MAX_SEED = 4_294_967_295;
const BASE_KEYS: Record<Endpoint, readonly string[]> = {
  text_to_video: ['model', 'promptText', 'ratio', 'duration'],
  image_to_video: ['model', 'promptText', 'ratio', 'duration', 'promptImage'],
};

const kindOf = (v: unknown) => (v === undefined ? 'undefined' : v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

export function parseCreate(endpoint: Endpoint, body: Record<string, unknown>, models: readonly MockRunwayModel[]): CreateCommand {
  const served = models.filter((m) => m.endpoints[endpoint]);
  const model = served.find((m) => m.id === body.model);
  if (!model) {
    throw validationFailed([
      {
        code: 'invalid_value',
        path: ['model'],
        values: served.map((m) => m.id),
        message: `Invalid option: expected one of ${served.map((m) => `"${m.id}"`).join('|')}`,
      },
    ]);
  }
  const spec = model.endpoints[endpoint]!;
  const issues: Issue[] = [];
  const unknown = Object.keys(body).filter((k) => !BASE_KEYS[endpoint].includes(k) && !(model.optional as readonly string[]).includes(k));
  if (unknown.length)
    issues.push({ code: 'unrecognized_keys', keys: unknown, path: [], message: `Unrecognized key(s) in object: ${unknown.join(', ')}` });

  const promptText = checkPrompt(body.promptText, spec.promptRequired, model.promptLimit, issues);
  const ratio = checkRatio(body.ratio, spec.ratios, spec.ratioRequired, issues);
  const seconds = checkDuration(body.duration, model, spec.durationRequired, issues);
  if (body.seed !== undefined && (!Number.isInteger(body.seed) || (body.seed as number) < 0 || (body.seed as number) > MAX_SEED))
    issues.push({ code: 'invalid_type', path: ['seed'], message: `Invalid input: expected an integer from 0 to ${MAX_SEED}` });
  if (body.audio !== undefined && typeof body.audio !== 'boolean')
    issues.push({ code: 'invalid_type', path: ['audio'], message: `Invalid input: expected boolean, received ${kindOf(body.audio)}` });
  if (body.negativePrompt !== undefined && typeof body.negativePrompt !== 'string')
    issues.push({
      code: 'invalid_type',
      path: ['negativePrompt'],
      message: `Invalid input: expected string, received ${kindOf(body.negativePrompt)}`,
    });
  if (body.contentModeration !== undefined) checkModeration(body.contentModeration, issues);
  const images = endpoint === 'image_to_video' ? checkPromptImage(body.promptImage, model, issues) : { lastFrames: 0, references: 0 };

  if (issues.length) throw validationFailed(issues);
  const [width, height] = ratio.split(':').map(Number) as [number, number];
  const audio = model.audio === 'switch' && body.audio !== false;
  return {
    model,
    endpoint,
    promptText,
    width,
    height,
    seconds,
    audio,
    ...(images.firstFrame ? { firstFrame: images.firstFrame } : {}),
    lastFrames: images.lastFrames,
    references: images.references,
    credits: creditsFor(model, seconds, audio),
  };
}

function checkPrompt(value: unknown, required: boolean, limit: number, issues: Issue[]): string {
  if (value === undefined) {
    if (required)
      issues.push({ code: 'invalid_type', path: ['promptText'], message: 'Invalid input: expected string, received undefined' });
    return '';
  }
  if (typeof value !== 'string') {
    issues.push({ code: 'invalid_type', path: ['promptText'], message: `Invalid input: expected string, received ${kindOf(value)}` });
    return '';
  }
  // JavaScript string length is in UTF-16 code units, the unit Runway measures prompts in.
  if (value.trim().length === 0)
    issues.push({ code: 'too_small', path: ['promptText'], message: 'Too small: expected string to have >=1 characters' });
  if (value.length > limit)
    issues.push({ code: 'too_big', path: ['promptText'], message: `Too big: expected string to have <=${limit} characters` });
  return value;
}

function checkRatio(value: unknown, ratios: readonly string[], required: boolean, issues: Issue[]): string {
  if (value === undefined) {
    if (required) issues.push({ code: 'invalid_type', path: ['ratio'], message: 'Invalid input: expected string, received undefined' });
    return ratios[0]!;
  }
  if (typeof value !== 'string' || !ratios.includes(value)) {
    issues.push({
      code: 'invalid_value',
      path: ['ratio'],
      values: ratios,
      message: `Invalid option: expected one of ${ratios.map((r) => `"${r}"`).join('|')}`,
    });
    return ratios[0]!;
  }
  return value;
}

function checkDuration(value: unknown, model: MockRunwayModel, required: boolean, issues: Issue[]): number {
  const d = model.durations;
  if (value === undefined) {
    if (required) issues.push({ code: 'invalid_type', path: ['duration'], message: 'Invalid input: expected number, received undefined' });
    return model.defaultDuration;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    issues.push({ code: 'invalid_type', path: ['duration'], message: `Invalid input: expected int, received ${kindOf(value)}` });
    return model.defaultDuration;
  }
  if (durationAllowed(model, value)) return value;
  if ('values' in d)
    issues.push({
      code: 'invalid_value',
      path: ['duration'],
      values: d.values,
      message: `Invalid option: expected one of ${d.values.join('|')}`,
    });
  else if (value > d.max) issues.push({ code: 'too_big', path: ['duration'], message: `Too big: expected number to be <=${d.max}` });
  else issues.push({ code: 'too_small', path: ['duration'], message: `Too small: expected number to be >=${d.min}` });
  return model.defaultDuration;
}

function checkModeration(value: unknown, issues: Issue[]): void {
  const ok =
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.entries(value).every(([k, v]) => k === 'publicFigureThreshold' && (v === 'auto' || v === 'low'));
  if (!ok)
    issues.push({
      code: 'invalid_value',
      path: ['contentModeration', 'publicFigureThreshold'],
      values: ['auto', 'low'],
      message: 'Invalid option: expected one of "auto"|"low"',
    });
}

interface PromptImages {
  firstFrame?: DecodedImage;
  lastFrames: number;
  references: number;
}

/** `promptImage`: one URI (the first frame), or `[{uri, position}]` within what the model takes. */
function checkPromptImage(value: unknown, model: MockRunwayModel, issues: Issue[]): PromptImages {
  const out: PromptImages = { lastFrames: 0, references: 0 };
  if (value === undefined) {
    issues.push({ code: 'invalid_type', path: ['promptImage'], message: 'Invalid input: expected string, received undefined' });
    return out;
  }
  if (typeof value === 'string') {
    const image = checkUri(value, ['promptImage'], issues);
    if (image) out.firstFrame = image;
    return out;
  }
  if (!Array.isArray(value) || value.length === 0) {
    issues.push({
      code: 'invalid_type',
      path: ['promptImage'],
      message: 'Invalid input: expected a URI or a non-empty array of {uri, position}',
    });
    return out;
  }
  const allowed = model.positions === 'first' ? ['first'] : ['first', 'last'];
  const seen = new Set<string>();
  value.forEach((item: unknown, i) => {
    const entry = (item && typeof item === 'object' ? item : {}) as { uri?: unknown; position?: unknown };
    const position = entry.position ?? (model.positions === 'keyframes-or-references' ? 'reference' : undefined);
    if (position !== 'reference' && (typeof position !== 'string' || !allowed.includes(position))) {
      issues.push({
        code: 'invalid_value',
        path: ['promptImage', i, 'position'],
        values: allowed,
        message: `Invalid option: expected one of ${allowed.map((p) => `"${p}"`).join('|')}`,
      });
      return;
    }
    if (position !== 'reference' && seen.has(position)) {
      issues.push({ code: 'custom', path: ['promptImage', i, 'position'], message: `Only one image may have position "${position}".` });
      return;
    }
    seen.add(position);
    const image = typeof entry.uri === 'string' ? checkUri(entry.uri, ['promptImage', i, 'uri'], issues) : undefined;
    if (typeof entry.uri !== 'string')
      issues.push({
        code: 'invalid_type',
        path: ['promptImage', i, 'uri'],
        message: `Invalid input: expected string, received ${kindOf(entry.uri)}`,
      });
    if (position === 'first' && image) out.firstFrame = image;
    if (position === 'last') out.lastFrames++;
    if (position === 'reference') out.references++;
  });
  if (out.references && seen.size > 1)
    issues.push({
      code: 'custom',
      path: ['promptImage'],
      message: 'Keyframe images (position first/last) and reference images cannot be mixed.',
    });
  if (seen.has('last') && !seen.has('first') && model.positions === 'first-last')
    issues.push({ code: 'custom', path: ['promptImage'], message: 'This model does not support generating with only a last frame.' });
  return out;
}

/** [real] texts of docs.dev.runwayml.com/errors/troubleshooting for assets that cannot be used. */
function checkUri(uri: string, path: Issue['path'], issues: Issue[]): DecodedImage | undefined {
  const fail = (message: string) => void issues.push({ code: 'custom', path, message });
  if (uri.startsWith('data:')) {
    if (uri.length > MAX_DATA_URI_CHARS) return fail('The data URI must be under 5MB.');
    const m = /^data:([\w/+.-]+);base64,(.*)$/s.exec(uri);
    if (!m) return fail('Invalid data URI.');
    const data = Buffer.from(m[2]!, 'base64');
    const info = imageInfo(data);
    if (!['image/png', 'image/jpeg', 'image/jpg', 'image/webp'].includes(m[1]!) || !info) return fail('Unsupported asset type.');
    return { data, info };
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return fail('Invalid URL');
  }
  if (url.protocol !== 'https:') return fail('Only HTTPS URLs are allowed.');
  if (/^[\d.]+$|^\[/.test(url.hostname)) return fail('URLs must be hosted on a domain.');
  if (uri.length > MAX_URL_CHARS) return fail('The URL must be at most 2048 characters.');
  return undefined;
}
