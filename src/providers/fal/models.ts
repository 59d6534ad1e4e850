/**
 * The video models storyreel knows on fal, as data: which endpoint serves which mode, what each endpoint's input fields
 * are called, which pixel sizes the model outputs for each aspect/resolution it accepts, and what a second costs.
 *
 * Sources (checked 2026-12): fal.ai/models/<endpoint>/llms.txt and fal.ai/docs/model-api-reference pages, and
 * /work/shared/reference/providers-2026.md §A.4. Every fact that is not on fal's own page for that endpoint is marked
 * `estimate` in the model's `notes` (mostly: the exact pixel size an aspect ratio renders at, and field names of
 * image-to-video endpoints whose page we could not read). A model id that is not here can still be used: declare it
 * in the storyboard (`providers.fal.models`, see catalog.ts).
 */
import type { SecondsSpec } from '../../contracts/capabilities.js';

/** How a model takes the clip length. */
export type DurationFormat =
  /** `duration: 5` */
  | 'integer'
  /** `duration: "5"` */
  | 'string'
  /** `duration: "8s"` (Veo) */
  | 'seconds-suffix'
  /** `num_frames: seconds × fps + 1` with `frames_per_second: fps` (Wan 2.2 style) */
  | 'frames';

export interface FalModelSpec {
  /** Text-to-video endpoint id (the full model id, subpath included). */
  textToVideo: string;
  /** Image-to-video endpoint (first frame), when the model has one. */
  imageToVideo?: string;
  /** A separate first+last-frame endpoint; else the last frame goes to `imageToVideo` as `lastFrameField`. */
  firstLastFrame?: string;
  /** Field of the first-frame image on `imageToVideo` (e.g. `image_url`, `start_image_url`). */
  firstFrameField?: string;
  /** Field of the last-frame image (e.g. `end_image_url`, `tail_image_url`, `last_frame_url`). */
  lastFrameField?: string;
  /** Field of the first frame on `firstLastFrame` when it differs (Veo: `first_frame_url`). */
  firstLastFirstField?: string;
  durationField: string;
  durationFormat: DurationFormat;
  /** For `frames`: the frame rate sent as `frames_per_second`. */
  framesPerSecond?: number;
  /** Pixel size → the fields that ask for it (`aspect_ratio`, `resolution`, …). The first size of an aspect is its default. */
  sizes: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Image-to-video endpoints take the size from the image: these fields are left out there. */
  sizeFieldsIgnoredWithImage?: readonly string[];
  negativePromptField?: string;
  seedField?: string;
  /** Boolean field that switches sound on (`generate_audio`); undefined = the model makes no sound. */
  audioField?: string;
  /** Sound without a switch (always on). */
  alwaysAudio?: boolean;
  seconds: SecondsSpec;
  fps: readonly number[];
  promptLimit: number;
  /** USD per second by size, without and with sound. Sizes not listed fall back to the rule without `sizes`. */
  pricing: readonly { sizes?: readonly string[]; usdPerSecond: number; usdPerSecondWithAudio?: number }[];
  renderSecondsPerSecond: number;
  /** Where the facts come from and which ones are estimates. */
  notes: string;
}

const KLING_V4_SIZES = {
  '1920x1080': { aspect_ratio: '16:9', resolution: '1080p' },
  '1080x1920': { aspect_ratio: '9:16', resolution: '1080p' },
  '1080x1080': { aspect_ratio: '1:1', resolution: '1080p' },
  '1280x720': { aspect_ratio: '16:9', resolution: '720p' },
  '720x1280': { aspect_ratio: '9:16', resolution: '720p' },
  '720x720': { aspect_ratio: '1:1', resolution: '720p' },
};

const VEO_SIZES = {
  '1280x720': { aspect_ratio: '16:9', resolution: '720p' },
  '720x1280': { aspect_ratio: '9:16', resolution: '720p' },
  '1920x1080': { aspect_ratio: '16:9', resolution: '1080p' },
  '1080x1920': { aspect_ratio: '9:16', resolution: '1080p' },
};

const veo = (base: string, fast: boolean): FalModelSpec => ({
  textToVideo: base,
  imageToVideo: `${base}/image-to-video`,
  firstLastFrame: `${base}/first-last-frame-to-video`,
  firstFrameField: 'image_url',
  firstLastFirstField: 'first_frame_url',
  lastFrameField: 'last_frame_url',
  durationField: 'duration',
  durationFormat: 'seconds-suffix',
  sizes: VEO_SIZES,
  negativePromptField: 'negative_prompt',
  seedField: 'seed',
  audioField: 'generate_audio',
  seconds: { kind: 'enum', values: [4, 6, 8] },
  fps: [24],
  promptLimit: 4000,
  pricing: fast ? [{ usdPerSecond: 0.1, usdPerSecondWithAudio: 0.15 }] : [{ usdPerSecond: 0.2, usdPerSecondWithAudio: 0.4 }],
  renderSecondsPerSecond: fast ? 8 : 15,
  notes: fast
    ? 'fal.ai/models/fal-ai/veo3.1/fast/first-last-frame-to-video/llms.txt: 4s/6s/8s, 16:9|9:16, 720p|1080p, $0.10/s, $0.15/s with audio. Pixel sizes: estimate.'
    : 'fal.ai model-api-reference veo3.1 pages: same fields as Veo 3.1 Fast. Price $0.20/s, $0.40/s with audio: estimate (Veo 3 page). Pixel sizes: estimate.',
});

export const FAL_MODELS: Readonly<Record<string, FalModelSpec>> = {
  // Kling 4.0: the current Kling on fal (providers-2026.md §A.4, fal.ai/models/fal-ai/kling-video/v4/text-to-video/llms.txt).
  'fal-ai/kling-video/v4': {
    textToVideo: 'fal-ai/kling-video/v4/text-to-video',
    imageToVideo: 'fal-ai/kling-video/v4/image-to-video',
    firstFrameField: 'start_image_url',
    lastFrameField: 'end_image_url',
    durationField: 'duration',
    durationFormat: 'integer',
    sizes: KLING_V4_SIZES,
    sizeFieldsIgnoredWithImage: ['aspect_ratio'],
    negativePromptField: 'negative_prompt',
    audioField: 'generate_audio',
    seconds: { kind: 'range', min: 3, max: 30, step: 1 },
    fps: [24],
    promptLimit: 2500,
    pricing: [{ sizes: ['1280x720', '720x1280', '720x720'], usdPerSecond: 0.157 }, { usdPerSecond: 0.235 }],
    renderSecondsPerSecond: 12,
    notes:
      'text-to-video llms.txt: duration 3-30, resolution 720p|1080p, aspect 16:9|9:16|1:1|auto. $0.157/s 720p, $0.235/s 1080p (fal.ai/learn/tools/kling-api). ' +
      'Image-to-video field names start_image_url/end_image_url as on Kling 3.0 Pro: estimate. Pixel sizes and audio pricing: estimate.',
  },
  'fal-ai/kling-video/v2.6/pro': {
    textToVideo: 'fal-ai/kling-video/v2.6/pro/text-to-video',
    imageToVideo: 'fal-ai/kling-video/v2.6/pro/image-to-video',
    firstFrameField: 'start_image_url',
    lastFrameField: 'end_image_url',
    durationField: 'duration',
    durationFormat: 'string',
    sizes: {
      '1920x1080': { aspect_ratio: '16:9' },
      '1080x1920': { aspect_ratio: '9:16' },
      '1080x1080': { aspect_ratio: '1:1' },
    },
    sizeFieldsIgnoredWithImage: ['aspect_ratio'],
    negativePromptField: 'negative_prompt',
    audioField: 'generate_audio',
    seconds: { kind: 'enum', values: [5, 10] },
    fps: [24],
    promptLimit: 2500,
    pricing: [{ usdPerSecond: 0.07, usdPerSecondWithAudio: 0.14 }],
    renderSecondsPerSecond: 10,
    notes:
      'fal.ai/models/fal-ai/kling-video/v2.6/pro/image-to-video/llms.txt: $0.07/s, $0.14/s with audio; 5|10 s. Output 1080p pixel sizes: estimate.',
  },
  // Wan 2.5 (fal-ai/wan-25-preview): 5|10 s, 480p/720p/1080p; $0.05/$0.10/$0.15 per second (inference.sh listing of fal prices: estimate).
  'fal-ai/wan-25-preview': {
    textToVideo: 'fal-ai/wan-25-preview/text-to-video',
    imageToVideo: 'fal-ai/wan-25-preview/image-to-video',
    firstFrameField: 'image_url',
    durationField: 'duration',
    durationFormat: 'string',
    sizes: {
      '1280x720': { aspect_ratio: '16:9', resolution: '720p' },
      '720x1280': { aspect_ratio: '9:16', resolution: '720p' },
      '960x960': { aspect_ratio: '1:1', resolution: '720p' },
      '1920x1080': { aspect_ratio: '16:9', resolution: '1080p' },
      '1080x1920': { aspect_ratio: '9:16', resolution: '1080p' },
      '832x480': { aspect_ratio: '16:9', resolution: '480p' },
      '480x832': { aspect_ratio: '9:16', resolution: '480p' },
    },
    sizeFieldsIgnoredWithImage: ['aspect_ratio'],
    negativePromptField: 'negative_prompt',
    seedField: 'seed',
    alwaysAudio: true,
    seconds: { kind: 'enum', values: [5, 10] },
    fps: [24],
    promptLimit: 800,
    pricing: [
      { sizes: ['832x480', '480x832'], usdPerSecond: 0.05 },
      { sizes: ['1920x1080', '1080x1920'], usdPerSecond: 0.15 },
      { usdPerSecond: 0.1 },
    ],
    renderSecondsPerSecond: 10,
    notes: 'Prices per resolution from a listing of fal prices (estimate); fields and pixel sizes: estimate (Wan 2.x conventions on fal).',
  },
  // Wan 2.2 A14B takes its length in frames: the catalog maps seconds to num_frames at 16 fps.
  'fal-ai/wan/v2.2-a14b': {
    textToVideo: 'fal-ai/wan/v2.2-a14b/text-to-video',
    imageToVideo: 'fal-ai/wan/v2.2-a14b/image-to-video',
    firstFrameField: 'image_url',
    lastFrameField: 'end_image_url',
    durationField: 'num_frames',
    durationFormat: 'frames',
    framesPerSecond: 16,
    sizes: {
      '1280x720': { aspect_ratio: '16:9', resolution: '720p' },
      '720x1280': { aspect_ratio: '9:16', resolution: '720p' },
      '720x720': { aspect_ratio: '1:1', resolution: '720p' },
      '832x480': { aspect_ratio: '16:9', resolution: '480p' },
      '480x832': { aspect_ratio: '9:16', resolution: '480p' },
    },
    sizeFieldsIgnoredWithImage: ['aspect_ratio'],
    negativePromptField: 'negative_prompt',
    seedField: 'seed',
    // num_frames 17..161 at 16 fps: 1 s to 10 s in whole seconds.
    seconds: { kind: 'range', min: 1, max: 10, step: 1 },
    fps: [16],
    promptLimit: 2000,
    pricing: [{ sizes: ['832x480', '480x832'], usdPerSecond: 0.04 }, { usdPerSecond: 0.08 }],
    renderSecondsPerSecond: 12,
    notes:
      'num_frames 17-161 and frames_per_second from the Wan 2.2 schema on fal; prices ($0.04/s 480p, $0.08/s 720p) and pixel sizes: estimate.',
  },
  // LTX Video 2.0 Pro (fal.ai/learn/devs/ltx-video-2-pro-image-to-video-developer-guide; ltx-2 text-to-video llms.txt).
  'fal-ai/ltx-2': {
    textToVideo: 'fal-ai/ltx-2/text-to-video',
    imageToVideo: 'fal-ai/ltx-2/image-to-video',
    firstFrameField: 'image_url',
    durationField: 'duration',
    durationFormat: 'integer',
    sizes: {
      '1920x1080': { resolution: '1080p' },
      '2560x1440': { resolution: '1440p' },
      '3840x2160': { resolution: '2160p' },
    },
    audioField: 'generate_audio',
    seconds: { kind: 'enum', values: [6, 8, 10] },
    fps: [25, 50],
    promptLimit: 5000,
    pricing: [{ sizes: ['2560x1440'], usdPerSecond: 0.12 }, { sizes: ['3840x2160'], usdPerSecond: 0.24 }, { usdPerSecond: 0.06 }],
    renderSecondsPerSecond: 6,
    notes: '6|8|10 s, 1080p|1440p|2160p, $0.06/$0.12/$0.24 per second (fal developer guide). 16:9 only: estimate.',
  },
  'fal-ai/ltx-2/fast': {
    textToVideo: 'fal-ai/ltx-2/text-to-video/fast',
    imageToVideo: 'fal-ai/ltx-2/image-to-video/fast',
    firstFrameField: 'image_url',
    durationField: 'duration',
    durationFormat: 'integer',
    sizes: { '1920x1080': { resolution: '1080p' }, '2560x1440': { resolution: '1440p' }, '3840x2160': { resolution: '2160p' } },
    audioField: 'generate_audio',
    // 12-20 s only at 1080p and 25 fps (fal's note); the planner checks lengths, the API refuses the combination.
    seconds: { kind: 'enum', values: [6, 8, 10, 12, 14, 16, 18, 20] },
    fps: [25, 50],
    promptLimit: 5000,
    pricing: [{ sizes: ['2560x1440'], usdPerSecond: 0.08 }, { sizes: ['3840x2160'], usdPerSecond: 0.16 }, { usdPerSecond: 0.04 }],
    renderSecondsPerSecond: 3,
    notes: 'fal.ai/models/fal-ai/ltx-2/text-to-video/fast/llms.txt: 6-20 s (over 10 s only 1080p at 25 fps), $0.04/$0.08/$0.16 per second.',
  },
  // MiniMax Hailuo 02 Standard (fal.ai/models/fal-ai/minimax/hailuo-02/standard/image-to-video/llms.txt).
  'fal-ai/minimax/hailuo-02/standard': {
    textToVideo: 'fal-ai/minimax/hailuo-02/standard/text-to-video',
    imageToVideo: 'fal-ai/minimax/hailuo-02/standard/image-to-video',
    firstFrameField: 'image_url',
    lastFrameField: 'end_image_url',
    durationField: 'duration',
    durationFormat: 'string',
    sizes: { '1366x768': {} },
    seconds: { kind: 'enum', values: [6, 10] },
    fps: [24],
    promptLimit: 2000,
    pricing: [{ usdPerSecond: 0.045 }],
    renderSecondsPerSecond: 10,
    notes: 'duration "6"|"10", 768P, $0.045/s (fal llms.txt). 1366x768 output and end_image_url: estimate (MiniMax API conventions).',
  },
  // Seedance 1.0 Pro: priced by video tokens, (w × h × fps × s) / 1024 at $2.5 per million → per second below.
  'fal-ai/bytedance/seedance/v1/pro': {
    textToVideo: 'fal-ai/bytedance/seedance/v1/pro/text-to-video',
    imageToVideo: 'fal-ai/bytedance/seedance/v1/pro/image-to-video',
    firstFrameField: 'image_url',
    lastFrameField: 'end_image_url',
    durationField: 'duration',
    durationFormat: 'string',
    sizes: {
      '1920x1080': { aspect_ratio: '16:9', resolution: '1080p' },
      '1080x1920': { aspect_ratio: '9:16', resolution: '1080p' },
      '1440x1440': { aspect_ratio: '1:1', resolution: '1080p' },
      '1280x720': { aspect_ratio: '16:9', resolution: '720p' },
      '720x1280': { aspect_ratio: '9:16', resolution: '720p' },
      '960x960': { aspect_ratio: '1:1', resolution: '720p' },
      '864x480': { aspect_ratio: '16:9', resolution: '480p' },
      '480x864': { aspect_ratio: '9:16', resolution: '480p' },
    },
    sizeFieldsIgnoredWithImage: ['aspect_ratio'],
    seedField: 'seed',
    seconds: { kind: 'range', min: 3, max: 12, step: 1 },
    fps: [24],
    promptLimit: 2000,
    pricing: [
      { sizes: ['1920x1080', '1080x1920'], usdPerSecond: 0.1215 },
      { sizes: ['1440x1440'], usdPerSecond: 0.1215 },
      { sizes: ['1280x720', '720x1280'], usdPerSecond: 0.054 },
      { sizes: ['960x960'], usdPerSecond: 0.054 },
      { usdPerSecond: 0.0243 },
    ],
    renderSecondsPerSecond: 10,
    notes:
      'llms.txt: aspect 21:9..9:16, 480p|720p|1080p, $2.5 per million video tokens ((h·w·fps·s)/1024; "a 1080p 5 s video ≈ $0.62"). ' +
      '3-12 s (ComfyUI ByteDance node), pixel sizes and end_image_url: estimate.',
  },
  'fal-ai/veo3.1': veo('fal-ai/veo3.1', false),
  'fal-ai/veo3.1/fast': veo('fal-ai/veo3.1/fast', true),
};
