/**
 * The decisions of assembly, as pure functions over probe facts: which clips must be normalized and why, which
 * method writes the video (stream copy, transitions, re-encode), and the timeline everything else is derived from
 * (scene times, frame counts, narration slots, what verification expects). No ffmpeg, no files: unit-tested alone.
 */
import type { AssemblyClip, AssemblyInput, AssemblyMethod, PreparedClip, SpokenWord } from './assembly-types.js';
import { houseMismatches, type ClipFacts, type HouseFormat } from './fingerprint.js';
import type { Conform } from './graphs.js';
import { rate, videoStream, type ProbeResult } from './probe.js';
import { timeline, totalFrames, visibleWindows, type SceneTiming } from './timeline.js';
import type { Expectation } from './verify-types.js';

/** Why a clip is not in the house format: fingerprint.ts's checks plus rotation, a late start, variable frame rate. */
export function copyMismatches(p: ProbeResult, facts: ClipFacts, house: HouseFormat): string[] {
  const out = houseMismatches(facts, house);
  const v = videoStream(p);
  const sideData = (v as { side_data_list?: { rotation?: number }[] } | undefined)?.side_data_list ?? [];
  const rotation = Number(v?.tags?.rotate ?? sideData.find((d) => d.rotation !== undefined)?.rotation ?? 0);
  if (rotation % 360 !== 0) out.push(`rotated ${rotation}°`);
  const halfFrame = house.fps > 0 ? 0.5 / house.fps : 0;
  const start = Number(v?.start_time ?? 0);
  if (house.fps > 0 && Math.abs(start) > halfFrame) out.push(`video starts at ${start.toFixed(3)} s`);
  // Joined as they are, such a clip's picture would land late by the audio's lead; normalizing places both.
  else if (house.fps > 0 && facts.videoOffsetS > halfFrame) out.push(`audio starts ${facts.videoOffsetS.toFixed(3)} s before the video`);
  if (v?.r_frame_rate && v.avg_frame_rate && Math.abs(rate(v.r_frame_rate) - rate(v.avg_frame_rate)) > 0.01)
    out.push('variable frame rate');
  return out;
}

/** A boundary with a transition of at least one frame makes the transitions method. */
export function hasTransitions(clips: readonly AssemblyClip[], fps: number): boolean {
  return clips.some((c, i) => i > 0 && c.transition.type !== 'cut' && Math.round(c.transition.seconds * fps) > 0);
}

export interface CaptionPlan {
  /** Caption text per scene (undefined: none). */
  text: (string | undefined)[];
  /** Spoken words per scene (synthesized speech), scene-relative; captions are then timed per word. */
  words: (SpokenWord[] | undefined)[];
  /** Captions are wanted and some scene has text. */
  cues: boolean;
  /** The burn-in style when captions are burned into the picture. */
  burn: Exclude<AssemblyInput['burnCaptions'], false | undefined> | undefined;
}

export function captionPlan(input: Pick<AssemblyInput, 'clips' | 'captions' | 'burnCaptions'>): CaptionPlan {
  const text = input.clips.map((c) => c.narration);
  const words = input.clips.map((c) => c.words);
  const cues = (input.captions || !!input.burnCaptions) && (text.some((t) => t?.trim()) || words.some((w) => w?.length));
  return { text, words, cues, burn: input.burnCaptions && cues ? input.burnCaptions : undefined };
}

/**
 * The method before normalization: transitions need decoding; burned captions change the picture; otherwise video
 * is stream-copied.
 */
export function initialMethod(transitions: boolean, burn: boolean): AssemblyMethod {
  return transitions ? 'transitions' : burn ? 'reencode' : 'copy';
}

/** Per clip, why it must be normalized (empty: use as is). Pure over the probes. */
export function normalizationReasons(probes: readonly ProbeResult[], facts: readonly ClipFacts[], house: HouseFormat): string[][] {
  return probes.map((p, i) => copyMismatches(p, facts[i]!, house));
}

/**
 * The copy method also needs identical H.264 parameters. When the clips that need no conforming do not all share
 * one fingerprint, the house encode's fingerprint decides which ones are re-encoded (it has to be measured first).
 */
export function needsHouseReference(method: AssemblyMethod, facts: readonly ClipFacts[], reasons: readonly string[][]): boolean {
  return method === 'copy' && new Set(facts.map((f, i) => (reasons[i]!.length ? 'conform' : f.videoFingerprint))).size > 1;
}

/** Adds "H.264 parameters differ" to every otherwise fine clip whose fingerprint is not the house encode's. */
export function withParameterMismatches(facts: readonly ClipFacts[], reasons: readonly string[][], houseFingerprint: string): string[][] {
  return reasons.map((r, i) =>
    r.length === 0 && facts[i]!.videoFingerprint !== houseFingerprint ? ['H.264 parameters differ from the house encode'] : [...r],
  );
}

/** How a clip is brought into the house format (size, fit, rate, exactly its own length in whole frames). */
export function conformFor(facts: ClipFacts, house: HouseFormat, fit: 'pad' | 'crop'): Conform {
  return {
    width: house.width,
    height: house.height,
    fps: house.fps,
    fit,
    sar: facts.sar,
    frames: Math.round(facts.videoSeconds * house.fps),
  };
}

/** After normalization: copy only if every clip now has the same fingerprint (else re-encode, with a warning). */
export function settleMethod(method: AssemblyMethod, prepared: readonly PreparedClip[]): { method: AssemblyMethod; warning?: string } {
  if (method === 'copy' && new Set(prepared.map((p) => p.facts.videoFingerprint)).size > 1) {
    return {
      method: 'reencode',
      warning: 'normalized clips did not match the others byte for byte; the video was re-encoded instead of copied',
    };
  }
  return { method };
}

export interface PlannedTimeline {
  scenes: SceneTiming[];
  frames: number;
  durationS: number;
  /** Overlap frames of each scene's incoming transition. */
  overlaps: number[];
  /** Where each scene shows on its own (poster and contact-sheet frames). */
  windows: { fromS: number; toS: number; midS: number }[];
  warnings: string[];
}

/** Scene times in whole frames from the prepared clips' frame counts and transitions. */
export function planTimeline(prepared: readonly PreparedClip[], fps: number): PlannedTimeline {
  const scenes = timeline(
    prepared.map((p, i) => ({
      sceneId: p.clip.sceneId,
      title: p.clip.title,
      frames: p.facts.frames,
      transitionS: i === 0 || p.clip.transition.type === 'cut' ? 0 : p.clip.transition.seconds,
    })),
    fps,
  );
  const warnings = (scenes.clamped ?? []).map((id) => `scene ${id}: transition shortened to fit the clips on both sides`);
  scenes.forEach((s, i) => (s.normalized = prepared[i]!.normalized));
  const frames = totalFrames(scenes, fps);
  return {
    scenes: [...scenes],
    frames,
    durationS: frames / fps,
    overlaps: scenes.map((s) => Math.round(s.transitionS * fps)),
    windows: visibleWindows(scenes, fps),
    warnings,
  };
}

/** A narration file per scene ('' for none) and its length, placed at the scene start. */
export type NarrationSlots = { path: string; seconds: number }[];

/** Narration per scene when any scene has a narration file; a warning for each that runs past its scene. */
export function narrationPlan(
  clips: readonly AssemblyClip[],
  seconds: readonly number[],
  scenes: readonly SceneTiming[],
): { narration?: NarrationSlots; warnings: string[] } {
  if (!clips.some((c) => c.narrationAudio)) return { warnings: [] };
  const narration = clips.map((c, i) => ({ path: c.narrationAudio ?? '', seconds: seconds[i]! }));
  const warnings: string[] = [];
  narration.forEach((n, i) => {
    const slot = scenes[i]!.endS - scenes[i]!.startS;
    if (n.path && n.seconds > slot + 1e-3)
      warnings.push(
        `scene ${scenes[i]!.sceneId}: narration audio (${n.seconds.toFixed(2)} s) cut at the next scene (${slot.toFixed(2)} s)`,
      );
  });
  return { narration, warnings };
}

/** What verification expects of the output: the plan's size, rate, frames, scene boundaries, tracks. */
export function expectationFor(plan: PlannedTimeline, house: HouseFormat, opts: { chapters: boolean; subtitles: number }): Expectation {
  return {
    width: house.width,
    height: house.height,
    fps: house.fps,
    frames: plan.frames,
    durationS: plan.durationS,
    boundaries: plan.scenes.slice(1).map((s) => ({ atS: s.startS, transitionS: s.transitionS })),
    ...(opts.chapters ? { chapters: plan.scenes.length } : {}),
    subtitles: opts.subtitles,
    sceneIds: plan.scenes.map((s) => s.sceneId),
  };
}
