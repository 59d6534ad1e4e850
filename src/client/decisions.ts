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
import { catalog } from '../providers/catalog.js';
import { replanScene } from '../storyboard/replan.js';
import type { ClientContext } from './context.js';
import { DecisionRejectedError } from './errors.js';
import { lastPlan } from './history.js';
import { productionHandle, productionStatus } from './productions.js';

/**
 * Retry (optionally edited, optionally on another provider/model), skip or abort a failed scene. A switch is
 * re-planned here with the provider catalog (capabilities, availability, price) and refused before anything is sent
 * when the scene cannot run there; the workflow then checks the price against what is left of the budget.
 * Throws DecisionRejectedError with the reason.
 */
export async function decideScene(ctx: ClientContext, productionId: string, decision: SceneDecision): Promise<SceneStatus> {
  const d = decision.action === 'retry' && (decision.provider || decision.model) ? await withReplan(ctx, productionId, decision) : decision;
  return rejectedAsError(productionHandle(ctx, productionId).executeUpdate(decideSceneUpdate, { args: [d] }));
}

async function withReplan(ctx: ClientContext, productionId: string, d: SceneDecision): Promise<SceneDecision> {
  const [{ plan }, progress] = await Promise.all([lastPlan(ctx, productionId), productionStatus(ctx, productionId)]);
  const planned = plan.scenes.find((s) => s.id === d.sceneId);
  const now = progress.scenes.find((s) => s.id === d.sceneId);
  if (!planned || !now) throw new DecisionRejectedError(`no scene "${d.sceneId}" in production ${productionId}`);
  const provider = d.provider ?? now.provider;
  const own = plan.scenes.find((s) => s.provider === provider)?.settings;
  const extended = planned.continuity.extendsSceneId;
  const result = replanScene({
    scene: { ...planned, provider: now.provider, model: now.model, prompt: now.prompt },
    provider,
    ...(d.model ? { model: d.model } : {}),
    ...(d.prompt ? { prompt: d.prompt + now.prompt.slice(planned.actionText.length) } : {}),
    catalog,
    ...(own ? { settings: own } : {}),
    ...(extended ? { extendedProvider: progress.scenes.find((s) => s.id === extended)?.provider ?? '' } : {}),
  });
  if (!result.ok)
    throw new DecisionRejectedError(
      `scene ${d.sceneId} cannot be retried on ${provider}${d.model ? `/${d.model}` : ''}: ${result.issues.join('; ')}`,
    );
  return { ...d, provider: result.change.provider, model: result.change.model, replanned: result.change };
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
