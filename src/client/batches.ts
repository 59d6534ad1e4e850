/**
 * Batches from the client's side: start one from a manifest (or resume it), read its progress, summary and rows.
 * The manifest is resolved here (src/load) and its item list written where workers read it.
 */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { resolve } from 'node:path';
import { batchProgressQuery, type BatchInput, type BatchProgress, type BatchRow, type BatchSummary } from '../../workflows/definitions.js';
import type { produceBatch } from '../../workflows/produce-batch.js';
import { batchWorkflowId, SEARCH_ATTRIBUTES } from '../contracts/names.js';
import { resolveBatchManifest } from '../load/batch-manifest.js';
import { PRIORITY_KEY } from '../storyboard/batch.js';
import type { ClientContext } from './context.js';

export interface BatchSubmitted {
  batchId: string;
  workflowId: string;
  items: number;
  /** True when the batch was running or had completed: nothing new was started. */
  attached: boolean;
  /** Items are produced into <outRoot>/<item key>/. */
  outRoot: string;
}

export interface SubmitBatchOptions {
  /** Keep the items that finished well in the latest run; run only the failed, budget-stopped or missing ones. */
  resume?: boolean;
  /** Overrides the manifest's budget cap (USD). */
  budgetUsd?: number;
  /** Let the items' storyboards name files outside their own folders (see LoadOptions.allowAssetsOutside). */
  allowAssetsOutside?: boolean;
}

/** The batch is running with another item list: nothing was started. */
export class BatchConflictError extends Error {
  override readonly name = 'BatchConflictError';
}

function batchHandle(ctx: ClientContext, batchId: string): WorkflowHandle<typeof produceBatch> {
  return ctx.temporal.workflow.getHandle<typeof produceBatch>(batchWorkflowId(batchId));
}

/** Starts a batch, or attaches to the running one (or to the completed one, unless resuming). */
export async function submitBatch(ctx: ClientContext, file: string, opts: SubmitBatchOptions = {}): Promise<BatchSubmitted> {
  const { manifest, batchId, items, itemsFile, itemsSha256 } = await resolveBatchManifest(file, ctx.workDir);
  const workflowId = batchWorkflowId(batchId);
  const outRoot = resolve(ctx.outDir, batchId);
  const result = (attached: boolean): BatchSubmitted => ({ batchId, workflowId, items: items.length, attached, outRoot });
  const existing = await batchHandle(ctx, batchId)
    .describe()
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    });
  if (existing?.status.name === 'RUNNING') {
    const running = existing.memo?.itemsSha256;
    if (typeof running === 'string' && running !== itemsSha256) {
      throw new BatchConflictError(
        `batch ${batchId} is running with a different item list (the manifest or its storyboards changed since it started); ` +
          'wait for it to finish, cancel it, or give the new manifest another `batch` name',
      );
    }
    return result(true);
  }
  if (existing?.status.name === 'COMPLETED' && !opts.resume) return result(true);
  const kept =
    existing && opts.resume
      ? (await batchRows(ctx, batchId)).filter((r) => r.state === 'completed' || r.state === 'completed_with_placeholders')
      : [];
  const budgetUsd = opts.budgetUsd ?? manifest.budget?.maxUsd;
  const spent = kept.reduce((t, r) => t + r.costUsd, 0);
  const input: BatchInput = {
    batchId,
    itemsFile,
    total: items.length,
    maxParallelProductions: manifest.maxParallelProductions,
    priorityKey: PRIORITY_KEY[manifest.priority],
    outRoot,
    searchAttributes: await ctx.searchAttributesRegistered(),
    ...(budgetUsd !== undefined ? { budgetUsd: Math.max(0, budgetUsd - spent) } : {}),
    ...(kept.length ? { rows: kept } : {}),
    ...(opts.allowAssetsOutside ? { allowAssetsOutside: true } : {}),
  };
  await ctx.temporal.workflow.start<typeof produceBatch>('produceBatch', {
    workflowId,
    taskQueue: ctx.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    memo: { itemsSha256 },
    ...(input.searchAttributes ? { typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.batchId, value: batchId }] } : {}),
  });
  return result(false);
}

/** The rows of a batch's latest run when it completed; none while it runs or after it failed. */
export async function batchRows(ctx: ClientContext, batchId: string): Promise<BatchRow[]> {
  const handle = batchHandle(ctx, batchId);
  const desc = await handle.describe();
  if (desc.status.name === 'COMPLETED') return (await handle.result()).rows;
  return [];
}

/** Progress while running (a query, answered by a worker); the summary once it finished. */
export async function batchStatus(ctx: ClientContext, batchId: string): Promise<BatchProgress | BatchSummary> {
  const handle = batchHandle(ctx, batchId);
  const desc = await handle.describe();
  if (desc.status.name === 'RUNNING') return handle.query(batchProgressQuery);
  return handle.result();
}

/** Waits for the batch's summary. */
export async function batchResult(ctx: ClientContext, batchId: string): Promise<BatchSummary> {
  return batchHandle(ctx, batchId).result();
}
