/**
 * renderScene: one take of one scene, from plan to stored clip.
 *   lookupClip → (prepareInputs) → [budget] → submitScene (exactly one POST per job) → awaitJob… → downloadClip
 * A submit is never repeated by waiting: the job id is in history and waiting only reads. Job-level failures get a
 * NEW job, bounded by the scene's maxJobAttempts: job_failed, job_stuck (past the deadline), output_expired.
 * content_policy fails the scene at once with the provider's reason; the same input is never retried.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, PreparedInputs } from '../activities/index.js';
import type { ClipRecord } from '../src/store/clip-store.js';
import type { ScenePlan } from '../src/storyboard/plan.js';
import {
  releaseSlotSignal,
  slotGrantedSignal,
  budgetGrantSignal,
  budgetRequestSignal,
  jobCallbackSignal,
  sceneUpdateSignal,
  sameJob,
  type AttemptRecord,
  type SceneUpdate,
  type Timeouts,
} from './definitions.js';
import { attemptCostUsd } from '../src/production/ledger.js';
import { canMake, failoverReason, routeOf, type FailoverRecord } from './failover.js';
import type { FailureDetails } from '../src/contracts/errors.js';
import type { JobSnapshot } from '../src/contracts/jobs.js';
import { slotsWorkflowId, submitQueue } from '../src/contracts/names.js';

export interface RenderSceneInput {
  productionId: string;
  scene: ScenePlan;
  /** The clip this scene's first frame or extension comes from. */
  predecessor?: ClipRecord;
  timeouts?: Timeouts;
  /** Take number (operator retries, review rejections): part of each job's client reference. */
  take?: number;
  /** A new take as a remix of this earlier job (providers with remix). */
  remixOfJobId?: string;
  /** Ask the parent before paying for each job (the production has a budget). */
  budgeted?: boolean;
}

export interface SceneResult {
  sceneId: string;
  take: number;
  clip: ClipRecord;
  cached: boolean;
  attempts: AttemptRecord[];
  costUsd: number;
  /** Who made the clip: differs from the plan's provider when a routed scene moved (or a fallback's clip was cached). */
  provider?: string;
  model?: string;
  /** Every move to another provider, in order. */
  failovers?: FailoverRecord[];
}

type JobOutcome = { done: true; final?: JobSnapshot } | { done: false; kind: string; details: FailureDetails };

/** Patch: a cancellation during the submit waits for it and cancels the job it created (issue 11 item 9). */
const CANCEL_JOB_FROM_SUBMIT = 'cancel-job-from-submit';

/**
 * Patch: the wait sleeps (a timer a provider callback can interrupt) when the await activity returns before the next
 * poll is due, instead of calling it again at once; a provider callback for the awaited job cuts a wait short (issue
 * 11 item 6, issue 14 item 6).
 */
const POLL_SLEEPS_AND_CALLBACKS = 'poll-sleeps-and-callbacks';
/**
 * Patch: a downloaded clip is reported to the parent by the scene's result alone, without a 'downloaded' signal
 * before it (the chain hand-off, issue 10 item 3).
 */
const RESULT_REPORTS_DOWNLOAD = 'result-reports-download';
/** Patch: a scene with continuity inputs prepares them while its cache is looked up (issue 10 item 3). */
const PREPARE_WITH_LOOKUP = 'prepare-with-lookup';
/** Shorter pauses than this are left to the activity (workflow timers are coarse); longer ones become timers. */
const MIN_SLEEP_MS = 1000;
/**
 * Patch: waits for a budget grant or a provider slot are bounded and asked again (issue 11 item 7): a budget request
 * unanswered after GRANT_ASKS waits fails the scene unpaid; a slot request is renewed every SLOT_WAIT (a restarted
 * semaphore has forgotten it; the slots workflow ignores a request it already holds). Waits: Timeouts.grantWaitS, slotWaitS.
 */
const BOUNDED_GRANT_WAITS = 'bounded-grant-waits';
const GRANT_ASKS = 5;

/** Kinds that mean "this job is lost, a new job may succeed". */
const RESUBMIT = new Set(['job_failed', 'job_stuck', 'output_expired']);

export async function renderScene(input: RenderSceneInput): Promise<SceneResult> {
  const { productionId } = input;
  const take = input.take ?? 1;
  // A routed scene's choices in order (one for a scene with a single provider); `scene` is the one being tried.
  const route = routeOf(input.scene, take);
  let scene = route[0]!;
  const t = input.timeouts ?? {};
  const grantWaitMs = (t.grantWaitS ?? 120) * 1000;
  const slotWaitMs = (t.slotWaitS ?? 600) * 1000;
  // Reads and writes of our own disk: quick, safe to retry.
  const local = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 5 } });
  // One POST per attempt; retries reconcile before posting again. Rate limits come back with nextRetryDelay.
  // On the provider's submit queue: the server enforces its submits-per-second across all workers.
  const submitVia = (provider: string) =>
    proxyActivities<Activities>({
      taskQueue: submitQueue(workflowInfo().taskQueue, provider),
      startToCloseTimeout: `${t.submitS ?? 120}s`,
      retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 8 },
    });
  // Waits on a job with idempotent GETs, up to a minute per call, heartbeating each poll; retried freely.
  // The job deadline (job_stuck) bounds the whole wait.
  const poll = proxyActivities<Activities>({
    startToCloseTimeout: `${(t.awaitS ?? 60) + (t.pollS ?? 60)}s`,
    heartbeatTimeout: `${Math.max(t.heartbeatS ?? 30, 15)}s`,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
  });
  // Streams to disk with heartbeats; a truncated file (output_corrupt) is downloaded again.
  const download = proxyActivities<Activities>({
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: `${t.heartbeatS ?? 30}s`,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
  });

  const parent = workflowInfo().parent;
  const report = async (u: Omit<SceneUpdate, 'sceneId' | 'take'>) => {
    if (parent) await getExternalWorkflowHandle(parent.workflowId).signal(sceneUpdateSignal, { sceneId: scene.id, take, ...u });
  };
  const grants = new Map<number, boolean>();
  setHandler(budgetGrantSignal, (g) => {
    if (g.take === take) grants.set(g.jobAttempt, g.granted);
  });
  /** Reservations that paid for nothing: the submit was refused and the scene moved to another provider. */
  const unused: number[] = [];
  /** Asks the parent (which keeps the ledger) whether this job may be paid for. */
  const mayPay = async (jobAttempt: number): Promise<boolean> => {
    if (!input.budgeted || !parent) return true;
    const ask = () =>
      getExternalWorkflowHandle(parent.workflowId).signal(budgetRequestSignal, {
        sceneId: scene.id,
        take,
        jobAttempt,
        estimatedUsd: scene.estimatedCostUsd,
        ...(unused.length ? { unusedJobAttempts: [...unused] } : {}),
      });
    await ask();
    if (!patched(BOUNDED_GRANT_WAITS)) await condition(() => grants.has(jobAttempt));
    for (let asked = 1; !grants.has(jobAttempt) && !(await condition(() => grants.has(jobAttempt), grantWaitMs)); asked++) {
      if (asked >= GRANT_ASKS) {
        throw ApplicationFailure.create({
          type: 'budget_unanswered',
          nonRetryable: true,
          message: `scene ${scene.id}: not submitted, the production did not answer ${GRANT_ASKS} budget requests (${grantWaitMs / 1000} s each); resume the production`,
          details: [{ kind: 'budget_unanswered', message: 'no budget grant', attempts }],
        });
      }
      await ask();
    }
    return grants.get(jobAttempt)!;
  };

  // Provider callbacks (verified by the API's /v1/hooks routes): job ids whose provider said they finished. A callback
  // may arrive before the submit returns the job's id, so each is kept (the latest 64: a flood cannot grow the state).
  const calledBack = new Set<string>();
  setHandler(jobCallbackSignal, (cb) => {
    if (cb.provider !== scene.provider) return;
    calledBack.add(cb.jobId);
    if (calledBack.size > 64) calledBack.delete(calledBack.values().next().value!);
  });

  const granted = new Set<string>();
  setHandler(slotGrantedSignal, ({ requestId }) => void granted.add(requestId));
  /** Waits for one of the provider's cluster-wide slots (providers with maxInFlight). */
  const acquire = async (jobAttempt: number): Promise<string | undefined> => {
    if (scene.settings.maxInFlight === undefined) return undefined; // (the choice being tried: a failover may change it)
    const requestId = `${workflowInfo().workflowId}#${jobAttempt}`;
    const ask = () =>
      local.requestSlot({
        provider: scene.provider,
        request: {
          requestId,
          workflowId: workflowInfo().workflowId,
          permits: scene.settings.maxInFlight!,
          leaseMs: (scene.jobDeadlineSeconds + 1800) * 1000,
        },
      });
    await ask();
    if (!patched(BOUNDED_GRANT_WAITS)) await condition(() => granted.has(requestId));
    while (!granted.has(requestId) && !(await condition(() => granted.has(requestId), slotWaitMs))) await ask();
    return requestId;
  };
  const release = async (requestId: string | undefined) => {
    // Best effort: a semaphore that is gone (terminated, restarted) holds nothing of ours; its lease frees the slot anyway.
    if (requestId)
      await CancellationScope.nonCancellable(() =>
        getExternalWorkflowHandle(slotsWorkflowId(workflowInfo().taskQueue, scene.provider))
          .signal(releaseSlotSignal, { requestId })
          .catch(() => undefined),
      );
  };

  /** Continuity inputs at the exact size of the choice being tried (a fallback may render at another size). */
  const needsInputs = () => !!(scene.continuity.firstFrame || scene.continuity.lastFrame || scene.continuity.references.length > 0);
  const prepare = async (): Promise<PreparedInputs> =>
    needsInputs() ? await local.prepareInputs({ scene, ...(input.predecessor ? { predecessor: input.predecessor } : {}) }) : {};
  // A scene with continuity inputs prepares them while its cache is looked up (the chain hand-off: one round trip
  // fewer). A cache hit never waits for it or fails by it: its rejection is marked handled here and thrown, if at
  // all, where it is awaited below.
  const early = needsInputs() && patched(PREPARE_WITH_LOOKUP) ? prepare() : undefined;
  early?.catch(() => undefined);

  // Any choice's clip counts (a resume after a failover finds what the fallback made and pays nothing).
  for (const choice of route) {
    const cached = await local.lookupClip({ cacheKey: choice.cacheKey });
    if (cached) {
      const made = route.length > 1 ? { provider: cached.provider, model: cached.model } : {};
      return { sceneId: scene.id, take, clip: cached, cached: true, attempts: [], costUsd: 0, ...made };
    }
  }

  let prepared: PreparedInputs = await (early ?? prepare());

  const attempts: AttemptRecord[] = [];
  const failovers: FailoverRecord[] = [];
  let lastFailure: FailureDetails | undefined;
  let jobAttempt = 0;
  for (let k = 0; k < route.length; k++) {
    if (k > 0) {
      if (!canMake(route[k]!, input.predecessor?.provider)) continue;
      const from = scene;
      scene = route[k]!;
      failovers.push({
        from: `${from.provider}/${from.model}`,
        to: `${scene.provider}/${scene.model}`,
        kind: lastFailure?.kind ?? 'unknown',
        message: lastFailure?.message ?? '',
        at: new Date().toISOString(),
      });
      prepared = await prepare();
    }
    const tried = await tryChoice(k < route.length - 1);
    if (tried !== 'next') {
      if (tried === 'failed') break;
      return tried.result;
    }
  }
  throw ApplicationFailure.create({
    type: lastFailure?.kind ?? 'job_failed',
    nonRetryable: true,
    message: `scene ${scene.id} failed after ${attempts.length} job${attempts.length === 1 ? '' : 's'}: ${lastFailure?.message ?? 'unknown reason'}`,
    details: [{ ...(lastFailure ?? { kind: 'job_failed', message: 'unknown' }), attempts, ...(failovers.length ? { failovers } : {}) }],
  });

  /**
   * Jobs on the current choice (at most its maxJobAttempts) until one makes the clip, the scene fails ('failed', or
   * an error thrown), or — with another choice left — a provider-level failure says to move on ('next').
   */
  async function tryChoice(hasNext: boolean): Promise<{ result: SceneResult } | 'next' | 'failed'> {
    let stuck = 0;
    for (let n = 1; n <= scene.maxJobAttempts; n++) {
      jobAttempt++;
      if (!(await mayPay(jobAttempt))) {
        throw ApplicationFailure.create({
          type: 'budget_exhausted',
          nonRetryable: true,
          message: `scene ${scene.id}: not submitted, the production's budget is used up`,
          details: [{ kind: 'budget_exhausted', message: 'budget used up', attempts }],
        });
      }
      const slot = await acquire(jobAttempt);
      let outcome: JobOutcome | { done: true; clip: ClipRecord };
      try {
        outcome = await runJob(jobAttempt);
      } catch (err) {
        // A submit the provider refused for a provider-level reason: nothing was made or paid; the next choice may.
        // (Only a final refusal: a submit that gave up waiting — its create may have made a job here — never moves.)
        const refused = hasNext && !isCancellation(err) && isFinal(err) ? failureDetails(err) : undefined;
        if (!refused || !failoverReason(refused, 0, hasNext)) throw err;
        lastFailure = refused;
        unused.push(jobAttempt);
        return 'next';
      } finally {
        await release(slot);
      }
      if (outcome.done) {
        if ('clip' in outcome) {
          const made = route.length > 1 ? { provider: scene.provider, model: scene.model, ...(failovers.length ? { failovers } : {}) } : {};
          return { result: { sceneId: scene.id, take, clip: outcome.clip, cached: false, attempts, costUsd: sum(attempts), ...made } };
        }
        continue; // unreachable: a finished job comes back with its clip
      }
      lastFailure = outcome.details;
      if (outcome.kind === 'job_stuck') stuck++;
      const moved = failoverReason(outcome.details, stuck, hasNext);
      if (moved) {
        lastFailure = { ...outcome.details, ...moved };
        return 'next';
      }
      if (outcome.kind === 'content_policy') {
        const which = outcome.details.input ? ` (input: ${outcome.details.input})` : '';
        throw ApplicationFailure.create({
          type: 'content_policy',
          nonRetryable: true,
          message: `scene ${scene.id} was rejected by ${scene.provider}'s content policy${which}: ${outcome.details.message} Edit the scene's prompt or references; the same input is never retried.`,
          details: [{ ...outcome.details, attempts, ...(failovers.length ? { failovers } : {}) }],
        });
      }
      if (!RESUBMIT.has(outcome.kind)) return 'failed';
    }
    return 'failed';
  }

  /** One job: exactly one submit, then waiting and downloading. Never submits twice. */
  async function runJob(jobAttempt: number): Promise<JobOutcome | { done: true; clip: ClipRecord }> {
    const submission = {
      productionId,
      taskQueue: workflowInfo().taskQueue,
      ...(attempts.length ? { knownJobIds: attempts.map((a) => a.jobId) } : {}),
      sceneId: scene.id,
      cacheKey: scene.cacheKey,
      jobDeadlineSeconds: scene.jobDeadlineSeconds,
      provider: scene.provider,
      settings: scene.settings,
      ...(route.length > 1 && scene !== route.at(-1) ? { failover: true } : {}),
      request: {
        clientRef: `${productionId}:${scene.id}:${take}.${jobAttempt}`,
        model: scene.model,
        prompt: scene.prompt,
        ...(scene.negativePrompt ? { negativePrompt: scene.negativePrompt } : {}),
        seconds: scene.generateSeconds ?? scene.seconds,
        size: scene.size,
        fps: scene.fps,
        ...(scene.seed !== undefined ? { seed: scene.seed } : {}),
        title: scene.title,
        ...prepared,
        ...(scene.continuity.extendsSceneId && input.predecessor ? { extendJobId: input.predecessor.jobId } : {}),
        ...(input.remixOfJobId && jobAttempt === 1 ? { remixJobId: input.remixOfJobId } : {}),
      },
    };
    let submitted;
    try {
      submitted = await submitOnce(submission);
    } catch (err) {
      if (failureDetails(err)?.kind !== 'source_expired') throw err;
      const {
        remixJobId: _remixed,
        extendJobId,
        ...fresh
      } = submission.request as typeof submission.request & {
        remixJobId?: string;
        extendJobId?: string;
      };
      if (extendJobId) {
        throw ApplicationFailure.create({
          type: 'source_expired',
          nonRetryable: true,
          message:
            `scene ${scene.id} extends job ${extendJobId} of scene ${scene.continuity.extendsSceneId}, which ${scene.provider} no longer keeps ` +
            `(its outputs expire). Retry scene ${scene.continuity.extendsSceneId} so a new source exists, or give scene ${scene.id} continuity "chain".`,
          details: [
            { kind: 'source_expired', message: `the source of the extension (${extendJobId}) is gone`, provider: scene.provider, attempts },
          ],
        });
      }
      // A rejected take whose clip the provider no longer keeps cannot be remixed: the new take is a fresh create,
      // steered by the same revised prompt.
      submitted = await submitOnce({ ...submission, request: fresh });
    }
    const attempt: AttemptRecord = {
      jobId: submitted.jobId,
      outcome: 'ready',
      estimatedCostUsd: scene.estimatedCostUsd,
      submittedAt: new Date().toISOString(),
      reconciled: submitted.reconciled,
      ...(route.length > 1 ? { provider: scene.provider, model: scene.model } : {}),
      ...(failovers.length && !attempts.some((a) => a.provider === scene.provider) ? { failover: failovers.at(-1)! } : {}),
    };
    attempts.push(attempt);

    let outcome: JobOutcome;
    let reported = false;
    try {
      await report({ state: 'submitted', jobId: submitted.jobId, progress: 0, attempt });
      reported = true;
      outcome = await waitForJob(submitted.snapshot);
    } catch (err) {
      if (isCancellation(err)) {
        attempt.outcome = 'cancelled';
        // A cancellation that arrives while the submit or its report is under way cancels the job too: it exists
        // and is being paid for. (Histories from before the patch did not; they replay unchanged.)
        if (scene.features.cancel && (reported || patched(CANCEL_JOB_FROM_SUBMIT))) {
          await CancellationScope.nonCancellable(() =>
            local.cancelJob({ provider: scene.provider, settings: scene.settings, jobId: submitted.jobId }),
          );
        }
      }
      throw err;
    }
    if (outcome.done) {
      if (outcome.final?.billed) attempt.billed = outcome.final.billed;
      try {
        const clip = await download.downloadClip({
          productionId,
          scene,
          settings: scene.settings,
          jobId: submitted.jobId,
          costUsd: attemptCostUsd(attempt),
          ...(scene.continuity.extendsSceneId && input.predecessor ? { trimStartS: input.predecessor.durationS } : {}),
        });
        attempt.finishedAt = new Date().toISOString();
        // The scene's result carries the finished attempt to the parent; a report first only delayed the next
        // chained scene by a round trip. (Histories from before the patch replay it.)
        if (!patched(RESULT_REPORTS_DOWNLOAD)) await report({ state: 'downloaded', progress: 1, attempt });
        return { done: true, clip };
      } catch (err) {
        const details = failureDetails(err);
        if (details?.kind !== 'output_expired' || isCancellation(err)) throw err;
        outcome = { done: false, kind: 'output_expired', details };
      }
    }
    if (outcome.done) return outcome;
    attempt.outcome = outcome.kind as AttemptRecord['outcome'];
    attempt.message = outcome.details.message;
    attempt.finishedAt = new Date().toISOString();
    await report({ state: 'submitted', attempt });
    if (outcome.kind === 'job_stuck' && scene.features.cancel) {
      await local.cancelJob({ provider: scene.provider, settings: scene.settings, jobId: submitted.jobId });
    }
    return outcome;
  }

  /**
   * Submits in a scope a cancellation cannot interrupt: once the POST may be on the wire, the workflow has to learn
   * the job's id so it can cancel the job rather than leave it running and billed. The submit is bounded by its own
   * timeout; the cancellation is delivered at the next step (see runJob).
   */
  function submitOnce(s: Parameters<Activities['submitScene']>[0]) {
    const submit = submitVia(s.provider);
    return patched(CANCEL_JOB_FROM_SUBMIT) ? CancellationScope.nonCancellable(() => submit.submitScene(s)) : submit.submitScene(s);
  }

  /**
   * Waits until the job finishes or passes its deadline. Never submits. The await activity polls inside (short
   * intervals); when the next poll is further off than its call may wait (a long interval, a provider's hint, the
   * deadline close), the workflow sleeps on a timer. A provider callback for this job ends a sleep or an await at once
   * and the job is polled right away; polling stays the fallback when no callback comes.
   */
  async function waitForJob(first: JobSnapshot): Promise<JobOutcome> {
    const deadline = Date.now() + scene.jobDeadlineSeconds * 1000;
    const sleeps = patched(POLL_SLEEPS_AND_CALLBACKS);
    const heard = () => [...calledBack].some((id) => sameJob(first.jobId, id));
    const consume = () => {
      for (const id of calledBack) if (sameJob(first.jobId, id)) calledBack.delete(id);
    };
    let snap: JobSnapshot & { nextPollInMs?: number } = first;
    let lastReported = -1;
    for (;;) {
      if (snap.state === 'succeeded') return { done: true, final: snap };
      if (snap.state === 'failed' || snap.state === 'canceled') {
        const f = snap.failure ?? { kind: 'job_failed' as const, message: `the job was ${snap.state}` };
        return {
          done: false,
          kind: f.kind,
          details: {
            kind: f.kind,
            message: f.message,
            provider: scene.provider,
            jobId: snap.jobId,
            ...(f.code ? { providerCode: f.code } : {}),
            ...(f.kind === 'content_policy'
              ? { input: prepared.firstFrame || prepared.referenceImages ? 'prompt or reference image' : 'prompt' }
              : {}),
          },
        };
      }
      const progress = snap.progress ?? 0;
      if (snap.state === 'running' && (lastReported < 0 || progress - lastReported >= 0.25)) {
        lastReported = progress;
        await report({ state: 'rendering', progress });
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        return {
          done: false,
          kind: 'job_stuck',
          details: {
            kind: 'job_stuck',
            message: `job ${snap.jobId} was still ${snap.state} after ${scene.jobDeadlineSeconds} s`,
            provider: scene.provider,
            jobId: snap.jobId,
          },
        };
      }
      const args = {
        provider: scene.provider,
        settings: scene.settings,
        jobId: snap.jobId,
        maxWaitMs: Math.max(100, Math.min((t.awaitS ?? 60) * 1000, remaining)),
        pollIntervalMs: 10_000,
      };
      if (!sleeps) {
        snap = await poll.awaitJob(args);
        continue;
      }
      if (heard()) {
        consume(); // the provider says it finished: one poll now (then the download)
        snap = await poll.awaitJob({ ...args, maxWaitMs: 0 });
        continue;
      }
      const due = snap.nextPollInMs ?? 0;
      if (due >= MIN_SLEEP_MS) {
        await condition(heard, Math.min(due, remaining));
        snap = { ...snap, nextPollInMs: 0 };
        continue; // the deadline is checked again before the next poll
      }
      snap = (await awaitUnlessCalledBack(args, heard)) ?? snap;
    }
  }

  /** The await activity, cut short (cancelled) when a callback for the job arrives first: then undefined. */
  async function awaitUnlessCalledBack(args: Parameters<Activities['awaitJob']>[0], heard: () => boolean) {
    const scope = new CancellationScope();
    try {
      return await scope.run(() => Promise.race([poll.awaitJob(args), condition(heard).then(() => undefined)]));
    } finally {
      scope.cancel(); // whichever is still pending: the activity (a callback came) or the condition (no command)
    }
  }
}

function sum(attempts: AttemptRecord[]): number {
  return Math.round(attempts.reduce((t, a) => t + attemptCostUsd(a), 0) * 10_000) / 10_000;
}

/** Whether the failure said not to try again (a non-retryable ApplicationFailure), rather than ran out of retries. */
function isFinal(err: unknown): boolean {
  for (let cause: unknown = err; cause instanceof Error; cause = (cause as { cause?: unknown }).cause) {
    if (cause instanceof ApplicationFailure) return cause.nonRetryable === true;
  }
  return false;
}

/** The FailureDetails an activity or child attached, when the error is one of ours. */
export function failureDetails(err: unknown): FailureDetails | undefined {
  let cause: unknown = err;
  while (cause instanceof Error) {
    if (cause instanceof ApplicationFailure) {
      const d = cause.details?.[0] as FailureDetails | undefined;
      return d && typeof d === 'object' ? d : { kind: cause.type ?? 'Error', message: cause.message };
    }
    cause = cause instanceof ActivityFailure || 'cause' in cause ? (cause as { cause?: unknown }).cause : undefined;
  }
  return undefined;
}
