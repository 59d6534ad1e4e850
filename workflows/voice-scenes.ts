/**
 * The voicing step of produceStoryboard: every scene that speaks is voiced (activity voiceScene: lines synthesized
 * once each and kept in the speech store, so a rerun pays nothing) BEFORE any clip is requested, and the plan is
 * refitted to the measured speech (src/storyboard/retime.ts, pure): a scene whose speech is longer than planned gets
 * the longer clip the model allows, with a new cache key, before its video exists.
 *
 * Behind the `voice-scenes` patch, decided only for plans that speak: histories of plans without speech (all those
 * recorded before this step existed) never reach it and replay unchanged.
 */
import { ApplicationFailure, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { SceneSpeech, VoicedScene } from '../src/contracts/speech.js';
import type { ProductionPlan, ScenePlan } from '../src/storyboard/plan.js';
import { retimeForSpeech } from '../src/storyboard/retime.js';

export const VOICE_SCENES = 'voice-scenes';

export interface Voicing {
  plan: ProductionPlan;
  /** Scene id → its speech track, for assembly (narration audio and word-timed captions). */
  voiced: Record<string, VoicedScene>;
}

export async function voiceScenes(plan: ProductionPlan, heartbeatTimeout: string): Promise<Voicing> {
  const speaking = plan.scenes.filter((s): s is ScenePlan & { speech: NonNullable<ScenePlan['speech']> } => !!s.speech);
  if (!speaking.length || !patched(VOICE_SCENES)) return { plan, voiced: {} };
  // A paid line is one request; the activity retries only what never reached the provider or got a status answer
  // (src/speech/errors.ts: a lost answer is not resent). Heartbeats every few seconds while a provider answers.
  const { voiceScene } = proxyActivities<Activities>({
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout,
    retry: { initialInterval: '2s', maximumAttempts: 4 },
  });
  const voiced: Record<string, VoicedScene> = {};
  // At most maxParallelScenes scenes at once: a storyboard of many scenes does not flood a paid voice.
  for (let i = 0; i < speaking.length; i += plan.maxParallelScenes) {
    const batch = speaking.slice(i, i + plan.maxParallelScenes);
    const results = await Promise.all(
      batch.map((s) => voiceScene({ productionId: plan.productionId, sceneId: s.id, speech: sceneSpeechOf(s.speech) })),
    );
    for (const r of results) voiced[r.sceneId] = r;
  }
  const retimed = retimeForSpeech(plan, Object.fromEntries(Object.values(voiced).map((v) => [v.sceneId, v.speechS])));
  if (retimed.problems.length) {
    throw ApplicationFailure.create({
      type: 'SpeechDoesNotFit',
      nonRetryable: true,
      message: retimed.problems.map((p) => p.message).join('\n'),
    });
  }
  return { plan: retimed.plan, voiced };
}

/** Only what shapes the speech track travels to the activity. */
function sceneSpeechOf(s: SceneSpeech): SceneSpeech {
  return { lines: s.lines, leadS: s.leadS, gapS: s.gapS, tailS: s.tailS, fit: s.fit, key: s.key };
}
