/**
 * followProduction: one per production run, started by the API (or the client) beside the production; it never
 * changes the production. It observes the run (an activity that reads progress and returns when something that
 * matters changed), keeps a durable event log (what the SSE stream replays after a reconnect), and delivers each
 * event to the run's webhook target with its own retry schedule, recording every attempt. Being a workflow, a
 * delivery that is due survives any restart of the API server or the workers; the event id stays the same.
 */
import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { followStateQuery, type DeliveryRecord, type FollowInput, type FollowState, type ProductionEvent } from './definitions.js';
import { eventsFrom, newCursor, webhookBody } from './follow-events.js';
import { DEFAULT_RETRY_SCHEDULE_S, webhookDeliverer } from './webhook-delivery.js';

export { DEFAULT_RETRY_SCHEDULE_S };

export async function followProduction(input: FollowInput): Promise<FollowState> {
  // Observation only reads: retried without limit (a worker restart or a production between workers).
  const { observeProduction } = proxyActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  });

  const carried = input.carried;
  const events: ProductionEvent[] = [...(carried?.events ?? [])];
  const deliveries: DeliveryRecord[] = [...(carried?.deliveries ?? [])];
  const cursor = newCursor(carried?.seen ?? [], (events.at(-1)?.seq ?? 0) + 1);
  cursor.lastState = carried?.lastState;
  let digest = carried?.digest ?? '';
  let closed = false;
  // One POST per call: the workflow retries on its own schedule so every attempt is recorded.
  const { deliver, counter } = webhookDeliverer(input.retryScheduleS ?? DEFAULT_RETRY_SCHEDULE_S, deliveries);
  const state = (after = 0): FollowState => ({
    productionId: input.productionId,
    runId: input.runId,
    done: closed && counter.pending === 0,
    events: events.filter((e) => e.seq > after),
    deliveries,
  });
  setHandler(followStateQuery, (after) => state(after));

  while (!closed) {
    const snap = await observeProduction({
      productionId: input.productionId,
      runId: input.runId,
      since: digest,
      maxWaitMs: 50_000,
      pollMs: input.pollMs ?? 1000,
    });
    digest = snap.digest;
    closed = snap.closed;
    for (const ev of eventsFrom(input.productionId, snap, cursor, new Date().toISOString())) {
      events.push(ev);
      if (input.webhook) void deliver(ev, webhookBody(ev), input.webhook);
    }
    if (!closed && counter.pending === 0 && workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof followProduction>({
        ...input,
        carried: { ...state(), digest, seen: [...cursor.seen], ...(cursor.lastState ? { lastState: cursor.lastState } : {}) },
      });
    }
  }
  await condition(() => counter.pending === 0 && allHandlersFinished());
  return state();
}
