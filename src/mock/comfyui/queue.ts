/**
 * The prompt queue and its executor, one prompt at a time like a single GPU (PromptQueue + prompt_worker in
 * ComfyUI's execution.py and main.py). A run's timeline comes from the clock (the kit's JobStore, concurrency 1):
 * nodes in execution order, loaders slow unless cached, samplers by steps. `advance()` brings every run up to the
 * clock, sending the WebSocket events each step of the way in ComfyUI's order and writing the history entry when a
 * run ends:
 *
 *   execution_start → execution_cached → (executing node → progress… → executed)… →
 *   execution_success | execution_error | execution_interrupted → status → executing {node: null}
 *
 * A prompt id may be submitted again (ComfyUI does not refuse it): the new run is queued and executed, and the
 * history entry of that id is replaced when it ends.
 */
import type { JobPhase, JobStore, JobView, MediaRenderer, RenderSpec } from '../kit/index.js';
import type { SocketHub } from './sockets.js';
import { classOf, executionOrder, saveSpec, signatures, type Prompt, type SaveSpec } from './trace.js';

export interface Timing {
  /** Ms a node runs (not loaders or samplers). */
  msPerNode: number;
  /** Ms a loader runs when it is not cached. */
  loadMs: number;
  /** Ms per sampler step. */
  msPerStep: number;
}

interface Step {
  node: string;
  classType: string;
  /** Offset from the run's start, ms. */
  atMs: number;
  ms: number;
  /** Sampler steps (progress events), 0 for other nodes. */
  steps: number;
}

export interface SavedFile {
  filename: string;
  subfolder: string;
  type: 'output';
}

interface Output {
  node: string;
  key: 'images' | 'gifs';
  spec: RenderSpec;
  prefix: string;
  naming: 'comfy' | 'vhs';
  ext: string;
  format?: string;
  file?: SavedFile;
}

export interface HistoryEntry {
  prompt: [number, string, Prompt, Record<string, unknown>, string[]];
  outputs: Record<string, Record<string, unknown>>;
  status: { status_str: 'success' | 'error'; completed: boolean; messages: [string, Record<string, unknown>][] };
  meta: Record<string, { node_id: string; display_node: string; parent_node: null; real_node_id: string }>;
}

export interface RunData {
  promptId: string;
  number: number;
  prompt: Prompt;
  extraData: Record<string, unknown>;
  clientId: string | undefined;
  outputs: string[];
  /** Node id → signature, for the cache. */
  signatures: Map<string, string>;
  plan: Step[];
  cached: string[];
  saves: Output[];
  /** The failure a `job_failed` fault asked for: ComfyUI's exception type. */
  failure?: { type: string; message: string };
  /** Deleted from the queue before it started: it never runs and never reaches the history. */
  removed: boolean;
  sent: { started: boolean; step: number; value: number; executed: Set<string>; ended: boolean };
  messages: [string, Record<string, unknown>][];
}

export type RunState = 'pending' | 'running' | 'success' | 'error' | 'interrupted';
export const RUN_STATES: Record<JobPhase, RunState> = {
  queued: 'pending',
  throttled: 'pending',
  running: 'running',
  succeeded: 'success',
  failed: 'error',
  canceled: 'interrupted',
};

export interface Uploads {
  path(name: string): string | undefined;
  sha256(name: string): string | undefined;
}

export class PromptQueue {
  private readonly history = new Map<string, HistoryEntry>();
  /**
   * ComfyUI's cache between prompts (the classic one keeps what the last prompt computed): node signature → the file
   * a save node wrote, for the nodes the last ended run finished or reused.
   */
  private cache = new Map<string, SavedFile | undefined>();
  private readonly counters = new Map<string, number>();
  private number = 0;
  private runCount = 0;
  private advancing = false;

  constructor(
    private readonly jobs: JobStore<RunData, RunState>,
    private readonly hub: SocketHub,
    private readonly renderer: MediaRenderer,
    private readonly uploads: Uploads,
    private readonly timing: Timing,
    private readonly clock: () => number,
  ) {}

  reset(): void {
    this.history.clear();
    this.cache.clear();
    this.counters.clear();
    this.number = 0;
  }

  /** Queues an accepted prompt; returns its queue number. */
  put(input: {
    promptId: string;
    prompt: Prompt;
    extraData: Record<string, unknown>;
    outputs: string[];
    failure?: { type: string; message: string };
    stuckAt?: number;
    failAt?: number;
  }): number {
    const number = this.number++;
    const sigs = signatures(input.prompt, (name) => this.uploads.sha256(name));
    const order = executionOrder(input.prompt, input.outputs);
    // What will be cached when this prompt starts: what the prompt ahead of it computes (if it succeeds), else the
    // cache as the last run left it. (ComfyUI decides when the prompt starts; the mock fixes the timeline at queueing.)
    const ahead = this.jobs
      .all()
      .filter((j) => !j.data.removed && !j.data.sent.ended)
      .at(-1);
    const available = ahead ? new Set(ahead.data.signatures.values()) : new Set(this.cache.keys());
    const cached = order.filter((id) => available.has(sigs.get(id)!));
    const plan: Step[] = [];
    let at = 0;
    for (const node of order.filter((id) => !cached.includes(id))) {
      const cls = classOf(input.prompt, node);
      const steps = cls.steps ? cls.steps(input.prompt[node]!.inputs) : 0;
      const ms = steps ? steps * this.timing.msPerStep : cls.loader ? this.timing.loadMs : this.timing.msPerNode;
      plan.push({ node, classType: input.prompt[node]!.class_type, atMs: at, ms, steps });
      at += ms;
    }
    const saves = input.outputs.flatMap((id) => this.outputOf(input.prompt, id));
    for (const s of saves) this.renderer.prerender(s.spec);
    const clientId = typeof input.extraData.client_id === 'string' ? input.extraData.client_id : undefined;
    const data: RunData = {
      promptId: input.promptId,
      number,
      prompt: input.prompt,
      extraData: input.extraData,
      clientId,
      outputs: input.outputs,
      signatures: new Map(order.map((id) => [id, sigs.get(id)!])),
      plan,
      cached,
      saves,
      ...(input.failure ? { failure: input.failure } : {}),
      removed: false,
      sent: { started: false, step: -1, value: 0, executed: new Set(), ended: false },
      messages: [],
    };
    const outcome =
      input.stuckAt !== undefined
        ? { kind: 'stuck' as const, atProgress: input.stuckAt }
        : input.failure
          ? { kind: 'fail' as const, code: input.failure.type, atProgress: input.failAt ?? 0 }
          : { kind: 'succeed' as const };
    this.jobs.add({ id: `run-${++this.runCount}`, data, queuedMs: 0, runMs: Math.max(1, at), outcome });
    this.hub.send('status', { status: this.queueInfo() });
    return number;
  }

  private outputOf(prompt: Prompt, id: string): Output[] {
    const cls = classOf(prompt, id);
    const spec = saveSpec(prompt, id);
    if (!cls.saves || !spec) return [];
    const inputs = prompt[id]!.inputs;
    const format = typeof inputs.format === 'string' ? inputs.format : undefined;
    return [
      {
        node: id,
        key: cls.saves.key,
        spec: this.renderSpec(spec),
        prefix: typeof inputs.filename_prefix === 'string' ? inputs.filename_prefix : 'ComfyUI',
        naming: cls.saves.naming,
        ext: cls.saves.naming === 'vhs' && format && !format.endsWith('-mp4') ? format.split('/')[1]! : 'mp4',
        ...(cls.saves.naming === 'vhs' && format ? { format } : {}),
      },
    ];
  }

  private renderSpec(s: SaveSpec): RenderSpec {
    const image = s.firstImage ? this.uploads.path(s.firstImage) : undefined;
    return {
      kind: 'generate',
      prompt: s.prompt,
      width: s.width,
      height: s.height,
      seconds: s.frames / s.fps,
      fps: s.fps,
      audio: false,
      ...(image ? { reference: { kind: 'image' as const, path: image } } : {}),
    };
  }

  /** The newest run of a prompt id that has not ended (running or pending), if any. */
  live(promptId: string): { data: RunData; view: JobView<RunState>; id: string } | undefined {
    this.advance();
    const runs = this.jobs.all().filter((j) => j.data.promptId === promptId && !j.data.removed && !j.data.sent.ended);
    const job = runs[runs.length - 1];
    return job ? { data: job.data, view: this.jobs.view(job), id: job.id } : undefined;
  }

  historyOf(promptId?: string, maxItems?: number): Record<string, HistoryEntry> {
    this.advance();
    if (promptId !== undefined) {
      const e = this.history.get(promptId);
      return e ? { [promptId]: structuredClone(e) } : {};
    }
    const all = [...this.history.entries()];
    return Object.fromEntries(maxItems !== undefined ? all.slice(Math.max(0, all.length - maxItems)) : all);
  }

  deleteHistory(ids: readonly string[] | 'all'): void {
    if (ids === 'all') this.history.clear();
    else for (const id of ids) this.history.delete(id);
  }

  /** `{queue_running, queue_pending}` as tuples [number, prompt_id, prompt, extra_data, outputs_to_execute]. */
  queue(): { queue_running: unknown[][]; queue_pending: unknown[][] } {
    this.advance();
    return this.current();
  }

  /** The queue as it stands, without advancing it (advancing sends events that report the queue). */
  private current(): { queue_running: unknown[][]; queue_pending: unknown[][] } {
    const running: unknown[][] = [];
    const pending: unknown[][] = [];
    for (const job of this.jobs.all()) {
      if (job.data.removed || job.data.sent.ended) continue;
      const phase = this.jobs.view(job).phase;
      const tuple = [job.data.number, job.data.promptId, job.data.prompt, job.data.extraData, job.data.outputs];
      if (phase === 'running') running.push(tuple);
      else if (phase === 'queued' || phase === 'throttled') pending.push(tuple);
    }
    return { queue_running: running, queue_pending: pending };
  }

  queueInfo(): { exec_info: { queue_remaining: number } } {
    const q = this.current();
    return { exec_info: { queue_remaining: q.queue_running.length + q.queue_pending.length } };
  }

  /** Removes pending prompts (`POST /queue {delete}`); a running one is not touched, as in ComfyUI. */
  deletePending(promptIds: readonly string[] | 'all'): void {
    this.advance();
    for (const job of this.jobs.all()) {
      const phase = this.jobs.view(job).phase;
      if (job.data.removed || (phase !== 'queued' && phase !== 'throttled')) continue;
      if (promptIds !== 'all' && !promptIds.includes(job.data.promptId)) continue;
      this.jobs.cancel(job.id);
      job.data.removed = true;
      job.data.sent.ended = true;
    }
    this.hub.send('status', { status: this.queueInfo() });
  }

  /** `POST /interrupt`: the running prompt (only if it has this id, when one is given). */
  interrupt(promptId?: string): boolean {
    this.advance();
    for (const job of this.jobs.all()) {
      if (job.data.removed || job.data.sent.ended || this.jobs.view(job).phase !== 'running') continue;
      if (promptId !== undefined && job.data.promptId !== promptId) return false;
      this.jobs.cancel(job.id);
      this.advance();
      return true;
    }
    return false;
  }

  /** The file a saved output names, for /view. */
  savedFile(subfolder: string, filename: string): RenderSpec | undefined {
    for (const job of this.jobs.all()) {
      for (const s of job.data.saves) if (s.file && s.file.subfolder === subfolder && s.file.filename === filename) return s.spec;
    }
    return undefined;
  }

  /** Brings every run up to the clock: events in order, history entries for runs that ended. */
  advance(): void {
    if (this.advancing) return;
    this.advancing = true;
    try {
      const now = this.clock();
      for (const job of this.jobs.all()) {
        if (job.data.sent.ended || job.data.removed) continue;
        this.advanceRun(job.data, this.jobs.view(job, now), job.runMs);
      }
    } finally {
      this.advancing = false;
    }
  }

  private advanceRun(run: RunData, view: JobView<RunState>, runMs: number): void {
    if (view.startedAtMs === null) {
      if (view.phase === 'canceled') run.sent.ended = true;
      return;
    }
    const now = this.clock();
    const sid = run.clientId;
    const message = (type: string, data: Record<string, unknown>, log = true) => {
      const body = { ...data, prompt_id: run.promptId, timestamp: now };
      if (log) run.messages.push([type, body]);
      this.hub.send(type, body, sid);
    };
    if (!run.sent.started) {
      run.sent.started = true;
      this.hub.send('status', { status: this.queueInfo() });
      message('execution_start', {});
      message('execution_cached', { nodes: run.cached });
      // A cached save node does not run: it reports the file it saved before (a new one if that run never saved it).
      for (const save of run.saves.filter((sv) => run.cached.includes(sv.node))) {
        save.file = this.cache.get(run.signatures.get(save.node)!) ?? this.nextFile(save);
        run.sent.executed.add(save.node);
        this.hub.send('executed', { node: save.node, display_node: save.node, output: this.uiOf(save), prompt_id: run.promptId }, sid);
      }
    }
    // How far the run got: all of it, the point where it failed or was interrupted, or now (a stuck run: its cap).
    const over = view.phase === 'failed' || view.phase === 'canceled';
    const reached =
      view.phase === 'succeeded'
        ? runMs
        : over
          ? (view.finishedAtMs ?? now) - view.startedAtMs
          : Math.min(now - view.startedAtMs, ((view.progress + 1) / 100) * runMs);
    // On failure or interruption the node running at that point is the one reported, and it does not finish.
    const lastEntered = run.plan.findLastIndex((st) => st.atMs <= reached);
    for (let i = Math.max(0, run.sent.step); i <= lastEntered; i++) {
      const step = run.plan[i]!;
      if (i > run.sent.step) {
        run.sent.step = i;
        run.sent.value = 0;
        this.hub.send('executing', { node: step.node, display_node: step.node, prompt_id: run.promptId }, sid);
      }
      if (step.steps) {
        const done = Math.min(step.steps, Math.floor(((reached - step.atMs) / step.ms) * step.steps));
        for (let v = run.sent.value + 1; v <= done; v++) {
          this.hub.send('progress', { value: v, max: step.steps, prompt_id: run.promptId, node: step.node }, sid);
        }
        run.sent.value = Math.max(run.sent.value, done);
      }
      const finished = view.phase === 'succeeded' || (!over && step.atMs + step.ms <= reached) || (over && i < lastEntered);
      if (!finished) break;
      const save = run.saves.find((sv) => sv.node === step.node);
      if (save && !run.sent.executed.has(step.node)) {
        run.sent.executed.add(step.node);
        save.file = this.nextFile(save);
        this.hub.send('executed', { node: step.node, display_node: step.node, output: this.uiOf(save), prompt_id: run.promptId }, sid);
      }
    }
    if (view.phase === 'running' || view.phase === 'queued' || view.phase === 'throttled') return;
    this.end(run, view, message);
  }

  private end(run: RunData, view: JobView<RunState>, message: (type: string, data: Record<string, unknown>) => void): void {
    run.sent.ended = true;
    const current = run.plan[Math.max(0, run.sent.step)];
    const finished = view.phase === 'succeeded' ? run.plan.length : Math.max(0, run.sent.step);
    const executed = [...run.cached, ...run.plan.slice(0, finished).map((st) => st.node)];
    this.cache = new Map(executed.map((id) => [run.signatures.get(id)!, run.saves.find((sv) => sv.node === id)?.file]));
    if (view.phase === 'succeeded') message('execution_success', {});
    else if (view.phase === 'canceled') {
      message('execution_interrupted', { node_id: current?.node ?? null, node_type: current?.classType ?? null, executed });
    } else {
      message('execution_error', {
        node_id: current?.node ?? null,
        node_type: current?.classType ?? null,
        executed,
        exception_message: run.failure?.message ?? 'error',
        exception_type: run.failure?.type ?? view.failureCode ?? 'Exception',
        traceback: [`  File "execution.py", line 1, in execute\n`],
        current_inputs: {},
        current_outputs: [],
      });
    }
    const outputs: HistoryEntry['outputs'] = {};
    const meta: HistoryEntry['meta'] = {};
    for (const s of run.saves) {
      if (!s.file) continue;
      outputs[s.node] = this.uiOf(s);
      meta[s.node] = { node_id: s.node, display_node: s.node, parent_node: null, real_node_id: s.node };
    }
    const ok = view.phase === 'succeeded';
    this.history.set(run.promptId, {
      prompt: [run.number, run.promptId, run.prompt, run.extraData, run.outputs],
      outputs,
      status: { status_str: ok ? 'success' : 'error', completed: ok, messages: run.messages },
      meta,
    });
    this.hub.send('status', { status: this.queueInfo() });
    this.hub.send('executing', { node: null, prompt_id: run.promptId }, run.clientId);
  }

  /** The next free name for a save node's prefix: `video/ComfyUI` → subfolder `video`, `ComfyUI_00001_.mp4`. */
  private nextFile(save: Output): SavedFile {
    const slash = save.prefix.lastIndexOf('/');
    const subfolder = slash >= 0 ? save.prefix.slice(0, slash) : '';
    const base = slash >= 0 ? save.prefix.slice(slash + 1) : save.prefix;
    const key = `${subfolder}/${base}`;
    const n = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, n);
    const counter = String(n).padStart(5, '0');
    return {
      filename: save.naming === 'vhs' ? `${base}_${counter}.${save.ext}` : `${base}_${counter}_.${save.ext}`,
      subfolder,
      type: 'output',
    };
  }

  /** The UI output of a save node as `executed` and the history list it. */
  private uiOf(save: Output): Record<string, unknown> {
    const file = save.file!;
    if (save.key === 'gifs') {
      return { gifs: [{ ...file, format: save.format ?? 'video/h264-mp4', frame_rate: (save.spec as { fps: number }).fps, workflow: '' }] };
    }
    return { images: [file], animated: [true] };
  }
}
