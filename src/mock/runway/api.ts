/**
 * Runway's task API: state (tasks on the kit's job store, one store per model because limits are per model) and the
 * handlers, each returning a reply or throwing a MockHttpError. Everything follows the clock on every read:
 *
 *   PENDING     for `queuedMs` after the create
 *   THROTTLED   ready, but the tier's concurrency for the model is taken (stored, not yet enqueued)
 *   RUNNING     `progress` 0..1 over `msPerVideoSecond` × seconds
 *   SUCCEEDED   `output: [url]`: every read signs a fresh URL that expires after `outputUrlTtlMs`
 *   FAILED      `failure`, `failureCode` (a `job_failed` fault)
 *   CANCELLED   only with `deleteOnCancel: false`; by default a DELETE removes the task (a later GET is 404 [real])
 *
 * The account: a credit balance charged each task's estimate at creation (refunded when it fails, except for
 * SAFETY.INPUT.* failures, or is cancelled), the tier's daily generation limit per model (429 past it), and
 * `GET /v1/organization` reporting both.
 */
import { randomUUID } from 'node:crypto';
import {
  json,
  JobStore,
  outcomeOf,
  text,
  type HandlerResult,
  type Job,
  type JobPhase,
  type MockKit,
  type MockRequest,
  type RenderSpec,
} from '../kit/index.js';
import {
  dailyLimitReached,
  methodNotAllowed,
  notEnoughCredits,
  SUPPORTED_VERSIONS,
  taskNotFound,
  validationFailed,
  versionMissing,
  versionUnsupported,
} from './errors.js';
import { FAILURE_TEXTS, isChargedFailure, type FailureCode } from './faults.js';
import type { MockRunwayModel } from './models.js';
import { parseCreate, type CreateCommand } from './requests.js';
import type { RunwayRoute } from './routes.js';

export type TaskStatus = 'PENDING' | 'THROTTLED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

const STATES: Record<JobPhase, TaskStatus> = {
  queued: 'PENDING',
  throttled: 'THROTTLED',
  running: 'RUNNING',
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
  canceled: 'CANCELLED',
};

/** A task as `GET /v1/tasks/{id}` shows it. */
export interface Task {
  id: string;
  createdAt: string;
  status: TaskStatus;
  estimatedCost?: { credits: number };
  progress?: number;
  output?: string[];
  failure?: string;
  failureCode?: string;
  cost?: { credits: number };
}

/** One line of `GET /__mock/tasks`: what the mock knows about a task, deleted ones included. */
export interface TaskListing {
  id: string;
  model: string;
  endpoint: string;
  promptText: string;
  status: TaskStatus;
  deleted: boolean;
  credits: number;
  width: number;
  height: number;
  seconds: number;
  audio: boolean;
  firstFrame: boolean;
  lastFrame: boolean;
}

/** A tier's limits per model (docs.dev.runwayml.com/usage/tiers; the upper figure where a range is given). */
export interface Tier {
  concurrency: number;
  dailyGenerations: number;
  /** Credits (1 credit = $0.01) the organization may buy in 30 days. */
  maxMonthlyCreditSpend: number;
}

export const TIERS: Record<1 | 2 | 3 | 4 | 5, Tier> = {
  1: { concurrency: 2, dailyGenerations: 200, maxMonthlyCreditSpend: 10_000 },
  2: { concurrency: 3, dailyGenerations: 1_000, maxMonthlyCreditSpend: 50_000 },
  3: { concurrency: 5, dailyGenerations: 2_000, maxMonthlyCreditSpend: 200_000 },
  4: { concurrency: 10, dailyGenerations: 10_000, maxMonthlyCreditSpend: 2_000_000 },
  5: { concurrency: 20, dailyGenerations: 30_000, maxMonthlyCreditSpend: 10_000_000 },
};

export interface ApiSettings {
  models: readonly MockRunwayModel[];
  queuedMs: number;
  msPerVideoSecond: number;
  tier: Tier;
  /** The organization's credit balance at start (and after a reset). */
  credits: number;
  /** Lifetime of each signed output URL (Runway: 24–48 h). */
  outputUrlTtlMs: number;
  /** A task is gone (404) this long after it ended; null = kept. */
  taskRetentionMs: number | null;
  /** A DELETE removes the task (live behaviour); false keeps a cancelled task visible as CANCELLED. */
  deleteOnCancel: boolean;
  prerender: boolean;
}

interface TaskData {
  cmd: CreateCommand;
  render: RenderSpec;
}

interface TaskRecord {
  job: Job<TaskData>;
  store: JobStore<TaskData, TaskStatus>;
  /** Credits charged when it was deleted (its charge no longer follows the clock); undefined while it exists. */
  deletedCharge?: number;
}

const DAY_MS = 86_400_000;

export class TasksApi {
  private readonly stores = new Map<string, JobStore<TaskData, TaskStatus>>();
  private readonly tasks = new Map<string, TaskRecord>();
  /** Credits granted to the account: the starting balance, lowered by a quota fault to what was spent. */
  private granted: number;

  constructor(
    private readonly s: ApiSettings,
    private readonly kit: MockKit,
  ) {
    this.granted = s.credits;
  }

  reset(): void {
    this.stores.clear();
    this.tasks.clear();
    this.granted = this.s.credits;
  }

  /** The account runs out of credit (a `quota` fault): the balance becomes 0 and stays there until a reset. */
  drainCredits(): void {
    this.granted = this.spent();
  }

  creditBalance(): number {
    return this.granted - this.spent();
  }

  listing(): TaskListing[] {
    return [...this.tasks.values()].map((r) => {
      const { cmd } = r.job.data;
      return {
        id: r.job.id,
        model: cmd.model.id,
        endpoint: cmd.endpoint,
        promptText: cmd.promptText,
        status: r.store.view(r.job).state,
        deleted: r.deletedCharge !== undefined,
        credits: cmd.credits,
        width: cmd.width,
        height: cmd.height,
        seconds: cmd.seconds,
        audio: cmd.audio,
        firstFrame: !!cmd.firstFrame,
        lastFrame: cmd.lastFrames > 0,
      };
    });
  }

  async handle(req: MockRequest<RunwayRoute>): Promise<HandlerResult> {
    if (req.route.kind === 'method_not_allowed') throw methodNotAllowed(req.route.allow ?? '');
    checkVersion(req.headers['x-runway-version']);
    switch (req.route.kind) {
      case 'create':
        return this.create(req);
      case 'get_task':
        return { reply: json(this.resource(this.mustGet(req.route.jobId!))) };
      case 'delete_task':
        this.remove(this.mustGet(req.route.jobId!));
        return { reply: text('', 204) };
      case 'organization':
        return { reply: json(this.organization()) };
    }
  }

  private async create(req: MockRequest<RunwayRoute>): Promise<HandlerResult> {
    if (req.body.format !== 'json' || Array.isArray(req.body.fields))
      throw validationFailed([{ code: 'invalid_type', path: [], message: 'Invalid input: expected object' }]);
    const cmd = parseCreate(req.route.endpoint!, req.body.fields, this.s.models);
    const now = this.kit.clock();
    if (this.generationsToday(cmd.model.id, now) >= this.s.tier.dailyGenerations)
      throw dailyLimitReached(cmd.model.id, this.s.tier.dailyGenerations);
    if (this.creditBalance() < cmd.credits) throw notEnoughCredits();
    const render: RenderSpec = {
      kind: 'generate',
      prompt: cmd.promptText,
      width: cmd.width,
      height: cmd.height,
      seconds: cmd.seconds,
      fps: 24,
      audio: cmd.audio,
      ...(cmd.firstFrame
        ? {
            reference: { kind: 'image' as const, path: await this.kit.renderer.storeFile(cmd.firstFrame.data, cmd.firstFrame.info.format) },
          }
        : {}),
    };
    const store = this.storeFor(cmd.model.id);
    const outcome = outcomeOf(req.fault);
    const job = store.add({ data: { cmd, render }, queuedMs: this.s.queuedMs, runMs: this.s.msPerVideoSecond * cmd.seconds, outcome });
    this.tasks.set(job.id, { job, store });
    if (this.s.prerender && outcome.kind === 'succeed') this.kit.renderer.prerender(render);
    return { reply: json({ id: job.id, estimatedCost: { credits: cmd.credits } }), jobId: job.id };
  }

  private storeFor(model: string): JobStore<TaskData, TaskStatus> {
    let store = this.stores.get(model);
    if (!store) {
      store = new JobStore({ states: STATES, clock: this.kit.clock, newId: randomUUID, concurrency: this.s.tier.concurrency });
      this.stores.set(model, store);
    }
    return store;
  }

  private mustGet(id: string): TaskRecord {
    const r = this.tasks.get(id);
    if (!r || r.deletedCharge !== undefined) throw taskNotFound();
    const view = r.store.view(r.job);
    if (this.s.taskRetentionMs !== null && view.finishedAtMs !== null && this.kit.clock() >= view.finishedAtMs + this.s.taskRetentionMs)
      throw taskNotFound();
    return r;
  }

  /** DELETE: cancels a task that is not over and removes it (or, without deleteOnCancel, leaves it CANCELLED). */
  private remove(r: TaskRecord): void {
    const running = !isTerminal(r.store.view(r.job).phase);
    if (running) r.store.cancel(r.job.id);
    if (running && !this.s.deleteOnCancel) return;
    r.deletedCharge = this.charge(r);
    r.store.delete(r.job.id);
  }

  private organization() {
    const now = this.kit.clock();
    const ids = this.s.models.map((m) => m.id);
    return {
      creditBalance: this.creditBalance(),
      tier: {
        maxMonthlyCreditSpend: this.s.tier.maxMonthlyCreditSpend,
        models: Object.fromEntries(
          ids.map((id) => [id, { maxConcurrentGenerations: this.s.tier.concurrency, maxDailyGenerations: this.s.tier.dailyGenerations }]),
        ),
      },
      usage: { models: Object.fromEntries(ids.map((id) => [id, { dailyGenerations: this.generationsToday(id, now) }])) },
    };
  }

  private generationsToday(model: string, now: number): number {
    let n = 0;
    for (const r of this.tasks.values()) if (r.job.data.cmd.model.id === model && r.job.createdAtMs > now - DAY_MS) n++;
    return n;
  }

  private spent(): number {
    let total = 0;
    for (const r of this.tasks.values()) total += r.deletedCharge ?? this.charge(r);
    return total;
  }

  /** What a task costs the account now: its estimate while it may still run, its final cost once over. */
  private charge(r: TaskRecord): number {
    const view = r.store.view(r.job);
    const credits = r.job.data.cmd.credits;
    if (view.phase === 'canceled') return 0;
    if (view.phase === 'failed') return isChargedFailure(view.failureCode ?? '') ? credits : 0;
    return credits;
  }

  private resource(r: TaskRecord): Task {
    const { job } = r;
    const view = r.store.view(job);
    const base = { id: job.id, createdAt: new Date(job.createdAtMs).toISOString(), status: view.state };
    if (!isTerminal(view.phase)) {
      return {
        ...base,
        estimatedCost: { credits: job.data.cmd.credits },
        ...(view.phase === 'running' ? { progress: view.progress / 100 } : {}),
      };
    }
    const cost = { credits: this.charge(r) };
    if (view.phase === 'succeeded') {
      const url = this.kit.media.publish(
        { spec: job.data.render },
        { filename: 'video.mp4', ttlMs: this.s.outputUrlTtlMs, jobId: job.id },
      ).url;
      return { ...base, output: [url], cost };
    }
    if (view.phase === 'failed') {
      const code = view.failureCode ?? 'INTERNAL';
      return { ...base, failure: FAILURE_TEXTS[code as FailureCode] ?? 'The task failed.', failureCode: code, cost };
    }
    return { ...base, cost };
  }
}

const isTerminal = (phase: JobPhase) => phase === 'succeeded' || phase === 'failed' || phase === 'canceled';

function checkVersion(header: string | string[] | undefined): void {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) throw versionMissing();
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(value)) throw versionUnsupported(value);
}
