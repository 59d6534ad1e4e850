/**
 * manifest.json: what was produced, how, and at what cost. Built in the workflow (deterministic) and written by
 * an activity. Per scene: prompt, provider, job ids, clip path and sha256, seconds, place in the final video,
 * timings; totals; the output's verification.
 */
import type { AssembleOutput } from '../activities/index.js';
import type { ProductionPlan, ScenePlan } from '../src/storyboard/plan.js';
import type { ProductionProgress, SceneStatus } from './definitions.js';
import type { FailoverRecord } from './failover.js';

/**
 * Who made the scene's clip and why there: the provider of the job that made it (a routed scene may have moved
 * from its planned provider), every move on the way, and for routed scenes the planned order of choices.
 */
export function madeBy(
  planned: ScenePlan,
  st: SceneStatus | undefined,
): { provider: string; model: string; failovers: FailoverRecord[]; choices?: string[] } {
  const attempts = st?.attempts ?? [];
  const maker = attempts.find((a) => a.jobId === (st?.clip?.jobId ?? st?.jobId) && a.provider) ?? attempts.findLast((a) => a.provider);
  return {
    provider: maker?.provider ?? st?.provider ?? planned.provider,
    model: maker?.model ?? st?.model ?? planned.model,
    failovers: attempts.flatMap((a) => (a.failover ? [a.failover] : [])),
    ...(planned.route ? { choices: planned.route.map((r) => `${r.provider}/${r.model}`) } : {}),
  };
}

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
          ...(assembled.poster ? { poster: assembled.poster } : {}),
          ...(assembled.contactSheet ? { contactSheet: assembled.contactSheet } : {}),
          audio: assembled.audio,
          clips: assembled.clips,
          warnings: assembled.warnings,
          stepsMs: assembled.stepsMs,
          verification: assembled.verification,
        }
      : null,
    scenes: plan.scenes.map((s) => {
      const st = progress.scenes.find((x) => x.id === s.id);
      const t = timing.get(s.id);
      const made = madeBy(s, st);
      return {
        id: s.id,
        index: s.index,
        title: s.title,
        state: st?.state ?? 'planned',
        ...(st?.reason ? { reason: st.reason } : {}),
        provider: made.provider,
        model: made.model,
        ...(made.choices ? { choices: made.choices } : {}),
        ...(made.failovers.length ? { failovers: made.failovers } : {}),
        prompt: s.prompt,
        ...(s.negativePrompt ? { negativePrompt: s.negativePrompt } : {}),
        continuity: s.continuity.mode,
        dependsOn: s.dependsOn,
        seconds: s.seconds,
        ...(s.generateSeconds !== undefined ? { generatedSeconds: s.generateSeconds } : {}),
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

export const LOCKFILE_VERSION = 1;

/**
 * storyreel.lock.json: what was really run — provider and model, resolved prompts, input hashes, job ids, costs —
 * enough to audit the run or reproduce it. The activity that writes it adds tool versions.
 */
export function buildLockfile(plan: ProductionPlan, progress: ProductionProgress, runId: string) {
  return {
    lockfileVersion: LOCKFILE_VERSION,
    productionId: plan.productionId,
    runId,
    state: progress.state,
    storyboardSha256: plan.storyboardSha256,
    house: plan.house,
    scenes: plan.scenes.map((s) => {
      const st = progress.scenes.find((x) => x.id === s.id);
      const made = madeBy(s, st);
      return {
        id: s.id,
        take: st?.take ?? 1,
        provider: made.provider,
        model: made.model,
        ...(made.failovers.length ? { failovers: made.failovers } : {}),
        prompt: st?.prompt ?? s.prompt,
        ...(s.negativePrompt ? { negativePrompt: s.negativePrompt } : {}),
        seconds: s.seconds,
        ...(s.generateSeconds !== undefined ? { generatedSeconds: s.generateSeconds } : {}),
        size: s.size,
        fps: s.fps,
        ...(s.seed !== undefined ? { seed: s.seed } : {}),
        inputs: {
          firstFrame:
            s.continuity.firstFrame?.kind === 'image'
              ? { image: s.continuity.firstFrame.sha256 }
              : s.continuity.firstFrame
                ? { lastFrameOf: s.continuity.firstFrame.sceneId }
                : null,
          lastFrame: s.continuity.lastFrame?.kind === 'image' ? { image: s.continuity.lastFrame.sha256 } : null,
          references: s.continuity.references.map((r) => r.sha256),
          extends: s.continuity.extendsSceneId ?? null,
        },
        cacheKey: s.cacheKey,
        state: st?.state ?? 'planned',
        placeholder: st?.placeholder ?? null,
        jobIds: (st?.attempts ?? []).map((a) => a.jobId),
        clipSha256: st?.clip?.sha256 ?? null,
        /** The key the take's clip is stored under (differs from cacheKey after a retake): resume carries it. */
        clipCacheKey: st?.clip?.cacheKey ?? null,
        costUsd: st?.costUsd ?? 0,
      };
    }),
    ledger: progress.ledger,
    totals: { costUsd: progress.costUsd, estimatedCostUsd: plan.totals.estimatedCostUsd },
  };
}
