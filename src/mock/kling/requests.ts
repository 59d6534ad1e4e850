/**
 * Validation of a create body into a command, in the order and with the codes of Kling's API reference (Text to
 * Video, Image to Video): an unknown `model_name` is 1203 ("the requested resource does not exist, such as the
 * model"), any other refused parameter 1201 naming the field. Parameters the mock does not model (`cfg_scale`,
 * `camera_control`, `multi_shot`, `voice_list`, masks, …) are accepted and ignored, as a server may.
 */
import { imageInfo, type ImageInfo } from '../kit/index.js';
import { invalidParam, KlingError } from './errors.js';
import { ASPECTS, DEFAULT_MODEL, MOCK_MODELS, type Aspect, type Mode, type MockModel, type ModeRule } from './models.js';
import type { TaskKind } from './routes.js';

export const PROMPT_LIMIT = 2500;
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

export interface DecodedImage {
  data: Buffer;
  info: ImageInfo;
}

export interface CreateCommand {
  model: MockModel;
  mode: Mode;
  rule: ModeRule;
  prompt: string;
  negativePrompt: string;
  seconds: number;
  /** Text to video: the requested aspect ratio; image to video: none (the image's shape). */
  aspect: Aspect | undefined;
  sound: boolean;
  image: DecodedImage | undefined;
  imageTail: DecodedImage | undefined;
  externalTaskId: string | undefined;
  callbackUrl: string | undefined;
  watermark: boolean;
}

const str = (fields: Record<string, unknown>, name: string): string | undefined => {
  const v = fields[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw invalidParam(name, 'must be a string');
  return v;
};

/** An image field: raw base64 (no `data:` prefix) or an http(s) URL the mock fetches. */
async function imageOf(name: string, value: string): Promise<DecodedImage> {
  let data: Buffer;
  if (/^https?:\/\//.test(value)) {
    try {
      const res = await fetch(value, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      data = Buffer.from(await res.arrayBuffer());
    } catch (err) {
      throw invalidParam(name, `the image URL cannot be fetched (${(err as Error).message})`);
    }
  } else {
    if (value.startsWith('data:')) throw invalidParam(name, 'base64 must not carry a data: prefix; send only the raw base64 string');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) throw invalidParam(name, 'is neither an image URL nor base64');
    data = Buffer.from(value, 'base64');
  }
  if (data.length > MAX_IMAGE_BYTES) throw invalidParam(name, 'image file size must not exceed 10MB');
  const info = imageInfo(data);
  if (!info || info.format === 'webp') throw invalidParam(name, 'supported image formats: .jpg / .jpeg / .png');
  if (info.width < 300 || info.height < 300)
    throw invalidParam(name, `image dimensions must be at least 300px (got ${info.width}x${info.height})`);
  const ratio = info.width / info.height;
  if (ratio < 1 / 2.5 || ratio > 2.5) throw invalidParam(name, 'image aspect ratio must be between 1:2.5 and 2.5:1');
  return { data, info };
}

export async function parseCreate(task: TaskKind, fields: Record<string, unknown>): Promise<CreateCommand> {
  const name = str(fields, 'model_name') ?? str(fields, 'model') ?? DEFAULT_MODEL;
  const model = MOCK_MODELS.find((m) => m.name === name);
  if (!model) throw new KlingError(1203, `model_name: model ${name} does not exist`);
  if (task === 'text2video' && !model.textToVideo) throw invalidParam('model_name', `${name} does not support text to video`);
  if (task === 'image2video' && !model.imageToVideo) throw invalidParam('model_name', `${name} does not support image to video`);

  const prompt = str(fields, 'prompt') ?? '';
  if (prompt.length > PROMPT_LIMIT) throw invalidParam('prompt', `cannot exceed ${PROMPT_LIMIT} characters`);
  if (task === 'text2video' && !prompt) throw invalidParam('prompt', 'must not be empty');
  const negativePrompt = str(fields, 'negative_prompt') ?? '';
  if (negativePrompt.length > PROMPT_LIMIT) throw invalidParam('negative_prompt', `cannot exceed ${PROMPT_LIMIT} characters`);

  const durationText = fields.duration === undefined ? '5' : String(fields.duration as string | number);
  const seconds = Number(durationText);
  if (!model.durations.includes(seconds))
    throw invalidParam('duration', `${durationText} is not supported by ${name}; supported: ${model.durations.join(', ')}`);

  const modeText = str(fields, 'mode') ?? (model.modeless ? 'pro' : 'std');
  if (modeText !== 'std' && modeText !== 'pro') throw invalidParam('mode', `must be std or pro, got ${modeText}`);
  const mode: Mode = model.modeless ? (Object.keys(model.modes)[0] as Mode) : modeText;
  const rule = model.modes[mode];
  if (!rule) throw invalidParam('mode', `${name} does not support ${mode} mode`);

  let aspect: Aspect | undefined;
  if (task === 'text2video') {
    const a = str(fields, 'aspect_ratio') ?? '16:9';
    if (!ASPECTS.includes(a as Aspect)) throw invalidParam('aspect_ratio', `must be one of ${ASPECTS.join(', ')}, got ${a}`);
    aspect = a as Aspect;
  }

  const soundText = str(fields, 'sound') ?? 'off';
  if (soundText !== 'on' && soundText !== 'off') throw invalidParam('sound', `must be on or off, got ${soundText}`);
  const sound = soundText === 'on';
  if (sound && !rule.sound) throw invalidParam('sound', `${name} in ${mode} mode generates no sound`);

  let image: DecodedImage | undefined;
  let imageTail: DecodedImage | undefined;
  if (task === 'image2video') {
    const img = str(fields, 'image');
    const tail = str(fields, 'image_tail');
    if (!img && !tail) throw invalidParam('image', 'at least one of image or image_tail must be provided');
    if (img) image = await imageOf('image', img);
    if (tail) {
      if (!rule.tail) throw invalidParam('image_tail', `${name} takes an end frame only in ${endFrameModes(model) || 'no'} mode`);
      if (sound && !model.soundWithTail) throw invalidParam('sound', `${name} generates no sound together with an end frame`);
      imageTail = await imageOf('image_tail', tail);
    }
  }

  const externalTaskId = str(fields, 'external_task_id');
  if (externalTaskId !== undefined && externalTaskId.length > 128) throw invalidParam('external_task_id', 'at most 128 characters');
  const callbackUrl = str(fields, 'callback_url');
  const watermarkInfo = fields.watermark_info as { enabled?: unknown } | undefined;
  return {
    model,
    mode,
    rule,
    prompt,
    negativePrompt,
    seconds,
    aspect,
    sound,
    image,
    imageTail,
    externalTaskId,
    callbackUrl,
    watermark: watermarkInfo?.enabled === true,
  };
}

function endFrameModes(model: MockModel): string {
  return (Object.entries(model.modes) as [Mode, ModeRule][])
    .filter(([, r]) => r.tail)
    .map(([m]) => m)
    .join('/');
}

/** `pageNum` 1..1000 (default 1), `pageSize` 1..500 (default 30). */
export function parsePage(q: URLSearchParams): { pageNum: number; pageSize: number } {
  const num = (name: string, fallback: number, max: number) => {
    const raw = q.get(name);
    if (raw === null || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max) throw invalidParam(name, `must be an integer in [1, ${max}], got ${raw}`);
    return n;
  };
  return { pageNum: num('pageNum', 1, 1000), pageSize: num('pageSize', 30, 500) };
}
