/**
 * The `replicate` provider's catalog: the built-in models (models.ts), the strict settings schema of a storyboard's
 * `providers.replicate` block, and models a storyboard declares itself (`models:`), so a model storyreel does not
 * ship can be used by writing down what it can do and which of its input fields take what. Pure: no SDK.
 */
import { z } from 'zod';
import type { ProviderCapabilities, SecondsSpec } from '../../contracts/capabilities.js';
import { providerSettings, type ProviderSettings } from '../../contracts/provider-settings.js';
import type { ProviderCatalog } from '../types.js';
import { capabilitiesFor, DEFAULT_REPLICATE_MODEL, REPLICATE_MODELS, type InputMap, type ReplicateModel } from './models.js';

/** `owner/name`, as Replicate spells models. */
export const MODEL_NAME = /^[a-z0-9][a-z0-9_.-]*\/[a-z0-9][a-z0-9_.-]*$/;
const FieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an input field name of the model (letters, digits, _)');
const InputValue = z.union([z.string(), z.number(), z.boolean()]);
const SizeText = z.string().regex(/^\d{2,5}x\d{2,5}$/, 'must be a size like 1280x720');

const SecondsBlock = z.union([
  z.array(z.number().positive()).min(1, 'needs at least one length'),
  z.strictObject({ min: z.number().positive(), max: z.number().positive(), step: z.number().positive() }),
]);

/**
 * A model storyreel does not ship, declared in the storyboard: what it can do and which of its input fields take
 * the prompt, the length, the images and so on (see the model's API page on replicate.com).
 */
export const DeclaredModel = z.strictObject({
  /** A community model's version id (64 hex): it then runs by version; without it, by name (official models). */
  version: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be the 64-hex version id from the model\'s "Versions" tab')
    .optional(),
  /** Allowed clip lengths in seconds: a list, or {min, max, step}. */
  seconds: SecondsBlock,
  /** Output sizes and the input fields that ask for each, e.g. {"1280x720": {aspect_ratio: "16:9"}}. */
  sizes: z.record(SizeText, z.record(FieldName, InputValue)).refine((s) => Object.keys(s).length > 0, 'needs at least one size'),
  fps: z.array(z.number().int().positive()).min(1).default([24]),
  /** The model makes its own sound track. */
  audio: z.boolean().default(false),
  /** Estimated USD per generated second (for budgets and `storyreel plan`). */
  usdPerSecond: z.number().nonnegative().default(0),
  promptLimit: z.number().int().positive().default(2500),
  /** Typical seconds of rendering per second of video (sets the job deadline). */
  renderSecondsPerSecond: z.number().positive().default(30),
  fields: z
    .strictObject({
      prompt: FieldName.default('prompt'),
      /** Takes the length in seconds (an integer), unless `durationFrames` maps lengths to frame counts. */
      duration: FieldName.optional(),
      firstFrame: FieldName.optional(),
      lastFrame: FieldName.optional(),
      negativePrompt: FieldName.optional(),
      seed: FieldName.optional(),
      /** A boolean field switched on when the model should make sound. */
      audio: FieldName.optional(),
    })
    .prefault({}),
  /** Seconds → frame count, for models that take a frame count in `fields.duration`. */
  durationFrames: z.record(z.string().regex(/^\d+(\.\d+)?$/), z.number().int().positive()).optional(),
  /** Fields always sent as given. */
  fixed: z.record(FieldName, InputValue).optional(),
  requiresFirstFrame: z.boolean().default(false),
});
export type DeclaredModel = z.infer<typeof DeclaredModel>;

export const ReplicateSettings = providerSettings({
  /** Models not in storyreel's catalog, by `owner/name`. */
  models: z.record(z.string().regex(MODEL_NAME, 'must be a Replicate model name "owner/name"'), DeclaredModel).optional(),
});
export type ReplicateSettings = z.infer<typeof ReplicateSettings>;

function secondsSpec(block: DeclaredModel['seconds']): SecondsSpec {
  return Array.isArray(block) ? { kind: 'enum', values: block } : { kind: 'range', ...block };
}

/** A declared model as the built-in ones are described. */
export function declaredToModel(id: string, d: DeclaredModel): ReplicateModel {
  const f = d.fields;
  const input: InputMap = {
    prompt: f.prompt,
    ...(f.duration
      ? {
          duration: {
            field: f.duration,
            ...(d.durationFrames ? { frames: Object.fromEntries(Object.entries(d.durationFrames).map(([s, n]) => [Number(s), n])) } : {}),
          },
        }
      : {}),
    ...(f.firstFrame ? { firstFrame: f.firstFrame } : {}),
    ...(f.lastFrame ? { lastFrame: f.lastFrame } : {}),
    ...(f.negativePrompt ? { negativePrompt: f.negativePrompt } : {}),
    ...(f.seed ? { seed: f.seed } : {}),
    ...(f.audio ? { audio: f.audio } : {}),
    sizes: d.sizes,
    ...(d.fixed ? { fixed: d.fixed } : {}),
    ...(d.requiresFirstFrame ? { requiresFirstFrame: true } : {}),
  };
  return {
    caps: capabilitiesFor(id, input, {
      seconds: secondsSpec(d.seconds),
      fps: d.fps,
      audio: d.audio,
      promptLimit: d.promptLimit,
      renderSecondsPerSecond: d.renderSecondsPerSecond,
      pricing: [{ usdPerSecond: d.usdPerSecond }],
      note: 'declared in the storyboard (providers.replicate.models)',
    }),
    input,
    ...(d.version ? { version: d.version } : {}),
  };
}

/**
 * Built-in models plus those the settings declare (a declared id replaces a built-in one). The settings are parsed
 * again with this provider's schema (defaults filled in); invalid settings throw a TypeError naming the field.
 */
export function replicateModels(settings: ProviderSettings | undefined): Record<string, ReplicateModel> {
  const parsed = ReplicateSettings.safeParse(settings ?? {});
  if (!parsed.success) throw new TypeError(`providers.replicate: ${z.prettifyError(parsed.error)}`);
  const declared = parsed.data.models ?? {};
  return { ...REPLICATE_MODELS, ...Object.fromEntries(Object.entries(declared).map(([id, d]) => [id, declaredToModel(id, d)])) };
}

export const replicateCatalog: ProviderCatalog = {
  id: 'replicate',
  defaultModel: DEFAULT_REPLICATE_MODEL,
  models: Object.fromEntries(Object.entries(REPLICATE_MODELS).map(([id, m]) => [id, m.caps])),
  settings: ReplicateSettings,
  declaredModels: (settings): Record<string, ProviderCapabilities> => {
    const declared = (settings as ReplicateSettings).models ?? {};
    return Object.fromEntries(Object.entries(declared).map(([id, d]) => [id, declaredToModel(id, d).caps]));
  },
  // A declared model's version and field mapping change what is generated.
  outputKey: (settings) => {
    const declared = (settings as ReplicateSettings).models;
    return declared ? { declaredModels: declared } : {};
  },
};
