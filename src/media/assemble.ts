/**
 * Assembly: verified clips → one final mp4 (+ caption sidecars, poster, contact sheet), frame-exact and in sync.
 * This file is the order of the steps; each step lives in its own module:
 *
 *  1. probe      probe-clips.ts     what every clip and audio file is (one ffprobe can stand for many clips)
 *  2. decide     assembly-plan.ts   PURE: which clips differ from the house format and why, which method writes the
 *                                   video (copy / transitions / reencode), the timeline, what verification expects
 *  3. normalize  normalize.ts       only the clips that differ, one at a time, in the house encode
 *  4. audio      assembly-audio.ts  clip audio by its timestamps, narration, soundtrack with ducking, loudness
 *  5. encode     assembly-encode.ts the one ffmpeg call that writes the video (chapters, captions, faststart)
 *  6. verify     the caller's hook (verify.ts): joins only for a stream copy, every frame otherwise
 *  7. deliver    delivery.ts        poster, contact sheet, sidecars, then the video, each by temp file + rename
 *
 * Scratch files are removed in every case; a cancelled run kills ffmpeg and leaves no partial output. Progress
 * (0..1 with the step under way) is reported throughout every ffmpeg call, so an activity can heartbeat from it.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { measureLoudness } from './assembly-audio.js';
import { encodeFinal, finalCommand, writeSideFiles } from './assembly-encode.js';
import {
  captionPlan,
  conformFor,
  expectationFor,
  hasTransitions,
  initialMethod,
  narrationPlan,
  needsHouseReference,
  normalizationReasons,
  planTimeline,
  settleMethod,
  withParameterMismatches,
} from './assembly-plan.js';
import { AssemblyInputError, type AssemblyInput, type AssemblyResult, type PreparedClip } from './assembly-types.js';
import { deliver } from './delivery.js';
import { clipFacts, type ClipFacts } from './fingerprint.js';
import type { LoudnessApply } from './graphs.js';
import type { LoudnessReport } from './loudness.js';
import { houseFingerprint, normalizeClip } from './normalize.js';
import { probe } from './probe.js';
import { probeAudioFiles, probeClips } from './probe-clips.js';
import { tempPathFor } from '../store/files.js';

export type * from './assembly-types.js';
export { AssemblyInputError } from './assembly-types.js';
export { copyMismatches } from './assembly-plan.js';
export type { TransitionName } from './transitions.js';
export type { SceneTiming } from './timeline.js';
export type { Cue } from './captions.js';

/** Where each step's progress lands in the whole (fractions of the assembly). */
const SPAN = { probe: [0, 0.02], normalize: [0.02, 0.22], measure: [0.22, 0.27], verify: [0.9, 0.96], stills: [0.96, 0.99] } as const;

export async function assemble(input: AssemblyInput): Promise<AssemblyResult> {
  const { house, signal } = input;
  const fps = house.fps;
  if (input.clips.length === 0) throw new AssemblyInputError('nothing to assemble: no clips');
  const report = input.onProgress ?? (() => {});
  const progress = (span: readonly [number, number], step: string) => (f: number) => report(span[0] + f * (span[1] - span[0]), step);
  const steps: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    steps[name] = Math.round((steps[name] ?? 0) + now - t0);
    t0 = now;
  };
  const warnings: string[] = [];
  await mkdir(input.workDir, { recursive: true });
  const scratch = await mkdtemp(join(input.workDir, 'assembly-'));
  const tmp = `${tempPathFor(input.output)}.mp4`;
  try {
    // 1. Probe.
    report(0, 'probing clips');
    const { probes, facts } = await probeClips(input.clips, {
      ...(signal ? { signal } : {}),
      onProgress: progress(SPAN.probe, 'probing clips'),
    });
    const { narrationSeconds } = await probeAudioFiles(input.clips, input.soundtrack, signal);
    lap('probe');

    // 2. Decide, 3. normalize.
    const captions = captionPlan(input);
    let method = initialMethod(hasTransitions(input.clips, fps), !!captions.burn);
    let reasons = normalizationReasons(probes, facts, house);
    if (needsHouseReference(method, facts, reasons))
      reasons = withParameterMismatches(facts, reasons, await houseFingerprint(house, scratch, signal));
    const prepared = await prepareClips(input, facts, reasons, scratch, report);
    const settled = settleMethod(method, prepared);
    method = settled.method;
    if (settled.warning) warnings.push(settled.warning);
    lap('normalize');

    const plan = planTimeline(prepared, fps);
    const narration = narrationPlan(input.clips, narrationSeconds, plan.scenes);
    warnings.push(...plan.warnings, ...narration.warnings);
    const sources = {
      narration: narration.narration,
      soundtrack: input.soundtrack,
      ...(input.clips.some((c) => c.words?.length) ? { duckClipUnderNarration: true } : {}),
    };
    const side = await writeSideFiles({
      scratch,
      title: input.title,
      chapters: input.chapters,
      captionTrack: input.captions,
      captions,
      plan,
      house,
    });

    // 4. Loudness: measure the finished mix in an audio-only pass, then apply one gain in the main pass.
    let loudness: { apply?: LoudnessApply; report?: LoudnessReport } = {};
    if (input.loudness) {
      report(SPAN.measure[0], 'measuring loudness');
      const measured = await measureLoudness({
        prepared,
        scenes: plan.scenes,
        sources,
        durationS: plan.durationS,
        fps,
        target: input.loudness,
        scratch,
        ...(signal ? { signal } : {}),
        onProgress: progress(SPAN.measure, 'measuring loudness'),
      });
      if (measured.warning) warnings.push(measured.warning);
      loudness = measured;
      lap('measure');
    }

    // 5. Encode.
    const command = finalCommand({
      method,
      prepared,
      plan,
      sources,
      loudness: loudness.apply,
      side,
      title: input.title,
      chapters: input.chapters,
      fps,
      scratch,
    });
    await mkdir(dirname(input.output), { recursive: true });
    const encodeSpan = [input.loudness ? SPAN.measure[1] : SPAN.measure[0], SPAN.verify[0]] as const;
    report(encodeSpan[0], 'assembling');
    await encodeFinal(command, tmp, plan.durationS, { ...(signal ? { signal } : {}), onProgress: progress(encodeSpan, 'assembling') });
    lap('encode');

    // 6. Verify before anything is put in place.
    const expectation = expectationFor(plan, house, { chapters: input.chapters, subtitles: side.srt ? 1 : 0 });
    if (input.verify) {
      report(SPAN.verify[0], 'verifying');
      const timing = { frames: plan.frames, durationS: plan.durationS, scenes: plan.scenes, expectation, method };
      await input.verify(tmp, timing, progress(SPAN.verify, 'verifying'));
    }
    lap('verify');

    // 7. Stills and sidecars, then the video.
    report(SPAN.stills[0], 'poster and contact sheet');
    const delivered = await deliver({
      tmp,
      output: input.output,
      scratch,
      plan,
      house,
      poster: !!input.poster,
      contactSheet: !!input.contactSheet,
      sidecarCues: side.srt ? side.cues : [],
      ...(signal ? { signal } : {}),
      onProgress: progress(SPAN.stills, 'poster and contact sheet'),
      stillsDone: () => lap('stills'),
    });
    lap('finish');
    report(1, 'assembled');
    return {
      path: input.output,
      method,
      durationS: plan.durationS,
      frames: plan.frames,
      scenes: plan.scenes.map((s) => ({ ...s })),
      ...delivered,
      clips: prepared.map((p, i) => ({
        sceneId: p.clip.sceneId,
        width: facts[i]!.width,
        height: facts[i]!.height,
        fps: facts[i]!.fps,
        frames: facts[i]!.frames,
        audio: facts[i]!.hasAudio ? { sampleRate: facts[i]!.audioRate, channels: facts[i]!.audioChannels } : null,
        fingerprint: facts[i]!.videoFingerprint,
        normalized: p.normalized,
      })),
      audio: {
        narrationScenes: input.clips.filter((c) => c.narrationAudio).length,
        soundtrack: !!input.soundtrack,
        ducking: !!input.soundtrack?.duck,
        ...(loudness.report ? { loudness: loudness.report } : {}),
      },
      warnings,
      stepsMs: steps,
    };
  } finally {
    await rm(tmp, { force: true });
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The clips as they go into the encode: as delivered, or normalized (one at a time: x264 already uses every core,
 * and only one decoder and encoder are alive).
 */
async function prepareClips(
  input: AssemblyInput,
  facts: readonly ClipFacts[],
  reasons: readonly string[][],
  scratch: string,
  report: (fraction: number, step: string) => void,
): Promise<PreparedClip[]> {
  const { signal } = input;
  const [from, to] = SPAN.normalize;
  const total = reasons.filter((r) => r.length).length;
  let done = 0;
  const prepared: PreparedClip[] = [];
  for (const [i, clip] of input.clips.entries()) {
    const why = reasons[i]!;
    if (why.length === 0) {
      prepared.push({ clip, path: clip.path, facts: facts[i]!, normalized: [] });
      continue;
    }
    const dest = join(scratch, `norm-${i}.mp4`);
    const step = `normalizing ${clip.sceneId} (${why.join(', ')})`;
    const onProgress = (f: number) => report(from + ((to - from) * (done + f)) / total, step);
    onProgress(0);
    await normalizeClip(clip.path, facts[i]!, conformFor(facts[i]!, input.house, input.fit), dest, {
      ...(signal ? { signal } : {}),
      onProgress,
    });
    done++;
    const normalized = clipFacts(await probe(dest, { countPackets: true, ...(signal ? { signal } : {}) }));
    prepared.push({ clip, path: dest, facts: normalized, normalized: why });
  }
  return prepared;
}
