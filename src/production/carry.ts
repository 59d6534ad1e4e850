/**
 * What a resumed run carries from the last one (issue 11 item 10): the plan as it was really being rendered, not
 * as it was first planned. Per scene, from the last run's scene statuses:
 * - a ready (approved) take is kept by the key its clip is stored under, and is not reviewed again;
 * - an operator's edited prompt and provider/model switch stay (a switch is re-planned again by `replan`, which the
 *   client gives with the provider catalog), with a cache key of their own;
 * - a take still awaiting review comes back from the store and waits for review again;
 * - skipped scenes (placeholders) and failed ones are rendered again, with what the operator last asked for;
 * - scenes that continue from a scene whose key changed get a key that says so (never a stale continuation).
 * Pure: plain data in, plain data out.
 */
import { hashOf } from '../contracts/hash.js';
import type { ProductionPlan, ScenePlan } from '../storyboard/plan.js';
import type { SceneSwitch } from '../storyboard/replan.js';
import type { SceneStatus } from './types.js';

/** What the last run says about a scene (its progress, result, failure details or lockfile). */
export type LastScene = Pick<SceneStatus, 'id' | 'state' | 'prompt' | 'provider' | 'model'> & {
  take?: number;
  clip?: { cacheKey?: string } | null;
};

export type Replan = (
  scene: ScenePlan,
  provider: string,
  model: string,
) => { ok: true; change: SceneSwitch } | { ok: false; issues: string[] };

export interface Carried {
  plan: ProductionPlan;
  /** One line per scene that differs from its first plan, saying what was carried (or could not be). */
  notes: string[];
}

export function carryLastRun(plan: ProductionPlan, last: readonly LastScene[], replan: Replan): Carried {
  const byId = new Map(last.map((s) => [s.id, s]));
  const notes: string[] = [];
  /** Each scene's key as carried (dependencies come earlier in story order). */
  const keyOf = new Map<string, string>();
  const scenes = plan.scenes.map((p): ScenePlan => {
    const was = byId.get(p.id);
    let scene = p;
    const what: string[] = [];
    if (was && (was.provider !== p.provider || was.model !== p.model)) {
      const r = replan({ ...p, prompt: was.prompt }, was.provider, was.model);
      if (r.ok) {
        scene = { ...scene, ...r.change };
        what.push(`on ${was.provider}/${was.model}`);
      } else notes.push(`${p.id}: stays on ${p.provider}/${p.model}; ${was.provider}/${was.model} no longer fits: ${r.issues.join('; ')}`);
    }
    if (was && was.prompt !== p.prompt) {
      const context = p.prompt.slice(p.actionText.length);
      const actionText = context && was.prompt.endsWith(context) ? was.prompt.slice(0, was.prompt.length - context.length) : p.actionText;
      scene = { ...scene, prompt: was.prompt, actionText };
      what.push('the edited prompt');
    }
    const storedKey = was && (was.state === 'ready' || was.state === 'awaiting_review') ? was.clip?.cacheKey : undefined;
    if (storedKey) {
      scene = { ...scene, cacheKey: storedKey, ...(was!.state === 'ready' ? { review: false } : {}) };
      if (storedKey !== p.cacheKey) what.push(`take ${was!.take ?? '?'}${was!.state === 'ready' && p.review ? ' (approved)' : ''}`);
    } else {
      if (what.length)
        scene = {
          ...scene,
          cacheKey: hashOf({ carriedFrom: p.cacheKey, prompt: scene.prompt, provider: scene.provider, model: scene.model }),
        };
      if (p.dependsOn.some((d) => keyOf.get(d) !== plan.scenes.find((x) => x.id === d)?.cacheKey)) {
        scene = { ...scene, cacheKey: hashOf({ planned: scene.cacheKey, after: p.dependsOn.map((d) => keyOf.get(d)) }) };
        what.push('a new key after its changed predecessor');
      }
    }
    keyOf.set(p.id, scene.cacheKey);
    if (what.length) notes.push(`${p.id}: ${what.join(', ')}`);
    return scene;
  });
  return {
    plan: { ...plan, scenes, totals: { ...plan.totals, estimatedCostUsd: round4(scenes.reduce((t, s) => t + s.estimatedCostUsd, 0)) } },
    notes,
  };
}

const round4 = (n: number) => Math.round(n * 10_000) / 10_000;
