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
 *
 * The decisions (what may start, the ledger, takes, placeholders, progress, the verdict) are the pure production
 * core's (src/production/production.ts); this file is the shell that turns them into Temporal commands: handlers,
 * children, activities, timers, search attributes.
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
import { assemblyQueue, SEARCH_ATTRIBUTES, sceneWorkflowId } from '../src/contracts/names.js';

/**
 * Patch: assembly and output writes go to the assembly queue, so a deployment can run them on hosts of their own
 * (worker roles, issue 15 item 3). Decided when first needed, so a production that started before the deploy and
 * has not assembled yet moves too; one that already wrote its outputs replays them on the main queue.
 */
const ASSEMBLY_QUEUE = 'assembly-queue';
import { Production, type Launch } from '../src/production/production.js';
import type { ProductionPlan } from '../src/storyboard/plan.js';
import {
  batchItemDoneSignal,
  budgetGrantSignal,
  budgetRequestSignal,
  decideSceneUpdate,
  progressQuery,
  reviewSceneUpdate,
  sceneUpdateSignal,
  type BatchRow,
  type ProduceInput,
  type ProductionResult,
  type ProductionState,
} from './definitions.js';
import { buildLockfile, buildManifest } from './manifest.js';
import { failureDetails, renderScene, type SceneResult } from './render-scene.js';
import { voiceScenes } from './voice-scenes.js';

/** Patch: new runs start the scene with the longest remaining dependency path first (src/production/schedule.ts). */
const CRITICAL_PATH_ORDER = 'critical-path-order';
/** Patch: a budget reservation whose submit failed before any job existed is released (issue 11 item 4). */
const RELEASE_UNSUBMITTED = 'release-unsubmitted-reservation';
/** Patch: skipping a scene lets the scenes chained to it start from its placeholder instead of staying blocked. */
const UNBLOCK_ON_SKIP = 'skip-unblocks-dependents';
/**
 * Patch (issue 11 item 9): a cancelled production waits for its scenes to close (each cancels its provider job)
 * before it closes, instead of leaving them to be terminated mid-cancel; an operator's abort cancels the scenes in
 * flight (and their jobs) instead of waiting for them to finish and be paid for.
 */
const CLEAN_UP_CHILDREN = 'cancel-awaits-children';
/**
 * Patch (issue 11 item 15): a run whose history reaches ProduceInput.historyEventLimit starts no more scenes and
 * ends failed once those in flight are done (clips kept; a resume goes on), instead of growing until the server
 * terminates it at 51,200 events.
 */
const HISTORY_BOUND = 'history-bound';
/** Measured: about 30 events per scene in the production's own history; 500 scenes (MAX_SCENES) stay near 15,000. */
const HISTORY_EVENT_LIMIT = 40_000;
/** Temporal also ends a run whose history passes 50 MB (plans by file and small activity inputs keep it far below). */
const HISTORY_BYTES_LIMIT = 40 * 1024 * 1024;

const STATE_KEY = SEARCH_ATTRIBUTES.state;

export async function produceStoryboard(input: ProduceInput): Promise<ProductionResult> {
  const info = workflowInfo();
  // Both decided once, before the first command: histories recorded before a patch replay with the old behaviour.
  const order = patched(CRITICAL_PATH_ORDER) ? 'critical-path' : 'plan';
  const releaseUnsubmitted = patched(RELEASE_UNSUBMITTED);
  const unblockOnSkip = patched(UNBLOCK_ON_SKIP);
  const bounded = patched(HISTORY_BOUND);
  const historyLimit = bounded ? (input.historyEventLimit ?? HISTORY_EVENT_LIMIT) : Infinity;
  const historyBytesLimit = bounded ? (input.historyBytesLimit ?? HISTORY_BYTES_LIMIT) : Infinity;
  const heartbeatTimeout = `${input.timeouts?.heartbeatS ?? 30}s`;
  // Scenes that speak are voiced first and the plan refitted to the speech, before any clip is requested.
  const { plan, voiced } = await voiceScenes(await resolvePlan(input), heartbeatTimeout);
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

  const core = new Production(plan, { now: () => new Date().toISOString(), order, releaseUnsubmitted, unblockOnSkip });
  for (const v of Object.values(voiced)) if (v.costUsd > 0) core.ledger.recordSpeech(v.sceneId, v.costUsd, v.key, new Date().toISOString());
  const childId = (key: string) => sceneWorkflowId(info.workflowId, key);

  setHandler(progressQuery, () => core.progress());
  setHandler(sceneUpdateSignal, (u) => core.applyUpdate(u));
  setHandler(budgetRequestSignal, async (r) => {
    const granted = core.requestBudget(r);
    if (granted === undefined) return;
    const scene = core.scene(r.sceneId)!.status;
    const key = scene.take > 1 ? `${r.sceneId}/take-${scene.take}` : r.sceneId;
    await getExternalWorkflowHandle(childId(key)).signal(budgetGrantSignal, { take: r.take, jobAttempt: r.jobAttempt, granted });
  });
  setHandler(
    decideSceneUpdate,
    (d) => {
      const status = core.decide(d);
      if (d.action === 'abort' && patched(CLEAN_UP_CHILDREN)) for (const scope of children.values()) scope.cancel();
      return status;
    },
    { validator: (d) => core.validateDecision(d) },
  );
  setHandler(reviewSceneUpdate, (r) => core.review(r), { validator: (r) => core.validateReview(r) });

  /** The scenes in flight: the scope each child runs in (an abort cancels it) and the promise that settles when it closed. */
  const children = new Map<string, CancellationScope>();
  const closing = new Map<string, Promise<void>>();

  function launch(l: Launch): void {
    const scope = new CancellationScope();
    children.set(l.childKey, scope);
    const closed = scope
      .run(() => runChild(l))
      .finally(() => {
        children.delete(l.childKey);
        closing.delete(l.childKey);
      });
    closing.set(l.childKey, closed);
  }

  function runChild(l: Launch): Promise<void> {
    return executeChild(renderScene, {
      workflowId: childId(l.childKey),
      args: [
        {
          productionId: plan.productionId,
          scene: l.scene,
          take: l.take,
          ...(l.predecessor ? { predecessor: l.predecessor } : {}),
          ...(input.timeouts ? { timeouts: input.timeouts } : {}),
          ...(l.remixOfJobId ? { remixOfJobId: l.remixOfJobId } : {}),
          ...(plan.budgetUsd !== undefined ? { budgeted: true } : {}),
        },
      ],
    })
      .then((r: SceneResult) => core.rendered(l.sceneId, l.take, r))
      .catch((err: unknown) => {
        if (isCancellation(err)) {
          // Cancelled by an operator's abort: the scene says so (its job was cancelled, not finished and paid for).
          if (core.aborted)
            core.failed(l.sceneId, l.take, { kind: 'cancelled', message: 'aborted' }, 'cancelled by the abort; its job was cancelled');
          return;
        }
        const details = failureDetails(err) as Parameters<Production['failed']>[2];
        core.failed(l.sceneId, l.take, details, applicationMessage(err) ?? (err as Error).message);
      })
      .finally(() => core.closed(l.sceneId));
  }

  /** Waits until every scene in flight has closed (each cancels its provider job when it is cancelled). */
  async function childrenClosed(): Promise<void> {
    await CancellationScope.nonCancellable(() => Promise.all(closing.values()));
  }

  async function placeholders(): Promise<void> {
    for (const e of core.scenes()) {
      const p = core.placeholderFor(e.plan.id);
      if (!p) continue;
      const clip = await local.makePlaceholder({
        productionId: plan.productionId,
        scene: p.scene,
        kind: p.kind,
        reason: p.reason,
        ...(p.still ? { still: p.still } : {}),
      });
      core.placeholderMade(e.plan.id, clip);
    }
  }

  /** Keeps the StoryreelState search attribute current when the production was started with storyreel's attributes. */
  function setState(s: ProductionState): void {
    core.state = s;
    if (workflowInfo().typedSearchAttributes.get(STATE_KEY) === undefined) return;
    upsertSearchAttributes([{ key: STATE_KEY, value: s }]);
  }

  const finish = async (final: ProductionState, why: string, assembled?: AssembleOutput, stage?: BatchRow['stage']) => {
    const failedIn = core.state === 'assembling' ? 'assemble' : undefined;
    core.message = why;
    core.waitingUntil = undefined;
    setState(final);
    const manifest = buildManifest(plan, core.progress(), assembled);
    return CancellationScope.nonCancellable(async () => {
      const { writes } = outputs();
      const productionId = plan.productionId;
      const manifestPath = await writes.writeManifest({ outDir: input.outDir, manifest, productionId });
      const lockfilePath = await writes.writeLockfile({
        outDir: input.outDir,
        lock: buildLockfile(plan, core.progress(), info.runId),
        productionId,
      });
      if (input.batch) {
        const firstBad = core.firstUnfinished();
        // Best effort: the batch also notices closed children itself, and a produced video never ends as "failed"
        // because its batch is gone (terminated, or finished without waiting).
        await getExternalWorkflowHandle(input.batch.workflowId)
          .signal(batchItemDoneSignal, {
            key: input.batch.itemKey,
            productionId: plan.productionId,
            state: final,
            ...(final === 'completed' || final === 'completed_with_placeholders'
              ? {}
              : { stage: stage ?? failedIn ?? (final === 'budget_exhausted' ? 'budget' : 'render') }),
            ...(firstBad && final !== 'completed' ? { sceneId: firstBad.plan.id } : {}),
            ...(final !== 'completed' ? { reason: (firstBad?.status.reason?.message ?? why).slice(0, 500) } : {}),
            ...(assembled ? { outputPath: assembled.path } : {}),
            costUsd: core.spentUsd(),
            scenes: { ready: core.countIn('ready'), total: plan.scenes.length },
          })
          .catch(() => undefined);
      }
      return { manifestPath, lockfilePath };
    });
  };

  try {
    for (;;) {
      const { historyLength: events, historySize: bytes } = workflowInfo();
      if (events >= historyLimit) {
        core.halt(`the production's history reached ${events} events (its bound is ${historyLimit}; Temporal ends a run at 51,200)`);
      } else if (bytes >= historyBytesLimit) {
        core.halt(`the production's history reached ${bytes} bytes (its bound is ${historyBytesLimit}; Temporal ends a run at 50 MB)`);
      }
      for (const l of core.startable()) launch(l);
      await placeholders();
      const step = core.next();
      if (step.kind === 'wait_children') {
        const seen = core.version;
        await condition(() => core.version !== seen);
        continue;
      }
      if (step.kind === 'again') continue; // something can start (a decision arrived)
      if (step.kind === 'stop') break;
      core.waitForOperator(new Date(Date.now() + step.waitS * 1000).toISOString(), step.message);
      setState('waiting_for_operator');
      const seen = core.version;
      const decided = await condition(() => core.version !== seen, step.waitS * 1000);
      core.operatorWaitOver(decided, step.waitS);
      setState('running');
      if (!decided) break;
    }

    const verdict = core.verdict();
    if (verdict) {
      const { manifestPath } = await finish(verdict.final, verdict.reason, undefined, core.aborted ? 'operator' : undefined);
      await condition(allHandlersFinished);
      throw ApplicationFailure.create({
        type: verdict.final === 'budget_exhausted' ? 'BudgetExhausted' : 'ProductionFailed',
        nonRetryable: true,
        message: `${verdict.reason}\n${verdict.sceneLines.join('\n')}`,
        details: [{ manifestPath, progress: core.progress() }],
      });
    }

    core.state = 'assembling';
    const assembled = await outputs().media.assembleVideo({
      productionId: plan.productionId,
      // What assembly reads of the plan, not the plan: a copy of every scene would be one more plan-sized event.
      plan: { title: plan.title, house: plan.house, output: plan.output, ...(plan.soundtrack ? { soundtrack: plan.soundtrack } : {}) },
      outDir: input.outDir,
      clips: plan.scenes.map((s) => ({
        sceneId: s.id,
        title: s.title,
        path: core.clip(s.id).path,
        transition: s.transition,
        ...(s.narration ? { narration: s.narration } : {}),
        ...(s.narrationAudio ? { narrationAudio: s.narrationAudio.path } : {}),
        ...(voiced[s.id] ? { narrationAudio: voiced[s.id]!.path, words: voiced[s.id]!.words } : {}),
      })),
    });
    core.assemblyFraction = 1;
    core.outputPath = assembled.path;
    const skipped = core.countIn('skipped');
    const final: ProductionState = skipped ? 'completed_with_placeholders' : 'completed';
    const { manifestPath, lockfilePath } = await finish(final, skipped ? `${skipped} scene(s) are placeholders` : 'done', assembled);
    await condition(allHandlersFinished);
    return {
      productionId: plan.productionId,
      title: plan.title,
      state: core.state,
      estimatedCostUsd: plan.totals.estimatedCostUsd,
      outputPath: assembled.path,
      ...(assembled.uri ? { outputUri: assembled.uri } : {}),
      manifestPath,
      lockfilePath,
      durationS: assembled.durationS,
      costUsd: core.spentUsd(),
      ledger: core.ledger.lines,
      scenes: core.scenes().map((e) => e.status),
    };
  } catch (err) {
    if (isCancellation(err)) {
      if (patched(CLEAN_UP_CHILDREN)) await childrenClosed();
      await finish('cancelled', `cancelled; finished clips are kept. Resume with: storyreel resume ${plan.productionId}`);
    } else if (!(err instanceof ApplicationFailure && (err.type === 'ProductionFailed' || err.type === 'BudgetExhausted'))) {
      await finish('failed', (err as Error).message);
    }
    throw err;
  }
}

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
    plan = await readPlan({ planFile: input.planFile, ...(input.planSha256 ? { planSha256: input.planSha256 } : {}) });
  }
  return input.budgetUsd !== undefined ? { ...plan, budgetUsd: input.budgetUsd } : plan;
}
