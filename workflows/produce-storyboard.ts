/**
 * produceStoryboard: the whole production.
 * - Starts a child renderScene per scene as soon as the scenes it continues from are ready (a chain runs in order;
 *   independent scenes and separate chains run in parallel), at most maxParallelScenes at once.
 * - A scene that fails for good does not stop the others. When nothing else can run, the production waits (up to
 *   plan.operatorWaitSeconds) for an operator: retry (optionally with an edited prompt or another provider/model),
 *   skip with a placeholder, or abort. Review-gated scenes wait for approve/reject.
 * - With a budget, every job is paid for only after the ledger says it fits; at the cap the production stops as
 *   budget_exhausted, and a resume with a higher cap goes on from the clip store.
 * - Then assembles, verifies, writes manifest.json and storyreel.lock.json. Never "completed" while a scene failed.
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, AssembleOutput } from '../activities/index.js';
import type { ClipRecord } from '../src/store/clip-store.js';
import { hashOf } from '../src/contracts/hash.js';
import type { ProductionPlan, ScenePlan } from '../src/storyboard/plan.js';
import {
  batchItemDoneSignal,
  budgetGrantSignal,
  budgetRequestSignal,
  decideSceneUpdate,
  progressQuery,
  reviewSceneUpdate,
  sceneUpdateSignal,
  type FailureReason,
  type LedgerEntry,
  type ProduceInput,
  type ProductionProgress,
  type ProductionResult,
  type ProductionState,
  type SceneStatus,
  type BatchRow,
} from './definitions.js';
import { buildLockfile, buildManifest } from './manifest.js';
import { failureDetails, renderScene, type SceneResult } from './render-scene.js';
import { assemblyQueue, SEARCH_ATTRIBUTES, sceneWorkflowId } from '../src/contracts/names.js';

/**
 * Patch: assembly and output writes go to the assembly queue, so a deployment can run them on hosts of their own
 * (worker roles, issue 15 item 3). Decided when first needed, so a production that started before the deploy and
 * has not assembled yet moves too; one that already wrote its outputs replays them on the main queue.
 */
const ASSEMBLY_QUEUE = 'assembly-queue';

interface Entry {
  /** The scene as it will be rendered now (operators and reviewers change prompt, provider, take). */
  plan: ScenePlan;
  status: SceneStatus;
  clip?: ClipRecord;
  remixOfJobId?: string;
}

const DONE = new Set(['ready', 'skipped']);
const STATE_KEY = SEARCH_ATTRIBUTES.state;

export async function produceStoryboard(input: ProduceInput): Promise<ProductionResult> {
  const info = workflowInfo();
  const plan = await resolvePlan(input);
  const heartbeatTimeout = `${input.timeouts?.heartbeatS ?? 30}s`;
  // Assembly re-encodes audio (and video when needed): minutes for long productions; heartbeats carry progress.
  const media = proxyActivities<Activities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout,
    retry: { initialInterval: '5s', maximumAttempts: 3 },
  });
  // Small writes and renders on this worker's disk.
  const local = proxyActivities<Activities>({ startToCloseTimeout: '5 minutes', retry: { maximumAttempts: 5 } });
  // The same, on the assembly queue (the assembling host writes the outputs it publishes).
  const onAssemblyQueue = { taskQueue: assemblyQueue(info.taskQueue) };
  const assembly = {
    media: proxyActivities<Activities>({
      ...onAssemblyQueue,
      startToCloseTimeout: '2 hours',
      heartbeatTimeout,
      retry: { initialInterval: '5s', maximumAttempts: 3 },
    }),
    writes: proxyActivities<Activities>({ ...onAssemblyQueue, startToCloseTimeout: '5 minutes', retry: { maximumAttempts: 5 } }),
  };
  const outputs = () => (patched(ASSEMBLY_QUEUE) ? assembly : { media, writes: local });

  const startedAt = new Date().toISOString();
  let state: ProductionState = 'running';
  let message: string | undefined;
  let outputPath: string | undefined;
  let assemblyFraction = 0;
  let waitingUntil: string | undefined;
  let aborted = false;
  let budgetExhausted = false;
  /** Scenes with a child workflow running; `running` is its size. */
  const inFlight = new Set<string>();
  let running = 0;
  let version = 0;
  const bump = () => void version++;
  const ledger: LedgerEntry[] = [];
  const entries = new Map<string, Entry>(
    plan.scenes.map((s) => [
      s.id,
      {
        plan: s,
        status: {
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
        },
      },
    ]),
  );
  const list = () => [...entries.values()];
  const now = () => new Date().toISOString();

  const spentUsd = () => round4(ledger.filter((l) => l.outcome !== 'denied').reduce((t, l) => t + (l.actualUsd ?? l.estimatedUsd), 0));
  const progress = (): ProductionProgress => {
    const weights = list().map(({ status: s }) =>
      DONE.has(s.state) || s.state === 'awaiting_review'
        ? 1
        : s.state === 'downloaded'
          ? 0.95
          : s.state === 'rendering'
            ? 0.1 + 0.8 * s.progress
            : s.state === 'submitted'
              ? 0.1
              : 0,
    );
    const sceneShare = weights.reduce((a, b) => a + b, 0) / Math.max(1, weights.length);
    return {
      productionId: plan.productionId,
      title: plan.title,
      state,
      percent:
        state === 'completed' || state === 'completed_with_placeholders'
          ? 100
          : Math.round((sceneShare * 0.9 + assemblyFraction * 0.1) * 1000) / 10,
      scenes: list().map((e) => e.status),
      costUsd: spentUsd(),
      estimatedCostUsd: plan.totals.estimatedCostUsd,
      startedAt,
      updatedAt: now(),
      ledger,
      ...(plan.budgetUsd !== undefined ? { budgetUsd: plan.budgetUsd } : {}),
      ...(message ? { message } : {}),
      ...(outputPath ? { outputPath } : {}),
      ...(waitingUntil
        ? {
            waitingUntil,
            waitingFor: list()
              .filter((e) => e.status.state === 'failed' || e.status.state === 'awaiting_review')
              .map((e) => e.plan.id),
          }
        : {}),
    };
  };

  setHandler(progressQuery, progress);

  setHandler(sceneUpdateSignal, (u) => {
    const e = entries.get(u.sceneId);
    if (!e || u.take !== e.status.take || !['planned', 'submitted', 'rendering', 'downloaded'].includes(e.status.state)) return;
    const s = e.status;
    s.state = u.state;
    if (u.progress !== undefined) s.progress = u.progress;
    if (u.jobId) s.jobId = u.jobId;
    if (u.attempt) {
      const i = s.attempts.findIndex((a) => a.jobId === u.attempt!.jobId);
      if (i >= 0) s.attempts[i] = u.attempt;
      else s.attempts.push(u.attempt);
      s.costUsd = round4(s.attempts.reduce((t, a) => t + a.estimatedCostUsd, 0));
      const line = ledger.find(
        (l) => l.sceneId === s.id && l.take === s.take && (l.jobId === u.attempt!.jobId || (!l.jobId && l.outcome === 'reserved')),
      );
      if (line) {
        line.jobId = u.attempt.jobId;
        line.outcome = u.attempt.outcome;
      } else if (plan.budgetUsd === undefined) {
        ledger.push({
          sceneId: s.id,
          take: s.take,
          jobAttempt: s.attempts.length,
          jobId: u.attempt.jobId,
          estimatedUsd: u.attempt.estimatedCostUsd,
          outcome: u.attempt.outcome,
          at: now(),
        });
      }
    }
    bump();
  });

  setHandler(budgetRequestSignal, async (r) => {
    const e = entries.get(r.sceneId);
    if (!e) return;
    const fits = !budgetExhausted && !aborted && spentUsd() + r.estimatedUsd <= (plan.budgetUsd ?? Infinity) + 1e-9;
    ledger.push({
      sceneId: r.sceneId,
      take: r.take,
      jobAttempt: r.jobAttempt,
      estimatedUsd: r.estimatedUsd,
      outcome: fits ? 'reserved' : 'denied',
      at: now(),
    });
    if (!fits) budgetExhausted = true;
    bump();
    await getExternalWorkflowHandle(childId(e)).signal(budgetGrantSignal, { take: r.take, jobAttempt: r.jobAttempt, granted: fits });
  });

  setHandler(
    decideSceneUpdate,
    (d) => {
      if (d.action === 'abort') {
        aborted = true;
        message = 'aborted by an operator';
        bump();
        return list()[0]!.status;
      }
      const e = entries.get(d.sceneId)!;
      if (d.action === 'skip') {
        e.status.state = 'skipped';
        e.status.placeholder = d.placeholder ?? plan.placeholder;
        e.clip = undefined;
      } else {
        newTake(e, {
          ...(d.prompt ? { action: d.prompt } : {}),
          ...(d.provider ? { provider: d.provider } : {}),
          ...(d.model ? { model: d.model } : {}),
        });
        for (const dep of dependentsOf(e.plan.id)) if (dep.status.state === 'blocked') resetToPlanned(dep);
      }
      bump();
      return e.status;
    },
    {
      validator: (d) => {
        if (state !== 'running' && state !== 'waiting_for_operator') throw new Error(`the production is ${state}`);
        if (d.action === 'abort') return;
        const e = entries.get(d.sceneId);
        if (!e) throw new Error(`no scene "${d.sceneId}" in this production`);
        if (e.status.state !== 'failed')
          throw new Error(`scene ${d.sceneId} is ${e.status.state}; only a failed scene can be retried or skipped`);
        if (d.prompt !== undefined && !d.prompt.trim()) throw new Error('the edited prompt is empty');
      },
    },
  );

  setHandler(
    reviewSceneUpdate,
    (r) => {
      const e = entries.get(r.sceneId)!;
      if (r.decision === 'approve') {
        e.status.state = 'ready';
      } else {
        const rejected = e.clip!;
        e.status.rejectedTakes.push({
          take: e.status.take,
          note: r.note ?? '',
          clip: { path: rejected.path, sha256: rejected.sha256, jobId: rejected.jobId },
        });
        const remixOf = e.plan.features.remix ? rejected.jobId : undefined;
        newTake(e, { note: r.note ?? 'another take' });
        if (remixOf) e.remixOfJobId = remixOf;
      }
      bump();
      return e.status;
    },
    {
      validator: (r) => {
        const e = entries.get(r.sceneId);
        if (!e) throw new Error(`no scene "${r.sceneId}" in this production`);
        if (e.status.state !== 'awaiting_review') throw new Error(`scene ${r.sceneId} is ${e.status.state}, not awaiting review`);
        if (r.decision === 'reject' && !r.note?.trim()) throw new Error('a rejection needs a note saying what to change');
      },
    },
  );

  /** A new take: new prompt/provider/model, a cache key of its own, back to planned. */
  function newTake(e: Entry, change: { action?: string; provider?: string; model?: string; note?: string }): void {
    const s = e.status;
    const p = e.plan;
    const action = change.action ? sentence(change.action) : p.actionText;
    let prompt = change.action ? action + p.prompt.slice(p.actionText.length) : p.prompt;
    if (change.note) prompt = `${prompt} Revision: ${sentence(change.note)}`;
    const take = s.take + 1;
    e.plan = {
      ...p,
      prompt,
      actionText: action,
      provider: change.provider ?? p.provider,
      model: change.model ?? p.model,
      cacheKey: hashOf({ retakeOf: p.cacheKey, take, prompt, provider: change.provider ?? p.provider, model: change.model ?? p.model }),
    };
    e.clip = undefined;
    e.remixOfJobId = undefined;
    s.take = take;
    s.prompt = prompt;
    s.provider = e.plan.provider;
    s.model = e.plan.model;
    resetToPlanned(e);
  }

  function resetToPlanned(e: Entry): void {
    const s = e.status;
    s.state = 'planned';
    s.progress = 0;
    s.cached = false;
    delete s.reason;
    delete s.clip;
    delete s.finishedAt;
  }

  function dependentsOf(id: string): Entry[] {
    const out: Entry[] = [];
    for (const e of list()) if (e.plan.dependsOn.includes(id)) out.push(e, ...dependentsOf(e.plan.id));
    return out;
  }

  function childId(e: Entry): string {
    return sceneWorkflowId(info.workflowId, e.status.take > 1 ? `${e.plan.id}/take-${e.status.take}` : e.plan.id);
  }

  /** The scene's cache key given what its predecessors really are (a retried predecessor changes it). */
  function effectivePlan(e: Entry): ScenePlan {
    const preds = e.plan.dependsOn.map((d) => entries.get(d)!);
    const changed = preds.filter((p) => p.clip && p.clip.cacheKey !== plan.scenes.find((s) => s.id === p.plan.id)!.cacheKey);
    if (!changed.length) return e.plan;
    return { ...e.plan, cacheKey: hashOf({ planned: e.plan.cacheKey, after: preds.map((p) => p.clip?.cacheKey) }) };
  }

  function launch(e: Entry): void {
    running++;
    inFlight.add(e.plan.id);
    const s = e.status;
    s.startedAt = now();
    s.state = 'planned';
    const scenePlan = effectivePlan(e);
    const predecessorId =
      scenePlan.continuity.firstFrame?.kind === 'previous-last-frame'
        ? scenePlan.continuity.firstFrame.sceneId
        : scenePlan.continuity.extendsSceneId;
    const predecessor = predecessorId ? entries.get(predecessorId)?.clip : undefined;
    const take = s.take;
    executeChild(renderScene, {
      workflowId: childId(e),
      args: [
        {
          productionId: plan.productionId,
          scene: scenePlan,
          take,
          ...(predecessor ? { predecessor } : {}),
          ...(input.timeouts ? { timeouts: input.timeouts } : {}),
          ...(e.remixOfJobId ? { remixOfJobId: e.remixOfJobId } : {}),
          ...(plan.budgetUsd !== undefined ? { budgeted: true } : {}),
        },
      ],
    })
      .then((r: SceneResult) => {
        if (take !== s.take) return;
        e.clip = r.clip;
        s.state = e.plan.review ? 'awaiting_review' : 'ready';
        s.progress = 1;
        s.cached = r.cached;
        s.attempts = r.attempts;
        s.costUsd = r.costUsd;
        s.jobId = r.clip.jobId;
        s.clip = { path: r.clip.path, sha256: r.clip.sha256, bytes: r.clip.bytes, durationS: r.clip.durationS, jobId: r.clip.jobId };
        s.finishedAt = now();
        for (const l of ledger) if (l.sceneId === s.id && l.take === take && l.jobId === r.clip.jobId) l.outcome = 'ready';
      })
      .catch((err: unknown) => {
        if (take !== s.take || isCancellation(err)) return;
        const d = failureDetails(err);
        const attempts = (d as { attempts?: SceneStatus['attempts'] } | undefined)?.attempts;
        if (attempts) {
          s.attempts = attempts;
          s.costUsd = round4(attempts.reduce((t, a) => t + a.estimatedCostUsd, 0));
        }
        const text = applicationMessage(err) ?? (err as Error).message;
        const { attempts: _a, ...reason } = (d ?? { kind: 'Error', message: text }) as FailureReason & { attempts?: unknown };
        s.state = 'failed';
        s.reason = { ...reason, message: text, ...(reason.provider ? {} : { provider: e.plan.provider }) };
        s.finishedAt = now();
      })
      .finally(() => {
        running--;
        inFlight.delete(e.plan.id);
        bump();
      });
  }

  /** Starts what can start; marks scenes whose predecessor failed as blocked. */
  function schedule(): void {
    for (const e of list()) {
      if (e.status.state !== 'planned' || inFlight.has(e.plan.id)) continue;
      const deps = e.plan.dependsOn.map((d) => entries.get(d)!.status.state);
      if (deps.some((d) => d === 'failed' || d === 'blocked')) {
        e.status.state = 'blocked';
        e.status.reason = { kind: 'dependency_failed', message: `waits on scene ${e.plan.dependsOn.join(', ')}, which failed` };
        continue;
      }
      if (budgetExhausted || aborted || running >= plan.maxParallelScenes) continue;
      if (deps.every((d) => DONE.has(d)) && e.plan.dependsOn.every((d) => entries.get(d)!.clip)) launch(e);
    }
  }

  async function placeholders(): Promise<void> {
    for (const e of list()) {
      if (e.status.state !== 'skipped' || e.clip) continue;
      const predecessor = plan.scenes[e.plan.index - 1] ? entries.get(plan.scenes[e.plan.index - 1]!.id)?.clip : undefined;
      const kind = e.status.placeholder === 'last-frame' && predecessor ? 'last-frame' : 'slate';
      const clip = await local.makePlaceholder({
        productionId: plan.productionId,
        scene: e.plan,
        kind,
        reason: e.status.reason?.message ?? 'skipped',
        ...(kind === 'last-frame' && predecessor ? { still: predecessor } : {}),
      });
      e.clip = clip;
      e.status.clip = { path: clip.path, sha256: clip.sha256, bytes: clip.bytes, durationS: clip.durationS, jobId: clip.jobId };
      e.status.finishedAt = now();
      bump();
    }
  }

  const finish = async (final: ProductionState, why: string, assembled?: AssembleOutput, stage?: BatchRow['stage']) => {
    const failedIn = state === 'assembling' ? 'assemble' : undefined;
    state = final;
    message = why;
    waitingUntil = undefined;
    setStateAttribute(final);
    const manifest = buildManifest(plan, progress(), assembled);
    return CancellationScope.nonCancellable(async () => {
      const { writes } = outputs();
      const productionId = plan.productionId;
      const manifestPath = await writes.writeManifest({ outDir: input.outDir, manifest, productionId });
      const lockfilePath = await writes.writeLockfile({
        outDir: input.outDir,
        lock: buildLockfile(plan, progress(), info.runId),
        productionId,
      });
      if (input.batch) {
        const firstBad = list().find((e) => !DONE.has(e.status.state));
        await getExternalWorkflowHandle(input.batch.workflowId).signal(batchItemDoneSignal, {
          key: input.batch.itemKey,
          productionId: plan.productionId,
          state: final,
          ...(final === 'completed' || final === 'completed_with_placeholders'
            ? {}
            : { stage: stage ?? failedIn ?? (final === 'budget_exhausted' ? 'budget' : 'render') }),
          ...(firstBad && final !== 'completed' ? { sceneId: firstBad.plan.id } : {}),
          ...(final !== 'completed' ? { reason: (firstBad?.status.reason?.message ?? why).slice(0, 500) } : {}),
          ...(assembled ? { outputPath: assembled.path } : {}),
          costUsd: spentUsd(),
          scenes: { ready: list().filter((e) => e.status.state === 'ready').length, total: plan.scenes.length },
        });
      }
      return { manifestPath, lockfilePath };
    });
  };

  /** Keeps the StoryreelState search attribute current when the production was started with storyreel's attributes. */
  function setStateAttribute(s: ProductionState): void {
    if (workflowInfo().typedSearchAttributes.get(STATE_KEY) === undefined) return;
    upsertSearchAttributes([{ key: STATE_KEY, value: s }]);
  }

  try {
    for (;;) {
      schedule();
      await placeholders();
      if (running > 0) {
        const seen = version;
        await condition(() => version !== seen);
        continue;
      }
      if (aborted) break;
      if (list().every((e) => DONE.has(e.status.state) && e.clip)) break;
      if (budgetExhausted) break;
      const failed = list().filter((e) => e.status.state === 'failed');
      const reviews = list().filter((e) => e.status.state === 'awaiting_review');
      const waitS = reviews.length ? plan.reviewWaitSeconds : plan.operatorWaitSeconds;
      if (!failed.length && !reviews.length) {
        if (list().some((e) => e.status.state === 'planned')) {
          // Something can start (a decision arrived); go round again.
          continue;
        }
        break;
      }
      if (waitS <= 0) break;
      state = 'waiting_for_operator';
      setStateAttribute(state);
      waitingUntil = new Date(Date.now() + waitS * 1000).toISOString();
      message = failed.length
        ? `${failed.length} scene(s) failed; waiting up to ${waitS} s for retry/skip/abort: storyreel scenes ${plan.productionId}`
        : `${reviews.length} scene(s) await review: storyreel review ${plan.productionId} <scene> --approve | --reject "note"`;
      const seen = version;
      const decided = await condition(() => version !== seen, waitS * 1000);
      waitingUntil = undefined;
      state = 'running';
      setStateAttribute(state);
      message = undefined;
      if (!decided) {
        message = `no decision within ${waitS} s`;
        break;
      }
    }

    const failedScenes = list().filter((e) => e.status.state !== 'ready' && e.status.state !== 'skipped');
    if (aborted || budgetExhausted || failedScenes.length) {
      const final: ProductionState = budgetExhausted ? 'budget_exhausted' : 'failed';
      const reason = aborted
        ? (message ?? 'aborted')
        : budgetExhausted
          ? `budget of $${plan.budgetUsd?.toFixed(2)} reached after $${spentUsd().toFixed(2)}; finished clips are kept. Resume with a higher cap: storyreel resume ${plan.productionId} --budget <usd>`
          : `${failedScenes.length} of ${plan.scenes.length} scenes did not finish${message ? ` (${message})` : ''}; every finished clip is kept. Fix the cause, then resume: storyreel resume ${plan.productionId}`;
      const { manifestPath } = await finish(final, reason, undefined, aborted ? 'operator' : undefined);
      await condition(allHandlersFinished);
      throw ApplicationFailure.create({
        type: budgetExhausted ? 'BudgetExhausted' : 'ProductionFailed',
        nonRetryable: true,
        message: `${reason}\n${failedScenes.map((e) => `  ${e.plan.id}: ${e.status.state}${e.status.reason ? ` — ${e.status.reason.message}` : ''}`).join('\n')}`,
        details: [{ manifestPath, progress: progress() }],
      });
    }

    state = 'assembling';
    const assembled = await outputs().media.assembleVideo({
      productionId: plan.productionId,
      plan,
      outDir: input.outDir,
      clips: plan.scenes.map((s) => {
        const e = entries.get(s.id)!;
        return {
          sceneId: s.id,
          title: s.title,
          path: e.clip!.path,
          transition: s.transition,
          ...(s.narration ? { narration: s.narration } : {}),
          ...(s.narrationAudio ? { narrationAudio: s.narrationAudio.path } : {}),
        };
      }),
    });
    assemblyFraction = 1;
    outputPath = assembled.path;
    const skipped = list().filter((e) => e.status.state === 'skipped').length;
    const final: ProductionState = skipped ? 'completed_with_placeholders' : 'completed';
    const { manifestPath, lockfilePath } = await finish(final, skipped ? `${skipped} scene(s) are placeholders` : 'done', assembled);
    await condition(allHandlersFinished);
    return {
      productionId: plan.productionId,
      title: plan.title,
      state,
      estimatedCostUsd: plan.totals.estimatedCostUsd,
      outputPath: assembled.path,
      ...(assembled.uri ? { outputUri: assembled.uri } : {}),
      manifestPath,
      lockfilePath,
      durationS: assembled.durationS,
      costUsd: spentUsd(),
      ledger,
      scenes: list().map((e) => e.status),
    };
  } catch (err) {
    if (isCancellation(err)) {
      await finish('cancelled', `cancelled; finished clips are kept. Resume with: storyreel resume ${plan.productionId}`);
    } else if (!(err instanceof ApplicationFailure && (err.type === 'ProductionFailed' || err.type === 'BudgetExhausted'))) {
      await finish('failed', (err as Error).message);
    }
    throw err;
  }
}

const round4 = (n: number) => Math.round(n * 10_000) / 10_000;
const sentence = (s: string) => (/[.!?]$/.test(s.trim()) ? s.trim() : `${s.trim()}.`);

/** The message of the first ApplicationFailure in a failure's cause chain (the one that says what happened). */
function applicationMessage(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    if (e instanceof ApplicationFailure) return e.message;
  }
  return undefined;
}

/** The production's plan: given, or read from the file a batch wrote; with the batch's budget applied. */
async function resolvePlan(input: ProduceInput): Promise<ProductionPlan> {
  let plan = input.plan;
  if (!plan) {
    if (!input.planFile) throw ApplicationFailure.nonRetryable('a production needs a plan or a planFile', 'InvalidInput');
    // Reading a small JSON file from the shared work dir: quick, retried.
    const { readPlan } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } });
    plan = await readPlan({ planFile: input.planFile });
  }
  return input.budgetUsd !== undefined ? { ...plan, budgetUsd: input.budgetUsd } : plan;
}
