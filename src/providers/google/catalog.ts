/**
 * The `google` provider's catalog: its models (models.ts) as capabilities for the surface the settings choose, the
 * strict `providers.google` settings schema, and the rules a capability flag cannot carry (sceneIssues): options one
 * surface refuses (a seed for Veo on the Gemini API), Veo's 8-second-only modes, models a surface does not serve.
 * Pure: no SDK is loaded to plan.
 *
 *   providers:
 *     google:
 *       surface: gemini            # default; or vertex (the Agent Platform)
 *       project: my-project        # vertex: else GOOGLE_CLOUD_PROJECT on the worker
 *       location: us-central1      # vertex Veo region (default us-central1; Omni always runs in `global`)
 *       vertexAuth: adc            # vertex: adc (OAuth, Application Default Credentials) or apiKey (express mode)
 *       audio: false               # vertex Veo only: generateAudio
 */
import { z } from 'zod';
import type { ProviderCapabilities, SceneAsk, SceneIssue } from '../../contracts/capabilities.js';
import { providerSettings, type ProviderSettings } from '../../contracts/provider-settings.js';
import { px, type ProviderCatalog } from '../types.js';
import {
  DEFAULT_GOOGLE_MODEL,
  GOOGLE_MODELS,
  RESOLUTION_SIZES,
  resolutionOf,
  SURFACE_NAMES,
  VEO_EXTENSION,
  type GoogleModelSpec,
  type Surface,
} from './models.js';

export const GOOGLE_PROVIDER = 'google';

/**
 * How long an output can be fetched: Gemini API files 2 days (video guide); videos held inline by a Vertex operation
 * or an interaction: not documented, 1 day assumed (storyreel downloads at once anyway).
 */
export function retentionSeconds(api: GoogleModelSpec['api'], surface: Surface): number {
  return api === 'veo' && surface === 'gemini' ? 2 * 86_400 : 86_400;
}

const OWN_SETTINGS = {
  /** Which Google endpoint serves the models: the Gemini API (API key) or the Agent Platform (Vertex AI). */
  surface: z.enum(['gemini', 'vertex']).optional(),
  /** Agent Platform project id; default GOOGLE_CLOUD_PROJECT on the worker. */
  project: z
    .string()
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a Google Cloud project id (6-30 lower-case letters, digits, hyphens)')
    .optional(),
  /** Agent Platform region for Veo (Omni runs in `global` whatever this says); default GOOGLE_CLOUD_LOCATION, else us-central1. */
  location: z
    .string()
    .regex(/^(global|[a-z]+-[a-z]+\d+)$/, 'must be a Google Cloud region like us-central1, or global')
    .optional(),
  /** Agent Platform credentials: Application Default Credentials (OAuth) or an API key (express mode). */
  vertexAuth: z.enum(['adc', 'apiKey']).optional(),
  /** Veo on the Agent Platform only: `generateAudio` (the Gemini API and Omni always make sound). Default true. */
  audio: z.boolean().optional(),
  /** Veo `personGeneration`, sent only when set (allowed values depend on the mode and the user's region). */
  personGeneration: z.enum(['allow_all', 'allow_adult', 'dont_allow']).optional(),
  /** Veo `enhancePrompt`, sent only when set. */
  enhancePrompt: z.boolean().optional(),
  /** Gemini Omni on the Gemini API: video delivered inline (base64 in the interaction) or as a file uri. Default: the API's. */
  delivery: z.enum(['inline', 'uri']).optional(),
};

export const GoogleSettings = providerSettings(OWN_SETTINGS).superRefine((s, ctx) => {
  const vertexOnly = ['project', 'location', 'vertexAuth'] as const;
  if (s.surface !== 'vertex') {
    for (const key of vertexOnly) {
      if (s[key] !== undefined)
        ctx.addIssue({ code: 'custom', path: [key], message: 'applies to surface: vertex only; add surface: vertex' });
    }
    if (s.audio === false) {
      ctx.addIssue({
        code: 'custom',
        path: ['audio'],
        message:
          'the Gemini API always makes sound with Veo 3.1 (@google/genai refuses generateAudio there); use surface: vertex to switch it off',
      });
    }
  }
  if (s.surface === 'vertex' && s.delivery === 'uri') {
    ctx.addIssue({
      code: 'custom',
      path: ['delivery'],
      message:
        'uri delivery on the Agent Platform writes to a Cloud Storage bucket, which storyreel does not read; leave delivery unset (inline)',
    });
  }
});
export type GoogleSettings = z.infer<typeof GoogleSettings>;

export function surfaceOf(settings: ProviderSettings): Surface {
  return (settings as GoogleSettings).surface ?? 'gemini';
}

/** Whether a request on these settings makes sound: always, except Veo on the Agent Platform with `audio: false`. */
export function makesSound(spec: GoogleModelSpec, settings: ProviderSettings): boolean {
  return !(spec.api === 'veo' && surfaceOf(settings) === 'vertex' && (settings as GoogleSettings).audio === false);
}

export function capabilitiesFor(id: string, spec: GoogleModelSpec, settings: ProviderSettings = {}): ProviderCapabilities {
  const surface = surfaceOf(settings);
  const offer = spec.offers[surface] ?? Object.values(spec.offers)[0]!;
  const sound = makesSound(spec, settings);
  return {
    provider: GOOGLE_PROVIDER,
    model: id,
    lifecycle: {
      status: offer.status,
      ...(offer.shutdownAt ? { shutdownAt: offer.shutdownAt } : {}),
      ...(offer.replacement ? { replacement: offer.replacement } : {}),
      note: spec.offers[surface] ? offer.note : `not offered on ${SURFACE_NAMES[surface]}`,
    },
    seconds: spec.seconds,
    sizes: (['16:9', '9:16'] as const).flatMap((aspect) => spec.resolutions.map((r) => px(RESOLUTION_SIZES[r][aspect]))),
    anySize: false,
    fps: [24],
    nativeAudio: sound,
    promptLimit: spec.promptLimit,
    negativePrompt: spec.api === 'veo',
    firstFrame: true,
    lastFrame: spec.lastFrame,
    // Frames are fitted to the clip's size so the clip opens on exactly that picture (the APIs crop or pad otherwise).
    firstFrameExactSize: true,
    maxReferenceImages: spec.maxReferenceImages,
    extend: spec.extend && surface === 'gemini' ? VEO_EXTENSION : false,
    remix: false,
    cancel: spec.api === 'interactions' ? 'server' : 'none',
    renderSecondsPerSecond: spec.renderSecondsPerSecond,
    outputRetentionSeconds: retentionSeconds(spec.api, surface),
    pricing: spec.pricing.map((rule) => ({
      ...(rule.resolutions ? { sizes: rule.resolutions.flatMap((r) => Object.values(RESOLUTION_SIZES[r])) } : {}),
      usdPerSecond: !sound && rule.usdPerSecondSilent !== undefined ? rule.usdPerSecondSilent : rule.usdPerSecond,
    })),
  };
}

/** The surfaces that serve a model now (not shut down). */
function servingSurfaces(spec: GoogleModelSpec): Surface[] {
  return (Object.keys(spec.offers) as Surface[]).filter((s) => spec.offers[s]!.status !== 'shutdown');
}

/**
 * What capability flags cannot say about a scene on this surface, as `field: what to do`. The same rules guard every
 * request in the adapter (validate), so nothing the planner accepts is refused by the SDK or the API for these reasons.
 */
export function googleSceneIssues(settings: ProviderSettings, ask: SceneAsk): SceneIssue[] {
  const spec = GOOGLE_MODELS[ask.model];
  if (!spec) return [];
  const surface = surfaceOf(settings);
  const issues: SceneIssue[] = [];
  const model = `google/${ask.model}`;
  if (!spec.offers[surface]) {
    const elsewhere = servingSurfaces(spec);
    const here = Object.keys(GOOGLE_MODELS).filter(
      (id) => GOOGLE_MODELS[id]!.offers[surface] && GOOGLE_MODELS[id]!.offers[surface]!.status !== 'shutdown',
    );
    issues.push({
      field: 'model',
      message:
        `${model} is not offered on ${SURFACE_NAMES[surface]}` +
        (elsewhere.length ? `; it is on ${elsewhere.map((s) => `${SURFACE_NAMES[s]} (providers.google.surface: ${s})`).join(', ')}` : '') +
        `; models there: ${here.join(', ')}`,
    });
    return issues;
  }
  const res = resolutionOf(ask.size)?.resolution;
  if (spec.api === 'veo') {
    if (ask.seed && surface === 'gemini') {
      issues.push({
        field: 'seed',
        message: `${model} takes no seed on the Gemini API (@google/genai refuses it there); use providers.google.surface: vertex, where Veo takes one, or remove the seed`,
      });
    }
    if (!ask.extend && ask.seconds !== 8) {
      const why =
        res === '1080p' || res === '4k'
          ? `${res} clips`
          : ask.lastFrame
            ? 'a last frame (keyframes)'
            : ask.referenceImages > 0 && !ask.firstFrame
              ? 'reference images'
              : undefined;
      if (why) issues.push({ field: 'seconds', message: `${model} makes ${why} only 8 s long; set seconds: 8` });
    }
    if (ask.extend && res !== '720p') {
      issues.push({ field: 'size', message: `${model} extends 720p clips only; use size 1280x720 or 720x1280, or continuity "chain"` });
    }
    if (ask.extend && surface === 'vertex') {
      issues.push({
        field: 'continuity',
        message: `${model} extends clips here on the Gemini API only (on the Agent Platform the source must come from Cloud Storage); use providers.google.surface: gemini, or continuity "chain"`,
      });
    }
  } else if ((settings as GoogleSettings).audio === false) {
    issues.push({
      field: 'model',
      message: `${model} always makes sound; providers.google.audio: false applies to Veo on the Agent Platform only`,
    });
  }
  return issues;
}

/** Every known model's capabilities on the settings' surface. */
function modelsFor(settings: ProviderSettings): Record<string, ProviderCapabilities> {
  return Object.fromEntries(Object.entries(GOOGLE_MODELS).map(([id, spec]) => [id, capabilitiesFor(id, spec, settings)]));
}

export const googleCatalog: ProviderCatalog = {
  id: GOOGLE_PROVIDER,
  defaultModel: DEFAULT_GOOGLE_MODEL,
  models: modelsFor({}),
  settings: GoogleSettings,
  // The surface changes lifecycles, extension, sound and prices: the same ids, read again for these settings.
  declaredModels: (settings) => modelsFor(settings),
  sceneIssues: googleSceneIssues,
  // The surface (a different service), sound and prompt options change what the same scene renders.
  outputKey: (settings) => {
    const s = settings as GoogleSettings;
    return {
      surface: s.surface ?? 'gemini',
      audio: s.audio ?? true,
      personGeneration: s.personGeneration ?? null,
      enhancePrompt: s.enhancePrompt ?? null,
    };
  },
};
