/**
 * Where a `google` request goes and with which credentials, per surface:
 *
 * | surface, auth          | Veo                                                         | Interactions (Omni)                                    | credential |
 * |---|---|---|---|
 * | gemini                 | `{origin}/v1beta/models/{m}:predictLongRunning`, GET `/v1beta/{operation}` | `{origin}/v1beta/interactions`             | `x-goog-api-key` |
 * | vertex, adc            | `{region origin}/v1beta1/projects/{p}/locations/{l}/publishers/google/models/{m}:…` | `{global origin}/v1beta1/projects/{p}/locations/global/interactions` + `Api-Revision` | OAuth bearer (Application Default Credentials) |
 * | vertex, apiKey (express) | `{global origin}/v1beta1/publishers/google/models/{m}:…`  | `{global origin}/v1beta1/interactions` + `Api-Revision` | `x-goog-api-key` |
 *
 * `baseURL` (settings, or GOOGLE_GEMINI_BASE_URL / GOOGLE_VERTEX_BASE_URL, as @google/genai reads them) replaces
 * every origin: a proxy or `storyreel mock google` serves all paths. Keys come from the environment only.
 */
import { GoogleAuth } from 'google-auth-library';
import type { ProviderSettings } from '../../contracts/provider-settings.js';
import { ProviderError } from '../errors.js';
import { GOOGLE_PROVIDER, surfaceOf, type GoogleSettings } from './catalog.js';
import type { Surface } from './models.js';

/** The envelope of interactions with `steps[]` on the Agent Platform (GoogleCloudPlatform/vertex-ai-creative-studio PR #1613). */
export const VERTEX_API_REVISION = '2026-05-20';
const CLOUD_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const GEMINI_ORIGIN = 'https://generativelanguage.googleapis.com';
const VERTEX_GLOBAL_ORIGIN = 'https://aiplatform.googleapis.com';

export interface Endpoints {
  surface: Surface;
  auth: 'key' | 'adc';
  /** Origin (no trailing slash) and API version of Veo calls, as @google/genai takes them. */
  veoOrigin: string;
  apiVersion: 'v1beta' | 'v1beta1';
  /** `projects/{p}/locations/{l}` on the Agent Platform with ADC; '' otherwise. */
  resourcePrefix: string;
  project: string | undefined;
  location: string;
  /** POST here to create an interaction; GET `${interactions}/{id}`. */
  interactions: string;
  /** Files API root (Gemini API only): `${files}/{id}:download?alt=media`. */
  files: string;
}

export function endpointsFor(settings: ProviderSettings, env: Readonly<Record<string, string | undefined>>): Endpoints {
  const s = settings as GoogleSettings;
  const surface = surfaceOf(settings);
  const override = (s.baseURL ?? (surface === 'gemini' ? env.GOOGLE_GEMINI_BASE_URL : env.GOOGLE_VERTEX_BASE_URL))?.replace(/\/+$/, '');
  if (surface === 'gemini') {
    const origin = override ?? GEMINI_ORIGIN;
    return {
      surface,
      auth: 'key',
      veoOrigin: origin,
      apiVersion: 'v1beta',
      resourcePrefix: '',
      project: undefined,
      location: 'global',
      interactions: `${origin}/v1beta/interactions`,
      files: `${origin}/v1beta/files`,
    };
  }
  const project = s.project ?? env.GOOGLE_CLOUD_PROJECT;
  const location = s.location ?? env.GOOGLE_CLOUD_LOCATION ?? 'us-central1';
  const auth = s.vertexAuth === 'apiKey' || (!s.vertexAuth && !project) ? 'key' : 'adc';
  const global = override ?? VERTEX_GLOBAL_ORIGIN;
  if (auth === 'key') {
    return {
      surface,
      auth,
      veoOrigin: global,
      apiVersion: 'v1beta1',
      resourcePrefix: '',
      project: undefined,
      location,
      interactions: `${global}/v1beta1/interactions`,
      files: '',
    };
  }
  if (!project) {
    throw new ProviderError(
      'auth',
      `${GOOGLE_PROVIDER}: the Agent Platform with OAuth needs a project: set providers.google.project or GOOGLE_CLOUD_PROJECT on the worker (or vertexAuth: apiKey for express mode)`,
      { provider: GOOGLE_PROVIDER },
    );
  }
  const regional = override ?? (location === 'global' ? VERTEX_GLOBAL_ORIGIN : `https://${location}-aiplatform.googleapis.com`);
  return {
    surface,
    auth,
    veoOrigin: regional,
    apiVersion: 'v1beta1',
    resourcePrefix: `projects/${project}/locations/${location}`,
    project,
    location,
    // Omni runs only in `global`, whatever region Veo uses (promptfoo/promptfoo#10151).
    interactions: `${global}/v1beta1/projects/${project}/locations/global/interactions`,
    files: '',
  };
}

/** The API key from the environment: `apiKeyEnv`, else GOOGLE_API_KEY, else GEMINI_API_KEY (@google/genai's order). */
export function apiKeyFrom(settings: ProviderSettings, env: Readonly<Record<string, string | undefined>>): string {
  const named = settings.apiKeyEnv;
  const key = named ? env[named] : (env.GOOGLE_API_KEY ?? env.GEMINI_API_KEY);
  if (!key) {
    throw new ProviderError(
      'auth',
      named
        ? `${GOOGLE_PROVIDER}: no API key: set the environment variable ${named} on the worker`
        : `${GOOGLE_PROVIDER}: no API key: set GEMINI_API_KEY (or GOOGLE_API_KEY) on the worker, or name another variable with providers.google.apiKeyEnv`,
      { provider: GOOGLE_PROVIDER },
    );
  }
  return key;
}

/**
 * Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud, or the metadata server) for the Agent
 * Platform, one client per provider instance so its token is shared and refreshed by google-auth-library.
 */
export function adcFor(env: Readonly<Record<string, string | undefined>>): GoogleAuth {
  const keyFilename = env.GOOGLE_APPLICATION_CREDENTIALS;
  return new GoogleAuth({ scopes: [CLOUD_SCOPE], ...(keyFilename ? { keyFilename } : {}) });
}

/** The request headers that carry the credential. Failures to get a token are auth errors (or transient when the token service did not answer). */
export async function credentialHeaders(e: Endpoints, key: () => string, adc: () => GoogleAuth): Promise<Record<string, string>> {
  if (e.auth === 'key') return { 'x-goog-api-key': key() };
  try {
    const headers = await adc().getRequestHeaders();
    return Object.fromEntries(headers.entries());
  } catch (err) {
    const e = err as { response?: { status?: unknown }; status?: unknown; code?: unknown };
    const status = e.response?.status ?? e.status;
    // No HTTP status: a system error (ECONNREFUSED, ETIMEDOUT) is the network; anything else is the configuration.
    const transient =
      typeof status === 'number' ? status >= 500 || status === 429 : typeof e.code === 'string' && /^E[A-Z_]+$/.test(e.code);
    throw new ProviderError(
      transient ? 'transient' : 'auth',
      `${GOOGLE_PROVIDER}: could not get an OAuth token from Application Default Credentials` +
        (typeof status === 'number' ? ` (token service answered HTTP ${status})` : '') +
        '; check GOOGLE_APPLICATION_CREDENTIALS or `gcloud auth application-default login`',
      { provider: GOOGLE_PROVIDER, cause: err },
    );
  }
}
