/**
 * Following a production run: its followProduction workflow (id `<production>/follow/<runId>`) keeps the run's
 * event log and delivers webhooks. Starting it is idempotent (one follower per run); it never touches the
 * production itself, so it can be attached to any run at any time, including one started by the CLI.
 */
import { WorkflowNotFoundError, type QueryDefinition } from '@temporalio/client';
import {
  batchFollowStateQuery,
  followStateQuery,
  type BatchFollowState,
  type FollowBatchInput,
  type FollowInput,
  type FollowState,
  type WebhookTarget,
} from '../../workflows/definitions.js';
import type { followBatch } from '../../workflows/follow-batch.js';
import type { followProduction } from '../../workflows/follow-production.js';
import { batchWorkflowId, productionWorkflowId } from '../contracts/names.js';
import type { ClientContext } from './context.js';
import { productionHandle } from './productions.js';

export const followWorkflowId = (productionId: string, runId: string) => `${productionWorkflowId(productionId)}/follow/${runId}`;

export interface FollowOptions {
  webhook?: WebhookTarget;
  pollMs?: number;
  retryScheduleS?: number[];
}

/** The production's latest run id (throws when there is no such production). */
export async function latestRunId(ctx: ClientContext, productionId: string): Promise<string> {
  try {
    return (await productionHandle(ctx, productionId).describe()).runId;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new Error(`no production "${productionId}" on this server`, { cause: err });
    throw err;
  }
}

/** Starts the run's follower, or leaves the one that exists (the first start's webhook target stays). */
export async function followRun(ctx: ClientContext, productionId: string, runId: string, opts: FollowOptions = {}): Promise<string> {
  const input: FollowInput = { productionId, runId, ...followerOptions(opts) };
  return startFollowerOnce<typeof followProduction>(ctx, 'followProduction', followWorkflowId(productionId, runId), input);
}

/** The follower's log after `afterSeq` and its deliveries; undefined when the run has no follower. */
export async function followState(ctx: ClientContext, productionId: string, runId: string, afterSeq = 0): Promise<FollowState | undefined> {
  return followerState<FollowState>(ctx, followWorkflowId(productionId, runId), followStateQuery, afterSeq);
}

/** The batch follower's id: `batch-<id>/follow/<first run id>` (one per batch run chain). */
export const batchFollowWorkflowId = (batchId: string, firstRunId: string) => `${batchWorkflowId(batchId)}/follow/${firstRunId}`;

/** Starts the follower of the batch's current run chain once (the first start's webhook target stays); returns its id. */
export async function followBatchRun(ctx: ClientContext, batchId: string, opts: FollowOptions = {}): Promise<string> {
  const desc = await ctx.temporal.workflow.getHandle(batchWorkflowId(batchId)).describe();
  const firstRunId = desc.raw.workflowExecutionInfo?.firstRunId || desc.runId;
  const input: FollowBatchInput = { batchId, firstRunId, ...followerOptions(opts) };
  return startFollowerOnce<typeof followBatch>(ctx, 'followBatch', batchFollowWorkflowId(batchId, firstRunId), input);
}

/** The events and deliveries of the follower of the batch's current run chain; undefined when it has none. */
export async function batchFollowState(ctx: ClientContext, batchId: string, afterSeq = 0): Promise<BatchFollowState | undefined> {
  let workflowId: string;
  try {
    const desc = await ctx.temporal.workflow.getHandle(batchWorkflowId(batchId)).describe();
    workflowId = batchFollowWorkflowId(batchId, desc.raw.workflowExecutionInfo?.firstRunId || desc.runId);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  return followerState<BatchFollowState>(ctx, workflowId, batchFollowStateQuery, afterSeq);
}

/** The options a follower's input carries, without the unset ones. */
function followerOptions(opts: FollowOptions): Pick<FollowInput, 'webhook' | 'pollMs' | 'retryScheduleS'> {
  return {
    ...(opts.webhook ? { webhook: opts.webhook } : {}),
    ...(opts.pollMs ? { pollMs: opts.pollMs } : {}),
    ...(opts.retryScheduleS ? { retryScheduleS: opts.retryScheduleS } : {}),
  };
}

/** Starts a follower once: a running one is kept, and one that finished (REJECT_DUPLICATE) is the follower too. */
async function startFollowerOnce<W extends typeof followProduction | typeof followBatch>(
  ctx: ClientContext,
  type: 'followProduction' | 'followBatch',
  workflowId: string,
  input: Parameters<W>[0],
): Promise<string> {
  await ctx.temporal.workflow
    .start(type, {
      workflowId,
      taskQueue: ctx.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    })
    .catch((err: unknown) => {
      if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    });
  return workflowId;
}

/** A follower's events after `afterSeq` and its deliveries: queried while it runs, from its result once done. */
async function followerState<S extends { events: { seq: number }[] }>(
  ctx: ClientContext,
  workflowId: string,
  query: QueryDefinition<S, [number]>,
  afterSeq: number,
): Promise<S | undefined> {
  const handle = ctx.temporal.workflow.getHandle(workflowId);
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  if (status === 'RUNNING') return handle.query(query, afterSeq);
  const done = (await handle.result()) as S;
  return { ...done, events: done.events.filter((e) => e.seq > afterSeq) };
}
