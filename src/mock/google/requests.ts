/**
 * Validation of the two create bodies into typed commands, with INVALID_ARGUMENT answers naming the field:
 *
 * - Veo `predictLongRunning`: `{instances: [{prompt, image?, lastFrame?, referenceImages?, video?}], parameters:
 *   {aspectRatio, resolution, durationSeconds, sampleCount, negativePrompt, personGeneration, enhancePrompt, and on
 *   the Agent Platform only seed, generateAudio, storageUri, …}}`. 1080p, 4k, a last frame and reference images
 *   need 8 s; an extension (`video`) is 720p.
 * - Interactions: `{model, input, response_modalities: ["video"] | response_format: {type: "video", aspect_ratio,
 *   resolution, duration: "8s", delivery}, generation_config: {video_config: {task}, seed}, background}`.
 */
import { IMAGE_MIME, imageInfo } from '../kit/index.js';
import { googleError } from './errors.js';
import { MOCK_MODELS, type MockModel, type Resolution } from './models.js';
import type { Surface } from './routes.js';

export interface DecodedImage {
  data: Buffer;
  mime: string;
  width: number;
  height: number;
}

export type Aspect = '16:9' | '9:16';

export interface VeoCommand {
  model: string;
  prompt: string;
  image?: DecodedImage;
  lastFrame?: DecodedImage;
  references: DecodedImage[];
  /** An extension's source: a Gemini API file uri. */
  videoUri?: string;
  aspect: Aspect;
  resolution: Resolution;
  /** Undefined for an extension (always +7 s). */
  seconds: number | undefined;
  samples: number;
  audio: boolean;
}

export interface InteractionCommand {
  model: string;
  prompt: string;
  images: DecodedImage[];
  task: string;
  aspect: Aspect;
  resolution: Resolution;
  seconds: number;
  delivery: 'inline' | 'uri' | undefined;
  background: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const bad = (message: string) => googleError(400, message);

/** The model, or the 404 the live APIs give for an unknown or retired one. */
export function servedModel(id: string, surface: Surface, api: MockModel['api']): MockModel {
  const m = MOCK_MODELS[id];
  const version = surface === 'gemini' ? 'v1beta' : 'v1beta1';
  if (m && m.api === api && m.shutDown?.includes(surface)) {
    throw googleError(404, `models/${id} is no longer available. Please use a newer model.`);
  }
  if (!m || m.api !== api || !m.serves.includes(surface)) {
    const method = api === 'veo' ? 'predictLongRunning' : 'the Interactions API';
    throw googleError(404, `models/${id} is not found for API version ${version}, or is not supported for ${method}.`);
  }
  return m;
}

function image(v: unknown, field: string, keys: { data: string; mime: string }): DecodedImage {
  if (!isObj(v)) throw bad(`${field}: must be an object with ${keys.data} and ${keys.mime}`);
  if (v.gcsUri !== undefined || v.uri !== undefined) throw bad(`${field}: this mock reads inline image bytes only (${keys.data})`);
  const b64 = v[keys.data];
  if (typeof b64 !== 'string' || !b64) throw bad(`${field}.${keys.data}: required`);
  const data = Buffer.from(b64, 'base64');
  const info = imageInfo(data);
  if (!info)
    throw bad(
      `${field}: Unable to process input image. Please retry or report in https://developers.generativeai.google/guide/troubleshooting`,
    );
  const mime = typeof v[keys.mime] === 'string' ? (v[keys.mime] as string) : IMAGE_MIME[info.format];
  return { data, mime, width: info.width, height: info.height };
}

const VERTEX_ONLY = ['seed', 'generateAudio', 'storageUri', 'fps', 'compressionQuality', 'resizeMode', 'pubsubTopic'];

export function veoCommand(body: Obj, model: string, spec: MockModel, surface: Surface): VeoCommand {
  const instances = body.instances;
  if (!Array.isArray(instances) || instances.length !== 1 || !isObj(instances[0])) throw bad('instances: exactly one instance is required');
  const inst = instances[0];
  const params = isObj(body.parameters) ? body.parameters : {};
  const img = { data: 'bytesBase64Encoded', mime: 'mimeType' };
  const first = inst.image !== undefined ? image(inst.image, 'instances[0].image', img) : undefined;
  const last = inst.lastFrame !== undefined ? image(inst.lastFrame, 'instances[0].lastFrame', img) : undefined;
  const refs = Array.isArray(inst.referenceImages) ? inst.referenceImages : inst.referenceImages === undefined ? [] : null;
  if (refs === null) throw bad('instances[0].referenceImages: must be a list');
  const references = refs.map((r, i) => {
    const field = `instances[0].referenceImages[${i}]`;
    if (!isObj(r)) throw bad(`${field}: must be an object`);
    if (r.referenceType !== undefined && !['asset', 'style'].includes(String(r.referenceType).toLowerCase()))
      throw bad(`${field}.referenceType: must be asset or style`);
    return image(r.image, `${field}.image`, img);
  });
  const video = isObj(inst.video) ? inst.video : undefined;
  const videoUri = typeof video?.uri === 'string' ? video.uri : undefined;
  const prompt = typeof inst.prompt === 'string' ? inst.prompt : '';
  if (!prompt.trim() && !first && !videoUri) throw bad('instances[0].prompt: required (or an image)');
  if (last && !first) throw bad('instances[0].lastFrame: needs instances[0].image (the first frame)');
  if (references.length > spec.maxReferenceImages)
    throw bad(`instances[0].referenceImages: ${model} takes at most ${spec.maxReferenceImages} reference images`);
  if (references.length && first) throw bad('instances[0].referenceImages: cannot be combined with image');
  if (last && !spec.lastFrame) throw bad(`instances[0].lastFrame: ${model} does not support a last frame`);
  if (video && !videoUri) throw bad('instances[0].video: give the uri of a video this API generated');
  if (videoUri && (!spec.extend || surface !== 'gemini'))
    throw bad(`instances[0].video: ${model} extends videos here only on the Gemini API, by file uri`);
  if (surface === 'gemini') {
    const extra = VERTEX_ONLY.find((k) => params[k] !== undefined);
    if (extra) throw bad(`parameters.${extra}: isn't supported by the Gemini API for ${model}.`);
  }
  const aspect = (params.aspectRatio ?? '16:9') as string;
  if (aspect !== '16:9' && aspect !== '9:16') throw bad(`parameters.aspectRatio: "${aspect}" is not supported; use 16:9 or 9:16`);
  const resolution = String(params.resolution ?? '720p').toLowerCase() as Resolution;
  if (!spec.resolutions.includes(resolution)) throw bad(`parameters.resolution: ${model} makes ${spec.resolutions.join(', ')}`);
  const allowed = spec.seconds as readonly number[];
  const seconds = params.durationSeconds === undefined ? (videoUri ? undefined : 8) : Number(params.durationSeconds);
  if (!videoUri) {
    if (seconds === undefined || !allowed.includes(seconds))
      throw bad(
        `parameters.durationSeconds: ${String(params.durationSeconds)} is out of bounds for ${model}; allowed: ${allowed.join(', ')}`,
      );
    if (seconds !== 8 && (resolution !== '720p' || last || references.length))
      throw bad('parameters.durationSeconds: must be 8 with 1080p or 4k, a last frame, or reference images');
  } else if (resolution !== '720p') throw bad('parameters.resolution: video extension supports 720p only');
  const samples = params.sampleCount === undefined ? 1 : Number(params.sampleCount);
  if (!Number.isInteger(samples) || samples < 1 || samples > 4) throw bad('parameters.sampleCount: must be 1 to 4');
  if (params.seed !== undefined && (!Number.isInteger(params.seed) || (params.seed as number) < 0 || (params.seed as number) > 4294967295))
    throw bad('parameters.seed: must be an integer from 0 to 4294967295');
  if (params.personGeneration !== undefined && !['allow_all', 'allow_adult', 'dont_allow'].includes(String(params.personGeneration)))
    throw bad('parameters.personGeneration: must be allow_all, allow_adult or dont_allow');
  return {
    model,
    prompt,
    ...(first ? { image: first } : {}),
    ...(last ? { lastFrame: last } : {}),
    references,
    ...(videoUri ? { videoUri } : {}),
    aspect,
    resolution,
    seconds,
    samples,
    audio: params.generateAudio === undefined ? true : params.generateAudio === true,
  };
}

const TASKS = ['text_to_video', 'image_to_video', 'reference_to_video', 'edit', 'extend', 'upscale'];

export function interactionCommand(body: Obj, surface: Surface): { command: InteractionCommand; spec: MockModel } {
  const model = body.model;
  if (typeof model !== 'string' || !model) throw bad('model: required');
  const spec = servedModel(model, surface, 'interactions');
  if (body.safety_settings !== undefined) throw bad('safety_settings: is not supported by the Interactions API for this model');
  const items =
    typeof body.input === 'string'
      ? [{ type: 'text', text: body.input }]
      : Array.isArray(body.input)
        ? body.input
        : isObj(body.input)
          ? [body.input]
          : null;
  if (!items || !items.length) throw bad('input: required (text, or a list of content blocks)');
  let prompt = '';
  const images: DecodedImage[] = [];
  items.forEach((c, i) => {
    if (!isObj(c) || typeof c.type !== 'string') throw bad(`input[${i}]: must be a content block with a type`);
    if (c.type === 'text') prompt += `${prompt ? ' ' : ''}${String(c.text ?? '')}`;
    else if (c.type === 'image') images.push(image(c, `input[${i}]`, { data: 'data', mime: 'mime_type' }));
    else throw bad(`input[${i}].type: "${c.type}" is not served by this mock (text and image are)`);
  });
  if (!prompt.trim()) throw bad('input: a text block with the prompt is required');
  const formats = Array.isArray(body.response_format)
    ? body.response_format
    : body.response_format === undefined
      ? []
      : [body.response_format];
  const format = formats.find((f): f is Obj => isObj(f) && f.type === 'video');
  const modalities = Array.isArray(body.response_modalities) ? body.response_modalities.map(String) : [];
  if (!format && !modalities.includes('video'))
    throw bad('response_format: ask for video output (response_format {type: "video"} or response_modalities ["video"])');
  const aspect = (format?.aspect_ratio ?? '16:9') as string;
  if (aspect !== '16:9' && aspect !== '9:16') throw bad(`response_format.aspect_ratio: "${aspect}" is not supported; use 16:9 or 9:16`);
  const resolution = String(format?.resolution ?? '720p').toLowerCase() as Resolution;
  if (!spec.resolutions.includes(resolution)) throw bad(`response_format.resolution: ${model} makes ${spec.resolutions.join(', ')}`);
  const max = (spec.seconds as { max: number }).max;
  let seconds = Math.min(8, max);
  if (format?.duration !== undefined) {
    const m = /^(\d+)(?:\.0+)?s$/.exec(String(format.duration));
    seconds = m ? Number(m[1]) : NaN;
    if (!Number.isInteger(seconds) || seconds < 3 || seconds > max)
      throw bad(`response_format.duration: "${String(format.duration)}" must be whole seconds from 3s to ${max}s for ${model}`);
  }
  const delivery = format?.delivery === undefined ? undefined : String(format.delivery);
  if (delivery !== undefined && delivery !== 'inline' && delivery !== 'uri') throw bad('response_format.delivery: must be inline or uri');
  if (surface === 'vertex' && delivery === 'uri' && typeof format?.gcs_uri !== 'string')
    throw bad('response_format.gcs_uri: required for uri delivery on Vertex');
  const config = isObj(body.generation_config) ? body.generation_config : {};
  const videoConfig = isObj(config.video_config) ? config.video_config : {};
  const task = String(
    videoConfig.task ?? (images.length === 1 ? 'image_to_video' : images.length ? 'reference_to_video' : 'text_to_video'),
  );
  if (!TASKS.includes(task)) throw bad(`generation_config.video_config.task: "${task}" is not one of ${TASKS.join(', ')}`);
  if (['edit', 'extend', 'upscale'].includes(task))
    throw bad(`generation_config.video_config.task: ${task} needs a video input, which this mock does not serve`);
  if (task === 'image_to_video' && images.length !== 1) throw bad('input: image_to_video takes exactly one image');
  if (task === 'reference_to_video' && (!images.length || images.length > spec.maxReferenceImages))
    throw bad(`input: reference_to_video takes 1 to ${spec.maxReferenceImages} images`);
  if (config.seed !== undefined && !Number.isInteger(config.seed)) throw bad('generation_config.seed: must be an integer');
  return {
    spec,
    command: {
      model,
      prompt,
      images,
      task,
      aspect,
      resolution,
      seconds,
      delivery: delivery as InteractionCommand['delivery'],
      background: body.background === true,
    },
  };
}
