/**
 * Jobs of a provider mock and their lifecycle, computed from the clock on every read (no timers, so a fake clock
 * drives them exactly):
 *
 *   queued      from creation until `queuedMs` have passed (always at the creation instant, so a create answers
 *               queued even with zero timings)
 *   throttled   ready, but `concurrency` jobs are running: waits for a slot, first ready first served
 *   running     progress = ⌊100·(now − start)/runMs⌋, at most 99
 *   succeeded   at start + runMs (progress 100)
 *   failed      a `fail` outcome (the job_failed fault): as soon as progress reaches `atProgress`
 *   canceled    `cancel(id)` (or a deadline given at creation) before the job ended
 *
 * A `stuck` outcome (the job_stuck fault) stays running at min(progress, atProgress) forever and holds its slot.
 * The store is generic over the provider's state names (`states` maps each phase to one, e.g. fal's IN_QUEUE,
 * Replicate's starting) and over the data a provider keeps per job. Ids are the provider's (`newId`), or the
 * client's (ComfyUI's `prompt_id`): `add({id})` refuses a duplicate.
 */
import type { FaultAction } from './faults.js';

export type JobPhase = 'queued' | 'throttled' | 'running' | 'succeeded' | 'failed' | 'canceled';

export type JobOutcome = { kind: 'succeed' } | { kind: 'fail'; code: string; atProgress: number } | { kind: 'stuck'; atProgress: number };

/** The outcome a request's fault asks for: job_failed → fail (default at 0 %), job_stuck → stuck (default at 99 %). */
export function outcomeOf(fault: FaultAction | undefined): JobOutcome {
  if (fault?.type === 'job_failed') return { kind: 'fail', code: fault.code, atProgress: fault.atProgress ?? 0 };
  if (fault?.type === 'job_stuck') return { kind: 'stuck', atProgress: fault.atProgress ?? 99 };
  return { kind: 'succeed' };
}

export interface Job<D> {
  id: string;
  /** Creation order. */
  seq: number;
  createdAtMs: number;
  /** Time spent queued before it may start, ms. */
  queuedMs: number;
  /** Time from start to success, ms. */
  runMs: number;
  outcome: JobOutcome;
  /** When it was (or will be, for a deadline) canceled; null = never. */
  canceledAtMs: number | null;
  data: D;
}

export interface JobView<S extends string> {
  /** The provider's name for `phase`. */
  state: S;
  phase: JobPhase;
  /** Integer 0..100. */
  progress: number;
  /** Epoch ms it started running; null when it has not (yet). */
  startedAtMs: number | null;
  /** Epoch ms it succeeded, failed or was canceled; null while it is not over. */
  finishedAtMs: number | null;
  /** Waiting jobs ahead of it (0 = next), while queued or throttled; else null. */
  queuePosition: number | null;
  /** The failure code of a failed job. */
  failureCode: string | null;
}

export interface JobStoreOptions<S extends string> {
  /** The provider's state name for each phase. */
  states: Record<JobPhase, S>;
  /** Epoch ms. */
  clock: () => number;
  /** A fresh provider-style id. */
  newId: () => string;
  /** Jobs that may run at once (the account's concurrency); more wait `throttled`. Default unlimited. */
  concurrency?: number;
}

export interface NewJob<D> {
  data: D;
  queuedMs: number;
  runMs: number;
  /** Default: succeeds. */
  outcome?: JobOutcome;
  /** A client-chosen id; default `newId()`. */
  id?: string;
  /** A deadline: canceled at this epoch ms unless over by then. */
  cancelAtMs?: number;
}

export class DuplicateJobIdError extends Error {
  override readonly name = 'DuplicateJobIdError';
  constructor(readonly id: string) {
    super(`a job with id '${id}' already exists`);
  }
}

interface Slot {
  /** Epoch ms it starts running; null = canceled before it started. */
  startAtMs: number | null;
  /** Position in first-ready-first-served order. */
  order: number;
}

const TERMINAL: readonly JobPhase[] = ['succeeded', 'failed', 'canceled'];

export class JobStore<D, S extends string> {
  /** Every job since the last clear, deleted ones included (they keep their place in the schedule and as cursors). */
  private readonly jobs = new Map<string, Job<D> & { deleted: boolean }>();
  private nextSeq = 1;
  private schedule: Map<string, Slot> | undefined;

  constructor(private readonly opts: JobStoreOptions<S>) {}

  add(input: NewJob<D>): Job<D> {
    const id = input.id ?? this.opts.newId();
    if (this.jobs.has(id)) throw new DuplicateJobIdError(id);
    const job = {
      id,
      seq: this.nextSeq++,
      createdAtMs: this.opts.clock(),
      queuedMs: input.queuedMs,
      runMs: input.runMs,
      outcome: input.outcome ?? { kind: 'succeed' },
      canceledAtMs: input.cancelAtMs ?? null,
      data: input.data,
      deleted: false,
    };
    this.jobs.set(id, job);
    this.schedule = undefined;
    return job;
  }

  get(id: string): Job<D> | undefined {
    const job = this.jobs.get(id);
    return job && !job.deleted ? job : undefined;
  }

  /** Removes the job from reads; it keeps its place in the schedule and still works as a list cursor. */
  delete(id: string): void {
    const job = this.jobs.get(id);
    if (job) job.deleted = true;
  }

  /** Live jobs in creation order. */
  all(): Job<D>[] {
    return [...this.jobs.values()].filter((j) => !j.deleted).sort((a, b) => a.seq - b.seq);
  }

  clear(): void {
    this.jobs.clear();
    this.schedule = undefined;
  }

  /** Cancels a job that is not over at `atMs` (default now); false when it already ended (or does not exist). */
  cancel(id: string, atMs = this.opts.clock()): boolean {
    const job = this.get(id);
    if (!job || TERMINAL.includes(this.view(job, atMs).phase)) return false;
    job.canceledAtMs = atMs;
    this.schedule = undefined;
    return true;
  }

  view(job: Job<D>, nowMs = this.opts.clock()): JobView<S> {
    const cancelAt = job.canceledAtMs;
    if (cancelAt !== null && nowMs >= cancelAt) {
      const before = this.naturalView(job, cancelAt);
      if (!TERMINAL.includes(before.phase))
        return this.named({ ...before, phase: 'canceled', finishedAtMs: cancelAt, queuePosition: null });
    }
    return this.named(this.naturalView(job, nowMs));
  }

  /**
   * One page of live jobs in creation order (`asc`) or newest first (`desc`), after the job `after` (a live or
   * deleted id). Undefined when `after` names no job this store has seen.
   */
  page(q: { limit: number; order: 'asc' | 'desc'; after?: string | undefined }): { jobs: Job<D>[]; hasMore: boolean } | undefined {
    const ordered = this.all();
    if (q.order === 'desc') ordered.reverse();
    let rest = ordered;
    if (q.after !== undefined) {
      const cursor = this.jobs.get(q.after)?.seq;
      if (cursor === undefined) return undefined;
      rest = ordered.filter((j) => (q.order === 'asc' ? j.seq > cursor : j.seq < cursor));
    }
    return { jobs: rest.slice(0, q.limit), hasMore: rest.length > q.limit };
  }

  private named(v: Omit<JobView<S>, 'state'>): JobView<S> {
    return { state: this.opts.states[v.phase], ...v };
  }

  /** The job's view at `nowMs` ignoring a later cancellation. */
  private naturalView(job: Job<D>, nowMs: number): Omit<JobView<S>, 'state'> {
    const slot = this.slots().get(job.id);
    if (!slot) throw new Error(`job ${job.id} is not in this store (cleared?)`);
    const start = slot.startAtMs;
    if (nowMs <= job.createdAtMs || start === null || nowMs < start) {
      const phase = nowMs > job.createdAtMs && nowMs >= job.createdAtMs + job.queuedMs ? 'throttled' : 'queued';
      return {
        phase,
        progress: 0,
        startedAtMs: null,
        finishedAtMs: null,
        queuePosition: this.waitingAhead(slot, nowMs),
        failureCode: null,
      };
    }
    const linear = job.runMs <= 0 ? 100 : Math.min(100, Math.floor((100 * (nowMs - start)) / job.runMs));
    const o = job.outcome;
    const running = { phase: 'running' as const, startedAtMs: start, finishedAtMs: null, queuePosition: null, failureCode: null };
    if (o.kind === 'fail' && linear >= o.atProgress)
      return { ...running, phase: 'failed', progress: o.atProgress, finishedAtMs: endOf(job, start), failureCode: o.code };
    if (o.kind === 'stuck') return { ...running, progress: Math.min(linear, o.atProgress) };
    if (linear >= 100) return { ...running, phase: 'succeeded', progress: 100, finishedAtMs: start + job.runMs };
    return { ...running, progress: Math.min(linear, 99) };
  }

  private waitingAhead(slot: Slot, nowMs: number): number {
    let ahead = 0;
    for (const [id, other] of this.slots()) {
      if (other.order >= slot.order) continue;
      const job = this.jobs.get(id)!;
      const canceled = job.canceledAtMs !== null && nowMs >= job.canceledAtMs;
      if (!canceled && (other.startAtMs === null || nowMs < other.startAtMs || nowMs <= job.createdAtMs)) ahead++;
    }
    return ahead;
  }

  /**
   * When each job starts: first ready (created + queuedMs), first served, each on the slot that frees first. Only
   * creations and cancellations change it, and neither moves a start that is already in the past.
   */
  private slots(): Map<string, Slot> {
    if (this.schedule) return this.schedule;
    const byReady = [...this.jobs.values()].sort((a, b) => a.createdAtMs + a.queuedMs - (b.createdAtMs + b.queuedMs) || a.seq - b.seq);
    const limit = this.opts.concurrency ?? Infinity;
    const freeAt: number[] = []; // end times of the jobs holding a slot
    const schedule = new Map<string, Slot>();
    byReady.forEach((job, order) => {
      const ready = job.createdAtMs + job.queuedMs;
      let start = ready;
      let slot = -1;
      if (Number.isFinite(limit) && freeAt.length >= limit) {
        slot = freeAt.indexOf(Math.min(...freeAt));
        start = Math.max(ready, freeAt[slot]!);
      }
      if (job.canceledAtMs !== null && job.canceledAtMs <= start) {
        schedule.set(job.id, { startAtMs: null, order });
        return;
      }
      schedule.set(job.id, { startAtMs: start, order });
      if (!Number.isFinite(limit)) return;
      const end = Math.min(endOf(job, start), job.canceledAtMs ?? Infinity);
      if (slot === -1) freeAt.push(end);
      else freeAt[slot] = end;
    });
    this.schedule = schedule;
    return schedule;
  }
}

/** When a job started at `start` ends by itself (Infinity when stuck). */
function endOf(job: Job<unknown>, start: number): number {
  const o = job.outcome;
  if (o.kind === 'stuck') return Infinity;
  if (o.kind === 'fail') return start + (job.runMs * o.atProgress) / 100;
  return start + job.runMs;
}
