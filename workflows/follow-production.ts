/**
 * followProduction: one per production run, started by the API (or the client) beside the production; it never
 * changes the production. It observes the run (an activity that reads progress and returns when something that
 * matters changed), keeps a durable event log (what the SSE stream replays after a reconnect), and delivers each
 * event to the run's webhook target with its own retry schedule, recording every attempt. Being a workflow, a
 * delivery that is due survives any restart of the API server or the workers; the event id stays the same.
 */
import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { followStateQuery, type DeliveryRecord, type FollowInput, type FollowState, type ProductionEvent } from './definitions.js';
import { eventsFrom, newCursor, webhookBody } from './follow-events.js';

/** Standard Webhooks' suggested schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (then give up). */
export const DEFAULT_RETRY_SCHEDULE_S = [5, 300, 1800, 7200, 18000, 36000, 36000];

export async function followProduction(input: FollowInput): Promise<FollowState> {
  // Observation only reads: retried without limit (a worker restart or a production between workers).
  const { observeProduction } = proxyActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  });
  // One POST per call: the workflow retries on its own schedule so every attempt is recorded.
  const { deliverWebhook } = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 1 } });

  const carried = input.carried;
  const events: ProductionEvent[] = [...(carried?.events ?? [])];
  const deliveries: DeliveryRecord[] = [...(carried?.deliveries ?? [])];
  const cursor = newCursor(carried?.seen ?? [], (events.at(-1)?.seq ?? 0) + 1);
  cursor.lastState = carried?.lastState;
  let digest = carried?.digest ?? '';
  let closed = false;
  let pending = 0;
  const schedule = input.retryScheduleS ?? DEFAULT_RETRY_SCHEDULE_S;
  const state = (after = 0): FollowState => ({
    productionId: input.productionId,
    runId: input.runId,
    done: closed && pending === 0,
    events: events.filter((e) => e.seq > after),
    deliveries,
  });
  setHandler(followStateQuery, (after) => state(after));

  const deliver = async (ev: ProductionEvent, target: NonNullable<FollowInput['webhook']>) => {
    const record: DeliveryRecord = { eventId: ev.id, type: ev.type, state: 'pending', attempts: [] };
    deliveries.push(record);
    pending++;
    const body = webhookBody(ev);
    try {
      for (let attempt = 0; ; attempt++) {
        delete record.nextAttemptAt;
        const outcome = await deliverWebhook({ url: target.url, allowPrivate: target.allowPrivate, id: ev.id, body }).catch(
          (err: unknown) => ({ ok: false, permanent: false, error: (err as Error).message, durationMs: 0 }) as const,
        );
        record.attempts.push({
          at: new Date().toISOString(),
          durationMs: outcome.durationMs,
          ...('status' in outcome && outcome.status !== undefined ? { status: outcome.status } : {}),
          ...(outcome.error ? { error: outcome.error } : {}),
        });
        if (outcome.ok) return void (record.state = 'delivered');
        const wait = schedule[attempt];
        if (outcome.permanent || wait === undefined) return void (record.state = 'failed');
        record.nextAttemptAt = new Date(Date.now() + wait * 1000).toISOString();
        await sleep(wait * 1000);
      }
    } finally {
      pending--;
    }
  };

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
      if (input.webhook) void deliver(ev, input.webhook);
    }
    if (!closed && pending === 0 && workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof followProduction>({
        ...input,
        carried: { ...state(), digest, seen: [...cursor.seen], ...(cursor.lastState ? { lastState: cursor.lastState } : {}) },
      });
    }
  }
  await condition(() => pending === 0 && allHandlersFinished());
  return state();
}
