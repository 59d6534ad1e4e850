/**
 * Where every scene sits in the final video, in whole frames. Pure.
 *
 * A transition of T frames into scene k overlaps the last T frames of the video so far with the first T frames of
 * clip k, so the total is Σ frames − Σ overlaps. Everything downstream (xfade offsets, acrossfade lengths, captions,
 * chapters, verification boundaries, poster and contact-sheet times) is derived from this one table.
 */

export interface SceneTiming {
  sceneId: string;
  title: string;
  /** Where the scene starts in the final video (seconds): the first frame showing any of it (transition start). */
  startS: number;
  /** Where the next scene starts (or the end). */
  endS: number;
  /** The clip's exact video length. */
  clipSeconds: number;
  frames: number;
  /** Length of the incoming transition actually applied (seconds, whole frames; 0 for a cut). */
  transitionS: number;
  /** Why the clip was re-encoded before assembly (empty: used as delivered). */
  normalized: string[];
}

export interface TimelineClip {
  sceneId: string;
  title: string;
  frames: number;
  /** Requested incoming transition length in seconds (0 = cut); snapped to whole frames and clamped. */
  transitionS: number;
}

/** Transition lengths snapped to whole frames (xfade works in frames; offsets must be exact). */
export function snapToFrames(seconds: number, fps: number): number {
  return Math.round(seconds * fps) / fps;
}

/**
 * Scene start/end times in the output. An overlap never exceeds either neighbour (xfade cannot outlast an input)
 * nor what the previous clip has left after its own incoming transition; `clamped` lists the scenes whose
 * transition was shortened for that reason (0 frames makes it a cut).
 */
export function timeline(clips: TimelineClip[], fps: number): SceneTiming[] & { clamped?: string[] } {
  const out: SceneTiming[] & { clamped?: string[] } = [];
  let cursorFrames = 0;
  let previousOverlap = 0;
  clips.forEach((c, i) => {
    const wanted = i === 0 ? 0 : Math.max(0, Math.round(c.transitionS * fps));
    // A clip takes part in one transition at a time: its incoming overlap is not available to the outgoing one.
    const overlap = i === 0 ? 0 : Math.min(wanted, clips[i - 1]!.frames - previousOverlap, c.frames);
    if (overlap < wanted) (out.clamped ??= []).push(c.sceneId);
    previousOverlap = overlap;
    const start = cursorFrames - overlap;
    out.push({
      sceneId: c.sceneId,
      title: c.title,
      startS: start / fps,
      endS: 0,
      clipSeconds: c.frames / fps,
      frames: c.frames,
      transitionS: overlap / fps,
      normalized: [],
    });
    cursorFrames = start + c.frames;
  });
  out.forEach((t, i) => (t.endS = i + 1 < out.length ? out[i + 1]!.startS : cursorFrames / fps));
  return out;
}

/** Total output frames of a timeline. */
export function totalFrames(scenes: readonly SceneTiming[], fps: number): number {
  return Math.round((scenes.at(-1)?.endS ?? 0) * fps);
}

/**
 * The part of each scene shown on its own (after its incoming transition, before the outgoing one), in seconds,
 * and its middle snapped to a frame: where the poster and contact-sheet frames are taken. Never empty: when
 * transitions cover the whole clip, the window is the clip's own span.
 */
export function visibleWindows(scenes: readonly SceneTiming[], fps: number): { fromS: number; toS: number; midS: number }[] {
  return scenes.map((s, i) => {
    const clipEnd = s.startS + s.clipSeconds;
    const next = scenes[i + 1];
    let from = s.startS + s.transitionS;
    let to = next ? next.startS : clipEnd;
    if (to - from < 1 / fps) {
      from = s.startS;
      to = clipEnd;
    }
    const fromF = Math.round(from * fps);
    const toF = Math.round(to * fps);
    return { fromS: fromF / fps, toS: toF / fps, midS: (fromF + Math.floor((toF - fromF) / 2)) / fps };
  });
}

/**
 * Where a scene "takes over" for captions: the middle of its incoming transition (the frame where the picture is
 * half the new scene), the scene start for a cut. Snapped to whole frames.
 */
export function switchPoints(scenes: readonly SceneTiming[], fps: number): number[] {
  return scenes.map((s) => Math.round((s.startS + s.transitionS / 2) * fps) / fps);
}

/** ffmetadata with the title and one chapter per scene (a chapter starts where its scene starts). Pure. */
export function chaptersMetadata(title: string, scenes: readonly SceneTiming[]): string {
  const esc = (s: string) => s.replace(/([=;#\\\n])/g, '\\$1');
  const lines = [';FFMETADATA1', `title=${esc(title)}`];
  for (const s of scenes) {
    lines.push(
      '[CHAPTER]',
      'TIMEBASE=1/1000',
      `START=${Math.round(s.startS * 1000)}`,
      `END=${Math.round(s.endS * 1000)}`,
      `title=${esc(s.title)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
