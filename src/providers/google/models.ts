/**
 * The Google video models storyreel knows, as data: which API serves each (Veo's long-running `predictLongRunning`
 * or the Interactions API of Gemini Omni), on which surface (the Gemini API with an API key, or the Gemini
 * Enterprise Agent Platform, formerly Vertex AI) with what lifecycle, and what each can do and costs.
 *
 * Sources, as of 2026-12-02 (/work/shared/reference/providers-2026.md §A.1): Google's video guide and changelog
 * (ai.google.dev/gemini-api/docs/video, …/changelog, …/deprecations), the Agent Platform model cards
 * (docs.cloud.google.com/gemini-enterprise-agent-platform/models/veo/3-1-generate, …/gemini/omni-*), the
 * @google/genai release notes, and where marked, third-party notices (a relay's shutdown notice for the Veo 3.1
 * preview ids, aggregator price lists). Prices are estimates: Google's own pricing page was not available.
 */
import type { LifecycleStatus, SecondsSpec } from '../../contracts/capabilities.js';

/** Where a model is reached: the Gemini API (`generativelanguage.googleapis.com`, API key) or the Agent Platform. */
export type Surface = 'gemini' | 'vertex';
export const SURFACE_NAMES: Record<Surface, string> = {
  gemini: 'the Gemini API',
  vertex: 'the Agent Platform (Vertex AI)',
};

export type GoogleApi = 'veo' | 'interactions';
export type Resolution = '360p' | '720p' | '1080p' | '4k';
export type Aspect = '16:9' | '9:16';

/** Pixel sizes of each resolution, landscape first (the first size of an aspect is its default). */
export const RESOLUTION_SIZES: Record<Resolution, Record<Aspect, string>> = {
  '360p': { '16:9': '640x360', '9:16': '360x640' },
  '720p': { '16:9': '1280x720', '9:16': '720x1280' },
  '1080p': { '16:9': '1920x1080', '9:16': '1080x1920' },
  '4k': { '16:9': '3840x2160', '9:16': '2160x3840' },
};

/** A model's standing on one surface. */
export interface SurfaceOffer {
  status: LifecycleStatus;
  /** ISO date of the (announced) shutdown. */
  shutdownAt?: string;
  replacement?: string;
  /** Where this comes from, and what is unverified. */
  note: string;
}

export interface GoogleModelSpec {
  api: GoogleApi;
  /** Surfaces that serve (or served) the model; absent = never offered there. */
  offers: Partial<Record<Surface, SurfaceOffer>>;
  seconds: SecondsSpec;
  resolutions: readonly Resolution[];
  lastFrame: boolean;
  maxReferenceImages: number;
  /** Veo scene extension (+7 s of a Veo clip), where storyreel can name the source (the Gemini API's file uri). */
  extend: boolean;
  promptLimit: number;
  renderSecondsPerSecond: number;
  /** USD per second by resolution (first match wins; no `resolutions` = any), with sound and, where it can be switched off, without. */
  pricing: readonly { resolutions?: readonly Resolution[]; usdPerSecond: number; usdPerSecondSilent?: number }[];
}

/** Veo clips are 4, 6 or 8 s; 1080p, 4k, a last frame and reference images need 8 s (Gemini API video guide). */
export const VEO_SECONDS: SecondsSpec = { kind: 'enum', values: [4, 6, 8] };
/** Each Veo extension adds 7 s of 720p video to a Veo clip, up to 148 s in all (video guide; 20 extensions). */
export const VEO_EXTENSION = { seconds: { kind: 'enum', values: [7] } as SecondsSpec, maxTotalSeconds: 148 };

const veo31 = (tier: 'standard' | 'fast' | 'lite', offers: GoogleModelSpec['offers']): GoogleModelSpec => ({
  api: 'veo',
  offers,
  seconds: VEO_SECONDS,
  resolutions: tier === 'lite' ? ['720p', '1080p'] : ['720p', '1080p', '4k'],
  // Lite does text-to-video and single-image-to-video only (Agent Platform model card).
  lastFrame: tier !== 'lite',
  maxReferenceImages: tier === 'lite' ? 0 : 3,
  extend: tier !== 'lite',
  promptLimit: 4000, // 1,024 tokens
  renderSecondsPerSecond: 10, // 11 s to 6 min for 8 s (video guide)
  pricing:
    tier === 'standard'
      ? [
          { resolutions: ['4k'], usdPerSecond: 0.6, usdPerSecondSilent: 0.4 },
          { usdPerSecond: 0.4, usdPerSecondSilent: 0.2 },
        ]
      : tier === 'fast'
        ? [{ usdPerSecond: 0.12, usdPerSecondSilent: 0.08 }]
        : [{ usdPerSecond: 0.08, usdPerSecondSilent: 0.03 }],
});

const omni = (seconds: { max: number }, resolutions: readonly Resolution[], offers: GoogleModelSpec['offers']): GoogleModelSpec => ({
  api: 'interactions',
  offers,
  seconds: { kind: 'range', min: 3, max: seconds.max, step: 1 },
  resolutions,
  // Omni interpolates between frames, but its request names no "last" image; Google's own advice is Veo for last-frame control.
  lastFrame: false,
  maxReferenceImages: 3,
  extend: false,
  promptLimit: 8000,
  renderSecondsPerSecond: 3, // ~24 s for a 10 s clip (reference §A.1)
  pricing: [
    { resolutions: ['360p'], usdPerSecond: 0.039 },
    { resolutions: ['720p'], usdPerSecond: 0.13 },
    { resolutions: ['1080p'], usdPerSecond: 0.195 },
    { resolutions: ['4k'], usdPerSecond: 0.39 },
  ],
});

const VEO_31_GEMINI_NOTE =
  "Gemini API: Google's video guide still offers Veo 3.1 there, but only the -preview ids were documented and they were shut down on 2026-10-22 (third-party notice); this id is not confirmed on the Gemini API";
const GONE = (shutdownAt: string, replacement: string, note: string): SurfaceOffer => ({
  status: 'shutdown',
  shutdownAt,
  replacement,
  note,
});

export const GOOGLE_MODELS: Readonly<Record<string, GoogleModelSpec>> = {
  'gemini-omni-1.1-flash': omni({ max: 10 }, ['720p', '360p', '1080p', '4k'], {
    gemini: { status: 'ga', note: 'Gemini Omni Flash, GA on the Gemini API since 2026-08-27 (ai.google.dev/gemini-api/docs/omni)' },
  }),
  'gemini-omni-1.2-flash': omni({ max: 15 }, ['720p', '360p', '1080p', '4k'], {
    vertex: { status: 'ga', note: 'Agent Platform model list; 3-15 s' },
    gemini: {
      status: 'ga',
      note: 'the Gemini API video default since @google/genai 3.1.0 (release note); lengths as on the Agent Platform',
    },
  }),
  'gemini-omni-1.1-flash-preview': omni({ max: 10 }, ['720p', '360p', '1080p', '4k'], {
    vertex: { status: 'preview', note: 'Agent Platform model list (preview)' },
  }),
  'gemini-omni-flash-preview': omni({ max: 10 }, ['720p'], {
    gemini: GONE('2026-09-30', 'gemini-omni-1.1-flash', 'Gemini API deprecations page (via a third-party migration guide)'),
    vertex: {
      status: 'deprecated',
      shutdownAt: '2027-06-30',
      replacement: 'gemini-omni-1.2-flash',
      note: 'deprecated on the Agent Platform since 2026-11-06, discontinued 2027-06-30 (model card)',
    },
  }),
  'veo-3.1-generate-001': veo31('standard', {
    vertex: { status: 'ga', note: 'Agent Platform model card veo/3-1-generate' },
    gemini: { status: 'ga', note: VEO_31_GEMINI_NOTE },
  }),
  'veo-3.1-fast-generate-001': veo31('fast', {
    vertex: { status: 'ga', note: 'Agent Platform model card veo/3-1-generate' },
    gemini: { status: 'ga', note: VEO_31_GEMINI_NOTE },
  }),
  'veo-3.1-lite-generate-001': veo31('lite', {
    vertex: { status: 'preview', note: 'Agent Platform model card veo/3-1-generate (preview)' },
    gemini: { status: 'preview', note: VEO_31_GEMINI_NOTE },
  }),
  'veo-3.1-generate-preview': veo31('standard', {
    gemini: GONE('2026-10-22', 'gemini-omni-1.1-flash', 'shut down on the Gemini API (third-party notice citing the deprecations page)'),
  }),
  'veo-3.1-fast-generate-preview': veo31('fast', {
    gemini: GONE('2026-10-22', 'gemini-omni-1.1-flash', 'shut down on the Gemini API (third-party notice citing the deprecations page)'),
  }),
  'veo-3.1-lite-generate-preview': veo31('lite', {
    gemini: GONE('2026-10-22', 'gemini-omni-1.1-flash', 'shut down on the Gemini API (third-party notice citing the deprecations page)'),
  }),
  'veo-3.0-generate-001': veo31('standard', {
    gemini: GONE('2026-06-30', 'veo-3.1-generate-001', 'Gemini API changelog 2026-06-15'),
    vertex: GONE('2026-06-30', 'veo-3.1-generate-001', 'Agent Platform model card veo/3-0-generate'),
  }),
  'veo-3.0-fast-generate-001': veo31('fast', {
    gemini: GONE('2026-06-30', 'veo-3.1-fast-generate-001', 'Gemini API changelog 2026-06-15'),
    vertex: GONE('2026-06-30', 'veo-3.1-fast-generate-001', 'Agent Platform model card veo/3-0-generate'),
  }),
};

export const DEFAULT_GOOGLE_MODEL = 'gemini-omni-1.1-flash';

/** The resolution and aspect of an exact pixel size, if a model can make it. */
export function resolutionOf(size: { width: number; height: number }): { resolution: Resolution; aspect: Aspect } | undefined {
  const text = `${size.width}x${size.height}`;
  for (const [resolution, byAspect] of Object.entries(RESOLUTION_SIZES) as [Resolution, Record<Aspect, string>][]) {
    for (const [aspect, s] of Object.entries(byAspect) as [Aspect, string][]) if (s === text) return { resolution, aspect };
  }
  return undefined;
}
