/** The routes of Runway's task API: method + path → operation, with what faults need to know about it. */
import type { MockRoute } from '../kit/index.js';
import type { Endpoint } from './models.js';

export type RunwayRouteKind = 'create' | 'get_task' | 'delete_task' | 'organization' | 'method_not_allowed';

export interface RunwayRoute extends MockRoute {
  kind: RunwayRouteKind;
  /** The create endpoint. */
  endpoint?: Endpoint;
  /** Methods the path serves (for a 405). */
  allow?: string;
}

const CREATES: Record<string, Endpoint> = { '/v1/text_to_video': 'text_to_video', '/v1/image_to_video': 'image_to_video' };

/** Undefined for a path this mock does not serve (404); a known path with another method is a 405. */
export function resolveRoute(method: string, path: string): RunwayRoute | undefined {
  const endpoint = CREATES[path];
  if (endpoint) return method === 'POST' ? { kind: 'create', endpoint, createsJob: true } : { kind: 'method_not_allowed', allow: 'POST' };
  if (path === '/v1/organization') return method === 'GET' ? { kind: 'organization' } : { kind: 'method_not_allowed', allow: 'GET' };
  const task = /^\/v1\/tasks\/([^/]+)$/.exec(path);
  if (!task) return undefined;
  const jobId = decodeURIComponent(task[1]!);
  if (method === 'GET') return { kind: 'get_task', jobId };
  if (method === 'DELETE') return { kind: 'delete_task', jobId };
  return { kind: 'method_not_allowed', allow: 'GET, DELETE', jobId };
}
