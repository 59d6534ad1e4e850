/**
 * fal's queue routes (docs.fal.ai/model-endpoints/queue) and the storage upload routes the SDK uses:
 *
 *   POST /{owner}/{app}[/{path…}]                       submit (the full endpoint id)
 *   GET  /{owner}/{app}/requests/{id}/status             status (owner/app only: no subpath, as fal's docs require)
 *   GET  /{owner}/{app}/requests/{id}/status/stream      status as server-sent events
 *   GET  /{owner}/{app}/requests/{id}                    result
 *   PUT  /{owner}/{app}/requests/{id}/cancel             cancel
 *   POST /storage/upload/initiate                        upload: returns a pre-signed PUT URL and the file URL
 *   PUT  /storage/uploads/{token}                        the upload's bytes (pre-signed: no key)
 *   GET  /storage/files/{token}/{name}                   an uploaded file (public, as fal's CDN)
 *
 * Namespaced apps (`workflows/…`, `comfy/…`) have three segments before `requests`.
 */
import type { MockRoute } from '../kit/index.js';

export type FalRouteKind = 'submit' | 'status' | 'status_stream' | 'result' | 'cancel' | 'upload_initiate' | 'upload_put' | 'upload_get';

export interface FalRoute extends MockRoute {
  kind: FalRouteKind;
  /** `owner/app` (with namespace) for request routes; the full endpoint id for submit. */
  app?: string;
  endpoint?: string;
  requestId?: string;
  token?: string;
}

const NAMESPACES = ['workflows', 'comfy'];

export function resolveRoute(method: string, path: string): FalRoute | undefined {
  const seg = path
    .split('/')
    .slice(1)
    .map((s) => decodeURIComponent(s));
  if (seg.some((s) => s === '')) return undefined;
  if (seg[0] === 'storage') return storageRoute(method, seg);
  const appLen = NAMESPACES.includes(seg[0] ?? '') ? 3 : 2;
  if (seg.length < appLen) return undefined;
  const app = seg.slice(0, appLen).join('/');
  const rest = seg.slice(appLen);
  if (rest[0] === 'requests' && rest[1]) {
    const id = rest[1];
    const tail = rest.slice(2).join('/');
    const base = { app, requestId: id, jobId: id };
    if (method === 'GET' && tail === '') return { kind: 'result', ...base };
    if (method === 'GET' && tail === 'status') return { kind: 'status', ...base };
    if (method === 'GET' && tail === 'status/stream') return { kind: 'status_stream', ...base };
    if (method === 'PUT' && tail === 'cancel') return { kind: 'cancel', ...base };
    return undefined;
  }
  if (method === 'POST' && !rest.includes('requests')) return { kind: 'submit', app, endpoint: seg.join('/'), createsJob: true };
  return undefined;
}

function storageRoute(method: string, seg: string[]): FalRoute | undefined {
  if (method === 'POST' && seg.join('/') === 'storage/upload/initiate') return { kind: 'upload_initiate' };
  if (method === 'PUT' && seg[1] === 'uploads' && seg[2] && seg.length === 3) return { kind: 'upload_put', token: seg[2] };
  if ((method === 'GET' || method === 'HEAD') && seg[1] === 'files' && seg[2] && seg.length === 4)
    return { kind: 'upload_get', token: seg[2] };
  return undefined;
}
