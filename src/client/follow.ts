/**
 * Following a production run: its followProduction workflow (id `<production>/follow/<runId>`) keeps the run's
 * event log and delivers webhooks. Starting it is idempotent (one follower per run); it never touches the
 * production itself, so it can be attached to any run at any time, including one started by the CLI.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { followStateQuery, type FollowInput, type FollowState, type WebhookTarget } from '../../workflows/definitions.js';
import type { followProduction } from '../../workflows/follow-production.js';
import { productionWorkflowId } from '../contracts/names.js';
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
  const input: FollowInput = {
    productionId,
    runId,
    ...(opts.webhook ? { webhook: opts.webhook } : {}),
    ...(opts.pollMs ? { pollMs: opts.pollMs } : {}),
    ...(opts.retryScheduleS ? { retryScheduleS: opts.retryScheduleS } : {}),
  };
  const workflowId = followWorkflowId(productionId, runId);
  await ctx.temporal.workflow
    .start<typeof followProduction>('followProduction', {
      workflowId,
      taskQueue: ctx.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    })
    .catch((err: unknown) => {
      // A follower that finished already (REJECT_DUPLICATE) is the run's follower: its log is in its result.
      if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    });
  return workflowId;
}

/** The follower's log after `afterSeq` and its deliveries; undefined when the run has no follower. */
export async function followState(ctx: ClientContext, productionId: string, runId: string, afterSeq = 0): Promise<FollowState | undefined> {
  const handle = ctx.temporal.workflow.getHandle<typeof followProduction>(followWorkflowId(productionId, runId));
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  if (status === 'RUNNING') return handle.query(followStateQuery, afterSeq);
  const done = await handle.result();
  return { ...done, events: done.events.filter((e) => e.seq > afterSeq) };
}
