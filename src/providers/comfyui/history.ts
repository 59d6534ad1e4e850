/**
 * Reading ComfyUI's answers: a `/history/{id}` entry into a job state (success, an execution error with its exception
 * type, an interruption) and the files it lists; the `/queue` lists into running / pending. Outputs are found wherever
 * the history puts them: core SaveVideo under `images` (with `animated: [true]`), VideoHelperSuite under `gifs`, some
 * nodes under `videos`; every array of `{filename, subfolder, type}` is scanned and videos saved to the output folder
 * are kept.
 */
import { z } from 'zod';

const HistoryEntry = z.looseObject({
  prompt: z.array(z.unknown()).optional(),
  outputs: z.record(z.string(), z.unknown()).optional(),
  status: z
    .looseObject({
      status_str: z.string().optional(),
      completed: z.boolean().optional(),
      messages: z.array(z.array(z.unknown())).optional(),
    })
    .nullable()
    .optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export const QueueLists = z.looseObject({
  queue_running: z.array(z.array(z.unknown())).default([]),
  queue_pending: z.array(z.array(z.unknown())).default([]),
});
export type QueueLists = z.infer<typeof QueueLists>;

export type Outcome =
  | { state: 'succeeded'; outputs: OutputFile[] }
  | { state: 'failed'; exceptionType: string; message: string }
  | { state: 'canceled'; message: string };

export interface OutputFile {
  node: string;
  filename: string;
  subfolder: string;
  type: string;
  /** The history key it was listed under (`images`, `gifs`, `videos`, …). */
  key: string;
}

/** Video containers in order of preference (ffmpeg reads them all; mp4 needs no conversion). */
const VIDEO_EXTENSIONS = ['mp4', 'm4v', 'mov', 'webm', 'mkv', 'gif'];

/** The entry of `promptId` in a `/history/{id}` answer, or undefined when there is none (still queued, or unknown). */
export function historyEntry(body: unknown, promptId: string): HistoryEntry | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const raw = (body as Record<string, unknown>)[promptId];
  if (raw === undefined) return undefined;
  const parsed = HistoryEntry.safeParse(raw);
  return parsed.success ? parsed.data : {};
}

export function outcomeOf(entry: HistoryEntry): Outcome {
  const messages = entry.status?.messages ?? [];
  const event = (name: string) => messages.find((m) => m[0] === name)?.[1] as Record<string, unknown> | undefined;
  const outputs = outputFiles(entry);
  const status = entry.status?.status_str;
  // Servers before the status field existed listed a finished prompt with its outputs only.
  if (status === 'success' || (status === undefined && outputs.length)) return { state: 'succeeded', outputs };
  const interrupted = event('execution_interrupted');
  if (interrupted)
    return { state: 'canceled', message: `interrupted at node ${String(interrupted.node_id)} (${String(interrupted.node_type)})` };
  const error = event('execution_error');
  if (!error) return { state: 'failed', exceptionType: 'unknown', message: 'the prompt ended in error without an execution_error event' };
  const text = String(error.exception_message ?? '')
    .split('\n')[0]!
    .trim()
    .slice(0, 400);
  return {
    state: 'failed',
    exceptionType: String(error.exception_type ?? 'unknown'),
    message: `node ${String(error.node_id)} (${String(error.node_type)}) raised ${String(error.exception_type)}${text ? `: ${text}` : ''}`,
  };
}

/** The model storyreel queued this prompt for (kept in its extra_data), if it did. */
export function storyreelModel(entry: HistoryEntry): string | undefined {
  const extra = entry.prompt?.[3] as { storyreel?: { model?: unknown } } | undefined;
  return typeof extra?.storyreel?.model === 'string' ? extra.storyreel.model : undefined;
}

/** Every file the entry lists, in node order. */
export function outputFiles(entry: HistoryEntry): OutputFile[] {
  const files: OutputFile[] = [];
  const nodes = Object.keys(entry.outputs ?? {}).sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : 1));
  for (const node of nodes) {
    const out = entry.outputs![node];
    if (typeof out !== 'object' || out === null) continue;
    for (const [key, list] of Object.entries(out as Record<string, unknown>)) {
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        const f = item as { filename?: unknown; subfolder?: unknown; type?: unknown };
        if (typeof f?.filename !== 'string') continue;
        files.push({
          node,
          key,
          filename: f.filename,
          subfolder: typeof f.subfolder === 'string' ? f.subfolder : '',
          type: typeof f.type === 'string' ? f.type : 'output',
        });
      }
    }
  }
  return files;
}

/**
 * The clip among the outputs: a video saved to the output folder (not a temp preview), from `outputNode` when given;
 * the preferred container first, then the highest node id (the last save in a graph is usually the final one).
 */
export function pickVideo(files: OutputFile[], outputNode?: string): OutputFile | undefined {
  const rank = (f: OutputFile) => VIDEO_EXTENSIONS.indexOf(f.filename.split('.').pop()?.toLowerCase() ?? '');
  return files
    .filter((f) => f.type === 'output' && rank(f) >= 0 && (outputNode === undefined || f.node === outputNode))
    .sort((a, b) => rank(a) - rank(b) || Number(b.node) - Number(a.node))[0];
}

/** Where a prompt stands in the queue: running, pending with so many ahead, or absent. */
export function queueState(q: QueueLists, promptId: string): { state: 'running' } | { state: 'pending'; ahead: number } | undefined {
  if (q.queue_running.some((item) => item[1] === promptId)) return { state: 'running' };
  const pending = [...q.queue_pending].sort((a, b) => Number(a[0]) - Number(b[0]));
  const i = pending.findIndex((item) => item[1] === promptId);
  return i >= 0 ? { state: 'pending', ahead: i } : undefined;
}
