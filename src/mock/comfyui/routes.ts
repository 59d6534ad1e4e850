/**
 * ComfyUI's routes (server.py), each also under `/api` as newer servers register them: method + path → operation.
 */
import type { MockRoute } from '../kit/index.js';

export type ComfyRouteKind =
  | 'prompt_post'
  | 'prompt_get'
  | 'history_list'
  | 'history_get'
  | 'history_post'
  | 'queue_get'
  | 'queue_post'
  | 'interrupt'
  | 'upload_image'
  | 'view'
  | 'object_info'
  | 'system_stats';

export interface ComfyRoute extends MockRoute {
  kind: ComfyRouteKind;
  promptId?: string;
}

export function resolveRoute(method: string, rawPath: string): ComfyRoute | undefined {
  const path = rawPath.startsWith('/api/') ? rawPath.slice(4) : rawPath;
  const get = method === 'GET';
  const post = method === 'POST';
  if (path === '/prompt') return post ? { kind: 'prompt_post', createsJob: true } : get ? { kind: 'prompt_get' } : undefined;
  if (path === '/history') return get ? { kind: 'history_list' } : post ? { kind: 'history_post' } : undefined;
  const history = /^\/history\/([^/]+)$/.exec(path);
  if (history && get) {
    const id = decodeURIComponent(history[1]!);
    return { kind: 'history_get', promptId: id, jobId: id };
  }
  if (path === '/queue') return get ? { kind: 'queue_get' } : post ? { kind: 'queue_post' } : undefined;
  if (path === '/interrupt' && post) return { kind: 'interrupt' };
  if (path === '/upload/image' && post) return { kind: 'upload_image' };
  if (path === '/view' && get) return { kind: 'view', servesContent: true };
  if ((path === '/object_info' || path.startsWith('/object_info/')) && get) return { kind: 'object_info' };
  if (path === '/system_stats' && get) return { kind: 'system_stats' };
  return undefined;
}
