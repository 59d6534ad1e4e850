/**
 * Workflows storyreel ships for ComfyUI, each an API-format graph exactly as ComfyUI exports it (the JSON files beside
 * this one: open them in ComfyUI, or copy one as the start of your own) plus its mapping and what it renders. They
 * are models of the `comfyui` provider (`model: wan2.2-i2v`); `providers.comfyui.workflows.<id>.template` customises
 * one (other model files with `set`, another frame rate, more sizes).
 *
 * The model files each needs on the ComfyUI server are listed in `files` (the names the official ComfyUI templates
 * use; `set` points a loader at another name).
 */
import ltxvI2v from './ltxv-i2v.json' with { type: 'json' };
import ltxvT2v from './ltxv-t2v.json' with { type: 'json' };
import wanFlf2v from './wan2.2-flf2v.json' with { type: 'json' };
import wanI2v from './wan2.2-i2v.json' with { type: 'json' };
import wanT2v from './wan2.2-t2v.json' with { type: 'json' };
import wanTi2v5b from './wan2.2-ti2v-5b.json' with { type: 'json' };
import type { ApiGraph, Mapping } from '../workflow.js';

/** What a workflow renders, beside its graph and mapping. */
export interface WorkflowFacts {
  /** Frame rate the workflow renders at (written into the mapped `fps` inputs). */
  fps: number;
  /**
   * How the frame count input relates to seconds: frames = seconds × fps, plus one when `plusOne` (Wan and LTX count
   * 4n+1 / 8n+1 frames), where seconds × fps is a multiple of `multipleOf`.
   */
  frameCount: { multipleOf: number; plusOne: boolean };
  /** Allowed lengths, seconds; the step defaults to the smallest round one the frame rule allows. */
  seconds: { min: number; max: number; step?: number };
  /** Sizes it renders well, "WxH"; the first of an aspect is that aspect's default. */
  sizes: readonly string[];
  /** Image-to-video only: a scene without a first frame is refused at plan time. */
  firstFrameRequired: boolean;
  /** Seconds of rendering per second of video on a typical GPU, for the job deadline. */
  renderSecondsPerSecond: number;
}

export interface ComfyTemplate extends WorkflowFacts {
  id: string;
  title: string;
  graph: ApiGraph;
  mapping: Mapping;
  /** Model files the server needs: `<folder under ComfyUI/models>/<name>`. */
  files: readonly string[];
}

const WAN14_TEXT = ['text_encoders/umt5_xxl_fp8_e4m3fn_scaled.safetensors', 'vae/wan_2.1_vae.safetensors'];
const WAN14_SIZES = ['1280x720', '720x1280', '832x480', '480x832', '960x960'];
const WAN14: Omit<WorkflowFacts, 'firstFrameRequired'> = {
  fps: 16,
  frameCount: { multipleOf: 4, plusOne: true },
  seconds: { min: 1, max: 10, step: 0.25 },
  sizes: WAN14_SIZES,
  renderSecondsPerSecond: 120,
};
const WAN14_MAPPING: Mapping = {
  prompt: '6.inputs.text',
  negativePrompt: '7.inputs.text',
  seed: '57.inputs.noise_seed',
  fps: '60.inputs.fps',
};
const LTXV: Omit<WorkflowFacts, 'firstFrameRequired'> = {
  fps: 24,
  frameCount: { multipleOf: 8, plusOne: true },
  seconds: { min: 1, max: 10, step: 1 },
  sizes: ['1024x576', '576x1024', '768x512', '512x768'],
  renderSecondsPerSecond: 15,
};
const LTXV_MAPPING: Mapping = {
  prompt: '6.inputs.text',
  negativePrompt: '7.inputs.text',
  seed: '72.inputs.noise_seed',
  fps: ['69.inputs.frame_rate', '79.inputs.fps'],
};
const LTXV_FILES = ['checkpoints/ltx-video-2b-v0.9.5.safetensors', 'text_encoders/t5xxl_fp16.safetensors'];

export const TEMPLATES: readonly ComfyTemplate[] = [
  {
    id: 'wan2.2-ti2v-5b',
    title: 'Wan 2.2 TI2V 5B: text or image to video, 24 fps (fits consumer GPUs)',
    graph: wanTi2v5b as ApiGraph,
    mapping: {
      prompt: '6.inputs.text',
      negativePrompt: '7.inputs.text',
      seed: '3.inputs.seed',
      width: '55.inputs.width',
      height: '55.inputs.height',
      frames: '55.inputs.length',
      fps: '57.inputs.fps',
      firstFrame: '56.inputs.image',
    },
    fps: 24,
    frameCount: { multipleOf: 4, plusOne: true },
    seconds: { min: 1, max: 10, step: 0.5 },
    sizes: ['1024x576', '576x1024', '1280x704', '704x1280'],
    firstFrameRequired: false,
    renderSecondsPerSecond: 40,
    files: [
      'diffusion_models/wan2.2_ti2v_5B_fp16.safetensors',
      'text_encoders/umt5_xxl_fp8_e4m3fn_scaled.safetensors',
      'vae/wan2.2_vae.safetensors',
    ],
  },
  {
    id: 'wan2.2-t2v',
    title: 'Wan 2.2 T2V A14B: text to video, 16 fps, high/low-noise experts',
    graph: wanT2v as ApiGraph,
    mapping: { ...WAN14_MAPPING, width: '61.inputs.width', height: '61.inputs.height', frames: '61.inputs.length' },
    ...WAN14,
    firstFrameRequired: false,
    files: [
      'diffusion_models/wan2.2_t2v_high_noise_14B_fp8_scaled.safetensors',
      'diffusion_models/wan2.2_t2v_low_noise_14B_fp8_scaled.safetensors',
      ...WAN14_TEXT,
    ],
  },
  {
    id: 'wan2.2-i2v',
    title: 'Wan 2.2 I2V A14B: image to video (needs a first frame), 16 fps',
    graph: wanI2v as ApiGraph,
    mapping: {
      ...WAN14_MAPPING,
      width: '63.inputs.width',
      height: '63.inputs.height',
      frames: '63.inputs.length',
      firstFrame: '62.inputs.image',
    },
    ...WAN14,
    firstFrameRequired: true,
    files: [
      'diffusion_models/wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors',
      'diffusion_models/wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors',
      ...WAN14_TEXT,
    ],
  },
  {
    id: 'wan2.2-flf2v',
    title: 'Wan 2.2 I2V A14B with first and last frame (keyframes), 16 fps',
    graph: wanFlf2v as ApiGraph,
    mapping: {
      ...WAN14_MAPPING,
      width: '67.inputs.width',
      height: '67.inputs.height',
      frames: '67.inputs.length',
      firstFrame: '62.inputs.image',
      lastFrame: '68.inputs.image',
    },
    ...WAN14,
    firstFrameRequired: true,
    files: [
      'diffusion_models/wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors',
      'diffusion_models/wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors',
      ...WAN14_TEXT,
    ],
  },
  {
    id: 'ltxv-t2v',
    title: 'LTX-Video 2B 0.9.5: text to video, 24 fps (fast)',
    graph: ltxvT2v as ApiGraph,
    mapping: { ...LTXV_MAPPING, width: '70.inputs.width', height: '70.inputs.height', frames: '70.inputs.length' },
    ...LTXV,
    firstFrameRequired: false,
    files: LTXV_FILES,
  },
  {
    id: 'ltxv-i2v',
    title: 'LTX-Video 2B 0.9.5: image to video (needs a first frame), 24 fps',
    graph: ltxvI2v as ApiGraph,
    mapping: {
      ...LTXV_MAPPING,
      width: '77.inputs.width',
      height: '77.inputs.height',
      frames: '77.inputs.length',
      firstFrame: '78.inputs.image',
    },
    ...LTXV,
    firstFrameRequired: true,
    files: LTXV_FILES,
  },
];

export const TEMPLATE_IDS = TEMPLATES.map((t) => t.id) as [string, ...string[]];

export function templateById(id: string): ComfyTemplate | undefined {
  return TEMPLATES.find((t) => t.id === id);
}
