/**
 * Runway's video models as data: what each takes on `POST /v1/text_to_video` and `POST /v1/image_to_video` (read from
 * `@runwayml/sdk` 4.20.1's generated request types, which are Runway's API reference), and what it costs.
 *
 * - ratios: Runway names the output's exact pixel size (`1280:720`). Only ratios BOTH endpoints accept are listed for
 *   models served on both, so a scene keeps its size whether or not it starts from an image (gen4.5's image-only
 *   ratios 1104:832, 960:960, 832:1104, 1584:672 are therefore not offered).
 * - prices in credits per second, 1 credit = $0.01 (academy.runwayml.com generation credits). gen4.5 12, gen4_turbo 5,
 *   veo3.1 20 (40 with sound), veo3.1_fast 10 (15 with sound), seedance2 36: Runway's published table as mirrored in
 *   runwayml/skills; `estimated` ones are not published there (see docs/providers.md).
 * - prompt limits in UTF-16 code units (Runway measures `promptText` so; a JavaScript string's length is that unit).
 */
import type { SecondsSpec } from '../../contracts/capabilities.js';

export type RunwayEndpoint = 'text_to_video' | 'image_to_video';

export interface RunwayModelSpec {
  /** Without an image the model is unusable (gen4_turbo is image-to-video only). */
  textToVideo: boolean;
  /** `promptText` is required on image_to_video too (gen4.5); elsewhere an image alone will do. */
  promptRequiredWithImage: boolean;
  seconds: SecondsSpec;
  /** `W:H` ratios the model takes on every endpoint it is served on; the first of each orientation is its default. */
  ratios: readonly string[];
  /** `promptImage` may carry `position: "last"` (with a first frame: this API never takes a last frame alone). */
  lastFrame: boolean;
  seed: boolean;
  negativePrompt: boolean;
  /** `audio: true|false` switches sound on these models; the others make none. */
  audio: boolean;
  /** `contentModeration.publicFigureThreshold` (gen4.5, gen4_turbo). */
  publicFigureThreshold: boolean;
  promptLimit: number;
  creditsPerSecond: number;
  creditsPerSecondWithAudio?: number;
  priceEstimated?: boolean;
  /** Typical seconds of rendering per second of video, for the default job deadline. */
  renderSecondsPerSecond: number;
  note: string;
}

const VEO_RATIOS = ['1280:720', '720:1280', '1920:1080', '1080:1920'];
const SEEDANCE_720 = [
  '1280:720',
  '720:1280',
  '960:960',
  '1112:834',
  '834:1112',
  '1470:630',
  '864:496',
  '496:864',
  '640:640',
  '752:560',
  '560:752',
  '992:432',
];
const SEEDANCE = [
  ...SEEDANCE_720,
  '1920:1080',
  '1080:1920',
  '1440:1440',
  '1664:1248',
  '1248:1664',
  '2206:946',
  '3840:2160',
  '2160:3840',
  '3840:3840',
  '3840:2880',
  '2880:3840',
  '3840:1646',
];

const veo = (fast: boolean): RunwayModelSpec => ({
  textToVideo: true,
  promptRequiredWithImage: false,
  seconds: { kind: 'enum', values: [4, 6, 8] },
  ratios: VEO_RATIOS,
  lastFrame: true,
  seed: true,
  negativePrompt: true,
  audio: true,
  publicFigureThreshold: false,
  promptLimit: 1000,
  creditsPerSecond: fast ? 10 : 20,
  creditsPerSecondWithAudio: fast ? 15 : 40,
  renderSecondsPerSecond: fast ? 8 : 15,
  note: `Google Veo 3.1${fast ? ' Fast' : ''} resold by Runway; first and last frame, negative prompt, sound switchable`,
});

const seedance = (name: string, ratios: readonly string[], credits: number, estimated: boolean): RunwayModelSpec => ({
  textToVideo: true,
  promptRequiredWithImage: false,
  seconds: { kind: 'range', min: 4, max: 15, step: 1 },
  ratios,
  lastFrame: true,
  seed: true,
  negativePrompt: false,
  audio: true,
  publicFigureThreshold: false,
  promptLimit: 3500,
  creditsPerSecond: credits,
  ...(estimated ? { priceEstimated: true } : {}),
  renderSecondsPerSecond: 20,
  note: `ByteDance ${name} resold by Runway; first and last frame keyframes, sound switchable${estimated ? '; price estimated' : ''}`,
});

export const RUNWAY_MODELS: Readonly<Record<string, RunwayModelSpec>> = {
  'gen4.5': {
    textToVideo: true,
    promptRequiredWithImage: true,
    seconds: { kind: 'range', min: 2, max: 10, step: 1 },
    ratios: ['1280:720', '720:1280'],
    lastFrame: false,
    seed: true,
    negativePrompt: false,
    audio: false,
    publicFigureThreshold: true,
    promptLimit: 1000,
    creditsPerSecond: 12,
    renderSecondsPerSecond: 12,
    note: "Runway's own model; text or first frame; silent",
  },
  gen4_turbo: {
    textToVideo: false,
    promptRequiredWithImage: false,
    seconds: { kind: 'range', min: 2, max: 10, step: 1 },
    ratios: ['1280:720', '720:1280', '1104:832', '832:1104', '960:960', '1584:672'],
    lastFrame: false,
    seed: true,
    negativePrompt: false,
    audio: false,
    publicFigureThreshold: true,
    promptLimit: 1000,
    creditsPerSecond: 5,
    renderSecondsPerSecond: 6,
    note: 'image-to-video only: needs a first frame (continuity chain or anchor); silent',
  },
  'veo3.1': veo(false),
  'veo3.1_fast': veo(true),
  seedance2: seedance('Seedance 2.0', SEEDANCE, 36, false),
  seedance2_fast: seedance('Seedance 2.0 Fast', SEEDANCE_720, 24, true),
  seedance2_mini: seedance('Seedance 2.0 Mini', SEEDANCE_720, 12, true),
  gemini_omni_flash: {
    textToVideo: true,
    promptRequiredWithImage: false,
    seconds: { kind: 'range', min: 3, max: 10, step: 1 },
    ratios: ['1280:720', '720:1280'],
    lastFrame: false,
    seed: false,
    negativePrompt: false,
    audio: false,
    publicFigureThreshold: false,
    promptLimit: 1000,
    creditsPerSecond: 13,
    priceEstimated: true,
    renderSecondsPerSecond: 10,
    note: 'Google Gemini Omni Flash resold by Runway; text or first frame; no seed; price estimated',
  },
};

/** `1280:720` → `1280x720` (storyreel's size text) and back. */
export const ratioToSize = (ratio: string) => ratio.replace(':', 'x');
export const sizeToRatio = (size: { width: number; height: number }) => `${size.width}:${size.height}`;
