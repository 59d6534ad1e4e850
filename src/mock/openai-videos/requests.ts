/**
 * Validation of request bodies into typed commands, with the live API's error texts where they are known.
 * Check order per request: unknown parameters, then each field in the order of the spec's schema.
 */
import { imageInfo, IMAGE_MIME, isUploadedFile, type UploadedFile } from '../kit/index.js';
import {
  ApiError,
  emptyString,
  invalidType,
  invalidValue,
  missingParameter,
  stringTooLong,
  unknownParameter,
  unsupportedMimetype,
} from './errors.js';

export type ProfileName = 'spec-2026-08' | 'guide-2026-03';

/** The value sets one version of the API accepts. */
export interface Profile {
  name: ProfileName;
  models: readonly string[];
  seconds: readonly string[];
  sizes: readonly string[];
  /** Sizes only `sora-2-pro*` models may use. */
  proOnlySizes: readonly string[];
  /** Whether create accepts `characters: [{id}]` (the guide's post-March field, absent from the spec). */
  characters: boolean;
  /** Longest stitched total an extension may reach, seconds; undefined = no limit known. */
  maxTotalSeconds: number | undefined;
}

const MODELS = ['sora-2', 'sora-2-pro', 'sora-2-2025-10-06', 'sora-2-pro-2025-10-06', 'sora-2-2025-12-08'] as const;
const SPEC_SIZES = ['720x1280', '1280x720', '1024x1792', '1792x1024'] as const;

export const PROFILES: Record<ProfileName, Profile> = {
  'spec-2026-08': {
    name: 'spec-2026-08',
    models: MODELS,
    seconds: ['4', '8', '12'],
    sizes: SPEC_SIZES,
    proOnlySizes: [],
    characters: false,
    maxTotalSeconds: undefined,
  },
  'guide-2026-03': {
    name: 'guide-2026-03',
    models: MODELS,
    seconds: ['4', '8', '12', '16', '20'],
    sizes: [...SPEC_SIZES, '1920x1080', '1080x1920'],
    proOnlySizes: ['1920x1080', '1080x1920'],
    characters: true,
    maxTotalSeconds: 120,
  },
};

export const PROMPT_MAX = 32_000;
export const IMAGE_URL_MAX = 20_971_520;
export const CHARACTER_NAME_MAX = 80;
/** [real] MIME types the live API listed for `input_reference`. */
export const REFERENCE_MIME = ['image/jpeg', 'image/png', 'image/webp', 'video/mp4'] as const;
export const CHARACTER_VIDEO_MIME = ['video/mp4'] as const;
/** [real] Text of the 400 for an `input_reference` whose pixel size differs from `size`. */
export const INPAINT_MISMATCH = 'Inpaint image must match the requested width and height';

export interface Size {
  width: number;
  height: number;
  text: string;
}

/** A first-frame image or clip, already checked against `size`. */
export type Reference =
  | { kind: 'image'; data: Buffer; ext: 'png' | 'jpeg' | 'webp' }
  | { kind: 'video'; data: Buffer }
  /** An http(s) URL or a file id: accepted, never fetched, so it does not shape the picture. */
  | { kind: 'unresolved'; value: string };

export interface CreateCommand {
  model: string;
  prompt: string;
  seconds: number;
  size: Size;
  reference: Reference | undefined;
  characters: { id: string }[];
}

/** The source of an extension or edit: a video of this server, or an uploaded MP4. */
export type SourceRef = { kind: 'id'; id: string } | { kind: 'upload'; file: UploadedFile };

export interface ExtendCommand {
  source: SourceRef;
  prompt: string;
  seconds: number;
}

export interface EditCommand {
  source: SourceRef;
  prompt: string;
  model: string | undefined;
}

export interface CharacterCommand {
  name: string;
  video: UploadedFile;
}

/** Reads pixel size of an uploaded clip (ffprobe); injected so validation stays free of process spawning. */
export type ProbeVideo = (data: Buffer) => Promise<{ width: number; height: number }>;

type Fields = Record<string, unknown>;

export async function parseCreate(fields: Fields, profile: Profile, probeVideo: ProbeVideo): Promise<CreateCommand> {
  rejectUnknown(fields, ['model', 'prompt', 'input_reference', 'seconds', 'size', ...(profile.characters ? ['characters'] : [])]);
  const prompt = requiredPrompt(fields);
  const model = enumField(fields, 'model', profile.models) ?? 'sora-2';
  const seconds = Number(enumField(fields, 'seconds', profile.seconds) ?? '4');
  const sizeText = enumField(fields, 'size', profile.sizes) ?? '720x1280';
  if (profile.proOnlySizes.includes(sizeText) && !model.startsWith('sora-2-pro')) {
    const allowed = profile.sizes.filter((s) => !profile.proOnlySizes.includes(s));
    throw new ApiError(
      400,
      `Invalid value: '${sizeText}'. Supported values for model '${model}' are: ${allowed.map((s) => `'${s}'`).join(', ')}.`,
      {
        param: 'size',
        code: 'invalid_value',
      },
    );
  }
  const size = parseSize(sizeText);
  const reference = await parseReference(fields.input_reference, size, probeVideo);
  const characters = profile.characters ? parseCharacters(fields.characters) : [];
  return { model, prompt, seconds, size, reference, characters };
}

export function parseRemix(fields: Fields): { prompt: string } {
  rejectUnknown(fields, ['prompt']);
  return { prompt: requiredPrompt(fields) };
}

export function parseExtend(fields: Fields, profile: Profile): ExtendCommand {
  rejectUnknown(fields, ['video', 'prompt', 'seconds']);
  const source = parseSource(fields);
  const prompt = requiredPrompt(fields);
  if (fields.seconds === undefined) throw missingParameter('seconds');
  const seconds = Number(enumField(fields, 'seconds', profile.seconds));
  return { source, prompt, seconds };
}

export function parseEdit(fields: Fields, profile: Profile): EditCommand {
  // The guide (not the spec) requires an explicit `model` when the source is an uploaded video.
  const guideModel = profile.name === 'guide-2026-03';
  rejectUnknown(fields, ['video', 'prompt', ...(guideModel ? ['model'] : [])]);
  const source = parseSource(fields);
  const prompt = requiredPrompt(fields);
  const model = guideModel ? enumField(fields, 'model', profile.models) : undefined;
  return { source, prompt, model };
}

export function parseCharacter(fields: Fields): CharacterCommand {
  rejectUnknown(fields, ['video', 'name']);
  const video = fields.video;
  if (video === undefined) throw missingParameter('video');
  if (!isUploadedFile(video)) throw invalidType('video', 'a file', video);
  checkMimetype('video', video, CHARACTER_VIDEO_MIME);
  const name = fields.name;
  if (name === undefined) throw missingParameter('name');
  if (typeof name !== 'string') throw invalidType('name', 'a string', name);
  if (name.length === 0) throw emptyString('name');
  if (name.length > CHARACTER_NAME_MAX) throw stringTooLong('name', CHARACTER_NAME_MAX, name.length);
  return { name, video };
}

export function parseSize(text: string): Size {
  const [w, h] = text.split('x').map(Number);
  return { width: w!, height: h!, text };
}

function rejectUnknown(fields: Fields, known: readonly string[]): void {
  const extra = Object.keys(fields).find((k) => !known.includes(k));
  if (extra !== undefined) throw unknownParameter(extra);
}

function requiredPrompt(fields: Fields): string {
  const prompt = fields.prompt;
  if (prompt === undefined) throw missingParameter('prompt');
  if (typeof prompt !== 'string') throw invalidType('prompt', 'a string', prompt);
  if (prompt.length === 0) throw emptyString('prompt');
  if (prompt.length > PROMPT_MAX) throw stringTooLong('prompt', PROMPT_MAX, prompt.length);
  return prompt;
}

/** The field's value when present and allowed; undefined when absent. */
function enumField(fields: Fields, name: string, allowed: readonly string[]): string | undefined {
  const v = fields[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidType(name, 'a string', v);
  if (!allowed.includes(v)) throw invalidValue(name, v, allowed);
  return v;
}

function checkMimetype(param: string, file: UploadedFile, allowed: readonly string[]): void {
  // A part without Content-Type reaches the live API as application/octet-stream.
  const type = (file.contentType ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
  if (!allowed.includes(type)) throw unsupportedMimetype(param, type, allowed);
}

async function parseReference(value: unknown, size: Size, probeVideo: ProbeVideo): Promise<Reference | undefined> {
  if (value === undefined) return undefined;
  if (isUploadedFile(value)) {
    checkMimetype('input_reference', value, REFERENCE_MIME);
    return referenceFromBytes(value.data, value.contentType!.toLowerCase().startsWith('video/') ? 'video' : 'image', size, probeVideo);
  }
  if (typeof value === 'string') throw invalidType('input_reference', 'a file', value);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidType('input_reference', 'an object', value);
  const ref = value as Record<string, unknown>;
  const extra = Object.keys(ref).find((k) => k !== 'image_url' && k !== 'file_id');
  if (extra !== undefined) throw unknownParameter(`input_reference.${extra}`);
  const given = (['image_url', 'file_id'] as const).filter((k) => ref[k] !== undefined);
  if (given.length !== 1) {
    throw new ApiError(400, "Invalid 'input_reference': provide exactly one of 'image_url' or 'file_id'.", {
      param: 'input_reference',
      code: 'invalid_value',
    });
  }
  const key = given[0]!;
  const v = ref[key];
  if (typeof v !== 'string') throw invalidType(`input_reference.${key}`, 'a string', v);
  if (key === 'file_id') return { kind: 'unresolved', value: v };
  if (v.length > IMAGE_URL_MAX) throw stringTooLong('input_reference.image_url', IMAGE_URL_MAX, v.length);
  return referenceFromUrl(v, size, probeVideo);
}

async function referenceFromUrl(url: string, size: Size, probeVideo: ProbeVideo): Promise<Reference> {
  const data = /^data:([^;,]+)(;base64)?,(.*)$/s.exec(url);
  if (data) {
    const mime = data[1]!.toLowerCase();
    if (!(REFERENCE_MIME as readonly string[]).includes(mime)) throw unsupportedMimetype('input_reference', mime, REFERENCE_MIME);
    const bytes = data[2] ? Buffer.from(data[3]!, 'base64') : Buffer.from(decodeURIComponent(data[3]!), 'latin1');
    return referenceFromBytes(bytes, mime.startsWith('video/') ? 'video' : 'image', size, probeVideo);
  }
  if (/^https?:\/\/\S+$/i.test(url)) return { kind: 'unresolved', value: url };
  throw new ApiError(400, "Invalid 'input_reference.image_url'. Expected a valid URL, but got a value with an invalid format.", {
    param: 'input_reference.image_url',
    code: 'invalid_url',
  });
}

async function referenceFromBytes(data: Buffer, kind: 'image' | 'video', size: Size, probeVideo: ProbeVideo): Promise<Reference> {
  if (kind === 'video') {
    const dims = await probeVideo(data).catch(() => undefined);
    if (!dims) throw undecodable('a video');
    assertSameSize(dims, size);
    return { kind: 'video', data };
  }
  const info = imageInfo(data);
  if (!info) throw undecodable('an image');
  assertSameSize(info, size);
  return { kind: 'image', data, ext: info.format };
}

function undecodable(what: string): ApiError {
  return new ApiError(
    400,
    `Invalid file 'input_reference': the file could not be decoded as ${what}. Supported file formats are ${Object.values(IMAGE_MIME).join(', ')}, video/mp4.`,
    {
      param: 'input_reference',
      code: 'invalid_image',
    },
  );
}

function assertSameSize(dims: { width: number; height: number }, size: Size): void {
  if (dims.width !== size.width || dims.height !== size.height)
    throw new ApiError(400, INPAINT_MISMATCH, { param: 'input_reference', code: null });
}

function parseCharacters(value: unknown): { id: string }[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidType('characters', 'an array', value);
  if (value.length > 2)
    throw new ApiError(
      400,
      `Invalid 'characters': array too long. Expected an array with maximum length 2, but got an array with length ${value.length} instead.`,
      { param: 'characters', code: 'array_above_max_length' },
    );
  return value.map((c, i) => {
    const id = (c as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') throw invalidType(`characters[${i}].id`, 'a string', id);
    return { id };
  });
}

function parseSource(fields: Fields): SourceRef {
  const video = fields.video;
  if (video === undefined) throw missingParameter('video');
  if (isUploadedFile(video)) {
    checkMimetype('video', video, CHARACTER_VIDEO_MIME);
    return { kind: 'upload', file: video };
  }
  if (typeof video !== 'object' || video === null || Array.isArray(video)) throw invalidType('video', 'an object', video);
  const extra = Object.keys(video).find((k) => k !== 'id');
  if (extra !== undefined) throw unknownParameter(`video.${extra}`);
  const id = (video as { id?: unknown }).id;
  if (id === undefined) throw missingParameter('video.id');
  if (typeof id !== 'string') throw invalidType('video.id', 'a string', id);
  return { kind: 'id', id };
}
