/**
 * The models this mock serves, as Replicate describes them on each model's API page (Input schema, read 2026-12):
 * input fields with their types, allowed values and defaults, and what the model makes of them (length, pixel
 * size, sound, output shape). This is the server's side of the contract and is written independently of
 * storyreel's catalog: the mock imports nothing of storyreel.
 */
import { createHash } from 'node:crypto';

export type FieldSpec =
  | { type: 'string'; required?: boolean; default?: string; enum?: readonly string[] }
  | { type: 'integer'; required?: boolean; default?: number; enum?: readonly number[]; min?: number; max?: number }
  | { type: 'number'; required?: boolean; default?: number; min?: number; max?: number }
  | { type: 'boolean'; required?: boolean; default?: boolean }
  /** A file input: an http(s) URL or a data URL. */
  | { type: 'image'; required?: boolean };

/** One output size: chosen when every `when` field of the (defaulted) input has that value. */
export interface SizeRule {
  when: Record<string, string | number>;
  width: number;
  height: number;
}

export interface MockModel {
  /** `owner/name` */
  name: string;
  /** Official models run by name; others need `version`. */
  official: boolean;
  /** The current version id (64 hex). */
  version: string;
  fields: Record<string, FieldSpec>;
  /** Seconds of video for a (defaulted) input. */
  seconds(input: Record<string, unknown>): number;
  fps: number | ((input: Record<string, unknown>) => number);
  /** Candidate sizes; when `aspectFromImage` and a first frame is given, the one closest to its aspect wins. */
  sizes: readonly SizeRule[];
  aspectFromImage?: boolean;
  audio: boolean | ((input: Record<string, unknown>) => boolean);
  /** The image field that becomes the first frame. */
  firstFrame?: string;
  /** Whether `output` is a URL or a list of URLs. */
  output: 'url' | 'list';
  /** Extra checks across fields: a message per problem, with the field it names. */
  check?(input: Record<string, unknown>): { field: string; message: string }[];
}

/** A stable made-up version id for a model (the real ids are not needed to run a model by name). */
export function versionOf(name: string): string {
  return createHash('sha256').update(`mock-version:${name}`).digest('hex');
}

const wideTall = (key: string, value: string, w: number, h: number): SizeRule[] => [
  { when: { aspect_ratio: '16:9', [key]: value }, width: w, height: h },
  { when: { aspect_ratio: '9:16', [key]: value }, width: h, height: w },
];
const byResolution = (w: number, h: number, value: string, key = 'resolution'): SizeRule[] => [
  { when: { [key]: value }, width: w, height: h },
  { when: { [key]: value }, width: h, height: w },
];
const int = (v: unknown) => Number(v);

const VEO_FIELDS: Record<string, FieldSpec> = {
  prompt: { type: 'string', required: true },
  aspect_ratio: { type: 'string', default: '16:9', enum: ['16:9', '9:16'] },
  duration: { type: 'integer', default: 8, enum: [4, 6, 8] },
  image: { type: 'image' },
  last_frame: { type: 'image' },
  negative_prompt: { type: 'string' },
  resolution: { type: 'string', default: '1080p', enum: ['720p', '1080p'] },
  generate_audio: { type: 'boolean', default: true },
  seed: { type: 'integer' },
};
const veo = (name: string): MockModel => ({
  name,
  official: true,
  version: versionOf(name),
  fields: VEO_FIELDS,
  seconds: (i) => int(i.duration),
  fps: 24,
  sizes: [...wideTall('resolution', '720p', 1280, 720), ...wideTall('resolution', '1080p', 1920, 1080)],
  audio: (i) => i.generate_audio === true,
  firstFrame: 'image',
  output: 'url',
});

const SEEDANCE_FIELDS: Record<string, FieldSpec> = {
  prompt: { type: 'string', required: true },
  image: { type: 'image' },
  last_frame_image: { type: 'image' },
  duration: { type: 'integer', default: 5, min: 2, max: 12 },
  resolution: { type: 'string', default: '1080p', enum: ['480p', '720p', '1080p'] },
  aspect_ratio: { type: 'string', default: '16:9', enum: ['16:9', '4:3', '1:1', '3:4', '9:16', '21:9', '9:21'] },
  fps: { type: 'integer', default: 24, enum: [24] },
  camera_fixed: { type: 'boolean', default: false },
  seed: { type: 'integer' },
};
const seedance = (name: string): MockModel => ({
  name,
  official: true,
  version: versionOf(name),
  fields: SEEDANCE_FIELDS,
  seconds: (i) => int(i.duration),
  fps: 24,
  sizes: [
    ...wideTall('resolution', '480p', 864, 480),
    ...wideTall('resolution', '720p', 1280, 720),
    ...wideTall('resolution', '1080p', 1920, 1080),
  ],
  audio: false,
  firstFrame: 'image',
  output: 'url',
});

const WAN_FAST_FIELDS: Record<string, FieldSpec> = {
  prompt: { type: 'string', required: true },
  num_frames: { type: 'integer', default: 81, min: 81, max: 121 },
  frames_per_second: { type: 'integer', default: 16, min: 5, max: 30 },
  resolution: { type: 'string', default: '480p', enum: ['480p', '720p'] },
  go_fast: { type: 'boolean', default: true },
  seed: { type: 'integer' },
};
const wanSeconds = (i: Record<string, unknown>) => int(i.num_frames) / int(i.frames_per_second);

export const MOCK_MODELS: readonly MockModel[] = [
  veo('google/veo-3.1'),
  veo('google/veo-3.1-fast'),
  seedance('bytedance/seedance-1-pro'),
  seedance('bytedance/seedance-1-lite'),
  {
    name: 'kwaivgi/kling-v2.5-turbo-pro',
    official: true,
    version: versionOf('kwaivgi/kling-v2.5-turbo-pro'),
    fields: {
      prompt: { type: 'string', required: true },
      negative_prompt: { type: 'string' },
      start_image: { type: 'image' },
      aspect_ratio: { type: 'string', default: '16:9', enum: ['16:9', '9:16', '1:1'] },
      duration: { type: 'integer', default: 5, enum: [5, 10] },
    },
    seconds: (i) => int(i.duration),
    fps: 24,
    sizes: [
      { when: { aspect_ratio: '16:9' }, width: 1920, height: 1080 },
      { when: { aspect_ratio: '9:16' }, width: 1080, height: 1920 },
      { when: { aspect_ratio: '1:1' }, width: 1080, height: 1080 },
    ],
    audio: false,
    firstFrame: 'start_image',
    output: 'url',
  },
  {
    name: 'kwaivgi/kling-v2.1',
    official: true,
    version: versionOf('kwaivgi/kling-v2.1'),
    fields: {
      prompt: { type: 'string', required: true },
      negative_prompt: { type: 'string' },
      start_image: { type: 'image', required: true },
      end_image: { type: 'image' },
      mode: { type: 'string', default: 'standard', enum: ['standard', 'pro'] },
      duration: { type: 'integer', default: 5, enum: [5, 10] },
    },
    seconds: (i) => int(i.duration),
    fps: 24,
    sizes: [...byResolution(1280, 720, 'standard', 'mode'), ...byResolution(1920, 1080, 'pro', 'mode')],
    aspectFromImage: true,
    audio: false,
    firstFrame: 'start_image',
    output: 'url',
    check: (i) => (i.end_image !== undefined && i.mode !== 'pro' ? [{ field: 'end_image', message: 'end_image requires mode pro' }] : []),
  },
  {
    name: 'wan-video/wan-2.2-t2v-fast',
    official: true,
    version: versionOf('wan-video/wan-2.2-t2v-fast'),
    fields: { ...WAN_FAST_FIELDS, aspect_ratio: { type: 'string', default: '16:9', enum: ['16:9', '9:16'] } },
    seconds: wanSeconds,
    fps: (i) => int(i.frames_per_second),
    sizes: [...wideTall('resolution', '480p', 832, 480), ...wideTall('resolution', '720p', 1280, 720)],
    audio: false,
    output: 'url',
  },
  {
    name: 'wan-video/wan-2.2-i2v-fast',
    official: true,
    version: versionOf('wan-video/wan-2.2-i2v-fast'),
    fields: { ...WAN_FAST_FIELDS, image: { type: 'image', required: true } },
    seconds: wanSeconds,
    fps: (i) => int(i.frames_per_second),
    sizes: [...byResolution(832, 480, '480p'), ...byResolution(1280, 720, '720p')],
    aspectFromImage: true,
    audio: false,
    firstFrame: 'image',
    output: 'url',
  },
  {
    name: 'minimax/hailuo-02',
    official: true,
    version: versionOf('minimax/hailuo-02'),
    fields: {
      prompt: { type: 'string', required: true },
      first_frame_image: { type: 'image' },
      last_frame_image: { type: 'image' },
      duration: { type: 'integer', default: 6, enum: [6, 10] },
      resolution: { type: 'string', default: '1080p', enum: ['512p', '768p', '1080p'] },
      prompt_optimizer: { type: 'boolean', default: true },
    },
    seconds: (i) => int(i.duration),
    fps: 24,
    sizes: [...byResolution(912, 512, '512p'), ...byResolution(1366, 768, '768p'), ...byResolution(1920, 1080, '1080p')],
    aspectFromImage: true,
    audio: false,
    firstFrame: 'first_frame_image',
    output: 'url',
    check: (i) =>
      i.duration === 10 && i.resolution === '1080p' ? [{ field: 'duration', message: '10 second videos are not supported at 1080p' }] : [],
  },
  {
    name: 'lightricks/ltx-video',
    official: false,
    version: '8c47da666861d081eeb4d1261853087de23923a268a69b63febdf5dc1dee08e4',
    fields: {
      prompt: { type: 'string', required: true },
      negative_prompt: { type: 'string' },
      image: { type: 'image' },
      aspect_ratio: { type: 'string', default: '3:2', enum: ['1:1', '3:2', '2:3', '16:9', '9:16', '4:3', '3:4'] },
      target_size: { type: 'integer', default: 640, enum: [512, 576, 640, 704, 768, 832, 896, 960, 1024] },
      length: { type: 'integer', default: 97, enum: [97, 129, 161, 193, 225, 257] },
      cfg: { type: 'number', default: 3, min: 1, max: 20 },
      steps: { type: 'integer', default: 30, min: 1, max: 50 },
      seed: { type: 'integer' },
    },
    seconds: (i) => int(i.length) / 24,
    fps: 24,
    sizes: [
      { when: { aspect_ratio: '16:9', target_size: 1024 }, width: 1024, height: 576 },
      { when: { aspect_ratio: '9:16', target_size: 1024 }, width: 576, height: 1024 },
      { when: { aspect_ratio: '3:2' }, width: 768, height: 512 },
      { when: {}, width: 640, height: 640 },
    ],
    audio: false,
    firstFrame: 'image',
    output: 'list',
  },
];
