/**
 * Every provider's catalog (its models' capabilities and its settings schema), assembled into the one `Catalog` the
 * planner takes as an argument. Pure: no SDK is loaded to plan. Adding a provider adds one line to CATALOGS.
 */
import type { Catalog, ProviderCapabilities } from '../contracts/capabilities.js';
import type { ProviderSettings } from '../contracts/provider-settings.js';
import { comfyUICatalog } from './comfyui/catalog.js';
import { falCatalog } from './fal/catalog.js';
import { googleCatalog } from './google/catalog.js';
import { klingCatalog } from './kling/catalog.js';
import { localCatalog } from './local/catalog.js';
import { openAIVideosCatalog } from './openai-videos/catalog.js';
import { replicateCatalog } from './replicate/catalog.js';
import { runwayCatalog } from './runway/catalog.js';
import type { ProviderCatalog } from './types.js';

export const PROVIDER_CATALOGS: readonly ProviderCatalog[] = [
  localCatalog,
  openAIVideosCatalog,
  falCatalog,
  replicateCatalog,
  klingCatalog,
  runwayCatalog,
  googleCatalog,
  comfyUICatalog,
];
const BY_ID = new Map(PROVIDER_CATALOGS.map((c) => [c.id, c]));

function modelsOf(provider: string, settings?: ProviderSettings): Record<string, ProviderCapabilities> {
  const c = BY_ID.get(provider);
  if (!c) return {};
  return { ...c.models, ...(settings && c.declaredModels ? c.declaredModels(settings) : {}) };
}

export const catalog: Catalog = {
  knownProviders: () => [...BY_ID.keys()],
  defaultModel: (provider) => BY_ID.get(provider)?.defaultModel,
  knownModels: (provider, settings) => Object.keys(modelsOf(provider, settings)),
  capabilitiesOf: (provider, model, settings) => modelsOf(provider, settings)[model],
  parseSettings: (provider, block) => {
    const c = BY_ID.get(provider);
    if (!c) throw new Error(`no provider "${provider}" in the catalog`);
    return c.settings.safeParse(block ?? {});
  },
  unavailableReason: (provider, settings, envBaseURL) => BY_ID.get(provider)?.unavailableReason?.(settings, envBaseURL),
  outputKey: (provider, settings, scene) => BY_ID.get(provider)?.outputKey?.(settings, scene) ?? {},
  sceneIssues: (provider, settings, ask) => BY_ID.get(provider)?.sceneIssues?.(settings, ask) ?? [],
  settingsFiles: (provider, settings) => BY_ID.get(provider)?.settingsFiles?.(settings) ?? {},
  checkSettings: (provider, settings) => BY_ID.get(provider)?.checkSettings?.(settings) ?? [],
};

/** Capabilities of a built-in model (adapters use it; the planner goes through `catalog`). */
export function capabilitiesOf(provider: string, model: string, settings?: ProviderSettings): ProviderCapabilities | undefined {
  return catalog.capabilitiesOf(provider, model, settings);
}

export function knownModels(provider: string, settings?: ProviderSettings): string[] {
  return catalog.knownModels(provider, settings);
}
