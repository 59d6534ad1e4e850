/**
 * The routes of Google's video APIs the mock serves, by surface:
 *
 * Gemini API (`generativelanguage.googleapis.com`, key in `x-goog-api-key` or `?key=`):
 *   POST /v1beta/models/{model}:predictLongRunning              Veo create → operation `models/{model}/operations/{id}`
 *   GET  /v1beta/models/{model}/operations/{id}                 operation
 *   GET  /v1beta/files/{id}:download?alt=media                  a generated video (Files API)
 *   POST /v1beta/interactions                                   Omni create
 *   GET  /v1beta/interactions/{id}   DELETE …/{id}   POST …/{id}/cancel
 *
 * Agent Platform / Vertex AI (`{region}-aiplatform.googleapis.com`, OAuth bearer; express mode: no project, key):
 *   POST /v1beta1[/projects/{p}/locations/{l}]/publishers/google/models/{m}:predictLongRunning
 *   POST /v1beta1[/projects/{p}/locations/{l}]/publishers/google/models/{m}:fetchPredictOperation  {operationName}
 *   POST /v1beta1[/projects/{p}/locations/global]/interactions, GET …/{id}, POST …/{id}/cancel
 *   (`/v1/…` is served the same way)
 *
 * Security Token Service (`sts.googleapis.com`): POST /v1/token, the token exchange behind Application Default
 * Credentials of type `external_account` (its `token_url` can point here).
 */
import type { MockRoute } from '../kit/index.js';

export type Surface = 'gemini' | 'vertex';

export type GoogleRouteKind =
  'veo_create' | 'veo_get' | 'veo_fetch' | 'file_download' | 'omni_create' | 'omni_get' | 'omni_cancel' | 'omni_delete' | 'sts_token';

export interface GoogleRoute extends MockRoute {
  kind: GoogleRouteKind;
  surface: Surface;
  model?: string;
  /** Agent Platform project and location from the path; absent in express mode. */
  project?: string;
  location?: string;
  /** The operation name (Gemini API GET), interaction id or file id the path names. */
  id?: string;
}

const GEMINI_MODEL = /^\/v1beta\/models\/([^/:]+):predictLongRunning$/;
const GEMINI_OPERATION = /^\/v1beta\/(models\/[^/:]+\/operations\/[^/:]+)$/;
const GEMINI_FILE = /^\/v1beta\/files\/([a-z0-9]+):download$/;
const VERTEX_MODEL =
  /^\/(?:v1beta1|v1)(?:\/projects\/([^/]+)\/locations\/([^/]+))?\/publishers\/google\/models\/([^/:]+):(predictLongRunning|fetchPredictOperation)$/;
const INTERACTIONS = /^\/(v1beta|v1beta1|v1)(?:\/projects\/([^/]+)\/locations\/([^/]+))?\/interactions(?:\/([^/]+?)(\/cancel)?)?$/;

/** Classifies a request; undefined = not a route of these APIs. `jobOf` names the job a file download serves. */
export function resolveRoute(method: string, path: string, jobOf: (fileId: string) => string | undefined): GoogleRoute | undefined {
  let m: RegExpExecArray | null;
  if (method === 'POST' && path === '/v1/token') return { kind: 'sts_token', surface: 'vertex' };
  if ((m = GEMINI_MODEL.exec(path)) && method === 'POST') return { kind: 'veo_create', surface: 'gemini', model: m[1]!, createsJob: true };
  if ((m = GEMINI_OPERATION.exec(path)) && method === 'GET') return { kind: 'veo_get', surface: 'gemini', id: m[1]!, jobId: m[1]! };
  if ((m = GEMINI_FILE.exec(path)) && (method === 'GET' || method === 'HEAD')) {
    const jobId = jobOf(m[1]!);
    return { kind: 'file_download', surface: 'gemini', id: m[1]!, servesContent: true, ...(jobId ? { jobId } : {}) };
  }
  if ((m = VERTEX_MODEL.exec(path)) && method === 'POST') {
    const where = m[1] ? { project: m[1], location: m[2]! } : {};
    // An operation read may carry the whole video inline: content faults apply to it.
    if (m[4] === 'fetchPredictOperation') return { kind: 'veo_fetch', surface: 'vertex', model: m[3]!, ...where, servesContent: true };
    return { kind: 'veo_create', surface: 'vertex', model: m[3]!, ...where, createsJob: true };
  }
  if ((m = INTERACTIONS.exec(path))) {
    const surface: Surface = m[1] === 'v1beta' ? 'gemini' : 'vertex';
    if (surface === 'gemini' && m[2]) return undefined;
    const base = { surface, ...(m[2] ? { project: m[2], location: m[3]! } : {}) };
    const id = m[4];
    if (!id) return method === 'POST' ? { kind: 'omni_create', ...base, createsJob: true } : undefined;
    if (m[5]) return method === 'POST' ? { kind: 'omni_cancel', ...base, id, jobId: id } : undefined;
    if (method === 'GET') return { kind: 'omni_get', ...base, id, jobId: id };
    if (method === 'DELETE') return { kind: 'omni_delete', ...base, id, jobId: id };
  }
  return undefined;
}
