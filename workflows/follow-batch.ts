/**
 * followBatch: one per batch run (chain), started by the API beside a batch created with a callback URL; it never
 * changes the batch. It observes the batch's rows (an activity that returns when items became final or the batch
 * closed), logs each change once as an event whose id is derived from what changed, and delivers every event to the
 * batch's webhook target through the same delivery loop as productions (webhook-delivery.ts).
 *
 * Events: batch.item_done (an item completed, with placeholders or not), batch.item_failed (any other final row:
 * failed, invalid, budget, cancelled, not started), then batch.completed / batch.failed / batch.cancelled.
 */
import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { sha256Hex } from '../src/contracts/hash.js';
import {
  batchFollowStateQuery,
  type BatchEvent,
  type BatchFollowState,
  type BatchRow,
  type BatchSnapshot,
  type DeliveryRecord,
  type FollowBatchInput,
} from './definitions.js';
import { DEFAULT_RETRY_SCHEDULE_S, webhookDeliverer } from './webhook-delivery.js';

const DONE_STATES = new Set<BatchRow['state']>(['completed', 'completed_with_placeholders']);

export async function followBatch(input: FollowBatchInput): Promise<BatchFollowState> {
  // Observation only reads: retried without limit.
  const { observeBatch } = proxyActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  });
  const carried = input.carried;
  const events: BatchEvent[] = [...(carried?.events ?? [])];
  const deliveries: DeliveryRecord[] = [...(carried?.deliveries ?? [])];
  const seen = new Set(carried?.seen ?? []);
  let offset = carried?.offset ?? 0;
  let closed = false;
  const { deliver, counter } = webhookDeliverer(input.retryScheduleS ?? DEFAULT_RETRY_SCHEDULE_S, deliveries);
  const state = (after = 0): BatchFollowState => ({
    batchId: input.batchId,
    done: closed && counter.pending === 0,
    events: events.filter((e) => e.seq > after),
    deliveries,
  });
  setHandler(batchFollowStateQuery, (after) => state(after));

  const add = (key: string, ev: Omit<BatchEvent, 'id' | 'seq' | 'batchId' | 'at'>) => {
    if (seen.has(key)) return;
    seen.add(key);
    const event: BatchEvent = {
      id: `evt_${sha256Hex(`batch/${input.batchId}/${input.firstRunId}/${key}`).slice(0, 32)}`,
      seq: (events.at(-1)?.seq ?? 0) + 1,
      batchId: input.batchId,
      at: new Date().toISOString(),
      ...ev,
    };
    events.push(event);
    if (input.webhook) void deliver(event, batchWebhookBody(event), input.webhook);
  };

  while (!closed) {
    const snap: BatchSnapshot = await observeBatch({ batchId: input.batchId, offset, maxWaitMs: 50_000, pollMs: input.pollMs ?? 1000 });
    offset = Math.max(offset, snap.seen);
    for (const row of snap.rows) {
      add(`item/${row.key}/${row.state}`, {
        type: DONE_STATES.has(row.state) ? 'batch.item_done' : 'batch.item_failed',
        state: row.state,
        itemKey: row.key,
        productionId: row.productionId,
        costUsd: row.costUsd,
        ...(row.reason ? { reason: row.reason } : {}),
        ...(row.outputPath ? { outputPath: row.outputPath } : {}),
      });
    }
    if (snap.end) {
      closed = true;
      add(`end/${snap.end.state}`, {
        type: `batch.${snap.end.state}`,
        state: snap.end.state,
        costUsd: snap.end.costUsd,
        counts: snap.end.counts,
        ...(snap.end.reason ? { reason: snap.end.reason } : {}),
      });
    }
    if (!closed && counter.pending === 0 && workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof followBatch>({ ...input, carried: { ...state(), offset, seen: [...seen] } });
    }
  }
  await condition(() => counter.pending === 0 && allHandlersFinished());
  return state();
}

/** Standard Webhooks' envelope, as for productions; the same bytes on every attempt. */
export function batchWebhookBody(ev: BatchEvent): string {
  const { id, seq: _seq, type, at, ...data } = ev;
  return JSON.stringify({ type, timestamp: at, data: { eventId: id, ...data } });
}
