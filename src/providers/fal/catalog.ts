/**
 * The fal provider's catalog: the built-in models (models.ts) as capabilities, the strict `providers.fal` settings
 * schema, and models a storyboard declares itself.
 *
 * A model id not in models.ts is used by declaring it (all fields but `seconds`, `sizes` and `usdPerSecond` optional):
 *
 *   providers:
 *     fal:
 *       models:
 *         "fal-ai/some-new-video":
 *           seconds: [5, 10]                # or { min: 3, max: 15, step: 1 }
 *           sizes: { "1280x720": { aspect_ratio: "16:9" }, "720x1280": { aspect_ratio: "9:16" } }
 *           usdPerSecond: 0.1
 *           imageToVideo: "fal-ai/some-new-video/image-to-video"   # default: the id itself
 *           firstFrameField: image_url                               # first-frame chaining
 *           lastFrameField: end_image_url                            # keyframes
 *           durationField: duration
 *           durationFormat: string                                   # integer | string | seconds-suffix | frames
 *           negativePromptField: negative_prompt
 *           seedField: seed
 *           audioField: generate_audio
 *
 * Settings-dependent capabilities (sound off halves some prices) come back through `declaredModels`, which the
 * planner merges over the built-ins.
 */
import { z } from 'zod';
import type { ProviderCapabilities, SecondsSpec } from '../../contracts/capabilities.js';
import { providerSettings, type ProviderSettings } from '../../contracts/provider-settings.js';
import { px, type ProviderCatalog } from '../types.js';
import { FAL_MODELS, type FalModelSpec } from './models.js';

export const FAL_PROVIDER = 'fal';
/** fal keeps a result for an hour after completion (fal.ai/docs/inference-api/queue/result). */
export const RESULT_RETENTION_SECONDS = 3600;

const FieldName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be an input field name like image_url');
const EndpointId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*){1,6}$/i, 'must be a fal endpoint id like fal-ai/kling-video/v4/text-to-video');
const SizeText = z.string().regex(/^\d{2,5}x\d{2,5}$/, 'must be WIDTHxHEIGHT, e.g. 1280x720');

/** A model the storyboard declares: how to call it and what it can do. */
export const DeclaredModel = z.strictObject({
  seconds: z.union([
    z.array(z.number().positive().max(600)).min(1),
    z.strictObject({ min: z.number().positive(), max: z.number().positive().max(600), step: z.number().positive() }),
  ]),
  /** Pixel size → the input fields that ask for it; or a list of sizes sent with no size fields. */
  sizes: z.union([z.record(SizeText, z.record(FieldName, z.string())), z.array(SizeText).min(1)]),
  usdPerSecond: z.number().min(0).max(100),
  usdPerSecondWithAudio: z.number().min(0).max(100).optional(),
  imageToVideo: EndpointId.optional(),
  firstFrameField: FieldName.optional(),
  lastFrameField: FieldName.optional(),
  durationField: FieldName.optional(),
  durationFormat: z.enum(['integer', 'string', 'seconds-suffix', 'frames']).optional(),
  framesPerSecond: z.number().int().min(1).max(120).optional(),
  negativePromptField: FieldName.optional(),
  seedField: FieldName.optional(),
  audioField: FieldName.optional(),
  fps: z.array(z.number().int().min(1).max(120)).min(1).optional(),
  promptLimit: z.number().int().min(1).max(100_000).optional(),
});
export type DeclaredModel = z.infer<typeof DeclaredModel>;

export const FalSettings = providerSettings({
  /** Models not in the catalog, with their capabilities (see the file comment). */
  models: z.record(EndpointId, DeclaredModel).optional(),
  /** Ask for sound where the model can switch it (`generate_audio`); default true. */
  audio: z.boolean().optional(),
  /** How long fal keeps the output on its CDN (`X-Fal-Object-Lifecycle-Preference`), seconds; default 3600. */
  outputRetentionSeconds: z.number().int().min(60).max(31_536_000).optional(),
  /** `X-Fal-Queue-Priority`: `low` for background work (it can only lower the account's priority). */
  priority: z.enum(['normal', 'low']).optional(),
  /** `X-Fal-Request-Start-Timeout`: fal gives up (504, not billed) if the job has not started after this many seconds. */
  startTimeoutSeconds: z.number().min(1).max(86_400).optional(),
  /** Extra input fields sent with every request (model-specific knobs, e.g. `prompt_optimizer: false`). */
  input: z.record(FieldName, z.union([z.string(), z.number(), z.boolean()])).optional(),
});
export type FalSettings = z.infer<typeof FalSettings>;

function secondsOf(spec: DeclaredModel['seconds']): SecondsSpec {
  return Array.isArray(spec) ? { kind: 'enum', values: spec } : { kind: 'range', ...spec };
}

/** A declared model as the same spec the built-ins use. */
export function declaredSpec(id: string, d: DeclaredModel): FalModelSpec {
  const sizes = Array.isArray(d.sizes) ? Object.fromEntries(d.sizes.map((s) => [s, {}])) : d.sizes;
  return {
    textToVideo: id,
    ...(d.firstFrameField ? { imageToVideo: d.imageToVideo ?? id, firstFrameField: d.firstFrameField } : {}),
    ...(d.lastFrameField ? { lastFrameField: d.lastFrameField } : {}),
    durationField: d.durationField ?? (d.durationFormat === 'frames' ? 'num_frames' : 'duration'),
    durationFormat: d.durationFormat ?? 'integer',
    ...(d.framesPerSecond ? { framesPerSecond: d.framesPerSecond } : {}),
    sizes,
    ...(d.negativePromptField ? { negativePromptField: d.negativePromptField } : {}),
    ...(d.seedField ? { seedField: d.seedField } : {}),
    ...(d.audioField ? { audioField: d.audioField } : {}),
    seconds: secondsOf(d.seconds),
    fps: d.fps ?? [d.framesPerSecond ?? 24],
    promptLimit: d.promptLimit ?? 2000,
    pricing: [
      {
        usdPerSecond: d.usdPerSecond,
        ...(d.usdPerSecondWithAudio !== undefined ? { usdPerSecondWithAudio: d.usdPerSecondWithAudio } : {}),
      },
    ],
    renderSecondsPerSecond: 15,
    notes: 'declared in the storyboard (providers.fal.models)',
  };
}

/** Whether a request with these settings asks the model for sound. */
export function wantsAudio(spec: FalModelSpec, settings: ProviderSettings): boolean {
  if (spec.alwaysAudio) return true;
  return !!spec.audioField && (settings as FalSettings).audio !== false;
}

/** The capabilities a spec gives under these settings (sound on or off changes the price and `nativeAudio`). */
export function capabilitiesFor(id: string, spec: FalModelSpec, settings: ProviderSettings = {}): ProviderCapabilities {
  const audio = wantsAudio(spec, settings);
  const retention = Math.min(RESULT_RETENTION_SECONDS, (settings as FalSettings).outputRetentionSeconds ?? RESULT_RETENTION_SECONDS);
  return {
    provider: FAL_PROVIDER,
    model: id,
    lifecycle: { status: 'ga', note: spec.notes },
    seconds: spec.seconds,
    sizes: Object.keys(spec.sizes).map(px),
    anySize: false,
    fps: spec.fps,
    nativeAudio: audio,
    promptLimit: spec.promptLimit,
    negativePrompt: !!spec.negativePromptField,
    firstFrame: !!(spec.imageToVideo && spec.firstFrameField),
    lastFrame: !!(spec.lastFrameField && (spec.firstLastFrame || spec.imageToVideo)),
    firstFrameExactSize: false,
    maxReferenceImages: 0,
    extend: false,
    remix: false,
    cancel: 'server',
    renderSecondsPerSecond: spec.renderSecondsPerSecond,
    // The output URL comes from the request's result, which fal keeps for an hour; the file itself lives as long as
    // the lifecycle header says. The shorter one bounds when a download is still possible.
    outputRetentionSeconds: retention,
    pricing: spec.pricing.map((r) => ({
      ...(r.sizes ? { sizes: r.sizes } : {}),
      usdPerSecond: audio && r.usdPerSecondWithAudio !== undefined ? r.usdPerSecondWithAudio : r.usdPerSecond,
    })),
  };
}

/** The spec of a model under these settings: a declared one wins over a built-in of the same id. */
export function falModelSpec(id: string, settings: ProviderSettings = {}): FalModelSpec | undefined {
  const declared = (settings as FalSettings).models?.[id];
  if (declared) return declaredSpec(id, declared);
  return FAL_MODELS[id];
}

export const falCatalog: ProviderCatalog = {
  id: FAL_PROVIDER,
  defaultModel: 'fal-ai/kling-video/v4',
  models: Object.fromEntries(Object.entries(FAL_MODELS).map(([id, spec]) => [id, capabilitiesFor(id, spec)])),
  settings: FalSettings,
  // Built-ins again under these settings (sound, retention), plus every declared model.
  declaredModels: (settings) => {
    const ids = new Set([...Object.keys(FAL_MODELS), ...Object.keys((settings as FalSettings).models ?? {})]);
    return Object.fromEntries([...ids].map((id) => [id, capabilitiesFor(id, falModelSpec(id, settings)!, settings)]));
  },
  // Sound, extra input fields and a declared model's field mapping change what the same scene renders.
  outputKey: (settings) => {
    const s = settings as FalSettings;
    return { audio: s.audio ?? true, input: s.input ?? {}, models: s.models ?? {} };
  },
};
