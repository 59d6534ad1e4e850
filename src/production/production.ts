/**
 * The state of one production run, as plain data and plain functions: no Temporal, no I/O, no clock of its own.
 * produceStoryboard (workflows/) is a shell around it: its handlers call these methods, it starts the children that
 * `startable()` hands out and tells the core how they ended, it makes the placeholders `placeholderFor()` asks for.
 *
 * What it owns:
 * - scheduling: a scene starts once, after every scene it depends on is ready (or skipped) with a clip, never above
 *   maxParallelScenes, never after an abort or once the budget is exhausted; a scene whose predecessor failed is
 *   blocked until the predecessor is retried;
 * - the budget ledger (ledger.ts);
 * - takes: operator retries and review rejections (takes.ts), rejected takes, the remix source;
 * - placeholders for skipped scenes; operator and reviewer decisions and their validation;
 * - progress, and the production's verdict when nothing more can run.
 *
 * `version` changes whenever anything the shell waits on changes (the shell's `condition` watches it).
 */
import type { ClipRecord } from '../contracts/clips.js';
import type { FailureDetails } from '../contracts/errors.js';
import type { ProductionPlan, ScenePlan } from '../storyboard/plan.js';
import { attemptsCostUsd, BudgetLedger, PRE_JOB_FAILURES } from './ledger.js';
import { sceneOrder, type SceneOrder } from './schedule.js';
import { keyAfterPredecessors, planTake, type TakeChange } from './takes.js';
import type {
  AttemptRecord,
  BudgetRequest,
  FailureReason,
  ProductionProgress,
  ProductionState,
  ReviewDecision,
  SceneDecision,
  SceneStatus,
  SceneUpdate,
} from './types.js';

export interface SceneEntry {
  /** The scene as it will be rendered now (operators and reviewers change prompt, provider, take). */
  plan: ScenePlan;
  status: SceneStatus;
  clip?: ClipRecord;
  remixOfJobId?: string;
}

/** A scene the shell should start now: one renderScene child. */
export interface Launch {
  sceneId: string;
  take: number;
  /** The child's key under the production: the scene id, or `<id>/take-<n>` from the second take on. */
  childKey: string;
  /** The scene plan to render (its cache key accounts for retried predecessors). */
  scene: ScenePlan;
  predecessor?: ClipRecord;
  remixOfJobId?: string;
}

/** What renderScene hands back for a finished take. */
export interface RenderedTake {
  clip: ClipRecord;
  cached: boolean;
  attempts: AttemptRecord[];
  costUsd: number;
  /** Who made the clip, when a routed scene's maker may differ from its plan (a failover, a fallback's cached clip). */
  provider?: string;
  model?: string;
}

/** What the shell should do when no child is running. */
export type NextStep =
  { kind: 'wait_children' } | { kind: 'again' } | { kind: 'stop' } | { kind: 'wait_operator'; waitS: number; message: string };

/** How the run ends when it does not assemble. */
export interface Verdict {
  final: 'failed' | 'budget_exhausted';
  reason: string;
  /** One line per scene that did not finish. */
  sceneLines: string[];
}

export interface ProductionOptions {
  /** The time now as ISO 8601 (the workflow's deterministic clock). */
  now: () => string;
  /** Scheduling order (a patched() decision of the shell: critical path for new runs). Default `plan`. */
  order?: SceneOrder;
  /** Release reservations whose submit failed before a job existed (a patched() decision of the shell). */
  releaseUnsubmitted?: boolean;
  /** A skipped scene's placeholder lets the scenes blocked behind it go on (a patched() decision of the shell). */
  unblockOnSkip?: boolean;
}

const DONE = new Set<SceneStatus['state']>(['ready', 'skipped']);
const UPDATABLE = new Set<SceneStatus['state']>(['planned', 'submitted', 'rendering', 'downloaded']);

export class Production {
  state: ProductionState = 'running';
  message: string | undefined;
  outputPath: string | undefined;
  assemblyFraction = 0;
  waitingUntil: string | undefined;
  aborted = false;
  /** Why no more scenes start in this run (its history is at its bound); the run ends once the scenes in flight do. */
  halted: string | undefined;
  readonly ledger: BudgetLedger;
  readonly startedAt: string;
  /** Changes whenever something the shell waits on changes. */
  version = 0;

  private readonly entries: Map<string, SceneEntry>;
  private readonly inFlight = new Set<string>();
  private readonly order: string[];
  private readonly now: () => string;
  private readonly releaseUnsubmitted: boolean;
  private readonly unblockOnSkip: boolean;

  constructor(
    readonly plan: ProductionPlan,
    options: ProductionOptions,
  ) {
    this.now = options.now;
    this.startedAt = options.now();
    this.releaseUnsubmitted = options.releaseUnsubmitted ?? false;
    this.unblockOnSkip = options.unblockOnSkip ?? false;
    this.ledger = new BudgetLedger(plan.budgetUsd);
    this.order = sceneOrder(plan.scenes, options.order ?? 'plan');
    this.entries = new Map(plan.scenes.map((s) => [s.id, { plan: s, status: initialStatus(s) }]));
  }

  get budgetExhausted(): boolean {
    return this.ledger.exhausted;
  }

  /** Scenes with a child running. */
  get running(): number {
    return this.inFlight.size;
  }

  /** Every scene, in storyboard order. */
  scenes(): SceneEntry[] {
    return [...this.entries.values()];
  }

  scene(id: string): SceneEntry | undefined {
    return this.entries.get(id);
  }

  spentUsd(): number {
    return this.ledger.spentUsd();
  }

  private bump(): void {
    this.version++;
  }

  // ── scheduling ────────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Marks scenes whose predecessor failed as blocked, then hands out the scenes that may start now, in scheduling
   * order, and counts them as running. The shell must start exactly these and report each one's end.
   */
  startable(): Launch[] {
    for (const e of this.entries.values()) {
      if (e.status.state !== 'planned' || this.inFlight.has(e.plan.id)) continue;
      const deps = e.plan.dependsOn.map((d) => this.entries.get(d)!.status.state);
      if (deps.some((d) => d === 'failed' || d === 'blocked')) {
        e.status.state = 'blocked';
        e.status.reason = { kind: 'dependency_failed', message: `waits on scene ${e.plan.dependsOn.join(', ')}, which failed` };
      }
    }
    const launches: Launch[] = [];
    for (const id of this.order) {
      const e = this.entries.get(id)!;
      if (e.status.state !== 'planned' || this.inFlight.has(id)) continue;
      if (this.budgetExhausted || this.aborted || this.halted || this.running >= this.plan.maxParallelScenes) continue;
      const ready = e.plan.dependsOn.every((d) => {
        const dep = this.entries.get(d)!;
        return DONE.has(dep.status.state) && dep.clip;
      });
      if (ready) launches.push(this.launch(e));
    }
    return launches;
  }

  /** Starts no more scenes in this run (`why` says so); the scenes in flight finish, then the run stops. */
  halt(why: string): void {
    if (this.halted) return;
    this.halted = why;
    this.bump();
  }

  private launch(e: SceneEntry): Launch {
    this.inFlight.add(e.plan.id);
    const s = e.status;
    s.startedAt = this.now();
    s.state = 'planned';
    const scene = this.effectivePlan(e);
    const predecessorId =
      scene.continuity.firstFrame?.kind === 'previous-last-frame' ? scene.continuity.firstFrame.sceneId : scene.continuity.extendsSceneId;
    const predecessor = predecessorId ? this.entries.get(predecessorId)?.clip : undefined;
    return {
      sceneId: e.plan.id,
      take: s.take,
      childKey: s.take > 1 ? `${e.plan.id}/take-${s.take}` : e.plan.id,
      scene,
      ...(predecessor ? { predecessor } : {}),
      ...(e.remixOfJobId ? { remixOfJobId: e.remixOfJobId } : {}),
    };
  }

  /** The scene's plan with a cache key that accounts for predecessors whose clip differs from the planned one. */
  private effectivePlan(e: SceneEntry): ScenePlan {
    const preds = e.plan.dependsOn.map((d) => this.entries.get(d)!);
    const changed = preds.filter((p) => p.clip && p.clip.cacheKey !== this.plan.scenes.find((s) => s.id === p.plan.id)!.cacheKey);
    if (!changed.length) return e.plan;
    return {
      ...e.plan,
      cacheKey: keyAfterPredecessors(
        e.plan,
        preds.map((p) => p.clip?.cacheKey),
      ),
    };
  }

  /** A take's child finished with a clip. Stale takes (an operator moved on) are ignored. */
  rendered(sceneId: string, take: number, r: RenderedTake): void {
    const e = this.entries.get(sceneId)!;
    const s = e.status;
    if (take !== s.take) return;
    e.clip = r.clip;
    s.state = e.plan.review ? 'awaiting_review' : 'ready';
    s.progress = 1;
    s.cached = r.cached;
    // The result is the take's last word on its jobs (the finished one's billed cost included): the ledger takes it.
    r.attempts.forEach((a, i) => this.ledger.recordAttempt(sceneId, take, a, i + 1, this.now()));
    s.attempts = r.attempts;
    s.costUsd = r.costUsd;
    if (r.provider) s.provider = r.provider;
    if (r.model) s.model = r.model;
    s.jobId = r.clip.jobId;
    s.clip = clipView(r.clip);
    s.finishedAt = this.now();
    this.ledger.settleReady(sceneId, take, r.clip.jobId);
  }

  /**
   * A take's child failed for good. `details` are the FailureDetails it attached (with its attempts), `message` the
   * failure's own text. A reservation that never got a job is released when the failure happened before one existed.
   */
  failed(sceneId: string, take: number, details: (FailureDetails & { attempts?: AttemptRecord[] }) | undefined, message: string): void {
    const e = this.entries.get(sceneId)!;
    const s = e.status;
    if (take !== s.take) return;
    const attempts = details?.attempts;
    if (attempts) {
      s.attempts = attempts;
      s.costUsd = attemptsCostUsd(attempts);
    }
    const { attempts: _a, ...reason } = (details ?? { kind: 'Error', message }) as FailureReason & { attempts?: unknown };
    s.state = 'failed';
    s.reason = { ...reason, message, ...(reason.provider ? {} : { provider: e.plan.provider }) };
    s.finishedAt = this.now();
    if (this.releaseUnsubmitted && PRE_JOB_FAILURES.has(reason.kind)) this.ledger.releaseUnsubmitted(sceneId, take);
  }

  /** A take's child closed (however it ended). */
  closed(sceneId: string): void {
    this.inFlight.delete(sceneId);
    this.bump();
  }

  // ── messages from the scenes ─────────────────────────────────────────────────────────────────────────────────

  /** A scene moved on (submitted, rendering, downloaded; a job's attempt record). Stale takes are ignored. */
  applyUpdate(u: SceneUpdate): void {
    const e = this.entries.get(u.sceneId);
    if (!e || u.take !== e.status.take || !UPDATABLE.has(e.status.state)) return;
    const s = e.status;
    s.state = u.state;
    if (u.progress !== undefined) s.progress = u.progress;
    if (u.jobId) s.jobId = u.jobId;
    if (u.attempt) {
      const i = s.attempts.findIndex((a) => a.jobId === u.attempt!.jobId);
      if (i >= 0) s.attempts[i] = u.attempt;
      else s.attempts.push(u.attempt);
      s.costUsd = attemptsCostUsd(s.attempts);
      this.ledger.recordAttempt(s.id, s.take, u.attempt, s.attempts.length, this.now());
    }
    this.bump();
  }

  /** May this job be paid for? Reserves it, or denies it (and the ledger closes). undefined: no such scene. */
  requestBudget(r: BudgetRequest): boolean | undefined {
    if (!this.entries.has(r.sceneId)) return undefined;
    const granted = this.ledger.request(r, this.now(), !this.aborted);
    this.bump();
    return granted;
  }

  // ── operator and reviewer decisions ──────────────────────────────────────────────────────────────────────────

  /** Throws an Error saying why the decision does not apply now (the Update is rejected; nothing changes). */
  validateDecision(d: SceneDecision): void {
    if (this.state !== 'running' && this.state !== 'waiting_for_operator') throw new Error(`the production is ${this.state}`);
    if (d.action === 'abort') return;
    const e = this.entries.get(d.sceneId);
    if (!e) throw new Error(`no scene "${d.sceneId}" in this production`);
    if (e.status.state !== 'failed')
      throw new Error(`scene ${d.sceneId} is ${e.status.state}; only a failed scene can be retried or skipped`);
    if (d.prompt !== undefined && !d.prompt.trim()) throw new Error('the edited prompt is empty');
    if (d.action === 'retry') this.validateSwitch(e, d);
  }

  /**
   * A retry on another provider or model must come re-planned (the workflow cannot read the catalog: the client
   * checks capabilities and price with it), must keep an extension on its source's provider, and must fit what is
   * left of the budget.
   */
  private validateSwitch(e: SceneEntry, d: SceneDecision): void {
    const provider = d.provider ?? e.plan.provider;
    const switching = provider !== e.plan.provider || (d.model !== undefined && d.model !== e.plan.model);
    if (!switching) return;
    const target = `${provider}${d.model ? `/${d.model}` : ''}`;
    const r = d.replanned;
    if (!r)
      throw new Error(
        `retrying scene ${e.plan.id} on ${target} needs the scene re-planned for it (capabilities, price); send it with storyreel scenes or the storyreel client, which re-plan it`,
      );
    if (r.provider !== provider || (d.model !== undefined && r.model !== d.model))
      throw new Error(`the re-planned scene is for ${r.provider}/${r.model}, not ${target}`);
    if (!Number.isFinite(r.estimatedCostUsd) || r.estimatedCostUsd < 0) throw new Error('the re-planned scene has no valid price');
    const extended = e.plan.continuity.extendsSceneId;
    const source = extended ? this.entries.get(extended)?.plan.provider : undefined;
    if (source && source !== r.provider)
      throw new Error(`scene ${e.plan.id} extends scene ${extended} on ${source}; an extension stays on that provider`);
    const left = this.ledger.remainingUsd();
    if (r.estimatedCostUsd > left + 1e-9)
      throw new Error(
        `scene ${e.plan.id} on ${r.provider}/${r.model} costs about $${r.estimatedCostUsd.toFixed(2)} a job; $${Math.max(0, left).toFixed(2)} of the $${this.plan.budgetUsd!.toFixed(2)} budget is left`,
      );
  }

  /** Applies a validated decision; returns the scene's status afterwards (the first scene's for an abort). */
  decide(d: SceneDecision): SceneStatus {
    if (d.action === 'abort') {
      this.aborted = true;
      this.message = 'aborted by an operator';
      this.bump();
      return this.scenes()[0]!.status;
    }
    const e = this.entries.get(d.sceneId)!;
    if (d.action === 'skip') {
      e.status.state = 'skipped';
      e.status.placeholder = d.placeholder ?? this.plan.placeholder;
      e.clip = undefined;
      // The scenes chained to it start from its placeholder (they are blocked again if another predecessor failed).
      if (this.unblockOnSkip)
        for (const dep of this.dependentsOf(e.plan.id)) if (dep.status.state === 'blocked') resetToPlanned(dep.status);
    } else {
      this.newTake(e, {
        ...(d.prompt ? { action: d.prompt } : {}),
        ...(d.replanned
          ? { provider: d.replanned.provider, model: d.replanned.model, replanned: d.replanned }
          : { ...(d.provider ? { provider: d.provider } : {}), ...(d.model ? { model: d.model } : {}) }),
      });
      for (const dep of this.dependentsOf(e.plan.id)) if (dep.status.state === 'blocked') resetToPlanned(dep.status);
    }
    this.bump();
    return e.status;
  }

  validateReview(r: ReviewDecision): void {
    const e = this.entries.get(r.sceneId);
    if (!e) throw new Error(`no scene "${r.sceneId}" in this production`);
    if (e.status.state !== 'awaiting_review') throw new Error(`scene ${r.sceneId} is ${e.status.state}, not awaiting review`);
    if (r.decision === 'reject' && !r.note?.trim()) throw new Error('a rejection needs a note saying what to change');
  }

  /** Approve keeps the take; reject records it and starts a new take (a remix of it where the provider can). */
  review(r: ReviewDecision): SceneStatus {
    const e = this.entries.get(r.sceneId)!;
    if (r.decision === 'approve') {
      e.status.state = 'ready';
      e.status.approvedTake = e.status.take;
    } else {
      const rejected = e.clip!;
      e.status.rejectedTakes.push({
        take: e.status.take,
        note: r.note ?? '',
        clip: { path: rejected.path, sha256: rejected.sha256, jobId: rejected.jobId },
      });
      const remixOf = e.plan.features.remix ? rejected.jobId : undefined;
      this.newTake(e, { note: r.note ?? 'another take' });
      if (remixOf) e.remixOfJobId = remixOf;
    }
    this.bump();
    return e.status;
  }

  private newTake(e: SceneEntry, change: TakeChange): void {
    const s = e.status;
    const take = s.take + 1;
    e.plan = planTake(e.plan, take, change);
    e.clip = undefined;
    e.remixOfJobId = undefined;
    s.take = take;
    s.prompt = e.plan.prompt;
    s.provider = e.plan.provider;
    s.model = e.plan.model;
    s.estimatedCostUsd = e.plan.estimatedCostUsd;
    resetToPlanned(s);
  }

  private dependentsOf(id: string): SceneEntry[] {
    const out: SceneEntry[] = [];
    for (const e of this.entries.values()) if (e.plan.dependsOn.includes(id)) out.push(e, ...this.dependentsOf(e.plan.id));
    return out;
  }

  // ── placeholders ─────────────────────────────────────────────────────────────────────────────────────────────

  /** What placeholder a skipped scene without a clip needs (undefined: none). */
  placeholderFor(sceneId: string): { scene: ScenePlan; kind: 'slate' | 'last-frame'; reason: string; still?: ClipRecord } | undefined {
    const e = this.entries.get(sceneId);
    if (!e || e.status.state !== 'skipped' || e.clip) return undefined;
    const previous = this.plan.scenes[e.plan.index - 1];
    const predecessor = previous ? this.entries.get(previous.id)?.clip : undefined;
    const kind = e.status.placeholder === 'last-frame' && predecessor ? 'last-frame' : 'slate';
    return {
      scene: e.plan,
      kind,
      reason: e.status.reason?.message ?? 'skipped',
      ...(kind === 'last-frame' && predecessor ? { still: predecessor } : {}),
    };
  }

  placeholderMade(sceneId: string, clip: ClipRecord): void {
    const e = this.entries.get(sceneId)!;
    e.clip = clip;
    e.status.clip = clipView(clip);
    e.status.finishedAt = this.now();
    this.bump();
  }

  // ── what next ────────────────────────────────────────────────────────────────────────────────────────────────

  /** After starting what can start: wait for children, stop, go round again, or wait for an operator. */
  next(): NextStep {
    if (this.running > 0) return { kind: 'wait_children' };
    if (this.aborted) return { kind: 'stop' };
    const all = this.scenes();
    if (all.every((e) => DONE.has(e.status.state) && e.clip)) return { kind: 'stop' };
    if (this.budgetExhausted || this.halted) return { kind: 'stop' };
    const failed = all.filter((e) => e.status.state === 'failed');
    const reviews = all.filter((e) => e.status.state === 'awaiting_review');
    if (!failed.length && !reviews.length) return all.some((e) => e.status.state === 'planned') ? { kind: 'again' } : { kind: 'stop' };
    const waitS = reviews.length ? this.plan.reviewWaitSeconds : this.plan.operatorWaitSeconds;
    if (waitS <= 0) return { kind: 'stop' };
    const id = this.plan.productionId;
    return {
      kind: 'wait_operator',
      waitS,
      message: failed.length
        ? `${failed.length} scene(s) failed; waiting up to ${waitS} s for retry/skip/abort: storyreel scenes ${id}`
        : `${reviews.length} scene(s) await review: storyreel review ${id} <scene> --approve | --reject "note"`,
    };
  }

  /** The production waits for a decision until `until` (ISO 8601). */
  waitForOperator(until: string, message: string): void {
    this.state = 'waiting_for_operator';
    this.waitingUntil = until;
    this.message = message;
  }

  /** The wait is over: a decision came, or none did within `waitS` (then the run stops). */
  operatorWaitOver(decided: boolean, waitS: number): void {
    this.waitingUntil = undefined;
    this.state = 'running';
    this.message = decided ? undefined : `no decision within ${waitS} s`;
  }

  /** Why the run cannot assemble, or undefined when every scene is ready or a placeholder. */
  verdict(): Verdict | undefined {
    const unfinished = this.scenes().filter((e) => e.status.state !== 'ready' && e.status.state !== 'skipped');
    if (!this.aborted && !this.budgetExhausted && !unfinished.length) return undefined;
    if (this.halted && !this.aborted && !this.budgetExhausted) {
      return {
        final: 'failed',
        reason: `${unfinished.length} of ${this.plan.scenes.length} scenes did not finish: ${this.halted}; every finished clip is kept. Resume to go on in a new run: storyreel resume ${this.plan.productionId}`,
        sceneLines: unfinished.map((e) => `  ${e.plan.id}: ${e.status.state === 'planned' ? 'not started' : e.status.state}`),
      };
    }
    const { plan } = this;
    const reason = this.aborted
      ? (this.message ?? 'aborted')
      : this.budgetExhausted
        ? `budget of $${plan.budgetUsd?.toFixed(2)} reached after $${this.spentUsd().toFixed(2)}; finished clips are kept. Resume with a higher cap: storyreel resume ${plan.productionId} --budget <usd>`
        : `${unfinished.length} of ${plan.scenes.length} scenes did not finish${this.message ? ` (${this.message})` : ''}; every finished clip is kept. Fix the cause, then resume: storyreel resume ${plan.productionId}`;
    return {
      final: this.budgetExhausted ? 'budget_exhausted' : 'failed',
      reason,
      sceneLines: unfinished.map((e) => `  ${e.plan.id}: ${e.status.state}${e.status.reason ? ` — ${e.status.reason.message}` : ''}`),
    };
  }

  /** The first scene that is not ready or skipped (a batch row names it). */
  firstUnfinished(): SceneEntry | undefined {
    return this.scenes().find((e) => !DONE.has(e.status.state));
  }

  countIn(state: SceneStatus['state']): number {
    return this.scenes().filter((e) => e.status.state === state).length;
  }

  /** The clip of every scene in storyboard order (only when verdict() is undefined). */
  clip(sceneId: string): ClipRecord {
    return this.entries.get(sceneId)!.clip!;
  }

  // ── progress ─────────────────────────────────────────────────────────────────────────────────────────────────

  progress(): ProductionProgress {
    const all = this.scenes();
    const weights = all.map(({ status: s }) => sceneWeight(s));
    const sceneShare = weights.reduce((a, b) => a + b, 0) / Math.max(1, weights.length);
    const { plan, state } = this;
    return {
      productionId: plan.productionId,
      title: plan.title,
      state,
      percent:
        state === 'completed' || state === 'completed_with_placeholders'
          ? 100
          : Math.round((sceneShare * 0.9 + this.assemblyFraction * 0.1) * 1000) / 10,
      scenes: all.map((e) => e.status),
      costUsd: this.spentUsd(),
      estimatedCostUsd: plan.totals.estimatedCostUsd,
      startedAt: this.startedAt,
      updatedAt: this.now(),
      ledger: this.ledger.lines,
      ...(plan.budgetUsd !== undefined ? { budgetUsd: plan.budgetUsd } : {}),
      ...(this.message ? { message: this.message } : {}),
      ...(this.outputPath ? { outputPath: this.outputPath } : {}),
      ...(this.waitingUntil
        ? {
            waitingUntil: this.waitingUntil,
            waitingFor: all.filter((e) => e.status.state === 'failed' || e.status.state === 'awaiting_review').map((e) => e.plan.id),
          }
        : {}),
    };
  }
}

function initialStatus(s: ScenePlan): SceneStatus {
  return {
    id: s.id,
    index: s.index,
    title: s.title,
    state: 'planned',
    take: 1,
    prompt: s.prompt,
    provider: s.provider,
    model: s.model,
    rejectedTakes: [],
    progress: 0,
    cached: false,
    attempts: [],
    estimatedCostUsd: s.estimatedCostUsd,
    costUsd: 0,
  };
}

function resetToPlanned(s: SceneStatus): void {
  s.state = 'planned';
  s.progress = 0;
  s.cached = false;
  delete s.reason;
  delete s.clip;
  delete s.finishedAt;
}

/** How far a scene is, 0..1, for the progress percentage. */
function sceneWeight(s: SceneStatus): number {
  if (DONE.has(s.state) || s.state === 'awaiting_review') return 1;
  if (s.state === 'downloaded') return 0.95;
  if (s.state === 'rendering') return 0.1 + 0.8 * s.progress;
  if (s.state === 'submitted') return 0.1;
  return 0;
}

const clipView = (c: ClipRecord): NonNullable<SceneStatus['clip']> => ({
  path: c.path,
  sha256: c.sha256,
  bytes: c.bytes,
  durationS: c.durationS,
  jobId: c.jobId,
  cacheKey: c.cacheKey,
});
