/**
 * The runway provider's catalog: its models (models.ts) as capabilities, and the strict `providers.runway` settings:
 *
 *   providers:
 *     runway:
 *       audio: false                   # veo3.1 / seedance2: ask for a silent clip (cheaper on Veo); default true
 *       publicFigureThreshold: low     # gen4.5 / gen4_turbo: contentModeration.publicFigureThreshold
 *       maxInFlight: 2                 # your tier's concurrency per model: more tasks wait THROTTLED on Runway
 *
 * Sound changes Veo's price and whether a clip has a soundtrack, so capabilities under settings come back through
 * `declaredModels`, which the planner merges over the built-ins.
 */
import { z } from 'zod';
import type { ProviderCapabilities } from '../../contracts/capabilities.js';
import { providerSettings, type ProviderSettings } from '../../contracts/provider-settings.js';
import { px, type ProviderCatalog } from '../types.js';
import { ratioToSize, RUNWAY_MODELS, type RunwayModelSpec } from './models.js';

export const RUNWAY_PROVIDER = 'runway';
export const RUNWAY_API_VERSION = '2024-11-06';
export const DEFAULT_BASE_URL = 'https://api.dev.runwayml.com';
/** 1 credit = $0.01. */
export const USD_PER_CREDIT = 0.01;
/**
 * Output URLs expire within 24–48 h, but a GET of the task signs fresh ones, so an output lasts as long as its task;
 * Runway does not say how long that is. 24 h is the shortest life it documents for anything about an output.
 */
export const OUTPUT_RETENTION_SECONDS = 86_400;

export const RunwaySettings = providerSettings({
  /** Sound on models that can switch it (veo3.1, veo3.1_fast, seedance2*); default true. */
  audio: z.boolean().optional(),
  /** `contentModeration.publicFigureThreshold` on gen4.5 and gen4_turbo: `low` is less strict about public figures. */
  publicFigureThreshold: z.enum(['auto', 'low']).optional(),
});
export type RunwaySettings = z.infer<typeof RunwaySettings>;

/** Whether a request of this model under these settings asks for sound. */
export function wantsAudio(spec: RunwayModelSpec, settings: ProviderSettings): boolean {
  return spec.audio && (settings as RunwaySettings).audio !== false;
}

export function capabilitiesFor(model: string, spec: RunwayModelSpec, settings: ProviderSettings = {}): ProviderCapabilities {
  const audio = wantsAudio(spec, settings);
  const credits = audio && spec.creditsPerSecondWithAudio !== undefined ? spec.creditsPerSecondWithAudio : spec.creditsPerSecond;
  return {
    provider: RUNWAY_PROVIDER,
    model,
    lifecycle: { status: 'ga', note: spec.note },
    seconds: spec.seconds,
    sizes: spec.ratios.map((r) => px(ratioToSize(r))),
    anySize: false,
    fps: [24],
    nativeAudio: audio,
    promptLimit: spec.promptLimit,
    negativePrompt: spec.negativePrompt,
    firstFrame: true,
    lastFrame: spec.lastFrame,
    firstFrameExactSize: false,
    maxReferenceImages: 0,
    extend: false,
    remix: false,
    cancel: 'server',
    renderSecondsPerSecond: spec.renderSecondsPerSecond,
    outputRetentionSeconds: OUTPUT_RETENTION_SECONDS,
    pricing: [{ usdPerSecond: Math.round(credits * USD_PER_CREDIT * 10_000) / 10_000 }],
  };
}

export const runwayCatalog: ProviderCatalog = {
  id: RUNWAY_PROVIDER,
  defaultModel: 'gen4.5',
  models: Object.fromEntries(Object.entries(RUNWAY_MODELS).map(([id, spec]) => [id, capabilitiesFor(id, spec)])),
  settings: RunwaySettings,
  declaredModels: (settings) =>
    Object.fromEntries(Object.entries(RUNWAY_MODELS).map(([id, spec]) => [id, capabilitiesFor(id, spec, settings)])),
  // Sound and the moderation threshold change what the same scene renders.
  outputKey: (settings) => {
    const s = settings as RunwaySettings;
    return { audio: s.audio ?? true, publicFigureThreshold: s.publicFigureThreshold ?? 'auto' };
  },
};
