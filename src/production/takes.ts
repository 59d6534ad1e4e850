/**
 * Takes: a scene's plan as it will be rendered now. An operator's retry (edited prompt, another provider/model) and a
 * reviewer's rejection each start a new take, with a cache key of its own so it never reuses the earlier clip.
 */
import { hashOf } from '../contracts/hash.js';
import type { ScenePlan } from '../storyboard/plan.js';

export interface TakeChange {
  /** Replaces the scene's own action text (bible, style and continuity context stay). */
  action?: string;
  provider?: string;
  model?: string;
  /** A reviewer's note: appended as a revision. */
  note?: string;
  /** The scene re-planned for another provider/model (settings, price, features), validated before it got here. */
  replanned?: Partial<ScenePlan>;
}

/** The plan of take `take` of a scene whose current plan is `p`. */
export function planTake(p: ScenePlan, take: number, change: TakeChange): ScenePlan {
  const action = change.action ? sentence(change.action) : p.actionText;
  let prompt = change.action ? action + p.prompt.slice(p.actionText.length) : p.prompt;
  if (change.note) prompt = `${prompt} Revision: ${sentence(change.note)}`;
  const provider = change.provider ?? p.provider;
  const model = change.model ?? p.model;
  return {
    ...p,
    ...(change.replanned ?? {}),
    prompt,
    actionText: action,
    provider,
    model,
    cacheKey: hashOf({ retakeOf: p.cacheKey, take, prompt, provider, model }),
  };
}

/** The cache key of a scene given what its predecessors really are (a retried predecessor changes it). */
export function keyAfterPredecessors(scene: ScenePlan, predecessorKeys: (string | undefined)[]): string {
  return hashOf({ planned: scene.cacheKey, after: predecessorKeys });
}

export const sentence = (s: string) => (/[.!?]$/.test(s.trim()) ? s.trim() : `${s.trim()}.`);
