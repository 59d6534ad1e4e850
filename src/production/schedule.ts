/**
 * The order in which startable scenes are considered. Which scenes may start at all is the production's business
 * (dependencies ready, the parallel cap, budget, abort); this file only ranks them.
 *
 * - `plan`: storyboard order (what every production did before the critical-path patch).
 * - `critical-path`: the scene with the longest remaining dependency path first, so a chain at the end of the
 *   storyboard does not wait behind independent shots (list scheduling by "highest level first"). The path length
 *   is measured in seconds of video, the best proxy of render time the plan has; ties keep storyboard order.
 */
import type { ScenePlan } from '../storyboard/plan.js';

export type SceneOrder = 'plan' | 'critical-path';

type Node = Pick<ScenePlan, 'id' | 'index' | 'seconds' | 'dependsOn'>;

/**
 * For each scene: its own seconds plus the longest path of seconds through the scenes that depend on it (directly
 * or not). A plan's dependencies form a DAG (the planner refuses cycles); a cycle here would throw.
 */
export function remainingPathSeconds(scenes: readonly Node[]): Map<string, number> {
  const dependents = new Map<string, Node[]>(scenes.map((s) => [s.id, []]));
  for (const s of scenes) for (const d of s.dependsOn) dependents.get(d)?.push(s);
  const memo = new Map<string, number>();
  const visiting = new Set<string>();
  const level = (s: Node): number => {
    const known = memo.get(s.id);
    if (known !== undefined) return known;
    if (visiting.has(s.id)) throw new Error(`scene ${s.id} depends on itself through its dependencies`);
    visiting.add(s.id);
    const next = Math.max(0, ...(dependents.get(s.id) ?? []).map(level));
    visiting.delete(s.id);
    const value = Math.max(s.seconds, 0) + next;
    memo.set(s.id, value);
    return value;
  };
  for (const s of scenes) level(s);
  return memo;
}

/** Scene ids in the order the scheduler considers them. */
export function sceneOrder(scenes: readonly Node[], order: SceneOrder): string[] {
  const byIndex = [...scenes].sort((a, b) => a.index - b.index);
  if (order === 'plan') return byIndex.map((s) => s.id);
  const level = remainingPathSeconds(scenes);
  return byIndex
    .map((s, i) => ({ id: s.id, level: level.get(s.id)!, i }))
    .sort((a, b) => b.level - a.level || a.i - b.i)
    .map((s) => s.id);
}
