/**
 * The routes of Kling's video API this mock serves (Kling API reference, Text to Video and Image to Video):
 *
 *   POST /v1/videos/{kind}             create a task                         kind = text2video | image2video
 *   GET  /v1/videos/{kind}/{id}        query one task, by task_id OR external_task_id (both "in the request path")
 *   GET  /v1/videos/{kind}             query tasks, newest first, `pageNum` 1..1000, `pageSize` 1..500
 */
import type { MockRoute } from '../kit/index.js';

export const TASK_KINDS = ['text2video', 'image2video'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export type KlingRouteKind = 'create' | 'query' | 'list';

export interface KlingRoute extends MockRoute {
  kind: KlingRouteKind;
  task: TaskKind;
  /** The path's id: a task_id or an external_task_id. */
  id?: string;
}

/** Undefined for anything that is not an operation this mock serves. */
export function resolveRoute(method: string, path: string): KlingRoute | undefined {
  const seg = path.split('/').slice(1).map(decodeURIComponent);
  if (seg[0] !== 'v1' || seg[1] !== 'videos') return undefined;
  const task = TASK_KINDS.find((k) => k === seg[2]);
  if (!task) return undefined;
  if (seg.length === 3 && method === 'POST') return { kind: 'create', task, createsJob: true };
  if (seg.length === 3 && method === 'GET') return { kind: 'list', task };
  if (seg.length === 4 && seg[3] && method === 'GET') return { kind: 'query', task, id: seg[3], jobId: seg[3] };
  return undefined;
}
