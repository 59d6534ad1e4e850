/** The routes of the Videos API: method + path → operation, with what faults need to know about it. */
import type { MockRoute } from '../kit/index.js';

export type VideoRouteKind =
  'create' | 'list' | 'retrieve' | 'delete' | 'content' | 'remix' | 'extend' | 'edit' | 'character_create' | 'character_get';

export interface VideoRoute extends MockRoute {
  kind: VideoRouteKind;
  /** The video or character id in the path. */
  id?: string;
}

const JOB_CREATING: readonly VideoRouteKind[] = ['create', 'remix', 'extend', 'edit'];

/** Undefined for anything that is not an operation of the API. */
export function resolveRoute(method: string, path: string): VideoRoute | undefined {
  const kind = routeKind(method, path);
  if (!kind) return undefined;
  const { kind: k, id } = kind;
  return {
    kind: k,
    ...(id !== undefined ? { id } : {}),
    ...(id !== undefined && k !== 'character_get' ? { jobId: id } : {}),
    createsJob: JOB_CREATING.includes(k),
    servesContent: k === 'content',
  };
}

function routeKind(method: string, path: string): { kind: VideoRouteKind; id?: string } | undefined {
  const seg = path.split('/').slice(1);
  if (seg[0] !== 'v1' || seg[1] !== 'videos') return undefined;
  const [, , a, b] = seg;
  const id = (s: string) => decodeURIComponent(s);
  if (seg.length === 2) return method === 'POST' ? { kind: 'create' } : method === 'GET' ? { kind: 'list' } : undefined;
  if (seg.length === 3 && a) {
    if (method === 'POST' && a === 'characters') return { kind: 'character_create' };
    if (method === 'POST' && a === 'extensions') return { kind: 'extend' };
    if (method === 'POST' && a === 'edits') return { kind: 'edit' };
    if (method === 'GET') return { kind: 'retrieve', id: id(a) };
    if (method === 'DELETE') return { kind: 'delete', id: id(a) };
  }
  if (seg.length === 4 && a && b) {
    if (method === 'GET' && a === 'characters') return { kind: 'character_get', id: id(b) };
    if (method === 'GET' && b === 'content') return { kind: 'content', id: id(a) };
    if (method === 'POST' && b === 'remix') return { kind: 'remix', id: id(a) };
  }
  return undefined;
}
