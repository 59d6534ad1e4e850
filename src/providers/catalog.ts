/**
 * Declared capabilities of every provider and model, as data. Pure (no SDK, no I/O) so the planner, `validate`
 * and the adapters all read the same facts. Sources: ../shared/reference/providers.md.
 */
import type { Catalog, PixelSize, ProviderCapabilities } from '../contracts/capabilities.js';

const px = (text: string): PixelSize => {
  const [w, h] = text.split('x').map(Number);
  return { width: w ?? 0, height: h ?? 0 };
};

const LOCAL: Omit<ProviderCapabilities, 'model'> = {
  provider: 'local',
  lifecycle: { status: 'ga' },
  seconds: { kind: 'range', min: 0.5, max: 120, step: 0.5 },
  sizes: ['1280x720', '720x1280', '1024x1024', '960x720', '720x960', '1680x720'].map(px),
  anySize: true,
  fps: [24, 25, 30, 60],
  nativeAudio: true,
  promptLimit: 4000,
  negativePrompt: true,
  firstFrame: true,
  lastFrame: true,
  firstFrameExactSize: false,
  maxReferenceImages: 4,
  extend: false,
  remix: false,
  cancel: 'server',
  renderSecondsPerSecond: 2,
  outputRetentionSeconds: 7 * 86_400,
  pricing: [{ usdPerSecond: 0 }],
};

/** The `/v1/videos` contract (OpenAI spec f85dbe2). OpenAI's own endpoint was shut down on 2026-09-24. */
export const OPENAI_SHUTDOWN_AT = '2026-09-24';
const OPENAI_SIZES = ['1280x720', '720x1280', '1792x1024', '1024x1792'];
const openai = (model: string, pro: boolean): ProviderCapabilities => ({
  provider: 'openai-videos',
  model,
  lifecycle: { status: 'ga', note: 'served by OpenAI-compatible gateways; api.openai.com shut down on 2026-09-24' },
  seconds: { kind: 'enum', values: [4, 8, 12] },
  sizes: (pro ? OPENAI_SIZES : OPENAI_SIZES.slice(0, 2)).map(px),
  anySize: false,
  fps: [24, 30],
  nativeAudio: true,
  promptLimit: 32_000,
  negativePrompt: false,
  firstFrame: true,
  lastFrame: false,
  firstFrameExactSize: true,
  maxReferenceImages: 0,
  extend: { seconds: { kind: 'enum', values: [4, 8, 12] }, maxTotalSeconds: 120 },
  remix: true,
  cancel: 'none',
  renderSecondsPerSecond: 15,
  outputRetentionSeconds: 3600,
  pricing: pro
    ? [
        { sizes: ['1280x720', '720x1280'], usdPerSecond: 0.3 },
        { sizes: ['1792x1024', '1024x1792'], usdPerSecond: 0.5 },
      ]
    : [{ usdPerSecond: 0.1 }],
});

const MODELS: Record<string, { defaultModel: string; models: Record<string, ProviderCapabilities> }> = {
  local: { defaultModel: 'local-v1', models: { 'local-v1': { ...LOCAL, model: 'local-v1' } } },
  'openai-videos': {
    defaultModel: 'sora-2',
    models: {
      'sora-2': openai('sora-2', false),
      'sora-2-2025-10-06': openai('sora-2-2025-10-06', false),
      'sora-2-2025-12-08': openai('sora-2-2025-12-08', false),
      'sora-2-pro': openai('sora-2-pro', true),
      'sora-2-pro-2025-10-06': openai('sora-2-pro-2025-10-06', true),
    },
  },
};

/** The catalog as one object, the shape the planner takes as an argument. */
export const catalog: Catalog = {
  knownProviders: () => knownProviders(),
  defaultModel: (provider: string) => defaultModel(provider),
  knownModels: (provider: string) => knownModels(provider),
  capabilitiesOf: (provider: string, model: string) => capabilitiesOf(provider, model),
  unavailableReason: (provider: string, baseURL: string | undefined) => unavailableReason(provider, baseURL),
};

export function knownProviders(): string[] {
  return Object.keys(MODELS);
}

export function defaultModel(provider: string): string | undefined {
  return MODELS[provider]?.defaultModel;
}

export function knownModels(provider: string): string[] {
  return Object.keys(MODELS[provider]?.models ?? {});
}

export function capabilitiesOf(provider: string, model: string): ProviderCapabilities | undefined {
  return MODELS[provider]?.models[model];
}

/**
 * Why this endpoint/model cannot be used, or undefined when it can. Checked at plan time and again by the adapter
 * before any request. `baseURL` undefined means the SDK default (api.openai.com for openai-videos).
 */
export function unavailableReason(provider: string, baseURL: string | undefined): string | undefined {
  if (provider !== 'openai-videos') return undefined;
  let host = 'api.openai.com';
  try {
    if (baseURL) host = new URL(baseURL).hostname;
  } catch {
    return `base URL "${baseURL}" is not a valid URL`;
  }
  if (host === 'api.openai.com') {
    return (
      `OpenAI shut down its Videos API (Sora 2) on ${OPENAI_SHUTDOWN_AT}; api.openai.com no longer serves /v1/videos. ` +
      'Point the openai-videos provider at a compatible gateway: set providers.openai-videos.baseURL in the storyboard ' +
      '(or OPENAI_BASE_URL) and its key in the variable named by apiKeyEnv (or OPENAI_API_KEY); ' +
      'or try it offline with `storyreel mock openai-videos`.'
    );
  }
  return undefined;
}
