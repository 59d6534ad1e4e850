/**
 * Operator and reviewer decisions: Temporal Updates whose validators refuse a decision that does not apply (the
 * production is unchanged then) and whose result is the scene's new status.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import {
  decideSceneUpdate,
  reviewSceneUpdate,
  type ReviewDecision,
  type SceneDecision,
  type SceneStatus,
} from '../../workflows/definitions.js';
import type { ClientContext } from './context.js';
import { DecisionRejectedError } from './errors.js';
import { productionHandle } from './productions.js';

/** Retry (optionally edited), skip or abort a failed scene. Throws DecisionRejectedError with the reason. */
export async function decideScene(ctx: ClientContext, productionId: string, decision: SceneDecision): Promise<SceneStatus> {
  return rejectedAsError(productionHandle(ctx, productionId).executeUpdate(decideSceneUpdate, { args: [decision] }));
}

/** Approve or reject a take waiting for review. Throws DecisionRejectedError with the reason. */
export async function reviewScene(ctx: ClientContext, productionId: string, decision: ReviewDecision): Promise<SceneStatus> {
  return rejectedAsError(productionHandle(ctx, productionId).executeUpdate(reviewSceneUpdate, { args: [decision] }));
}

async function rejectedAsError<T>(update: Promise<T>): Promise<T> {
  try {
    return await update;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new DecisionRejectedError((err.cause as Error | undefined)?.message ?? err.message);
    throw err;
  }
}
