/**
 * Kling's video tasks: state (tasks on the kit's job store) and the handlers. Lifecycle from the clock on every read:
 * `submitted` (queued) → `processing` → `succeed` (a video URL on the mock's media host, valid `outputTtlMs`) or
 * `failed` (`task_status_msg` says why). Kling has no cancel. A task and its video are gone `retentionMs` after it
 * ended (Kling: "cleared after 30 days"): queries answer 1203, the URL 404.
 *
 * Creates are refused (not queued) with 1303 while `concurrency` tasks are submitted or processing, as Kling's
 * concurrency rules say; an `external_task_id` is unique per account (any kind) and a task can be queried by it.
 */
import { randomBytes } from 'node:crypto';
import {
  JobStore,
  outcomeOf,
  type HandlerResult,
  type Job,
  type JobPhase,
  type MockKit,
  type MockRequest,
  type RenderSpec,
} from '../kit/index.js';
import { invalidParam, KlingError, succeed, taskNotFound } from './errors.js';
import { FAILURE_REASONS, type FailureCode } from './faults.js';
import { nearestAspect, pixelSize, unitsFor, type Mode } from './models.js';
import { parseCreate, parsePage, type CreateCommand } from './requests.js';
import type { KlingRoute, TaskKind } from './routes.js';

export type TaskStatus = 'submitted' | 'processing' | 'succeed' | 'failed';

/** A task as Kling's query answers show it. */
export interface KlingTask {
  task_id: string;
  task_status: TaskStatus;
  task_status_msg: string;
  task_info: { external_task_id?: string };
  task_result?: { videos: { id: string; url: string; watermark_url?: string; duration: string }[] };
  watermark_info: { enabled: boolean };
  final_unit_deduction?: string;
  created_at: number;
  updated_at: number;
}

/** What a task was asked, beside its resource. */
export interface TaskRequestView {
  kind: TaskKind;
  model: string;
  prompt: string;
  mode: Mode;
  sound: boolean;
  /** Which images came with it: `image` (first frame) and `image_tail` (end frame). */
  frames: { first: boolean; last: boolean };
}

interface TaskData {
  kind: TaskKind;
  model: string;
  prompt: string;
  frames: { first: boolean; last: boolean };
  mode: Mode;
  seconds: number;
  sound: boolean;
  externalTaskId: string | undefined;
  watermark: boolean;
  render: RenderSpec;
  /** Published when the task is first seen succeeded (one URL per video, as Kling's). */
  video?: { id: string; url: string };
}
type TaskJob = Job<TaskData>;

const STATES: Record<JobPhase, TaskStatus> = {
  queued: 'submitted',
  throttled: 'submitted',
  running: 'processing',
  succeeded: 'succeed',
  failed: 'failed',
  canceled: 'failed',
};

export interface ApiSettings {
  queuedMs: number;
  msPerVideoSecond: number;
  /** Tasks submitted or processing at once; a create beyond is refused with 1303. */
  concurrency: number | undefined;
  /** How long a video URL answers after its task ended. */
  outputTtlMs: number;
  /** How long a task (and its video) exists after it ended. */
  retentionMs: number;
  /** A prompt containing one of these is refused at create with 1301. */
  blockedWords: readonly string[];
  /** A prompt containing one of these is accepted, and the task then fails the risk control. */
  riskWords: readonly string[];
  prerender: boolean;
}

export class TasksApi {
  readonly jobs: JobStore<TaskData, TaskStatus>;

  constructor(
    private readonly s: ApiSettings,
    private readonly kit: MockKit,
  ) {
    this.jobs = new JobStore({ states: STATES, clock: kit.clock, newId });
  }

  reset(): void {
    this.jobs.clear();
  }

  /** Every task as a query shows it, plus what it was asked (for tests and `GET /__mock/tasks`). */
  tasks(): (KlingTask & TaskRequestView)[] {
    return this.jobs.all().map((j) => {
      const d = j.data;
      return { ...this.resource(j), kind: d.kind, model: d.model, prompt: d.prompt, mode: d.mode, sound: d.sound, frames: d.frames };
    });
  }

  async handle(req: MockRequest<KlingRoute>): Promise<HandlerResult> {
    const { route } = req;
    switch (route.kind) {
      case 'create':
        return this.create(req);
      case 'query': {
        const job = this.find(route.task, route.id!);
        return { reply: succeed(this.resource(job)), jobId: job.id };
      }
      case 'list': {
        const { pageNum, pageSize } = parsePage(req.query);
        const all = this.live(route.task).reverse();
        return { reply: succeed(all.slice((pageNum - 1) * pageSize, pageNum * pageSize).map((j) => this.resource(j))) };
      }
    }
  }

  private async create(req: MockRequest<KlingRoute>): Promise<HandlerResult> {
    const cmd = await parseCreate(req.route.task, req.body.fields);
    const lower = cmd.prompt.toLowerCase();
    if (this.s.blockedWords.some((w) => lower.includes(w.toLowerCase())))
      throw new KlingError(1301, 'Trigger the content security policy of the platform: prompt');
    if (cmd.externalTaskId !== undefined && this.jobs.all().some((j) => j.data.externalTaskId === cmd.externalTaskId && this.alive(j)))
      throw invalidParam('external_task_id', `${cmd.externalTaskId} already exists`);
    if (this.s.concurrency !== undefined) {
      const running = this.jobs.all().filter((j) => !['succeeded', 'failed', 'canceled'].includes(this.jobs.view(j).phase)).length;
      if (running >= this.s.concurrency) throw new KlingError(1303);
    }
    const render = await this.renderSpec(cmd);
    const risky = this.s.riskWords.some((w) => lower.includes(w.toLowerCase()));
    const outcome = risky ? { kind: 'fail' as const, code: 'risk_control' satisfies FailureCode, atProgress: 0 } : outcomeOf(req.fault);
    const job = this.jobs.add({
      data: {
        kind: req.route.task,
        model: cmd.model.name,
        prompt: cmd.prompt,
        frames: { first: !!cmd.image, last: !!cmd.imageTail },
        mode: cmd.mode,
        seconds: cmd.seconds,
        sound: cmd.sound,
        externalTaskId: cmd.externalTaskId,
        watermark: cmd.watermark,
        render,
      },
      queuedMs: this.s.queuedMs,
      runMs: this.s.msPerVideoSecond * cmd.seconds,
      outcome,
    });
    if (this.s.prerender && outcome.kind === 'succeed') this.kit.renderer.prerender(render);
    const v = this.jobs.view(job);
    const data = {
      task_id: job.id,
      task_info: cmd.externalTaskId !== undefined ? { external_task_id: cmd.externalTaskId } : {},
      task_status: v.state,
      created_at: job.createdAtMs,
      updated_at: job.createdAtMs,
    };
    return { reply: succeed(data), jobId: job.id };
  }

  private async renderSpec(cmd: CreateCommand): Promise<RenderSpec> {
    const first = cmd.image ?? cmd.imageTail;
    const aspect = cmd.aspect ?? (first ? nearestAspect(first.info.width, first.info.height) : '16:9');
    const { width, height } = pixelSize(cmd.rule.resolution, aspect);
    const reference = cmd.image
      ? { kind: 'image' as const, path: await this.kit.renderer.storeFile(cmd.image.data, cmd.image.info.format) }
      : undefined;
    return {
      kind: 'generate',
      prompt: cmd.prompt,
      width,
      height,
      seconds: cmd.seconds,
      fps: cmd.model.fps,
      audio: cmd.sound,
      ...(reference ? { reference } : {}),
    };
  }

  /** Whether a task still exists (not past its retention). */
  private alive(job: TaskJob, now = this.kit.clock()): boolean {
    const ended = this.jobs.view(job, now).finishedAtMs;
    return ended === null || now < ended + this.s.retentionMs;
  }

  private live(kind: TaskKind): TaskJob[] {
    return this.jobs.all().filter((j) => j.data.kind === kind && this.alive(j));
  }

  /** A task of this kind by task_id, else by external_task_id. */
  private find(kind: TaskKind, id: string): TaskJob {
    const tasks = this.live(kind);
    const job = tasks.find((j) => j.id === id) ?? tasks.find((j) => j.data.externalTaskId === id);
    if (!job) throw taskNotFound(id);
    return job;
  }

  private resource(job: TaskJob): KlingTask {
    const now = this.kit.clock();
    const v = this.jobs.view(job, now);
    const d = job.data;
    const ended = v.finishedAtMs;
    let result: KlingTask['task_result'];
    if (v.state === 'succeed') {
      d.video ??= {
        id: newId(),
        url: this.kit.media.publish({ spec: d.render }, { filename: 'output.mp4', ttlMs: ended! + this.s.outputTtlMs - now, jobId: job.id })
          .url,
      };
      result = {
        videos: [{ id: d.video.id, url: d.video.url, ...(d.watermark ? { watermark_url: d.video.url } : {}), duration: String(d.seconds) }],
      };
    }
    const units = v.state === 'succeed' ? unitsFor(d.mode, d.seconds, d.sound) : v.state === 'failed' ? 0 : undefined;
    return {
      task_id: job.id,
      task_status: v.state,
      task_status_msg: v.state === 'failed' ? (FAILURE_REASONS[v.failureCode as FailureCode] ?? 'Task failed') : '',
      task_info: d.externalTaskId !== undefined ? { external_task_id: d.externalTaskId } : {},
      ...(result ? { task_result: result } : {}),
      watermark_info: { enabled: d.watermark },
      ...(units !== undefined ? { final_unit_deduction: String(units) } : {}),
      created_at: job.createdAtMs,
      updated_at: ended ?? v.startedAtMs ?? job.createdAtMs,
    };
  }
}

/** 18 digits, like Kling's task and video ids (`867283741759111202`). */
function newId(): string {
  const digits = [...randomBytes(18)].map((b) => String(b % 10)).join('');
  return `8${digits.slice(1)}`;
}
