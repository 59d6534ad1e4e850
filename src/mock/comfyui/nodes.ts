/**
 * The node classes the mock knows: the ones storyreel's templates use plus VideoHelperSuite's VHS_VideoCombine, each
 * with its inputs as ComfyUI declares them (`INPUT_TYPES`: required / optional, type, min / max, combo options) and
 * its outputs (`RETURN_TYPES`), read from ComfyUI's nodes.py and comfy_extras (nodes_wan.py, nodes_lt.py,
 * nodes_video.py, nodes_custom_sampler.py, nodes_model_advanced.py, nodes_hunyuan.py). A class not listed here is an
 * unknown node, as a custom node that is not installed is to a real server.
 *
 * Beyond the schema, each class says what the mock needs to "execute" it: how long it runs (loaders, samplers by
 * steps), which latent it creates (size rounding, frame rule), the frame rate of a video, and what an output node
 * saves.
 */

/** A combo whose options the mock does not know (model files on the server): any value is accepted. */
export const ANY_FILE = 'ANY_FILE';

export type InputSpec =
  | { type: 'INT' | 'FLOAT'; min?: number; max?: number }
  | { type: 'STRING' | 'BOOLEAN' }
  | { type: 'COMBO'; options: readonly string[] | typeof ANY_FILE }
  /** A link from another node's output of this type. */
  | { type: 'LINK'; of: string };

export interface NodeClass {
  required: Record<string, InputSpec>;
  optional?: Record<string, InputSpec>;
  output: readonly string[];
  outputNode?: boolean;
  /** Loads model files: the slow part of the first run, cached afterwards. */
  loader?: boolean;
  /** Reports `progress` events: this many steps (from its inputs). */
  steps?: (inputs: Record<string, unknown>) => number;
  /** Creates the video latent: pixel size rounded down to `sizeMultiple`, frames = ⌊(length−1)/m⌋·m + 1. */
  latent?: { sizeMultiple: number; frameMultiple: number };
  /** Sets the frame rate of the video it makes, from this input. */
  fpsInput?: string;
  /** Saves a video: the history key it is listed under and how its file is named. */
  saves?: { key: 'images' | 'gifs'; naming: 'comfy' | 'vhs' };
}

const INT = (min?: number, max?: number): InputSpec => ({
  type: 'INT',
  ...(min !== undefined ? { min } : {}),
  ...(max !== undefined ? { max } : {}),
});
const FLOAT = (min?: number, max?: number): InputSpec => ({
  type: 'FLOAT',
  ...(min !== undefined ? { min } : {}),
  ...(max !== undefined ? { max } : {}),
});
const STRING: InputSpec = { type: 'STRING' };
const BOOLEAN: InputSpec = { type: 'BOOLEAN' };
const combo = (options: readonly string[] | typeof ANY_FILE): InputSpec => ({ type: 'COMBO', options });
const link = (of: string): InputSpec => ({ type: 'LINK', of });

/** nodes.MAX_RESOLUTION */
const MAX_RESOLUTION = 16384;
/** 0xffffffffffffffff, as close as a double gets. */
const SEED = INT(0, 2 ** 64);
export const SAMPLERS = [
  'euler',
  'euler_cfg_pp',
  'euler_ancestral',
  'heun',
  'dpm_2',
  'dpm_2_ancestral',
  'lms',
  'dpm_fast',
  'dpm_adaptive',
  'dpmpp_2s_ancestral',
  'dpmpp_sde',
  'dpmpp_2m',
  'dpmpp_2m_sde',
  'dpmpp_3m_sde',
  'ddpm',
  'lcm',
  'ipndm',
  'deis',
  'res_multistep',
  'gradient_estimation',
  'er_sde',
  'ddim',
  'uni_pc',
  'uni_pc_bh2',
] as const;
export const SCHEDULERS = [
  'simple',
  'sgm_uniform',
  'karras',
  'exponential',
  'ddim_uniform',
  'beta',
  'normal',
  'linear_quadratic',
  'kl_optimal',
] as const;
const CLIP_TYPES = [
  'stable_diffusion',
  'stable_cascade',
  'sd3',
  'stable_audio',
  'mochi',
  'ltxv',
  'pixart',
  'cosmos',
  'lumina2',
  'wan',
  'hidream',
  'chroma',
  'ace',
  'omnigen2',
  'qwen_image',
  'hunyuan_image',
  'hunyuan_video_15',
] as const;
const size = { width: INT(16, MAX_RESOLUTION), height: INT(16, MAX_RESOLUTION) };
const length = { length: INT(1, MAX_RESOLUTION), batch_size: INT(1, 4096) };
const cond = { positive: link('CONDITIONING'), negative: link('CONDITIONING') };
const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

export const NODE_CLASSES: Readonly<Record<string, NodeClass>> = {
  CheckpointLoaderSimple: { required: { ckpt_name: combo(ANY_FILE) }, output: ['MODEL', 'CLIP', 'VAE'], loader: true },
  CLIPLoader: {
    required: { clip_name: combo(ANY_FILE), type: combo(CLIP_TYPES) },
    optional: { device: combo(['default', 'cpu']) },
    output: ['CLIP'],
    loader: true,
  },
  UNETLoader: {
    required: { unet_name: combo(ANY_FILE), weight_dtype: combo(['default', 'fp8_e4m3fn', 'fp8_e4m3fn_fast', 'fp8_e5m2']) },
    output: ['MODEL'],
    loader: true,
  },
  VAELoader: { required: { vae_name: combo(ANY_FILE) }, output: ['VAE'], loader: true },
  LoraLoaderModelOnly: {
    required: { model: link('MODEL'), lora_name: combo(ANY_FILE), strength_model: FLOAT(-100, 100) },
    output: ['MODEL'],
    loader: true,
  },
  CLIPTextEncode: { required: { text: STRING, clip: link('CLIP') }, output: ['CONDITIONING'] },
  // `image` is checked by LoadImage.VALIDATE_INPUTS (the file must be in the input folder), not as a combo.
  LoadImage: { required: { image: STRING }, output: ['IMAGE', 'MASK'] },
  ModelSamplingSD3: { required: { model: link('MODEL'), shift: FLOAT(0, 100) }, output: ['MODEL'] },
  EmptyHunyuanLatentVideo: { required: { ...size, ...length }, output: ['LATENT'], latent: { sizeMultiple: 8, frameMultiple: 4 } },
  WanImageToVideo: {
    required: { ...cond, vae: link('VAE'), ...size, ...length },
    optional: { clip_vision_output: link('CLIP_VISION_OUTPUT'), start_image: link('IMAGE') },
    output: ['CONDITIONING', 'CONDITIONING', 'LATENT'],
    latent: { sizeMultiple: 8, frameMultiple: 4 },
  },
  WanFirstLastFrameToVideo: {
    required: { ...cond, vae: link('VAE'), ...size, ...length },
    optional: {
      clip_vision_start_image: link('CLIP_VISION_OUTPUT'),
      clip_vision_end_image: link('CLIP_VISION_OUTPUT'),
      start_image: link('IMAGE'),
      end_image: link('IMAGE'),
    },
    output: ['CONDITIONING', 'CONDITIONING', 'LATENT'],
    latent: { sizeMultiple: 8, frameMultiple: 4 },
  },
  Wan22ImageToVideoLatent: {
    required: { vae: link('VAE'), width: INT(32, MAX_RESOLUTION), height: INT(32, MAX_RESOLUTION), ...length },
    optional: { start_image: link('IMAGE') },
    output: ['LATENT'],
    latent: { sizeMultiple: 32, frameMultiple: 4 },
  },
  EmptyLTXVLatentVideo: {
    required: { width: INT(64, MAX_RESOLUTION), height: INT(64, MAX_RESOLUTION), ...length },
    output: ['LATENT'],
    latent: { sizeMultiple: 32, frameMultiple: 8 },
  },
  LTXVImgToVideo: {
    required: {
      ...cond,
      vae: link('VAE'),
      image: link('IMAGE'),
      width: INT(64, MAX_RESOLUTION),
      height: INT(64, MAX_RESOLUTION),
      ...length,
      strength: FLOAT(0, 1),
    },
    output: ['CONDITIONING', 'CONDITIONING', 'LATENT'],
    latent: { sizeMultiple: 32, frameMultiple: 8 },
  },
  LTXVConditioning: { required: { ...cond, frame_rate: FLOAT(0, 1000) }, output: ['CONDITIONING', 'CONDITIONING'] },
  LTXVScheduler: {
    required: { steps: INT(1, 10000), max_shift: FLOAT(0, 100), base_shift: FLOAT(0, 100), stretch: BOOLEAN, terminal: FLOAT(0, 0.99) },
    optional: { latent: link('LATENT') },
    output: ['SIGMAS'],
  },
  KSamplerSelect: { required: { sampler_name: combo(SAMPLERS) }, output: ['SAMPLER'] },
  KSampler: {
    required: {
      model: link('MODEL'),
      seed: SEED,
      steps: INT(1, 10000),
      cfg: FLOAT(0, 100),
      sampler_name: combo(SAMPLERS),
      scheduler: combo(SCHEDULERS),
      ...cond,
      latent_image: link('LATENT'),
      denoise: FLOAT(0, 1),
    },
    output: ['LATENT'],
    steps: (i) => num(i.steps, 20),
  },
  KSamplerAdvanced: {
    required: {
      model: link('MODEL'),
      add_noise: combo(['enable', 'disable']),
      noise_seed: SEED,
      steps: INT(1, 10000),
      cfg: FLOAT(0, 100),
      sampler_name: combo(SAMPLERS),
      scheduler: combo(SCHEDULERS),
      ...cond,
      latent_image: link('LATENT'),
      start_at_step: INT(0, 10000),
      end_at_step: INT(0, 10000),
      return_with_leftover_noise: combo(['disable', 'enable']),
    },
    output: ['LATENT'],
    steps: (i) => Math.max(1, Math.min(num(i.end_at_step, 10000), num(i.steps, 20)) - num(i.start_at_step, 0)),
  },
  SamplerCustom: {
    required: {
      model: link('MODEL'),
      add_noise: BOOLEAN,
      noise_seed: SEED,
      cfg: FLOAT(0, 100),
      ...cond,
      sampler: link('SAMPLER'),
      sigmas: link('SIGMAS'),
      latent_image: link('LATENT'),
    },
    output: ['LATENT', 'LATENT'],
    steps: () => 30,
  },
  VAEDecode: { required: { samples: link('LATENT'), vae: link('VAE') }, output: ['IMAGE'] },
  CreateVideo: {
    required: { images: link('IMAGE'), fps: FLOAT(1, 120) },
    optional: { audio: link('AUDIO') },
    output: ['VIDEO'],
    fpsInput: 'fps',
  },
  SaveVideo: {
    required: { video: link('VIDEO'), filename_prefix: STRING, format: combo(['auto', 'mp4']), codec: combo(['auto', 'h264']) },
    output: [],
    outputNode: true,
    saves: { key: 'images', naming: 'comfy' },
  },
  VHS_VideoCombine: {
    required: {
      images: link('IMAGE'),
      frame_rate: FLOAT(1, 1000),
      loop_count: INT(0, 100),
      filename_prefix: STRING,
      format: combo(['image/gif', 'image/webp', 'video/h264-mp4', 'video/h265-mp4', 'video/webm']),
      pingpong: BOOLEAN,
      save_output: BOOLEAN,
    },
    optional: { audio: link('AUDIO'), meta_batch: link('VHS_BatchManager'), vae: link('VAE') },
    output: ['VHS_FILENAMES'],
    outputNode: true,
    fpsInput: 'frame_rate',
    saves: { key: 'gifs', naming: 'vhs' },
  },
};
