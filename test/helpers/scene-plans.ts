/**
 * Small production plans built by hand for tests of the pure production core (src/production) and its benchmark:
 * only what the core reads is meaningful; the rest has valid placeholder values.
 */
import type { ClipRecord } from '../../src/contracts/clips.js';
import { hashOf } from '../../src/contracts/hash.js';
import type { ProductionPlan, ScenePlan } from '../../src/storyboard/plan.js';

export interface SceneSpec {
  id: string;
  dependsOn?: string[];
  seconds?: number;
  estimatedCostUsd?: number;
  review?: boolean;
  remix?: boolean;
  provider?: string;
  model?: string;
  /** Chain the first frame from this scene (the workflow passes its clip as predecessor). */
  chainFrom?: string;
}

export function scenePlan(spec: SceneSpec, index: number): ScenePlan {
  const prompt = `Scene ${spec.id} happens.`;
  return {
    index,
    id: spec.id,
    title: `Scene ${spec.id}`,
    provider: spec.provider ?? 'local',
    model: spec.model ?? 'local-1',
    settings: {},
    prompt,
    actionText: prompt,
    trimmedBlocks: [],
    seconds: spec.seconds ?? 4,
    frames: (spec.seconds ?? 4) * 24,
    size: { width: 320, height: 180 },
    fps: 24,
    continuity: {
      mode: spec.chainFrom ? 'chain' : 'none',
      ...(spec.chainFrom ? { firstFrame: { kind: 'previous-last-frame' as const, sceneId: spec.chainFrom } } : {}),
      references: [],
    },
    dependsOn: spec.dependsOn ?? (spec.chainFrom ? [spec.chainFrom] : []),
    cacheKey: hashOf({ scene: spec.id, prompt }),
    estimatedCostUsd: spec.estimatedCostUsd ?? 0.5,
    jobDeadlineSeconds: 600,
    maxJobAttempts: 3,
    features: { remix: spec.remix ?? false, cancel: true },
    review: spec.review ?? false,
    transition: { type: 'cut', seconds: 0 },
  } as ScenePlan;
}

export function productionPlan(
  specs: SceneSpec[],
  options: Partial<
    Pick<ProductionPlan, 'maxParallelScenes' | 'budgetUsd' | 'operatorWaitSeconds' | 'reviewWaitSeconds' | 'placeholder'>
  > = {},
): ProductionPlan {
  const scenes = specs.map(scenePlan);
  return {
    planVersion: 1,
    productionId: 'core-test',
    title: 'Core test',
    storyboardSha256: '0'.repeat(64),
    contentSha256: '0'.repeat(64),
    house: { width: 320, height: 180, fps: 24, sampleRate: 48000, channels: 2 },
    maxParallelScenes: options.maxParallelScenes ?? 4,
    operatorWaitSeconds: options.operatorWaitSeconds ?? 0,
    placeholder: options.placeholder ?? 'slate',
    reviewWaitSeconds: options.reviewWaitSeconds ?? 0,
    output: {} as ProductionPlan['output'],
    ...(options.budgetUsd !== undefined ? { budgetUsd: options.budgetUsd } : {}),
    scenes,
    totals: {
      scenes: scenes.length,
      seconds: scenes.reduce((t, s) => t + s.seconds, 0),
      durationSeconds: scenes.reduce((t, s) => t + s.seconds, 0),
      estimatedCostUsd: scenes.reduce((t, s) => t + s.estimatedCostUsd, 0),
    },
  };
}

/** A clip as the store would hand it back for a scene plan. */
export function clipFor(scene: ScenePlan, jobId = `job-${scene.id}`): ClipRecord {
  return {
    cacheKey: scene.cacheKey,
    path: `/clips/${scene.cacheKey}.mp4`,
    sha256: 'f'.repeat(64),
    bytes: 1000,
    durationS: scene.seconds,
    width: scene.size.width,
    height: scene.size.height,
    fps: scene.fps,
    hasAudio: true,
    provider: scene.provider,
    model: scene.model,
    jobId,
    prompt: scene.prompt,
    productionId: 'core-test',
    sceneId: scene.id,
    costUsd: scene.estimatedCostUsd,
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}
