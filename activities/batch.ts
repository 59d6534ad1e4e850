/**
 * Batch activities: read the batch's item list page by page, plan one item (an invalid storyboard is a result,
 * not a retryable failure), look up a production that already exists, write the summary.
 */
import { getClient } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { planFile } from '../src/load/load-storyboard.js';
import { PlanFileError, readPlanFile } from '../src/load/plan-file.js';
import { catalog } from '../src/providers/catalog.js';
import { writeJsonAtomic } from '../src/store/files.js';
import { StoryboardError } from '../src/storyboard/errors.js';
import type { ProductionPlan } from '../src/storyboard/plan.js';
import type { BatchItem } from '../src/storyboard/batch.js';

export interface BatchDeps {
  env: Readonly<Record<string, string | undefined>>;
  workDir: string;
}

/**
 * A planned item: the plan itself goes to `planFile` (the production reads it), so the batch's history holds only
 * this small summary however large the storyboards are.
 */
export type PlannedItem =
  | { ok: true; planFile: string; scenes: number; estimatedCostUsd: number; minSceneCostUsd: number; budgetUsd?: number; provider: string }
  | { ok: false; message: string };

/** What a batch learns about a production it did not hear from: its Temporal status and, once closed, its outcome. */
export interface ProductionOutcome {
  status: string;
  state?: string;
  outputPath?: string;
  costUsd?: number;
  message?: string;
}

export function batchActivities(deps: BatchDeps) {
  return {
    /** `limit` items from `offset` of the batch's item list (a JSON array written by the client). */
    async readBatchItems(input: { itemsFile: string; offset: number; limit: number }): Promise<BatchItem[]> {
      const items = JSON.parse(await readFile(input.itemsFile, 'utf8')) as BatchItem[];
      return items.slice(input.offset, input.offset + input.limit);
    },

    async planBatchItem(input: {
      productionId: string;
      item: BatchItem;
      planFile: string;
      allowAssetsOutside?: boolean;
    }): Promise<PlannedItem> {
      try {
        const { plan } = await planFile(input.item.file, {
          catalog,
          ...(input.allowAssetsOutside ? { allowAssetsOutside: true } : {}),
          productionId: input.productionId,
          ...(input.item.overrides ? { overrides: input.item.overrides } : {}),
          envBaseURL: { 'openai-videos': deps.env.OPENAI_BASE_URL },
          enhancer: { cacheDir: join(deps.workDir, 'enhancer'), env: deps.env },
        });
        await writeJsonAtomic(input.planFile, plan);
        const costs = plan.scenes.map((sc) => sc.estimatedCostUsd).filter((c) => c > 0);
        return {
          ok: true,
          planFile: input.planFile,
          scenes: plan.scenes.length,
          estimatedCostUsd: plan.totals.estimatedCostUsd,
          minSceneCostUsd: costs.length ? Math.min(...costs) : 0,
          ...(plan.budgetUsd !== undefined ? { budgetUsd: plan.budgetUsd } : {}),
          provider: plan.scenes[0]?.provider ?? 'local',
        };
      } catch (err) {
        if (err instanceof StoryboardError) return { ok: false, message: err.message };
        throw err;
      }
    },

    /** A plan written by planBatchItem, or by a client that passed its plan by file (checked against its sha256). */
    async readPlan(input: { planFile: string; planSha256?: string }): Promise<ProductionPlan> {
      try {
        return await readPlanFile(input.planFile, input.planSha256);
      } catch (err) {
        if (err instanceof PlanFileError)
          throw ApplicationFailure.create({ type: 'InvalidInput', message: err.message, nonRetryable: true });
        throw err;
      }
    },

    /** The state of a production that already exists (a batch resumed after its rows were lost). */
    describeProduction,

    /**
     * Of these productions, the ones that are closed, with their outcome (a batch sweeping children it carried over a
     * continue-as-new: one that was terminated never sends its batchItemDone signal).
     */
    async closedProductions(input: { productionIds: string[] }): Promise<Record<string, ProductionOutcome>> {
      const out: Record<string, ProductionOutcome> = {};
      for (const productionId of input.productionIds) {
        const d = await describeProduction({ productionId });
        if (d.status !== 'RUNNING') out[productionId] = d;
      }
      return out;
    },

    async writeBatchSummary(input: { dir: string; summary: unknown }): Promise<string> {
      const path = join(input.dir, 'batch-summary.json');
      await writeJsonAtomic(path, input.summary);
      return path;
    },
  };
}

async function describeProduction(input: { productionId: string }): Promise<ProductionOutcome> {
  const handle = getClient().workflow.getHandle(input.productionId);
  const desc = await handle.describe();
  const status = desc.status.name;
  if (status === 'RUNNING') return { status };
  if (status === 'TERMINATED') return { status, state: 'failed', message: 'the production was terminated before it finished' };
  if (status === 'TIMED_OUT') return { status, state: 'failed', message: 'the production timed out before it finished' };
  try {
    const r = (await handle.result()) as { state: string; outputPath?: string; costUsd: number };
    return { status, state: r.state, ...(r.outputPath ? { outputPath: r.outputPath } : {}), costUsd: r.costUsd };
  } catch (err) {
    return {
      status,
      state: status === 'CANCELLED' ? 'cancelled' : 'failed',
      message: err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : (err as Error).message,
    };
  }
}
