/**
 * The video models storyreel knows on Replicate: what each can do (capabilities) and how a storyreel request maps
 * onto that model's own input fields (`input`). Pure data, read by the planner through the catalog and by the adapter.
 *
 * Field names, allowed values and defaults are from each model's API page on replicate.com (Input schema, read
 * 2026-12). Prices are ESTIMATES per generated second from the model pages (Replicate publishes no central price
 * list); the provider's own bill is what counts. Sizes name the pixel size storyreel plans with; the model is asked
 * for it through the fields in `sizes[size]` (usually `aspect_ratio` and `resolution`) and a clip of another exact
 * size is normalised at assembly.
 */
import type { ProviderCapabilities, SecondsSpec } from '../../contracts/capabilities.js';
import { px } from '../types.js';

/** A JSON value the model's input takes as is. */
export type InputValue = string | number | boolean;

/** How a storyreel request becomes a model's `input` object. */
export interface InputMap {
  /** Field of the text prompt. */
  prompt: string;
  /** Field of the clip length: seconds as an integer, or a frame count per allowed length. */
  duration?: { field: string; frames?: Readonly<Record<number, number>> };
  /** Image fields (sent as data URLs). */
  firstFrame?: string;
  lastFrame?: string;
  negativePrompt?: string;
  seed?: string;
  /** A boolean field that switches the model's own sound on. */
  audio?: string;
  /** Fields per output size (`"1280x720"` → `{aspect_ratio: "16:9", resolution: "720p"}`). */
  sizes: Readonly<Record<string, Readonly<Record<string, InputValue>>>>;
  /** Fields always sent, e.g. `prompt_optimizer: false` so the model runs the prompt as written. */
  fixed?: Readonly<Record<string, InputValue>>;
  /** The model refuses a request without a first-frame image (image-to-video only). */
  requiresFirstFrame?: boolean;
  /** Lengths allowed per size where the model restricts them (e.g. 10 s only below 1080p). */
  secondsBySize?: Readonly<Record<string, readonly number[]>>;
}

export interface ReplicateModel {
  caps: ProviderCapabilities;
  input: InputMap;
  /** A community model runs by version (`POST /v1/predictions {version}`); official models by name. */
  version?: string;
}

const enumSeconds = (...values: number[]): SecondsSpec => ({ kind: 'enum', values });

interface ModelFacts {
  seconds: SecondsSpec;
  fps: number[];
  audio: boolean;
  promptLimit?: number;
  renderSecondsPerSecond: number;
  pricing: ProviderCapabilities['pricing'];
  note: string;
}

function caps(model: string, input: InputMap, facts: ModelFacts): ProviderCapabilities {
  return {
    provider: 'replicate',
    model,
    lifecycle: { status: 'ga', note: facts.note },
    seconds: facts.seconds,
    sizes: Object.keys(input.sizes).map(px),
    anySize: false,
    fps: facts.fps,
    nativeAudio: facts.audio,
    promptLimit: facts.promptLimit ?? 2500,
    negativePrompt: !!input.negativePrompt,
    firstFrame: !!input.firstFrame,
    lastFrame: !!input.lastFrame,
    firstFrameExactSize: false,
    maxReferenceImages: 0,
    extend: false,
    remix: false,
    cancel: 'server',
    renderSecondsPerSecond: facts.renderSecondsPerSecond,
    // Replicate deletes API predictions' inputs and outputs one hour after they finish: downloaded at once.
    outputRetentionSeconds: 3600,
    pricing: facts.pricing,
  };
}

function model(id: string, input: InputMap, facts: ModelFacts, version?: string): [string, ReplicateModel] {
  return [id, { caps: caps(id, input, facts), input, ...(version ? { version } : {}) }];
}

const WIDE_TALL = (resolution: string, wide: string, tall: string) => ({
  [wide]: { aspect_ratio: '16:9', resolution },
  [tall]: { aspect_ratio: '9:16', resolution },
});

const VEO_INPUT: InputMap = {
  prompt: 'prompt',
  duration: { field: 'duration' },
  firstFrame: 'image',
  lastFrame: 'last_frame',
  negativePrompt: 'negative_prompt',
  seed: 'seed',
  audio: 'generate_audio',
  sizes: { ...WIDE_TALL('720p', '1280x720', '720x1280'), ...WIDE_TALL('1080p', '1920x1080', '1080x1920') },
};

const SEEDANCE_INPUT: InputMap = {
  prompt: 'prompt',
  duration: { field: 'duration' },
  firstFrame: 'image',
  lastFrame: 'last_frame_image',
  seed: 'seed',
  fixed: { fps: 24, camera_fixed: false },
  sizes: {
    ...WIDE_TALL('480p', '864x480', '480x864'),
    ...WIDE_TALL('720p', '1280x720', '720x1280'),
    ...WIDE_TALL('1080p', '1920x1080', '1080x1920'),
  },
};

const WAN_FAST_SIZES = { ...WIDE_TALL('480p', '832x480', '480x832'), ...WIDE_TALL('720p', '1280x720', '720x1280') };
/** Wan 2.2 fast renders 81 frames at 16 fps: 5.06 s. */
const WAN_FAST_DURATION = { field: 'num_frames', frames: { 5: 81 } };

export const REPLICATE_MODELS: Readonly<Record<string, ReplicateModel>> = Object.fromEntries([
  model(
    'kwaivgi/kling-v2.5-turbo-pro',
    {
      prompt: 'prompt',
      duration: { field: 'duration' },
      firstFrame: 'start_image',
      negativePrompt: 'negative_prompt',
      sizes: { '1920x1080': { aspect_ratio: '16:9' }, '1080x1920': { aspect_ratio: '9:16' }, '1080x1080': { aspect_ratio: '1:1' } },
    },
    {
      seconds: enumSeconds(5, 10),
      fps: [24],
      audio: false,
      renderSecondsPerSecond: 20,
      pricing: [{ usdPerSecond: 0.07 }],
      note: 'official model; text- and image-to-video, 1080p',
    },
  ),
  model(
    'kwaivgi/kling-v2.1',
    {
      prompt: 'prompt',
      duration: { field: 'duration' },
      firstFrame: 'start_image',
      negativePrompt: 'negative_prompt',
      requiresFirstFrame: true,
      // The aspect follows the start image; `mode` picks the resolution.
      sizes: {
        '1280x720': { mode: 'standard' },
        '720x1280': { mode: 'standard' },
        '1920x1080': { mode: 'pro' },
        '1080x1920': { mode: 'pro' },
      },
    },
    {
      seconds: enumSeconds(5, 10),
      fps: [24],
      audio: false,
      renderSecondsPerSecond: 25,
      pricing: [
        { sizes: ['1280x720', '720x1280'], usdPerSecond: 0.05 },
        { sizes: ['1920x1080', '1080x1920'], usdPerSecond: 0.09 },
      ],
      note: 'official model; image-to-video only (needs a first frame: continuity chain or anchor)',
    },
  ),
  model(
    'wan-video/wan-2.2-t2v-fast',
    { prompt: 'prompt', duration: WAN_FAST_DURATION, seed: 'seed', fixed: { frames_per_second: 16 }, sizes: WAN_FAST_SIZES },
    {
      seconds: enumSeconds(5),
      fps: [16],
      audio: false,
      renderSecondsPerSecond: 6,
      pricing: [
        { sizes: ['832x480', '480x832'], usdPerSecond: 0.01 },
        { sizes: ['1280x720', '720x1280'], usdPerSecond: 0.02 },
      ],
      note: 'official model; text-to-video, 81 frames at 16 fps',
    },
  ),
  model(
    'wan-video/wan-2.2-i2v-fast',
    {
      prompt: 'prompt',
      duration: WAN_FAST_DURATION,
      firstFrame: 'image',
      seed: 'seed',
      requiresFirstFrame: true,
      fixed: { frames_per_second: 16 },
      sizes: Object.fromEntries(Object.entries(WAN_FAST_SIZES).map(([size, f]) => [size, { resolution: f.resolution }])),
    },
    {
      seconds: enumSeconds(5),
      fps: [16],
      audio: false,
      renderSecondsPerSecond: 6,
      pricing: [
        { sizes: ['832x480', '480x832'], usdPerSecond: 0.01 },
        { sizes: ['1280x720', '720x1280'], usdPerSecond: 0.02 },
      ],
      note: 'official model; image-to-video only (needs a first frame), 81 frames at 16 fps',
    },
  ),
  model(
    'lightricks/ltx-video',
    {
      prompt: 'prompt',
      // 97 and 193 frames at 24 fps: 4.04 s and 8.04 s.
      duration: { field: 'length', frames: { 4: 97, 8: 193 } },
      firstFrame: 'image',
      negativePrompt: 'negative_prompt',
      fixed: { cfg: 3, steps: 30 },
      sizes: { '1024x576': { aspect_ratio: '16:9', target_size: 1024 }, '576x1024': { aspect_ratio: '9:16', target_size: 1024 } },
    },
    {
      seconds: enumSeconds(4, 8),
      fps: [24],
      audio: false,
      renderSecondsPerSecond: 4,
      pricing: [{ usdPerSecond: 0.02 }],
      note: 'community model, run by version; answers a list of URLs',
    },
    '8c47da666861d081eeb4d1261853087de23923a268a69b63febdf5dc1dee08e4',
  ),
  model(
    'minimax/hailuo-02',
    {
      prompt: 'prompt',
      duration: { field: 'duration' },
      firstFrame: 'first_frame_image',
      lastFrame: 'last_frame_image',
      // The prompt optimiser rewrites prompts: off, so the clip follows the composed prompt (and reconciliation can
      // compare it).
      fixed: { prompt_optimizer: false },
      sizes: { '1366x768': { resolution: '768p' }, '1920x1080': { resolution: '1080p' } },
      secondsBySize: { '1920x1080': [6] },
    },
    {
      seconds: enumSeconds(6, 10),
      fps: [24],
      audio: false,
      renderSecondsPerSecond: 30,
      pricing: [
        { sizes: ['1366x768'], usdPerSecond: 0.045 },
        { sizes: ['1920x1080'], usdPerSecond: 0.08 },
      ],
      note: 'official model; 10 s only at 768p',
    },
  ),
  model('bytedance/seedance-1-pro', SEEDANCE_INPUT, {
    seconds: { kind: 'range', min: 2, max: 12, step: 1 },
    fps: [24],
    audio: false,
    renderSecondsPerSecond: 12,
    pricing: [
      { sizes: ['864x480', '480x864'], usdPerSecond: 0.03 },
      { sizes: ['1280x720', '720x1280'], usdPerSecond: 0.06 },
      { sizes: ['1920x1080', '1080x1920'], usdPerSecond: 0.15 },
    ],
    note: 'official model; first and last frame',
  }),
  model('bytedance/seedance-1-lite', SEEDANCE_INPUT, {
    seconds: { kind: 'range', min: 2, max: 12, step: 1 },
    fps: [24],
    audio: false,
    renderSecondsPerSecond: 8,
    pricing: [
      { sizes: ['864x480', '480x864'], usdPerSecond: 0.018 },
      { sizes: ['1280x720', '720x1280'], usdPerSecond: 0.036 },
      { sizes: ['1920x1080', '1080x1920'], usdPerSecond: 0.072 },
    ],
    note: 'official model; first and last frame',
  }),
  model('google/veo-3.1', VEO_INPUT, {
    seconds: enumSeconds(4, 6, 8),
    fps: [24],
    audio: true,
    promptLimit: 4000,
    renderSecondsPerSecond: 15,
    pricing: [{ usdPerSecond: 0.4 }],
    note: 'official model; native audio, first and last frame',
  }),
  model('google/veo-3.1-fast', VEO_INPUT, {
    seconds: enumSeconds(4, 6, 8),
    fps: [24],
    audio: true,
    promptLimit: 4000,
    renderSecondsPerSecond: 8,
    pricing: [{ usdPerSecond: 0.15 }],
    note: 'official model; native audio, first and last frame',
  }),
]);

export const DEFAULT_REPLICATE_MODEL = 'bytedance/seedance-1-lite';

export { caps as capabilitiesFor };
export type { ModelFacts };
