/**
 * manifest.json: what was produced, how, and at what cost. Built in the workflow (deterministic) and written by
 * an activity. Per scene: prompt, provider, job ids, clip path and sha256, seconds, place in the final video,
 * timings; totals; the output's verification.
 */
import type { AssembleOutput } from '../activities/index.js';
import type { ProductionPlan } from '../src/storyboard/plan.js';
import type { ProductionProgress } from './definitions.js';

export const MANIFEST_VERSION = 1;

export function buildManifest(plan: ProductionPlan, progress: ProductionProgress, assembled: AssembleOutput | undefined) {
  const timing = new Map(assembled?.scenes.map((t) => [t.sceneId, t]));
  return {
    manifestVersion: MANIFEST_VERSION,
    productionId: plan.productionId,
    title: plan.title,
    state: progress.state,
    ...(progress.message ? { message: progress.message } : {}),
    storyboardSha256: plan.storyboardSha256,
    startedAt: progress.startedAt,
    finishedAt: progress.updatedAt,
    house: plan.house,
    output: assembled
      ? {
          path: assembled.path,
          method: assembled.method,
          durationS: assembled.durationS,
          frames: assembled.frames,
          sidecars: assembled.sidecars,
          verification: assembled.verification,
        }
      : null,
    scenes: plan.scenes.map((s) => {
      const st = progress.scenes.find((x) => x.id === s.id);
      const t = timing.get(s.id);
      return {
        id: s.id,
        index: s.index,
        title: s.title,
        state: st?.state ?? 'planned',
        ...(st?.reason ? { reason: st.reason } : {}),
        provider: s.provider,
        model: s.model,
        prompt: s.prompt,
        ...(s.negativePrompt ? { negativePrompt: s.negativePrompt } : {}),
        continuity: s.continuity.mode,
        dependsOn: s.dependsOn,
        seconds: s.seconds,
        cacheKey: s.cacheKey,
        cached: st?.cached ?? false,
        jobId: st?.clip?.jobId ?? st?.jobId ?? null,
        attempts: st?.attempts ?? [],
        clip: st?.clip ?? null,
        estimatedCostUsd: s.estimatedCostUsd,
        costUsd: st?.costUsd ?? 0,
        startS: t?.startS ?? null,
        endS: t?.endS ?? null,
        normalized: t?.normalized ?? [],
        timings: { startedAt: st?.startedAt ?? null, finishedAt: st?.finishedAt ?? null },
      };
    }),
    totals: {
      scenes: plan.scenes.length,
      ready: progress.scenes.filter((s) => s.state === 'ready').length,
      failed: progress.scenes.filter((s) => s.state === 'failed').length,
      cached: progress.scenes.filter((s) => s.cached).length,
      seconds: plan.totals.seconds,
      durationS: assembled?.durationS ?? plan.totals.durationSeconds,
      estimatedCostUsd: plan.totals.estimatedCostUsd,
      costUsd: progress.costUsd,
    },
  };
}

export type Manifest = ReturnType<typeof buildManifest>;
