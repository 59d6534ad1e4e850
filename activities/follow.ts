/**
 * The follower's activities: read a production run's state (through the worker's own Temporal client) until
 * something that matters changes, and deliver one signed webhook attempt. Neither changes the production.
 */
import { getClient, heartbeat, sleep } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import {
  batchRowsQuery,
  progressQuery,
  type BatchSnapshot,
  type BatchSummary,
  type ProductionProgress,
  type ProductionResult,
  type ProductionSnapshot,
} from '../workflows/definitions.js';
import { batchWorkflowId, productionWorkflowId } from '../src/contracts/names.js';
import { deliverOnce, type DeliveryAttempt } from '../src/webhooks/deliver.js';
import { webhookSecretFrom, WebhookSecretError } from '../src/webhooks/signing.js';

export interface FollowDeps {
  env: Readonly<Record<string, string | undefined>>;
}

export interface ObserveInput {
  productionId: string;
  runId: string;
  /** The digest of the snapshot the follower has; returns as soon as the run's digest differs (or it closed). */
  since: string;
  maxWaitMs: number;
  pollMs: number;
}

export interface ObserveBatchInput {
  batchId: string;
  /** Rows the follower has seen of the running batch; returns when there are more, or the batch closed. */
  offset: number;
  maxWaitMs: number;
  pollMs: number;
}

export interface DeliverInput {
  url: string;
  allowPrivate: boolean;
  id: string;
  body: string;
}

export function followActivities(deps: FollowDeps) {
  return {
    /** Reads the run every `pollMs` until its digest differs from `since`, it closed, or `maxWaitMs` passed. */
    async observeProduction(input: ObserveInput): Promise<ProductionSnapshot> {
      const handle = getClient().workflow.getHandle(productionWorkflowId(input.productionId), input.runId, { followRuns: false });
      const until = Date.now() + input.maxWaitMs;
      for (;;) {
        const snap = await snapshotOf(handle, input.runId);
        if (snap.digest !== input.since || snap.closed || Date.now() >= until) return snap;
        heartbeat();
        await sleep(input.pollMs);
      }
    },

    /** Reads the batch's rows every `pollMs` until rows past `offset` exist, it closed, or `maxWaitMs` passed. */
    async observeBatch(input: ObserveBatchInput): Promise<BatchSnapshot> {
      const handle = getClient().workflow.getHandle(batchWorkflowId(input.batchId));
      const until = Date.now() + input.maxWaitMs;
      for (;;) {
        const desc = await handle.describe();
        if (desc.status.name !== 'RUNNING') return closedBatch(handle, desc.status.name);
        const rows = await handle.query(batchRowsQuery, input.offset);
        if (rows.length || Date.now() >= until) return { closed: false, rows, seen: input.offset + rows.length };
        heartbeat();
        await sleep(input.pollMs);
      }
    },

    /** One signed POST of `body`. The outcome is data: the workflow records it and decides about retrying. */
    async deliverWebhook(input: DeliverInput): Promise<DeliveryAttempt> {
      let secret: string;
      try {
        secret = webhookSecretFrom(deps.env);
      } catch (err) {
        if (err instanceof WebhookSecretError)
          return { ok: false, permanent: true, error: `this worker cannot sign: ${err.message}`, durationMs: 0 };
        throw err;
      }
      return deliverOnce({ ...input, secret, timeoutMs: 10_000, userAgent: 'storyreel-webhooks/1' });
    },
  };
}

async function snapshotOf(handle: WorkflowHandle, runId: string): Promise<ProductionSnapshot> {
  const desc = await handle.describe();
  if (desc.status.name === 'RUNNING') return compact(runId, false, await handle.query(progressQuery));
  try {
    const r = (await handle.result()) as ProductionResult;
    return compact(runId, true, {
      state: r.state,
      costUsd: r.costUsd,
      scenes: r.scenes,
      ...(r.outputPath ? { outputPath: r.outputPath } : {}),
    });
  } catch (err) {
    const progress =
      err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure
        ? (err.cause.details?.[0] as { progress?: ProductionProgress } | undefined)?.progress
        : undefined;
    const state = progress?.state ?? (desc.status.name === 'CANCELLED' ? 'cancelled' : 'failed');
    return compact(runId, true, { state, costUsd: progress?.costUsd ?? 0, scenes: progress?.scenes ?? [] });
  }
}

function compact(
  runId: string,
  closed: boolean,
  p: Pick<ProductionProgress, 'state' | 'costUsd' | 'scenes' | 'outputPath'>,
): ProductionSnapshot {
  const scenes = p.scenes.map((s) => {
    const reviewed = [...(s.rejectedTakes ?? []).map((t) => t.take), ...(s.approvedTake ? [s.approvedTake] : [])];
    return {
      id: s.id,
      take: s.take,
      state: s.state,
      costUsd: s.costUsd,
      ...(s.reason ? { reason: { kind: s.reason.kind, message: s.reason.message } } : {}),
      ...(reviewed.length ? { reviewedTakes: reviewed } : {}),
    };
  });
  const digest = createHash('sha256')
    .update(JSON.stringify([closed, p.state, scenes.map((s) => [s.id, s.take, s.state])]))
    .digest('hex');
  return { runId, closed, state: p.state, costUsd: p.costUsd, scenes, digest, ...(p.outputPath ? { outputPath: p.outputPath } : {}) };
}

/** A closed batch: every row of its summary (the follower skips those it logged), and how it ended. */
async function closedBatch(handle: WorkflowHandle, status: string): Promise<BatchSnapshot> {
  try {
    const summary = (await handle.result()) as BatchSummary;
    const counts: Record<string, number> = {};
    for (const r of summary.rows) counts[r.state] = (counts[r.state] ?? 0) + 1;
    return { closed: true, rows: summary.rows, seen: summary.rows.length, end: { state: 'completed', counts, costUsd: summary.costUsd } };
  } catch (err) {
    const cancelled = status === 'CANCELLED';
    return {
      closed: true,
      rows: [],
      seen: 0,
      end: { state: cancelled ? 'cancelled' : 'failed', counts: {}, costUsd: 0, reason: (err as Error).message.slice(0, 300) },
    };
  }
}
