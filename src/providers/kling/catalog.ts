/**
 * The `kling` provider's catalog: its models (models.ts) as capabilities under a storyboard's settings, and the strict
 * schema of `providers.kling`. Pure: the planner reads it without loading the adapter.
 *
 *   providers:
 *     kling:
 *       accessKeyEnv: KLING_ACCESS_KEY   # names of the variables holding the access key and the secret key
 *       secretKeyEnv: KLING_SECRET_KEY
 *       mode: pro                        # std (720p) or pro (1080p); default: the mode whose size the scene asks for
 *       sound: false                     # ask for sound where the model makes it (default true)
 *       usdPerUnit: 0.14                 # what one unit of your resource pack cost: reports the billed USD per job
 */
import { z } from 'zod';
import type { PriceRule, ProviderCapabilities } from '../../contracts/capabilities.js';
import { providerSettings, type ProviderSettings } from '../../contracts/provider-settings.js';
import { px, type ProviderCatalog } from '../types.js';
import {
  DEFAULT_KLING_MODEL,
  KLING_MODELS,
  KLING_PROMPT_LIMIT,
  KLING_RETENTION_SECONDS,
  type KlingMode,
  type KlingModelSpec,
  type ModeSpec,
} from './models.js';

export const KLING_PROVIDER = 'kling';
export const DEFAULT_ACCESS_KEY_ENV = 'KLING_ACCESS_KEY';
export const DEFAULT_SECRET_KEY_ENV = 'KLING_SECRET_KEY';

const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable (e.g. MY_KLING_SECRET), not a key');

export const KlingSettings = providerSettings({
  accessKeyEnv: EnvName.optional(),
  secretKeyEnv: EnvName.optional(),
  mode: z.enum(['std', 'pro']).optional(),
  sound: z.boolean().optional(),
  usdPerUnit: z.number().positive().max(1000).optional(),
}).refine((s) => s.apiKeyEnv === undefined, {
  path: ['apiKeyEnv'],
  error:
    'Kling signs a token from two keys: name their variables with accessKeyEnv and secretKeyEnv (default KLING_ACCESS_KEY, KLING_SECRET_KEY)',
});
export type KlingSettings = z.infer<typeof KlingSettings>;

/** The modes a request may use under these settings (a model without modes ignores `mode`). */
export function modesOf(spec: KlingModelSpec, settings: ProviderSettings = {}): [KlingMode, ModeSpec][] {
  const all = (['std', 'pro'] as const).flatMap((m) => (spec.modes[m] ? [[m, spec.modes[m]] as [KlingMode, ModeSpec]] : []));
  const chosen = (settings as KlingSettings).mode;
  if (!chosen || spec.modeless) return all;
  return all.filter(([m]) => m === chosen);
}

/** Whether these settings ask for sound (where the mode makes it). */
export function wantsSound(settings: ProviderSettings = {}): boolean {
  return (settings as KlingSettings).sound !== false;
}

export function capabilitiesFor(id: string, spec: KlingModelSpec, settings: ProviderSettings = {}): ProviderCapabilities {
  const modes = modesOf(spec, settings);
  const sound = wantsSound(settings);
  const pricing: PriceRule[] = modes.map(([, m]) => ({
    sizes: Object.values(m.sizes),
    usdPerSecond: sound && m.sound ? (m.usdPerSecondWithSound ?? m.usdPerSecond) : m.usdPerSecond,
  }));
  return {
    provider: KLING_PROVIDER,
    model: id,
    lifecycle: { status: 'ga', note: spec.notes },
    seconds: spec.seconds,
    sizes: modes.flatMap(([, m]) => Object.values(m.sizes)).map(px),
    anySize: false,
    fps: [spec.fps],
    nativeAudio: sound && modes.some(([, m]) => m.sound),
    promptLimit: KLING_PROMPT_LIMIT,
    negativePrompt: true,
    firstFrame: true,
    lastFrame: modes.some(([, m]) => m.lastFrame),
    // The output takes the first frame's aspect; storyreel fits frames to the scene's size anyway.
    firstFrameExactSize: false,
    maxReferenceImages: 0,
    extend: false,
    remix: false,
    cancel: 'none',
    renderSecondsPerSecond: spec.renderSecondsPerSecond,
    outputRetentionSeconds: KLING_RETENTION_SECONDS,
    pricing,
  };
}

export const klingCatalog: ProviderCatalog = {
  id: KLING_PROVIDER,
  defaultModel: DEFAULT_KLING_MODEL,
  models: Object.fromEntries(Object.entries(KLING_MODELS).map(([id, spec]) => [id, capabilitiesFor(id, spec)])),
  settings: KlingSettings,
  // The built-ins again under these settings: `mode` narrows the sizes, `sound` changes the price and the output.
  declaredModels: (settings) =>
    Object.fromEntries(Object.entries(KLING_MODELS).map(([id, spec]) => [id, capabilitiesFor(id, spec, settings)])),
  outputKey: (settings) => ({ sound: wantsSound(settings) }),
};
