/**
 * Failover, pure: the order in which a routed scene tries its choices, the cache key each choice's clip has at run
 * time, and which failures move the scene to the next choice. renderScene (render-scene.ts) applies it.
 *
 * Provider-level failures move on: the provider cannot make anything now whatever the input (quota, auth, the model
 * gone, an outage seen by the shared circuit breaker), or its jobs keep getting stuck. A content_policy refusal
 * never moves: the same input is not silently sent to another provider (the scene waits for an operator).
 */
import { hashOf } from '../src/contracts/hash.js';
import type { FailoverRecord } from '../src/production/types.js';
import type { ScenePlan } from '../src/storyboard/plan.js';

export type { FailoverRecord };

export const FAILOVER_KINDS: ReadonlySet<string> = new Set(['quota_exhausted', 'auth', 'model_unavailable', 'provider_outage']);

/** Jobs of one choice that pass their deadline before the scene moves to the next choice. */
export const STUCK_JOBS_BEFORE_FAILOVER = 2;

/**
 * The scene as each of its choices would make it, in order; the first is the scene as given. A fallback's clip
 * depends on the clip it continues from and on the take, so where the scene was re-keyed at run time (a predecessor
 * made by another choice, an operator's retry, a rejected take) the fallback's key is derived from the scene's.
 */
export function routeOf(scene: ScenePlan, take: number): ScenePlan[] {
  const continues = scene.continuity.firstFrame?.kind === 'previous-last-frame' || !!scene.continuity.extendsSceneId;
  const rekey = continues || take > 1;
  const { negativePrompt: _n, generateSeconds: _g, fallbacks: _f, route: _r, ...shared } = scene;
  return [
    scene,
    ...(scene.fallbacks ?? []).map((c) => ({
      ...shared,
      ...c,
      cacheKey: rekey ? hashOf({ fallback: c.cacheKey, of: scene.cacheKey, take }) : c.cacheKey,
    })),
  ];
}

/** Whether this failure moves the scene to its next choice, and why (undefined: it does not). */
export function failoverReason(
  failure: { kind: string; message: string },
  stuckJobs: number,
  hasNext: boolean,
): { kind: string; message: string } | undefined {
  if (!hasNext) return undefined;
  if (FAILOVER_KINDS.has(failure.kind)) return { kind: failure.kind, message: failure.message };
  if (failure.kind === 'job_stuck' && stuckJobs >= STUCK_JOBS_BEFORE_FAILOVER) {
    return { kind: 'job_stuck', message: `${stuckJobs} jobs passed their deadline: ${failure.message}` };
  }
  return undefined;
}

/** An extension continues a job of the provider that made the previous clip; no other provider can. */
export function canMake(choice: ScenePlan, predecessorProvider: string | undefined): boolean {
  return !choice.continuity.extendsSceneId || predecessorProvider === undefined || predecessorProvider === choice.provider;
}
