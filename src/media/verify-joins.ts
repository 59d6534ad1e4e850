/**
 * The joins of a stream-copied video, from its packets alone (pure). A copy joins the clips' own bytes, which were
 * decoded when they arrived; what can go wrong is where they meet: a scene with frames missing or doubled, a scene
 * that does not start on a keyframe (the decoder shows garbage until the next one), timestamps that jump or repeat.
 * Also which short windows after each join to decode (verify-decode.ts) for decode errors and black or frozen
 * openings.
 */
import type { PacketInfo } from './probe.js';
import type { Expectation, SegmentReport } from './verify-types.js';

/** Scene starts and lengths in whole frames from the expectation's boundaries. Pure. */
export function sceneFrames(exp: Expectation): { scene: string; start: number; frames: number }[] {
  const starts = [0, ...exp.boundaries.map((b) => Math.round(b.atS * exp.fps))];
  return starts.map((start, k) => ({
    scene: exp.sceneIds?.[k] ?? String(k),
    start,
    frames: (starts[k + 1] ?? exp.frames) - start,
  }));
}

/**
 * Per-scene packet counts and durations, keyframes at scene starts, and timestamp regularity of the video packets
 * (any order; sorted here by presentation time). `problems` name the scene and the time.
 */
export function analyzeSegments(video: readonly PacketInfo[], exp: Expectation): { segments: SegmentReport[]; problems: string[] } {
  const fps = exp.fps;
  const packets = video.filter((p) => Number.isFinite(p.ptsS)).sort((a, b) => a.ptsS - b.ptsS);
  const problems: string[] = [];
  const slots = packets.map((p) => Math.round(p.ptsS * fps));
  const repeats: number[] = [];
  const gaps: { at: number; missing: number }[] = [];
  slots.forEach((s, i) => {
    const previous = i === 0 ? -1 : slots[i - 1]!;
    if (s === previous) repeats.push(s);
    else if (s > previous + 1) gaps.push({ at: s, missing: s - previous - 1 });
  });
  const at = (slot: number) => `${(slot / fps).toFixed(3)} s`;
  if (repeats.length) problems.push(`${repeats.length} video frame(s) share a timestamp with another, first at ${at(repeats[0]!)}`);
  for (const g of gaps.slice(0, 5)) problems.push(`video timestamps skip ${g.missing} frame(s) before ${at(g.at)}`);
  if (gaps.length > 5) problems.push(`… and ${gaps.length - 5} more timestamp gaps`);

  const segments = sceneFrames(exp).map(({ scene, start, frames: expected }) => {
    const inScene = packets.filter((_, i) => slots[i]! >= start && slots[i]! < start + expected);
    const first = packets[slots.indexOf(start)];
    return {
      scene,
      startS: start / fps,
      frames: inScene.length,
      expectedFrames: expected,
      // Packet durations are printed to the microsecond; their sum is kept to a tenth of a millisecond.
      durationS: Math.round(inScene.reduce((sum, p) => sum + p.durationS, 0) * 1e4) / 1e4,
      keyframeAtStart: !!first?.keyframe,
    };
  });
  for (const s of segments) {
    if (s.frames !== s.expectedFrames) problems.push(`scene ${s.scene}: ${s.frames} frames, expected ${s.expectedFrames}`);
    if (!s.keyframeAtStart) problems.push(`scene ${s.scene} does not start on a keyframe at ${s.startS.toFixed(3)} s`);
  }
  return { segments, problems };
}

export interface JoinWindow {
  /** The scene that starts at this join. */
  scene: string;
  startS: number;
  frames: number;
}

/**
 * One window per join: the first `seconds` (whole frames) of the scene that starts there: its keyframe and the
 * frames that lean on it (4 at 24 fps). Opening an input and decoding its keyframe costs ~22 ms at 720p and each
 * further frame ~3 ms, so a window is kept short: enough for a decode error, a black opening or a stall, not a
 * re-run of the clip check. Pure.
 */
export function joinWindows(exp: Expectation, seconds = 1 / 6): JoinWindow[] {
  const want = Math.max(1, Math.round(seconds * exp.fps));
  return sceneFrames(exp)
    .slice(1)
    .map((s) => ({ scene: s.scene, startS: s.start / exp.fps, frames: Math.max(1, Math.min(want, s.frames)) }));
}

/**
 * Windows per ffmpeg process: each window is its own input with its own decoder (so decoding starts at the join's
 * keyframe and stops after the window), and every decoder holds about a dozen frames (measured: 12.5 MB per input
 * at 720p); about 200 MB a process, two processes at a time.
 */
export function windowsPerPass(width: number, height: number): number {
  const decoderBytes = width * height * 1.5 * 12;
  return Math.max(1, Math.min(16, Math.floor((200 * 2 ** 20) / Math.max(1, decoderBytes))));
}

/** The windows split into an even number of passes (two run at a time) of at most `perPass` each, sizes balanced. */
export function splitPasses<T>(windows: readonly T[], perPass: number): T[][] {
  if (windows.length === 0) return [];
  const passes = windows.length <= perPass ? Math.min(2, windows.length) : 2 * Math.ceil(windows.length / (2 * perPass));
  const size = Math.ceil(windows.length / passes);
  return Array.from({ length: Math.ceil(windows.length / size) }, (_, k) => windows.slice(k * size, (k + 1) * size));
}
