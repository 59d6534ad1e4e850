/**
 * The Kling models storyreel knows on Kling's own API (api-singapore.klingai.com), as data: lengths, the pixel size
 * each mode renders at per aspect ratio, which modes take a last frame or make sound, and an estimated price.
 *
 * Sources (read 2026-12): Kling's API reference, "General Information" → capability map and resolution table, and
 * the Text to Video / Image to Video pages (`model_name`, `duration`, `mode` std|pro, `aspect_ratio` 16:9|9:16|1:1,
 * `sound` on|off, `image`, `image_tail`, `negative_prompt`, `external_task_id`); /work/shared/reference/
 * providers-2026.md §A.7. Kling sells prepaid resource packs (units), not seconds: every USD price here is an
 * ESTIMATE from resellers' per-second list prices for the same model (fal), and the units Kling really deducted come
 * back on the task (`final_unit_deduction`, reported as `billed.units`).
 */
import type { SecondsSpec } from '../../contracts/capabilities.js';

export type KlingMode = 'std' | 'pro';
export type KlingAspect = '16:9' | '9:16' | '1:1';

/** What one mode of a model does. */
export interface ModeSpec {
  /** Pixel size per aspect ratio (the first is the mode's default). */
  sizes: Readonly<Record<KlingAspect, string>>;
  /** `image_tail` (start & end frame) is accepted in this mode. */
  lastFrame: boolean;
  /** `sound: on` is accepted in this mode (and not together with a last frame when `soundWithLastFrame` is false). */
  sound: boolean;
  /** Estimated USD per second without and with sound. */
  usdPerSecond: number;
  usdPerSecondWithSound?: number;
}

export interface KlingModelSpec {
  seconds: SecondsSpec;
  /** Frames per second Kling delivers. */
  fps: number;
  /** Modes by name; a model without modes (`kling-v2-1-master`) has one, sent without `mode`. */
  modes: Partial<Record<KlingMode, ModeSpec>>;
  /** The model takes no `mode` field. */
  modeless?: boolean;
  /** Sound and a last frame together (kling-v2-6: "start/end frame … only no audio"). */
  soundWithLastFrame: boolean;
  /** Typical seconds of rendering per second of video (sets the job deadline). */
  renderSecondsPerSecond: number;
  /** Where each fact comes from; `estimate` marks the ones that are not from Kling's pages. */
  notes: string;
}

const range = (min: number, max: number): SecondsSpec => ({ kind: 'range', min, max, step: 1 });
const FIVE_OR_TEN: SecondsSpec = { kind: 'enum', values: [5, 10] };

const P720 = { '16:9': '1280x720', '9:16': '720x1280', '1:1': '720x720' } as const;
const P1080 = { '16:9': '1920x1080', '9:16': '1080x1920', '1:1': '1080x1080' } as const;

/** Kling deletes generated videos 30 days after they are made ("will be cleared after 30 days"). */
export const KLING_RETENTION_SECONDS = 30 * 86_400;
export const KLING_PROMPT_LIMIT = 2500;

export const KLING_MODELS: Readonly<Record<string, KlingModelSpec>> = {
  'kling-v3': {
    seconds: range(3, 15),
    fps: 24,
    modes: {
      std: { sizes: P720, lastFrame: true, sound: true, usdPerSecond: 0.084, usdPerSecondWithSound: 0.126 },
      pro: { sizes: P1080, lastFrame: true, sound: true, usdPerSecond: 0.112, usdPerSecondWithSound: 0.168 },
    },
    soundWithLastFrame: true,
    renderSecondsPerSecond: 30,
    notes:
      'capability map: std and pro 3–15 s, text and image to video, start & end frame in both modes; sound on|off. ' +
      '720p std / 1080p pro and 24 fps as Kling 3.x on providers-2026.md §A.7. Prices: estimate.',
  },
  'kling-v2-6': {
    seconds: FIVE_OR_TEN,
    fps: 24,
    modes: {
      std: { sizes: P720, lastFrame: false, sound: false, usdPerSecond: 0.042 },
      pro: { sizes: P1080, lastFrame: true, sound: true, usdPerSecond: 0.07, usdPerSecondWithSound: 0.14 },
    },
    soundWithLastFrame: false,
    renderSecondsPerSecond: 30,
    notes:
      'capability map: std 5/10 s without audio only; pro 5/10 s with voice/sound; start/end frame pro only and without audio. ' +
      'Resolution per mode (720p/1080p) and std price: estimate; pro $0.07/s, $0.14/s with sound (fal list price, estimate).',
  },
  'kling-v2-5-turbo': {
    seconds: FIVE_OR_TEN,
    fps: 24,
    modes: {
      std: { sizes: P720, lastFrame: false, sound: false, usdPerSecond: 0.042 },
      pro: { sizes: P1080, lastFrame: true, sound: false, usdPerSecond: 0.07 },
    },
    soundWithLastFrame: false,
    renderSecondsPerSecond: 24,
    notes:
      'capability map: std and pro 5/10 s, text and image to video, start/end frame pro only; no sound. Resolution table: pro 1080p 24 fps; ' +
      'std 720p: estimate. Prices: estimate.',
  },
  'kling-v2-1-master': {
    seconds: FIVE_OR_TEN,
    fps: 24,
    modes: { pro: { sizes: P1080, lastFrame: false, sound: false, usdPerSecond: 0.28 } },
    modeless: true,
    soundWithLastFrame: false,
    renderSecondsPerSecond: 36,
    notes: 'capability map: 5/10 s, text and image to video, no modes; resolution table: 1080p 24 fps. Price: estimate.',
  },
};

export const DEFAULT_KLING_MODEL = 'kling-v3';

/** The aspect ratio Kling is asked for to render `size` ("1280x720" → "16:9"), in the mode that renders it. */
export function modeAndAspect(spec: KlingModelSpec, size: string): { mode: KlingMode; aspect: KlingAspect } | undefined {
  for (const [mode, m] of Object.entries(spec.modes) as [KlingMode, ModeSpec][]) {
    for (const [aspect, s] of Object.entries(m.sizes) as [KlingAspect, string][]) if (s === size) return { mode, aspect };
  }
  return undefined;
}
