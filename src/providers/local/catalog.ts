/**
 * The built-in `local` renderer's capabilities and settings. Pure data: the planner reads it without loading the
 * renderer.
 */
import { z } from 'zod';
import type { ProviderCapabilities } from '../../contracts/capabilities.js';
import { Id } from '../../contracts/ids.js';
import { providerSettings } from '../../contracts/provider-settings.js';
import { px, type ProviderCatalog } from '../types.js';

export const LocalSettings = providerSettings({
  /** Simulated latency per job in milliseconds (demos and tests). */
  latencyMs: z.number().int().min(0).optional(),
  /** "instant" reuses one rendered clip per size and length (benchmarks). */
  render: z.enum(['full', 'instant']).optional(),
  /** Injected failures (demos and tests). `times: 0` fails every time. */
  faults: z
    .array(
      z.strictObject({
        scene: Id.optional(),
        on: z.enum(['submit', 'job', 'download']),
        kind: z.enum(['transient', 'rate_limited', 'quota_exhausted', 'invalid_request', 'content_policy', 'job_failed', 'output_corrupt']),
        times: z.number().int().min(0).default(1),
      }),
    )
    .optional(),
});
export type LocalSettings = z.infer<typeof LocalSettings>;

const LOCAL_V1: ProviderCapabilities = {
  provider: 'local',
  model: 'local-v1',
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

export const localCatalog: ProviderCatalog = {
  id: 'local',
  defaultModel: 'local-v1',
  models: { 'local-v1': LOCAL_V1 },
  settings: LocalSettings,
  // The renderer draws the scene's title on the clip, and "instant" mode reuses a template: both change the output.
  outputKey: (settings, scene) => ({ render: (settings as LocalSettings).render, title: scene.title }),
};
