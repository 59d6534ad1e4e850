/**
 * Delivering one event to a webhook target, shared by the production and batch followers: one signed POST per
 * activity call (never retried by Temporal), retried by the workflow on its own schedule so every attempt is
 * recorded, with the same webhook-id and bytes each time. Sleeps are workflow timers: a due retry survives restarts.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { DeliveryRecord, WebhookTarget } from './definitions.js';

/** Standard Webhooks' suggested schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (then give up). */
export const DEFAULT_RETRY_SCHEDULE_S = [5, 300, 1800, 7200, 18000, 36000, 36000];

export function webhookDeliverer(schedule: readonly number[], deliveries: DeliveryRecord[]) {
  const { deliverWebhook } = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 1 } });
  const counter = { pending: 0 };
  const deliver = async (event: { id: string; type: string }, body: string, target: WebhookTarget) => {
    const record: DeliveryRecord = { eventId: event.id, type: event.type, state: 'pending', attempts: [] };
    deliveries.push(record);
    counter.pending++;
    try {
      for (let attempt = 0; ; attempt++) {
        delete record.nextAttemptAt;
        const outcome = await deliverWebhook({ url: target.url, allowPrivate: target.allowPrivate, id: event.id, body }).catch(
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
      counter.pending--;
    }
  };
  return { deliver, counter };
}
