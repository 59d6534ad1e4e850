/**
 * One production, from the client's side: start it idempotently, read its progress and result, follow it, start a
 * new run of one that stopped. The workflow id is the production id, so every call addresses it by that id.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  progressQuery,
  type ProduceInput,
  type ProductionProgress,
  type ProductionResult,
  type Timeouts,
} from '../../workflows/definitions.js';
import type { produceStoryboard } from '../../workflows/produce-storyboard.js';
import { productionWorkflowId, SEARCH_ATTRIBUTES } from '../contracts/names.js';
import { carryLastRun, type LastScene } from '../production/carry.js';
import { catalog } from '../providers/catalog.js';
import type { ProductionPlan } from '../storyboard/plan.js';
import { StoryboardError } from '../storyboard/errors.js';
import { maxRequestTimeoutMs, SUBMIT_MARGIN_S, SUBMIT_TIMEOUT_DEFAULT_S } from '../contracts/provider-settings.js';
import { replanScene } from '../storyboard/replan.js';
import type { ClientContext } from './context.js';
import { ProductionConflictError, ProductionFailedError } from './errors.js';
import { lastPlan } from './history.js';
import { INLINE_PLAN_MAX_BYTES, planBytes, writePlanFile, type PlanBy } from '../load/plan-file.js';

export interface SubmitOptions {
  /** Output directory for this production (default <outDir>/<production id>). */
  outDir?: string;
  timeouts?: Timeouts;
  /** Start a new run even after a completed one (resuming a production that completed with placeholders). */
  afterCompletion?: boolean;
  /**
   * This client sees the workers' files (the CLI's `run`): a completed production whose final.mp4 is no longer where
   * it was delivered is delivered again into `outDir` from the clip store, with a budget of $0 so nothing is paid.
   */
  redeliverMissingOutput?: boolean;
  /**
   * How the plan reaches the workers: 'file' writes it to <workDir>/plans/<sha256>.json and the start input carries
   * the path and hash (the workers must read the client's work dir); 'inline' puts it in the start input; 'auto'
   * (default) inlines plans up to INLINE_PLAN_MAX_BYTES and passes larger ones by file.
   */
  planBy?: PlanBy;
  /** The production's history bound in events (default 40,000; see ProduceInput.historyEventLimit). */
  historyEventLimit?: number;
  /** The same in bytes (default 40 MiB; ProduceInput.historyBytesLimit). */
  historyBytesLimit?: number;
}

export interface Submitted {
  productionId: string;
  workflowId: string;
  runId: string;
  /** True when a production with this id already existed (running or completed): nothing new was started. */
  attached: boolean;
  /** Temporal execution status at submission (RUNNING, COMPLETED, ...). */
  state: string;
  outDir: string;
  /** resume: what the new run carries from the last one (edited prompts, switches, approved takes), per scene. */
  carried?: string[];
  /** A completed production's output was gone: a new run is assembling it again from the clip store, paying nothing. */
  redelivered?: { missingPath: string };
}

export interface ResumeOptions {
  /** Sets or raises the budget cap (USD). */
  budgetUsd?: number;
  /** How long failed scenes wait for an operator decision. */
  operatorWaitSeconds?: number;
}

/** Statuses after which a production may be started again under the same id (ALLOW_DUPLICATE_FAILED_ONLY). */
const RESTARTABLE = new Set(['FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']);

export function productionHandle(ctx: ClientContext, productionId: string): WorkflowHandle<typeof produceStoryboard> {
  return ctx.temporal.workflow.getHandle<typeof produceStoryboard>(productionWorkflowId(productionId));
}

/**
 * Starts the production, idempotently: submitting the same production again while it runs attaches to it, and a
 * completed one is not produced again.
 */
export async function submitProduction(ctx: ClientContext, plan: ProductionPlan, opts: SubmitOptions = {}): Promise<Submitted> {
  checkRequestTimeouts(plan, opts.timeouts?.submitS);
  const workflowId = productionWorkflowId(plan.productionId);
  const outDir = resolve(opts.outDir ?? resolve(ctx.outDir, plan.productionId));
  const attached = (runId: string, state: string): Submitted => ({
    productionId: plan.productionId,
    workflowId,
    runId,
    attached: true,
    state,
    outDir,
  });
  const existing = await productionHandle(ctx, plan.productionId)
    .describe()
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    });
  // Running: attach. Completed: it was produced already; nothing is started twice. Either way only for the same
  // content: the id is the production's identity, and its content hash (memo) is what it was made from.
  // (A resume of a production that completed with placeholders starts a new run after the completed one.)
  let redeliver: { missingPath: string } | undefined;
  const again = opts.afterCompletion === true && existing?.status.name === 'COMPLETED';
  if (existing && !RESTARTABLE.has(existing.status.name)) {
    const made = existing.memo?.contentSha256;
    if (typeof made === 'string' && made !== plan.contentSha256) {
      throw new ProductionConflictError(
        `production ${plan.productionId} already exists (${existing.status.name.toLowerCase()}) and was made from different content ` +
          `(the storyboard or a file it names changed since: ${made.slice(0, 12)} then, ${plan.contentSha256.slice(0, 12)} now). ` +
          'Give this version another --id, or leave --id out (the default id follows the content).',
      );
    }
    redeliver =
      existing.status.name === 'COMPLETED' && opts.redeliverMissingOutput ? await missingOutput(ctx, plan.productionId) : undefined;
    if (!redeliver && !again) return attached(existing.runId, existing.status.name);
  }
  const input: ProduceInput = {
    ...(await planInput(ctx, plan, opts.planBy ?? 'auto')),
    outDir,
    ...(opts.historyEventLimit !== undefined ? { historyEventLimit: opts.historyEventLimit } : {}),
    ...(opts.historyBytesLimit !== undefined ? { historyBytesLimit: opts.historyBytesLimit } : {}),
    ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
    // Re-delivery assembles from the clip store: a $0 budget stops it rather than pay for a clip that is gone.
    ...(redeliver ? { budgetUsd: 0 } : {}),
  };
  try {
    const handle = await ctx.temporal.workflow.start<typeof produceStoryboard>('produceStoryboard', {
      workflowId,
      taskQueue: ctx.taskQueue,
      args: [input],
      memo: { contentSha256: plan.contentSha256 },
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: redeliver || again ? 'ALLOW_DUPLICATE' : 'ALLOW_DUPLICATE_FAILED_ONLY',
      ...((await ctx.searchAttributesRegistered())
        ? {
            typedSearchAttributes: [
              { key: SEARCH_ATTRIBUTES.productionId, value: plan.productionId },
              { key: SEARCH_ATTRIBUTES.provider, value: plan.scenes[0]?.provider ?? 'local' },
              { key: SEARCH_ATTRIBUTES.state, value: 'running' },
            ],
          }
        : {}),
    });
    return {
      productionId: plan.productionId,
      workflowId,
      runId: handle.firstExecutionRunId,
      attached: false,
      state: 'RUNNING',
      outDir,
      ...(redeliver ? { redelivered: redeliver } : {}),
    };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const desc = await productionHandle(ctx, plan.productionId).describe();
    return attached(desc.runId, desc.status.name);
  }
}

/** The final.mp4 a completed production delivered, when it is no longer there (deleted or moved). */
async function missingOutput(ctx: ClientContext, productionId: string): Promise<{ missingPath: string } | undefined> {
  const r = await productionHandle(ctx, productionId)
    .result()
    .catch(() => undefined);
  if (!r?.outputPath) return undefined;
  return existsSync(r.outputPath) ? undefined : { missingPath: r.outputPath };
}

/**
 * Live progress while running (a query, answered by a worker); after it closed, the final state from the
 * workflow's result or failure (no worker needed).
 */
export async function productionStatus(ctx: ClientContext, productionId: string): Promise<ProductionProgress> {
  const handle = productionHandle(ctx, productionId);
  let desc;
  try {
    desc = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new Error(`no production "${productionId}" on this server`, { cause: err });
    throw err;
  }
  if (desc.status.name === 'RUNNING') return handle.query(progressQuery);
  const times = { startedAt: desc.startTime.toISOString(), updatedAt: (desc.closeTime ?? desc.startTime).toISOString() };
  try {
    const r = await handle.result();
    return {
      productionId,
      title: r.title,
      state: r.state,
      percent: 100,
      scenes: r.scenes,
      costUsd: r.costUsd,
      estimatedCostUsd: r.estimatedCostUsd,
      ledger: r.ledger,
      ...times,
      ...(r.outputPath ? { outputPath: r.outputPath } : {}),
    };
  } catch (err) {
    return (
      closedProgress(err) ?? {
        productionId,
        title: productionId,
        state: desc.status.name === 'CANCELLED' ? 'cancelled' : 'failed',
        percent: 0,
        scenes: [],
        costUsd: 0,
        estimatedCostUsd: 0,
        ledger: [],
        ...times,
        message: `${desc.status.name.toLowerCase()}: ${(err as Error).message}`,
      }
    );
  }
}

/** Waits for the production to finish; throws ProductionFailedError with its progress when it failed. */
export async function productionResult(ctx: ClientContext, productionId: string): Promise<ProductionResult> {
  try {
    return await productionHandle(ctx, productionId).result();
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      throw new ProductionFailedError(err.cause?.message ?? err.message, productionId, closedProgress(err));
    }
    throw err;
  }
}

/** Polls progress every `intervalMs` until the production closes, calling `onProgress` on every change. */
export async function watchProduction(
  ctx: ClientContext,
  productionId: string,
  onProgress: (p: ProductionProgress) => void,
  intervalMs = 500,
): Promise<ProductionResult> {
  const done = productionResult(ctx, productionId);
  let closed = false;
  done.then(
    () => (closed = true),
    () => (closed = true),
  );
  let last = '';
  while (!closed) {
    try {
      const p = await productionStatus(ctx, productionId);
      const key = JSON.stringify(p.scenes.map((s) => [s.state, s.progress, s.attempts.length])) + p.state;
      if (key !== last) onProgress(p);
      last = key;
    } catch {
      // the query can fail briefly while a worker restarts; the result promise decides
    }
    await Promise.race([done.catch(() => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
  }
  try {
    onProgress(await productionStatus(ctx, productionId));
  } catch {
    // closed workflows answer queries only while a worker runs; the result carries what matters
  }
  return done;
}

/**
 * Starts a new run of a production that failed, was cancelled, terminated, ran out of budget or completed with
 * placeholders, with the last effective plan: the operator's edited prompts and provider/model switches and the
 * approved takes of the last run carry over (src/production/carry.ts). Every finished clip comes from the store;
 * only what is missing (placeholders included) is generated.
 */
export async function resumeProduction(ctx: ClientContext, productionId: string, opts: ResumeOptions = {}): Promise<Submitted> {
  const desc = await productionHandle(ctx, productionId).describe();
  if (desc.status.name === 'RUNNING') throw new Error(`production ${productionId} is still running; nothing to resume`);
  const lastRun = await productionStatus(ctx, productionId);
  const completed = desc.status.name === 'COMPLETED';
  if (completed && lastRun.state !== 'completed_with_placeholders')
    throw new Error(`production ${productionId} completed; nothing to resume`);
  const { plan: last, input } = await lastPlan(ctx, productionId);
  const scenes: readonly LastScene[] = lastRun.scenes.length ? lastRun.scenes : await lockfileScenes(input.outDir);
  const { plan: carried, notes } = carryLastRun(last, scenes, (scene, provider, model) =>
    replanScene({ scene, provider, model, catalog, ...settingsFor(last, provider) }),
  );
  const plan: ProductionPlan = {
    ...carried,
    ...(opts.budgetUsd !== undefined ? { budgetUsd: opts.budgetUsd } : {}),
    ...(opts.operatorWaitSeconds !== undefined ? { operatorWaitSeconds: opts.operatorWaitSeconds } : {}),
  };
  const submitted = await submitProduction(ctx, plan, {
    outDir: input.outDir,
    ...(input.timeouts ? { timeouts: input.timeouts } : {}),
    ...(completed ? { afterCompletion: true } : {}),
  });
  return { ...submitted, carried: notes };
}

/** A provider's settings in this plan (from a scene that uses it), for re-planning a switch to it. */
function settingsFor(plan: ProductionPlan, provider: string) {
  const settings = plan.scenes.find((s) => s.provider === provider)?.settings;
  return settings ? { settings } : {};
}

/**
 * The scenes of the last run from its lockfile, when the run left no progress behind (a cancelled or terminated
 * run). No lockfile: nothing to carry.
 */
async function lockfileScenes(outDir: string): Promise<LastScene[]> {
  try {
    const lock = JSON.parse(await readFile(join(outDir, 'storyreel.lock.json'), 'utf8')) as {
      scenes: (Omit<LastScene, 'clip'> & { clipCacheKey?: string | null })[];
    };
    return lock.scenes.map(({ clipCacheKey, ...s }) => ({ ...s, ...(clipCacheKey ? { clip: { cacheKey: clipCacheKey } } : {}) }));
  } catch {
    return [];
  }
}

/** The progress a closed production attached to its failure (details[0].progress), if any. */
function closedProgress(err: unknown): ProductionProgress | undefined {
  if (!(err instanceof WorkflowFailedError) || !(err.cause instanceof ApplicationFailure)) return undefined;
  return (err.cause.details?.[0] as { progress?: ProductionProgress } | undefined)?.progress;
}

/**
 * A submit cannot outlive its activity: every provider's requestTimeoutMs must end inside the submit timeout this
 * production runs with (Timeouts.submitS), with SUBMIT_MARGIN_S to spare. Throws StoryboardError naming the field.
 */
export function checkRequestTimeouts(plan: ProductionPlan, submitS: number = SUBMIT_TIMEOUT_DEFAULT_S): void {
  const max = maxRequestTimeoutMs(submitS);
  const issues = new Map<string, string>();
  for (const sc of plan.scenes) {
    const ms = sc.settings.requestTimeoutMs;
    if (ms !== undefined && ms > max)
      issues.set(
        `providers.${sc.provider}.requestTimeoutMs`,
        `${ms} ms does not end inside the submit's ${submitS} s timeout with ${SUBMIT_MARGIN_S} s to spare; at most ${max} ms (or raise timeouts.submitS)`,
      );
  }
  if (issues.size)
    throw new StoryboardError(
      plan.productionId,
      [...issues].map(([path, message]) => ({ path, message })),
    );
}

/** The plan inline, or the file and hash that stand for it (SubmitOptions.planBy). */
async function planInput(
  ctx: ClientContext,
  plan: ProductionPlan,
  by: PlanBy,
): Promise<Pick<ProduceInput, 'plan' | 'planFile' | 'planSha256'>> {
  if (by === 'inline' || (by === 'auto' && planBytes(plan).length <= INLINE_PLAN_MAX_BYTES)) return { plan };
  return writePlanFile(ctx.workDir, plan);
}
