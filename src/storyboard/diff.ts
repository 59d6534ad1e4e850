/**
 * What a plan would generate compared with an earlier production of the same story, and why. Pure.
 * A scene is reused when its cache key is in the clip store; otherwise the reasons name what changed.
 */
import type { ProductionPlan, ScenePlan } from './plan.js';

export interface SceneDiff {
  sceneId: string;
  action: 'reuse' | 'generate';
  reasons: string[];
  estimatedCostUsd: number;
}

export interface PlanDiff {
  scenes: SceneDiff[];
  generate: number;
  reuse: number;
  estimatedCostUsd: number;
}

export function diffPlans(current: ProductionPlan, previous: ProductionPlan | undefined, stored: ReadonlySet<string>): PlanDiff {
  const changed = new Set<string>();
  const scenes = current.scenes.map((s): SceneDiff => {
    if (stored.has(s.cacheKey)) return { sceneId: s.id, action: 'reuse', reasons: ['in the clip store'], estimatedCostUsd: 0 };
    const before = previous?.scenes.find((p) => p.id === s.id);
    const reasons = before ? changes(s, before, changed) : ['new scene'];
    if (before && before.cacheKey !== s.cacheKey) changed.add(s.id);
    if (!reasons.length) reasons.push('not in the clip store (it failed or never finished)');
    return { sceneId: s.id, action: 'generate', reasons, estimatedCostUsd: s.estimatedCostUsd };
  });
  const generate = scenes.filter((s) => s.action === 'generate');
  return {
    scenes,
    generate: generate.length,
    reuse: scenes.length - generate.length,
    estimatedCostUsd: Math.round(generate.reduce((t, s) => t + s.estimatedCostUsd, 0) * 10_000) / 10_000,
  };
}

function changes(s: ScenePlan, before: ScenePlan, changedScenes: ReadonlySet<string>): string[] {
  if (s.cacheKey === before.cacheKey) return [];
  const out: string[] = [];
  if (s.prompt !== before.prompt) out.push('prompt changed');
  if (s.negativePrompt !== before.negativePrompt) out.push('negative prompt changed');
  if (s.seconds !== before.seconds) out.push(`length ${before.seconds} s → ${s.seconds} s`);
  if (s.provider !== before.provider || s.model !== before.model) out.push(`${before.provider}/${before.model} → ${s.provider}/${s.model}`);
  if (s.size.width !== before.size.width || s.size.height !== before.size.height || s.fps !== before.fps)
    out.push('size or frame rate changed');
  if (s.seed !== before.seed) out.push('seed changed');
  const img = (p: ScenePlan) =>
    JSON.stringify([
      p.continuity.firstFrame,
      p.continuity.lastFrame,
      p.continuity.references.map((r) => r.sha256),
      p.continuity.extendsSceneId,
    ]);
  const upstream = s.dependsOn.filter((d) => changedScenes.has(d));
  if (upstream.length) out.push(`continues from ${upstream.join(', ')}, which changes`);
  else if (img(s) !== img(before)) out.push('continuity inputs changed');
  if (!out.length) out.push('render settings changed');
  return out;
}
