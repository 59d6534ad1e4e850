/**
 * providerSlots: a counting semaphore per provider, shared by every production and batch on the cluster, so 500
 * productions do not hold 5,000 jobs at once. A job holds a slot from before its submit until it is downloaded or
 * given up. Slots are leased: a holder that vanished (terminated workflow) frees its slot when the lease ends.
 * A rate-limit answer from the provider pauses new grants for everyone (pauseProvider).
 * One long-lived workflow per provider (id `storyreel-slots-<provider>`), continued as new to bound its history.
 *
 * The cap: every requester brings the maxInFlight of its own storyboard. A grant needs fewer holders than the
 * smallest cap among the live requesters (holders and waiting), so a storyboard can lower the cap while it runs but
 * never raise it for anyone else; the cap recovers when the low-capped storyboard's jobs are done. (Before patch
 * slot-cap-min-of-requesters the latest request's cap applied to everyone.)
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  setHandler,
  setWorkflowOptions,
  workflowInfo,
} from '@temporalio/workflow';
import { acquireSlotSignal, pauseProviderSignal, releaseSlotSignal, slotGrantedSignal, type SlotRequest } from './definitions.js';

export interface SlotsState {
  provider: string;
  queue?: SlotRequest[];
  holders?: { requestId: string; workflowId: string; until: number; permits?: number }[];
  /** The cap of the latest request (the rule before patch slot-cap-min-of-requesters; the fallback for old holders). */
  permits?: number;
  pausedUntil?: number;
}

/** Patch: the cap is the smallest among live requesters, not the latest request's. */
const MIN_OF_REQUESTERS = 'slot-cap-min-of-requesters';

export async function providerSlots(state: SlotsState): Promise<void> {
  const minOfRequesters = patched(MIN_OF_REQUESTERS);
  const queue = [...(state.queue ?? [])];
  const holders = [...(state.holders ?? [])];
  let permits = state.permits ?? 1;
  let pausedUntil = state.pausedUntil ?? 0;
  let version = 0;

  setHandler(acquireSlotSignal, (r) => {
    if (!minOfRequesters) permits = r.permits;
    if (!queue.some((q) => q.requestId === r.requestId) && !holders.some((h) => h.requestId === r.requestId)) queue.push(r);
    version++;
  });
  setHandler(releaseSlotSignal, ({ requestId }) => {
    const i = holders.findIndex((h) => h.requestId === requestId);
    if (i >= 0) holders.splice(i, 1);
    const q = queue.findIndex((h) => h.requestId === requestId);
    if (q >= 0) queue.splice(q, 1);
    version++;
  });
  setHandler(pauseProviderSignal, ({ untilMs }) => {
    pausedUntil = Math.max(pausedUntil, untilMs);
    version++;
  });

  /** How many may hold a slot now. */
  const cap = () => (minOfRequesters ? Math.min(...holders.map((h) => h.permits ?? permits), ...queue.map((q) => q.permits)) : permits);

  for (;;) {
    const now = Date.now();
    for (let i = holders.length - 1; i >= 0; i--) if (holders[i]!.until <= now) holders.splice(i, 1);
    while (now >= pausedUntil && queue.length && holders.length < cap()) {
      const r = queue.shift()!;
      holders.push({ requestId: r.requestId, workflowId: r.workflowId, until: now + r.leaseMs, permits: r.permits });
      await getExternalWorkflowHandle(r.workflowId)
        .signal(slotGrantedSignal, { requestId: r.requestId })
        .catch(() => {
          // the requester is gone: free its slot at once
          const i = holders.findIndex((h) => h.requestId === r.requestId);
          if (i >= 0) holders.splice(i, 1);
        });
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof providerSlots>({ provider: state.provider, queue, holders, permits, pausedUntil });
    }
    const wakeAt = Math.min(...holders.map((h) => h.until), queue.length && pausedUntil > now ? pausedUntil : Infinity);
    const seen = version;
    if (Number.isFinite(wakeAt)) await condition(() => version !== seen, Math.max(1, wakeAt - Date.now()));
    else await condition(() => version !== seen);
  }
}

// Under Worker Versioning (docs/deploy.md) productions are pinned to their build, but this semaphore outlives every
// build: it moves to the deployment's current version at its next workflow task, so stopping a drained old build
// never strands it. Its code must therefore stay replay-compatible across builds (patched(), as everywhere).
// Only a versioned worker may declare a behaviour (the server refuses it from an unversioned one), hence the getter:
// it runs when the workflow starts on a worker, which says whether it belongs to a deployment (an unversioned worker
// reports a build id but no deployment name).
setWorkflowOptions(
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'AUTO_UPGRADE' } : {}),
  providerSlots,
);
