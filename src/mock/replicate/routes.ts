/** The routes of Replicate's predictions API: method + path → operation, with what faults need to know about it. */
import type { MockRoute } from '../kit/index.js';

export type ReplicateRouteKind = 'create_model' | 'create_version' | 'list' | 'get' | 'cancel' | 'webhook_secret';

export interface ReplicateRoute extends MockRoute {
  kind: ReplicateRouteKind;
  /** `owner/name` of `POST /v1/models/{owner}/{name}/predictions`. */
  model?: string;
}

/** Undefined for anything that is not an operation this mock serves. */
export function resolveRoute(method: string, path: string): ReplicateRoute | undefined {
  const seg = path.split('/').slice(1).map(decodeURIComponent);
  if (seg[0] !== 'v1') return undefined;
  if (seg.length === 4 && seg[1] === 'webhooks' && seg[2] === 'default' && seg[3] === 'secret' && method === 'GET')
    return { kind: 'webhook_secret' };
  if (seg.length === 5 && seg[1] === 'models' && seg[4] === 'predictions' && method === 'POST')
    return { kind: 'create_model', model: `${seg[2]}/${seg[3]}`, createsJob: true };
  if (seg[1] !== 'predictions') return undefined;
  if (seg.length === 2)
    return method === 'POST' ? { kind: 'create_version', createsJob: true } : method === 'GET' ? { kind: 'list' } : undefined;
  if (seg.length === 3 && method === 'GET') return { kind: 'get', jobId: seg[2]! };
  if (seg.length === 4 && seg[3] === 'cancel' && method === 'POST') return { kind: 'cancel', jobId: seg[2]! };
  return undefined;
}
