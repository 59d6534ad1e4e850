/** Batch request and response shapes. */
import { z } from 'zod';

export const BatchItemView = z.object({
  key: z.string(),
  productionId: z.string(),
  state: z.string(),
  stage: z.string().optional(),
  sceneId: z.string().optional(),
  reason: z.string().optional(),
  costUsd: z.number(),
  scenes: z.object({ ready: z.number(), total: z.number() }),
  url: z.string(),
});

export const BatchView = z
  .object({
    batchId: z.string(),
    state: z.enum(['running', 'completed', 'failed', 'cancelled']),
    total: z.number().int(),
    counts: z.record(z.string(), z.number()),
    costUsd: z.number(),
    budgetUsd: z.number().optional(),
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    etaSeconds: z.number().optional(),
    inFlight: z.array(z.string()),
    links: z.object({ self: z.string(), items: z.string() }),
  })
  .meta({ id: 'Batch' });

export const BatchCreated = z
  .object({
    batchId: z.string(),
    items: z.number().int(),
    attached: z.boolean(),
    links: z.object({ self: z.string(), items: z.string(), webhooks: z.string().optional() }),
  })
  .meta({ id: 'BatchCreated' });

export const BatchCreateQuery = z.object({
  callbackUrl: z
    .string()
    .optional()
    .describe('http(s) URL that receives signed webhooks for this batch: each item done or failed, then the batch ended'),
});

const DeliveryView = z.object({
  eventId: z.string(),
  type: z.string(),
  state: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.array(z.object({ at: z.string(), status: z.number().optional(), error: z.string().optional(), durationMs: z.number() })),
  nextAttemptAt: z.string().optional(),
});

export const BatchDeliveriesView = z
  .object({ batchId: z.string(), webhook: z.boolean(), deliveries: z.array(DeliveryView) })
  .meta({ id: 'BatchWebhookDeliveries' });

export const BatchItems = z.object({ items: z.array(BatchItemView) }).meta({ id: 'BatchItems' });

export const BatchResumeBody = z.object({ budgetUsd: z.number().positive().optional() }).strict().default({});
