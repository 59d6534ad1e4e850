/**
 * The OpenAI-compatible `/v1/videos` contract (OpenAI spec f85dbe2): models, sizes, lengths and prices as gateways
 * serve them. OpenAI's own endpoint was shut down on 2026-09-24 and is refused before any request.
 */
import type { ProviderCapabilities } from '../../contracts/capabilities.js';
import { providerSettings } from '../../contracts/provider-settings.js';
import { px, type ProviderCatalog } from '../types.js';

export const OPENAI_SHUTDOWN_AT = '2026-09-24';
const SIZES = ['1280x720', '720x1280', '1792x1024', '1024x1792'];

const model = (id: string, pro: boolean): ProviderCapabilities => ({
  provider: 'openai-videos',
  model: id,
  lifecycle: { status: 'ga', note: 'served by OpenAI-compatible gateways; api.openai.com shut down on 2026-09-24' },
  seconds: { kind: 'enum', values: [4, 8, 12] },
  sizes: (pro ? SIZES : SIZES.slice(0, 2)).map(px),
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

export const OpenAIVideosSettings = providerSettings({});

/**
 * Why this endpoint cannot be used, or undefined when it can. `baseURL` undefined means the SDK default
 * (api.openai.com), which no longer serves /v1/videos.
 */
export function openAIUnavailableReason(baseURL: string | undefined): string | undefined {
  let host = 'api.openai.com';
  try {
    if (baseURL) host = new URL(baseURL).hostname;
  } catch {
    return `base URL "${baseURL}" is not a valid URL`;
  }
  if (host !== 'api.openai.com') return undefined;
  return (
    `OpenAI shut down its Videos API (Sora 2) on ${OPENAI_SHUTDOWN_AT}; api.openai.com no longer serves /v1/videos. ` +
    'Point the openai-videos provider at a compatible gateway: set providers.openai-videos.baseURL in the storyboard ' +
    '(or OPENAI_BASE_URL) and its key in the variable named by apiKeyEnv (or OPENAI_API_KEY); ' +
    'or try it offline with `storyreel mock openai-videos`.'
  );
}

export const openAIVideosCatalog: ProviderCatalog = {
  id: 'openai-videos',
  defaultModel: 'sora-2',
  models: Object.fromEntries(
    [
      ['sora-2', false],
      ['sora-2-2025-10-06', false],
      ['sora-2-2025-12-08', false],
      ['sora-2-pro', true],
      ['sora-2-pro-2025-10-06', true],
    ].map(([id, pro]) => [id, model(id as string, pro as boolean)]),
  ),
  settings: OpenAIVideosSettings,
  unavailableReason: (settings, envBaseURL) => openAIUnavailableReason(settings.baseURL ?? envBaseURL),
};
