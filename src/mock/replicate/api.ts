/**
 * The predictions API: state (predictions on the kit's job store) and the handlers, each returning a reply or
 * throwing a ProblemError. Lifecycle from the clock on every read: `starting` (queued, or waiting for a slot), then
 * `processing` (tqdm-style progress lines in `logs`), then `succeeded` (an output URL on the mock's media host) or
 * `failed`; `canceled` by a cancel or, with `Cancel-After`, at the deadline (`aborted` when it never started). Inputs,
 * outputs and logs are removed `dataRetentionMs` after the prediction ended (`data_removed: true`, `output: null`).
 */
import { randomBytes } from 'node:crypto';
import {
  json,
  JobStore,
  outcomeOf,
  type HandlerResult,
  type Job,
  type JobPhase,
  type JobView,
  type MockKit,
  type MockRequest,
  type RenderSpec,
} from '../kit/index.js';
import { invalidVersion, predictionNotFound, ProblemError } from './errors.js';
import { FAILURE_ERRORS, type FailureCode } from './faults.js';
import type { MockModel, SizeRule } from './models.js';
import { parseCancelAfter, parseCreateInput, parsePreferWait, type DecodedImage } from './requests.js';
import type { ReplicateRoute } from './routes.js';
import { parseWebhookFields, WebhookSender, type WebhookAttempt, type WebhookRequest } from './webhooks.js';

export type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';

export interface Prediction {
  id: string;
  model: string;
  version: string;
  input: Record<string, unknown>;
  logs: string;
  output: string | string[] | null;
  data_removed: boolean;
  error: string | null;
  status: PredictionStatus;
  source: 'api';
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  deadline?: string;
  metrics: { predict_time?: number };
  urls: { get: string; cancel: string; web: string };
}

interface PredictionData {
  model: MockModel;
  /** Run by version (`POST /v1/predictions`): the version is shown; by name: "hidden". */
  byVersion: boolean;
  input: Record<string, unknown>;
  render: RenderSpec;
  deadlineMs: number | null;
  /** The output URL, published when the prediction is first seen succeeded. */
  outputUrl?: string;
  /** The create's webhook, and what of it was sent. */
  webhook?: WebhookRequest & { sentLogs: string; lastLogsAt: number; sentOutput: boolean; done: boolean };
}
type PredictionJob = Job<PredictionData>;

const STATES: Record<JobPhase, PredictionStatus> = {
  queued: 'starting',
  throttled: 'starting',
  running: 'processing',
  succeeded: 'succeeded',
  failed: 'failed',
  canceled: 'canceled',
};

export interface ApiSettings {
  models: readonly MockModel[];
  queuedMs: number;
  msPerVideoSecond: number;
  /** Inputs and outputs are removed this long after a prediction ends (Replicate: one hour). */
  dataRetentionMs: number;
  /** Predictions that run at once; more wait `starting`. */
  concurrency: number | undefined;
  pageSize: number;
  /** `desc` as documented; `asc` to prove a client does not rely on the order. */
  listOrder: 'asc' | 'desc';
  /** Ignore `created_after` / `created_before` (an older server). */
  ignoreListFilters: boolean;
  /** Hold a create with `Prefer: wait` until the prediction ends (up to its wait). False: answer at once. */
  honourPreferWait: boolean;
  prerender: boolean;
  /** The account's webhook signing secret (`whsec_…`). */
  webhookSecret: string;
  /** Waits before each retry of a `completed` webhook that was not taken. */
  webhookRetryDelaysMs: readonly number[];
}

/** How often predictions with a webhook are looked at for events to send. */
const WEBHOOK_TICK_MS = 50;
/** Replicate sends `logs` and `output` events at most this often. */
const WEBHOOK_THROTTLE_MS = 500;

export class PredictionsApi {
  readonly jobs: JobStore<PredictionData, PredictionStatus>;
  private closed = false;
  private readonly webhooks: WebhookSender;
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly s: ApiSettings,
    private readonly kit: MockKit,
  ) {
    this.jobs = new JobStore({ states: STATES, clock: kit.clock, newId, ...(s.concurrency ? { concurrency: s.concurrency } : {}) });
    this.webhooks = new WebhookSender({ secret: s.webhookSecret, retryDelaysMs: s.webhookRetryDelaysMs, timeoutMs: 10_000 });
  }

  reset(): void {
    this.jobs.clear();
    this.webhooks.reset();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.ticker);
    this.webhooks.close();
  }

  /** Every webhook POST made (oldest first), retries included. */
  webhookAttempts(): WebhookAttempt[] {
    return [...this.webhooks.attempts];
  }

  predictions(): Prediction[] {
    return this.jobs.all().map((j) => this.resource(j));
  }

  async handle(req: MockRequest<ReplicateRoute>): Promise<HandlerResult> {
    switch (req.route.kind) {
      case 'create_model':
      case 'create_version':
        return this.create(req);
      case 'list':
        return { reply: json(this.list(req.query)) };
      case 'get':
        return { reply: json(this.resource(this.mustGet(req.route.jobId!))) };
      case 'webhook_secret':
        return { reply: json({ key: this.s.webhookSecret }) };
      case 'cancel': {
        const job = this.mustGet(req.route.jobId!);
        this.jobs.cancel(job.id);
        return { reply: json(this.resource(job)) };
      }
    }
  }

  private findModel(req: MockRequest<ReplicateRoute>): { model: MockModel; byVersion: boolean } {
    if (req.route.kind === 'create_model') {
      const model = this.s.models.find((m) => m.name === req.route.model);
      if (!model) throw new ProblemError(404, 'Not found', `Model ${req.route.model} not found.`);
      if (!model.official)
        throw new ProblemError(404, 'Not found', `${model.name} is not an official model; run it by version with POST /v1/predictions.`);
      return { model, byVersion: false };
    }
    const version = req.body.fields.version;
    if (typeof version !== 'string' || !version) throw new ProblemError(422, 'Input validation failed', '- version: version is required\n');
    const id = version.includes(':') ? version.split(':')[1] : version;
    const model = this.s.models.find((m) => m.version === id && (!version.includes(':') || version.startsWith(`${m.name}:`)));
    if (!model) throw invalidVersion();
    return { model, byVersion: true };
  }

  private async create(req: MockRequest<ReplicateRoute>): Promise<HandlerResult> {
    const { model, byVersion } = this.findModel(req);
    const cmd = parseCreateInput(model, req.body.fields.input);
    const webhook = parseWebhookFields(req.body.fields);
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const cancelAfterMs = parseCancelAfter(header('cancel-after'));
    const wait = parsePreferWait(header('prefer'));
    const render = await this.renderSpec(model, cmd.effective, cmd.images);
    const now = this.kit.clock();
    const outcome = outcomeOf(req.fault);
    const job = this.jobs.add({
      data: {
        model,
        byVersion,
        input: cmd.input,
        render,
        deadlineMs: cancelAfterMs === undefined ? null : now + cancelAfterMs,
        ...(webhook ? { webhook: { ...webhook, sentLogs: '', lastLogsAt: 0, sentOutput: false, done: false } } : {}),
      },
      queuedMs: this.s.queuedMs,
      runMs: this.s.msPerVideoSecond * (render.kind === 'generate' ? render.seconds : 1),
      outcome,
      ...(cancelAfterMs !== undefined ? { cancelAtMs: now + cancelAfterMs } : {}),
    });
    if (this.s.prerender && outcome.kind === 'succeed') this.kit.renderer.prerender(render);
    if (webhook) {
      if (webhook.events.has('start')) this.webhooks.send(webhook.url, 'start', this.resource(job));
      this.ticker ??= setInterval(() => this.sendWebhookEvents(), WEBHOOK_TICK_MS).unref();
    }
    if (wait !== undefined && this.s.honourPreferWait) await this.waitForEnd(job, wait);
    return { reply: json(this.resource(job), 201), jobId: job.id };
  }

  /** Looks at every prediction with a webhook still to finish and sends the events it reached. */
  private sendWebhookEvents(): void {
    if (this.closed) return;
    const now = Date.now();
    for (const job of this.jobs.all()) {
      const hook = job.data.webhook;
      if (!hook || hook.done) continue;
      const p = this.resource(job);
      if (isTerminal(this.jobs.view(job).phase)) {
        hook.done = true;
        if (hook.events.has('completed')) this.webhooks.send(hook.url, 'completed', p);
        continue;
      }
      if (now - hook.lastLogsAt < WEBHOOK_THROTTLE_MS) continue;
      if (hook.events.has('output') && p.output !== null && !hook.sentOutput) {
        hook.sentOutput = true;
        hook.lastLogsAt = now;
        this.webhooks.send(hook.url, 'output', p);
      } else if (hook.events.has('logs') && p.logs !== hook.sentLogs) {
        hook.sentLogs = p.logs;
        hook.lastLogsAt = now;
        this.webhooks.send(hook.url, 'logs', p);
      }
    }
  }

  /** `Prefer: wait`: holds the answer until the prediction ends or `ms` pass (wall clock). */
  private async waitForEnd(job: PredictionJob, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.closed && Date.now() < until && !isTerminal(this.jobs.view(job).phase))
      await new Promise((r) => setTimeout(r, 25).unref());
  }

  private async renderSpec(model: MockModel, input: Record<string, unknown>, images: Record<string, DecodedImage>): Promise<RenderSpec> {
    const first = model.firstFrame ? images[model.firstFrame] : undefined;
    const size = pickSize(model.sizes, input, model.aspectFromImage && first ? first.info.width / first.info.height : undefined);
    const reference = first
      ? { kind: 'image' as const, path: await this.kit.renderer.storeFile(first.data, first.info.format) }
      : undefined;
    return {
      kind: 'generate',
      prompt: String(input.prompt ?? ''),
      width: size.width,
      height: size.height,
      seconds: model.seconds(input),
      fps: typeof model.fps === 'number' ? model.fps : model.fps(input),
      audio: typeof model.audio === 'boolean' ? model.audio : model.audio(input),
      ...(reference ? { reference } : {}),
    };
  }

  private mustGet(id: string): PredictionJob {
    const job = this.jobs.get(id);
    if (!job) throw predictionNotFound(id);
    return job;
  }

  /** The list, newest first (or `listOrder`), `pageSize` per page, `next` an absolute URL with a cursor. */
  private list(q: URLSearchParams): { previous: string | null; next: string | null; results: Prediction[] } {
    const after = this.s.ignoreListFilters ? NaN : Date.parse(q.get('created_after') ?? '');
    const before = this.s.ignoreListFilters ? NaN : Date.parse(q.get('created_before') ?? '');
    let jobs = this.jobs
      .all()
      .filter((j) => (Number.isNaN(after) || j.createdAtMs >= after) && (Number.isNaN(before) || j.createdAtMs < before));
    if (this.s.listOrder === 'desc') jobs.reverse();
    const cursor = q.get('cursor');
    if (cursor) {
      const seq = Number(Buffer.from(cursor, 'base64url').toString());
      if (!Number.isInteger(seq)) throw new ProblemError(400, 'Bad request', 'Invalid cursor.');
      jobs = jobs.filter((j) => (this.s.listOrder === 'desc' ? j.seq < seq : j.seq > seq));
    }
    const page = jobs.slice(0, this.s.pageSize);
    let next: string | null = null;
    if (jobs.length > this.s.pageSize) {
      const params = new URLSearchParams(q);
      params.set('cursor', Buffer.from(String(page[page.length - 1]!.seq)).toString('base64url'));
      next = `${this.kit.url}/v1/predictions?${params.toString()}`;
    }
    return { previous: null, next, results: page.map((j) => this.resource(j)) };
  }

  private resource(job: PredictionJob): Prediction {
    const now = this.kit.clock();
    const view = this.jobs.view(job, now);
    const d = job.data;
    const status = statusOf(job, view);
    const ended = view.finishedAtMs;
    const removed = ended !== null && now >= ended + this.s.dataRetentionMs;
    const url = `${this.kit.url}/v1/predictions/${job.id}`;
    let output: Prediction['output'] = null;
    if (status === 'succeeded' && !removed) {
      d.outputUrl ??= this.kit.media.publish(
        { spec: d.render },
        { filename: 'output.mp4', ttlMs: ended! + this.s.dataRetentionMs - now, jobId: job.id },
      ).url;
      output = d.model.output === 'list' ? [d.outputUrl] : d.outputUrl;
    }
    return {
      id: job.id,
      model: d.model.name,
      version: d.byVersion ? d.model.version : 'hidden',
      input: removed ? {} : d.input,
      logs: removed ? '' : logsFor(view),
      output,
      data_removed: removed,
      error: status === 'failed' ? (FAILURE_ERRORS[view.failureCode as FailureCode] ?? 'Prediction failed.') : null,
      status,
      source: 'api',
      created_at: iso(job.createdAtMs),
      started_at: view.startedAtMs === null ? null : iso(view.startedAtMs),
      completed_at: ended === null ? null : iso(ended),
      ...(d.deadlineMs !== null ? { deadline: iso(d.deadlineMs) } : {}),
      metrics: ended !== null && view.startedAtMs !== null ? { predict_time: (ended - view.startedAtMs) / 1000 } : {},
      urls: { get: url, cancel: `${url}/cancel`, web: `https://replicate.com/p/${job.id}` },
    };
  }
}

function statusOf(job: PredictionJob, view: JobView<PredictionStatus>): PredictionStatus {
  // A deadline that passed before the prediction started: aborted (not billed on public models), not canceled.
  if (view.phase === 'canceled' && view.startedAtMs === null && job.data.deadlineMs !== null && job.canceledAtMs === job.data.deadlineMs)
    return 'aborted';
  return view.state;
}

const isTerminal = (phase: JobPhase) => phase === 'succeeded' || phase === 'failed' || phase === 'canceled';

/** tqdm lines, one per 10 % reached, the way Replicate's models log progress. */
function logsFor(view: JobView<PredictionStatus>): string {
  if (view.startedAtMs === null) return '';
  const lines = ['Generating video...'];
  const top = view.phase === 'succeeded' ? 100 : view.progress;
  for (let p = 10; p <= top; p += 10)
    lines.push(`${String(p).padStart(3)}%|${'█'.repeat(p / 10).padEnd(10)}| ${p}/100 [00:0${p % 10}<00:00]`);
  return `${lines.join('\n')}\n`;
}

function pickSize(
  sizes: readonly SizeRule[],
  input: Record<string, unknown>,
  imageAspect: number | undefined,
): { width: number; height: number } {
  const matching = sizes.filter((r) => Object.entries(r.when).every(([k, v]) => input[k] === v));
  const pool = matching.length ? matching : sizes;
  if (imageAspect === undefined) return pool[0]!;
  return pool.reduce((best, r) =>
    Math.abs(r.width / r.height - imageAspect) < Math.abs(best.width / best.height - imageAspect) ? r : best,
  );
}

const iso = (ms: number) => new Date(ms).toISOString();

/** 26 lowercase base32 characters, like Replicate's prediction ids. */
function newId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(26)].map((b) => alphabet[b % 32]).join('');
}
