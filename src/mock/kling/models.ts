/**
 * What the mock accepts per `model_name` (Kling API reference: the Text/Image to Video enums and the capability map
 * and resolution table in "General Information"). Independent of storyreel's own catalog: the mock models Kling.
 * Where the map leaves a detail out, the choice is marked in README.md.
 */
export type Mode = 'std' | 'pro';

export interface ModeRule {
  /** Output height: 720 or 1080 (the width follows the aspect ratio). */
  resolution: 720 | 1080;
  /** `image_tail` (end frame) accepted. */
  tail: boolean;
  /** `sound: on` accepted. */
  sound: boolean;
}

export interface MockModel {
  name: string;
  textToVideo: boolean;
  imageToVideo: boolean;
  /** Allowed `duration` values, seconds. */
  durations: readonly number[];
  modes: Partial<Record<Mode, ModeRule>>;
  /** The model takes no `mode`; its one rule is under `pro`. */
  modeless?: boolean;
  /** Sound and an end frame together (kling-v2-6: start/end frame "only no audio"). */
  soundWithTail: boolean;
  fps: number;
}

const FIVE_TEN = [5, 10];
const THREE_TO_FIFTEEN = Array.from({ length: 13 }, (_, i) => i + 3);

export const MOCK_MODELS: readonly MockModel[] = [
  {
    name: 'kling-v3',
    textToVideo: true,
    imageToVideo: true,
    durations: THREE_TO_FIFTEEN,
    modes: { std: { resolution: 720, tail: true, sound: true }, pro: { resolution: 1080, tail: true, sound: true } },
    soundWithTail: true,
    fps: 24,
  },
  {
    name: 'kling-v2-6',
    textToVideo: true,
    imageToVideo: true,
    durations: FIVE_TEN,
    modes: { std: { resolution: 720, tail: false, sound: false }, pro: { resolution: 1080, tail: true, sound: true } },
    soundWithTail: false,
    fps: 24,
  },
  {
    name: 'kling-v2-5-turbo',
    textToVideo: true,
    imageToVideo: true,
    durations: FIVE_TEN,
    modes: { std: { resolution: 720, tail: false, sound: false }, pro: { resolution: 1080, tail: true, sound: false } },
    soundWithTail: false,
    fps: 24,
  },
  {
    name: 'kling-v2-1-master',
    textToVideo: true,
    imageToVideo: true,
    durations: FIVE_TEN,
    modes: { pro: { resolution: 1080, tail: false, sound: false } },
    modeless: true,
    soundWithTail: false,
    fps: 24,
  },
  {
    name: 'kling-v2-1',
    textToVideo: false,
    imageToVideo: true,
    durations: FIVE_TEN,
    modes: { std: { resolution: 720, tail: false, sound: false }, pro: { resolution: 1080, tail: true, sound: false } },
    soundWithTail: false,
    fps: 24,
  },
  {
    name: 'kling-v2-master',
    textToVideo: true,
    imageToVideo: true,
    durations: FIVE_TEN,
    modes: { std: { resolution: 720, tail: false, sound: false } },
    modeless: true,
    soundWithTail: false,
    fps: 24,
  },
  {
    name: 'kling-v1-6',
    textToVideo: true,
    imageToVideo: true,
    durations: FIVE_TEN,
    modes: { std: { resolution: 720, tail: false, sound: false }, pro: { resolution: 1080, tail: true, sound: false } },
    soundWithTail: false,
    fps: 30,
  },
  {
    name: 'kling-v1',
    textToVideo: true,
    imageToVideo: true,
    durations: FIVE_TEN,
    modes: { std: { resolution: 720, tail: true, sound: false }, pro: { resolution: 720, tail: true, sound: false } },
    soundWithTail: false,
    fps: 30,
  },
];

/** Kling's default when `model_name` is empty (the docs: "equivalent to … calling the V1 model"). */
export const DEFAULT_MODEL = 'kling-v1';

export type Aspect = '16:9' | '9:16' | '1:1';
export const ASPECTS: readonly Aspect[] = ['16:9', '9:16', '1:1'];

/** Pixel size of a resolution and aspect ratio (720p 16:9 → 1280x720). */
export function pixelSize(resolution: 720 | 1080, aspect: Aspect): { width: number; height: number } {
  const long = resolution === 720 ? 1280 : 1920;
  if (aspect === '16:9') return { width: long, height: resolution };
  if (aspect === '9:16') return { width: resolution, height: long };
  return { width: resolution, height: resolution };
}

/** The supported aspect ratio closest to an image's (image to video renders the image's shape). */
export function nearestAspect(width: number, height: number): Aspect {
  const r = width / height;
  const ratio: Record<Aspect, number> = { '16:9': 16 / 9, '9:16': 9 / 16, '1:1': 1 };
  return ASPECTS.reduce((best, a) => (Math.abs(Math.log(ratio[a] / r)) < Math.abs(Math.log(ratio[best] / r)) ? a : best));
}

/**
 * Units the mock deducts for a finished task (`final_unit_deduction`): the mock's own table, not Kling's price
 * list (which is not published): 1 unit per 5 s in std, 1.75 in pro, twice that with sound.
 */
export function unitsFor(mode: Mode, seconds: number, sound: boolean): number {
  return Math.round((seconds / 5) * (mode === 'pro' ? 1.75 : 1) * (sound ? 2 : 1) * 100) / 100;
}
