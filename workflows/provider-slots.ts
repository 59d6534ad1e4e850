/**
 * providerSlots: a counting semaphore per provider, shared by every production and batch on the cluster, so 500
 * productions do not hold 5,000 jobs at once. A job holds a slot from before its submit until it is downloaded or
 * given up. Slots are leased: a holder that vanished (terminated workflow) frees its slot when the lease ends.
 * A rate-limit answer from the provider pauses new grants for everyone (pauseProvider).
 * One long-lived workflow per provider (id `storyreel-slots-<provider>`), continued as new to bound its history.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setHandler,
  setWorkflowOptions,
  workflowInfo,
} from '@temporalio/workflow';
import { acquireSlotSignal, pauseProviderSignal, releaseSlotSignal, slotGrantedSignal, type SlotRequest } from './definitions.js';

export interface SlotsState {
  provider: string;
  queue?: SlotRequest[];
  holders?: { requestId: string; workflowId: string; until: number }[];
  permits?: number;
  pausedUntil?: number;
}

export async function providerSlots(state: SlotsState): Promise<void> {
  const queue = [...(state.queue ?? [])];
  const holders = [...(state.holders ?? [])];
  let permits = state.permits ?? 1;
  let pausedUntil = state.pausedUntil ?? 0;
  let version = 0;

  setHandler(acquireSlotSignal, (r) => {
    permits = r.permits;
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

  for (;;) {
    const now = Date.now();
    for (let i = holders.length - 1; i >= 0; i--) if (holders[i]!.until <= now) holders.splice(i, 1);
    while (now >= pausedUntil && holders.length < permits && queue.length) {
      const r = queue.shift()!;
      holders.push({ requestId: r.requestId, workflowId: r.workflowId, until: now + r.leaseMs });
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
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, providerSlots);
