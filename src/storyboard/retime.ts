/**
 * Refitting a plan to speech as it was really synthesized. Pure and deterministic (workflow code calls it): the same
 * plan and lengths give the same result. A scene whose clip length changes gets a new cache key derived from the
 * old one and its new length, and so does every scene that continues from it (its first frame changes).
 */
import { hashOf } from '../contracts/hash.js';
import type { ProductionPlan, ScenePlan, ScenePlanSpeech } from './plan.js';
import { secondsAllowed } from '../contracts/capabilities.js';
import { fitToSpeech, wholeFrames, type SpeechTiming } from './speech.js';

export interface RetimeResult {
  plan: ProductionPlan;
  /** Scenes whose clip length changed, with the old and new lengths. */
  changed: { sceneId: string; from: number; to: number }[];
  /** Scenes whose fixed length cannot hold their speech (policy `fail`), with the numbers. */
  problems: { sceneId: string; message: string }[];
}

/** `speechS`: scene id → length of its voiced track (lead + lines + gaps), as the voicing activities measured it. */
export function retimeForSpeech(plan: ProductionPlan, speechS: Readonly<Record<string, number>>): RetimeResult {
  const changed: RetimeResult['changed'] = [];
  const problems: RetimeResult['problems'] = [];
  const rekeyed = new Map<string, string>();
  const scenes: ScenePlan[] = plan.scenes.map((s) => {
    const measured = speechS[s.id];
    let next: ScenePlan = s;
    if (s.speech && measured !== undefined) {
      const timing = fitToSpeech({
        requested: s.speech.requestedSeconds,
        speechS: measured,
        tailS: s.speech.tailS,
        fit: s.speech.fit,
        allowed: s.speech.allowed,
      });
      if (timing.problem) problems.push({ sceneId: s.id, message: `scene ${s.id}: ${timing.problem}` });
      if (s.speech.fit === 'extend' || s.speech.fit === 'trim') next = refitHeldOrCut(s, s.speech, measured, timing, changed);
      else {
        const same = s.speech.measured && s.speech.speechS === measured && s.speech.sceneSeconds === timing.sceneSeconds;
        if (!same) next = { ...s, speech: { ...s.speech, speechS: measured, measured: true, sceneSeconds: timing.sceneSeconds } };
        if (timing.clipSeconds !== s.seconds) {
          changed.push({ sceneId: s.id, from: s.seconds, to: timing.clipSeconds });
          // The new length is one the model allows: a length the planner had mapped to another (generateSeconds) is
          // now made as it is, not padded or cut from the old mapping.
          const { generateSeconds: _mapped, ...unmapped } = next;
          next = {
            ...unmapped,
            seconds: timing.clipSeconds,
            frames: Math.round(timing.clipSeconds * s.fps),
            estimatedCostUsd: round4((s.estimatedCostUsd * timing.clipSeconds) / s.seconds),
            cacheKey: hashOf({ retimedFrom: s.cacheKey, seconds: timing.clipSeconds }),
          };
        }
      }
    }
    const from = s.continuity.firstFrame?.kind === 'previous-last-frame' ? s.continuity.firstFrame.sceneId : s.continuity.extendsSceneId;
    const upstream = from ? rekeyed.get(from) : undefined;
    if (upstream) next = { ...next, cacheKey: hashOf({ continuesFrom: upstream, key: next.cacheKey }) };
    if (next.cacheKey !== s.cacheKey) rekeyed.set(s.id, next.cacheKey);
    return next;
  });
  if (!changed.length && scenes.every((s, i) => s === plan.scenes[i])) return { plan, changed, problems };
  const seconds = round3(scenes.reduce((t, s) => t + (s.speech?.sceneSeconds ?? s.seconds), 0));
  const overlaps = scenes.reduce((t, s) => t + s.transition.seconds, 0);
  return {
    plan: {
      ...plan,
      scenes,
      totals: {
        ...plan.totals,
        seconds,
        durationSeconds: round3(seconds - overlaps),
        estimatedCostUsd: round4(scenes.reduce((t, s) => t + s.estimatedCostUsd, 0)),
      },
    },
    changed,
    problems,
  };
}

/**
 * speechFit extend/trim: the scene lasts as long as its measured speech (whole frames) and its clip, an allowed
 * length, is cut or held to it at download (`generateSeconds`), as the planner makes it. A scene whose speech now
 * fits keeps the clip it had when the model cannot make the requested length exactly (it is fitted to it).
 */
function refitHeldOrCut(
  s: ScenePlan,
  speech: ScenePlanSpeech,
  measured: number,
  timing: SpeechTiming,
  changed: RetimeResult['changed'],
): ScenePlan {
  const fitted = timing.sceneSeconds !== timing.clipSeconds;
  const sceneS = fitted ? wholeFrames(timing.sceneSeconds, s.fps) : timing.clipSeconds;
  const clip = fitted || secondsAllowed(speech.allowed, sceneS) ? timing.clipSeconds : (s.generateSeconds ?? timing.clipSeconds);
  const generate = clip !== sceneS ? clip : undefined;
  const same = speech.measured && speech.speechS === measured && speech.sceneSeconds === sceneS;
  const next: ScenePlan = same ? s : { ...s, speech: { ...speech, speechS: measured, measured: true, sceneSeconds: sceneS } };
  const before = s.generateSeconds ?? s.seconds;
  if (sceneS === s.seconds && generate === s.generateSeconds) return next;
  changed.push({ sceneId: s.id, from: s.seconds, to: sceneS });
  const { generateSeconds: _old, ...rest } = next;
  return {
    ...rest,
    seconds: sceneS,
    ...(generate !== undefined ? { generateSeconds: generate } : {}),
    frames: Math.round(sceneS * s.fps),
    estimatedCostUsd: round4((s.estimatedCostUsd * clip) / before),
    cacheKey: hashOf({ retimedFrom: s.cacheKey, seconds: sceneS, ...(generate !== undefined ? { generate } : {}) }),
  };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const round4 = (n: number) => Math.round(n * 10_000) / 10_000;
