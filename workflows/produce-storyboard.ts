/**
 * produceStoryboard: the whole production. Starts a child renderScene per scene as soon as its dependencies are
 * ready (a chain runs in order; independent scenes and separate chains run in parallel), at most
 * maxParallelScenes at once; then assembles, verifies and writes the manifest.
 * A scene failure never hides: the production is never "completed" while a scene failed.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  executeChild,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, AssembleOutput } from '../activities/index.js';
import type { ClipRecord } from '../src/store/clip-store.js';
import type { ScenePlan } from '../src/storyboard/plan.js';
import {
  progressQuery,
  sceneUpdateSignal,
  sceneWorkflowId,
  type FailureReason,
  type ProduceInput,
  type ProductionProgress,
  type ProductionResult,
  type ProductionState,
  type SceneStatus,
} from './definitions.js';
import { buildManifest } from './manifest.js';
import { failureDetails, renderScene, type SceneResult } from './render-scene.js';

export async function produceStoryboard(input: ProduceInput): Promise<ProductionResult> {
  const { plan } = input;
  const info = workflowInfo();
  const heartbeatTimeout = `${input.timeouts?.heartbeatS ?? 30}s`;
  // Assembly re-encodes audio (and video when needed): minutes for long productions; heartbeats carry progress.
  const media = proxyActivities<Activities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout,
    retry: { initialInterval: '5s', maximumAttempts: 3 },
  });
  const local = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } });

  const startedAt = new Date().toISOString();
  let state: ProductionState = 'running';
  let message: string | undefined;
  let outputPath: string | undefined;
  let assemblyFraction = 0;
  let version = 0;
  const scenes = new Map<string, SceneStatus>(
    plan.scenes.map((s) => [
      s.id,
      { id: s.id, index: s.index, title: s.title, state: 'planned', progress: 0, cached: false, attempts: [], estimatedCostUsd: s.estimatedCostUsd, costUsd: 0 },
    ]),
  );
  const results = new Map<string, SceneResult>();
  const started = new Set<string>();
  let running = 0;

  const costUsd = () => round4([...scenes.values()].reduce((t, s) => t + s.costUsd, 0));
  const progress = (): ProductionProgress => {
    const weights = [...scenes.values()].map((s) =>
      s.state === 'ready' ? 1 : s.state === 'downloaded' ? 0.95 : s.state === 'rendering' ? 0.1 + 0.8 * s.progress : s.state === 'submitted' ? 0.1 : 0,
    );
    const sceneShare = weights.reduce((a, b) => a + b, 0) / Math.max(1, weights.length);
    const percent = state === 'completed' ? 100 : Math.round((sceneShare * 0.9 + assemblyFraction * 0.1) * 1000) / 10;
    return {
      productionId: plan.productionId,
      title: plan.title,
      state,
      percent,
      scenes: [...scenes.values()],
      costUsd: costUsd(),
      estimatedCostUsd: plan.totals.estimatedCostUsd,
      startedAt,
      updatedAt: new Date().toISOString(),
      ...(message ? { message } : {}),
      ...(outputPath ? { outputPath } : {}),
    };
  };
  setHandler(progressQuery, progress);
  setHandler(sceneUpdateSignal, (u) => {
    const s = scenes.get(u.sceneId);
    if (!s || s.state === 'ready' || s.state === 'failed') return;
    s.state = u.state;
    if (u.progress !== undefined) s.progress = u.progress;
    if (u.jobId) s.jobId = u.jobId;
    if (u.attempt) {
      const i = s.attempts.findIndex((a) => a.jobId === u.attempt!.jobId);
      if (i >= 0) s.attempts[i] = u.attempt;
      else s.attempts.push(u.attempt);
      s.costUsd = round4(s.attempts.reduce((t, a) => t + a.estimatedCostUsd, 0));
    }
  });

  const clipOf = (id: string): ClipRecord | undefined => results.get(id)?.clip;
  const fail = (s: SceneStatus, reason: FailureReason) => {
    s.state = 'failed';
    s.reason = reason;
    s.finishedAt = new Date().toISOString();
  };

  const launch = (scene: ScenePlan) => {
    started.add(scene.id);
    running++;
    const status = scenes.get(scene.id)!;
    status.startedAt = new Date().toISOString();
    const predecessorId = scene.continuity.firstFrame?.kind === 'previous-last-frame' ? scene.continuity.firstFrame.sceneId : scene.continuity.extendsSceneId;
    const predecessor = predecessorId ? clipOf(predecessorId) : undefined;
    executeChild(renderScene, {
      workflowId: sceneWorkflowId(info.workflowId, scene.id),
      args: [
        {
          productionId: plan.productionId,
          scene,
          ...(predecessor ? { predecessor, predecessorJobId: predecessor.jobId } : {}),
          ...(input.timeouts ? { timeouts: input.timeouts } : {}),
        },
      ],
    })
      .then((r) => {
        results.set(scene.id, r);
        status.state = 'ready';
        status.progress = 1;
        status.cached = r.cached;
        status.attempts = r.attempts;
        status.costUsd = r.costUsd;
        status.jobId = r.clip.jobId;
        status.clip = { path: r.clip.path, sha256: r.clip.sha256, bytes: r.clip.bytes, durationS: r.clip.durationS, jobId: r.clip.jobId };
        status.finishedAt = new Date().toISOString();
      })
      .catch((err: unknown) => {
        if (isCancellation(err)) return;
        const d = failureDetails(err);
        const attempts = (d as { attempts?: SceneStatus['attempts'] } | undefined)?.attempts;
        if (attempts) {
          status.attempts = attempts;
          status.costUsd = round4(attempts.reduce((t, a) => t + a.estimatedCostUsd, 0));
        }
        const message = err instanceof ChildWorkflowFailure && err.cause ? err.cause.message : (err as Error).message;
        fail(status, { ...(d ?? { kind: 'Error' }), message, ...(d?.provider ? {} : { provider: scene.provider }) });
      })
      .finally(() => {
        running--;
        version++;
      });
  };

  try {
    // Schedule: start whatever is ready, wait for any change, repeat.
    for (;;) {
      for (const scene of plan.scenes) {
        if (started.has(scene.id)) continue;
        const failedDep = scene.dependsOn.find((d) => scenes.get(d)?.state === 'failed');
        if (failedDep) {
          started.add(scene.id);
          fail(scenes.get(scene.id)!, { kind: 'dependency_failed', message: `not started: it continues from scene ${failedDep}, which failed` });
          continue;
        }
        if (running >= plan.maxParallelScenes) break;
        if (scene.dependsOn.every((d) => scenes.get(d)?.state === 'ready')) launch(scene);
      }
      if (running === 0 && started.size === plan.scenes.length) break;
      const seen = version;
      await condition(() => version !== seen);
    }

    const failed = [...scenes.values()].filter((s) => s.state === 'failed');
    if (failed.length) {
      state = 'failed';
      message = `${failed.length} of ${plan.scenes.length} scenes failed; every finished clip is kept. Fix the cause, then resume: storyreel resume ${plan.productionId}`;
      const manifestPath = await local.writeManifest({ outDir: input.outDir, manifest: buildManifest(plan, progress(), undefined) });
      throw ApplicationFailure.create({
        type: 'ProductionFailed',
        nonRetryable: true,
        message: `${message}\n${failed.map((s) => `  ${s.id}: ${s.reason?.message ?? 'failed'}`).join('\n')}`,
        details: [{ manifestPath, progress: progress() }],
      });
    }

    state = 'assembling';
    const assembled: AssembleOutput = await media.assembleVideo({
      productionId: plan.productionId,
      plan,
      outDir: input.outDir,
      clips: plan.scenes.map((s) => ({
        sceneId: s.id,
        title: s.title,
        path: clipOf(s.id)!.path,
        transition: s.transition,
        ...(s.narration ? { narration: s.narration } : {}),
        ...(s.narrationAudio ? { narrationAudio: s.narrationAudio.path } : {}),
      })),
    });
    assemblyFraction = 1;
    outputPath = assembled.path;
    state = 'completed';
    const manifestPath = await local.writeManifest({ outDir: input.outDir, manifest: buildManifest(plan, progress(), assembled) });
    return {
      productionId: plan.productionId,
      title: plan.title,
      state,
      estimatedCostUsd: plan.totals.estimatedCostUsd,
      outputPath: assembled.path,
      manifestPath,
      durationS: assembled.durationS,
      costUsd: costUsd(),
      scenes: [...scenes.values()],
    };
  } catch (err) {
    if (isCancellation(err)) {
      state = 'cancelled';
      message = `cancelled; finished clips are kept. Resume with: storyreel resume ${plan.productionId}`;
      await CancellationScope.nonCancellable(() => local.writeManifest({ outDir: input.outDir, manifest: buildManifest(plan, progress(), undefined) }));
    } else if (state !== 'failed') {
      state = 'failed';
      message = (err as Error).message;
      await local.writeManifest({ outDir: input.outDir, manifest: buildManifest(plan, progress(), undefined) });
    }
    throw err;
  }
}

const round4 = (n: number) => Math.round(n * 10_000) / 10_000;
