/**
 * Assembly: verified clips → one final mp4 (+ captions sidecars), frame-exact and in sync.
 *
 * Fast path (every boundary a cut, every clip in the house format): video is stream-copied through an ffconcat
 * list that names only the video stream and gives each clip's exact video duration, while each clip's audio is
 * trimmed or padded to exactly that duration and encoded once ("H2" in ../shared/reference/ffmpeg.md: 0.0 ms A/V
 * error at every scene start; plain `-f concat -c copy` drifts ~27 ms per clip from AAC priming).
 * Clips that differ from the house format are normalized first, one by one; only they are re-encoded.
 * Transitions need a re-encode: xfade/acrossfade with exact offsets, over clips already in the house format.
 *
 * Everything is written to a temp name and renamed into place; the caller verifies before calling it done.
 */
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runFfmpeg } from './ffmpeg.js';
import { clipFacts, houseMismatches, type ClipFacts, type HouseFormat } from './fingerprint.js';
import { HOUSE_AUDIO_ARGS, houseVideoArgs } from './house.js';
import { probe } from './probe.js';
import { tempPathFor } from '../store/files.js';

export type TransitionName =
  | 'cut' | 'crossfade' | 'dissolve' | 'fadeblack' | 'fadewhite'
  | 'wipeleft' | 'wiperight' | 'wipeup' | 'wipedown' | 'slideleft' | 'slideright' | 'slideup' | 'slidedown';

export interface AssemblyClip {
  sceneId: string;
  title: string;
  path: string;
  /** Transition INTO this clip; ignored for the first. */
  transition: { type: TransitionName; seconds: number };
  /** Caption text for this scene. */
  narration?: string;
  /** Narration audio file, mixed over the scene from its start. */
  narrationAudio?: string;
}

export interface SoundtrackInput {
  path: string;
  volumeDb: number;
  duck: boolean;
  fadeInSeconds: number;
  fadeOutSeconds: number;
}

export interface CaptionStyleInput {
  fontSize: number;
  color: string;
  outline: number;
  position: 'bottom' | 'top';
}

export interface AssemblyInput {
  clips: AssemblyClip[];
  house: HouseFormat;
  fit: 'pad' | 'crop';
  title: string;
  chapters: boolean;
  captions: boolean;
  /** Burn captions into the picture (forces a video re-encode). */
  burnCaptions?: false | CaptionStyleInput;
  soundtrack?: SoundtrackInput;
  /** EBU R128 normalization of the final mix. */
  loudness?: false | { targetLufs: number; truePeakDb: number; loudnessRange: number };
  /** Write poster.jpg and contact-sheet.jpg beside the output. */
  poster?: boolean;
  contactSheet?: boolean;
  /** Final path, e.g. out/<id>/final.mp4. Sidecars go beside it (final.srt, final.vtt). */
  output: string;
  /** Scratch space; removed afterwards. */
  workDir: string;
  signal?: AbortSignal;
  onProgress?: (fraction: number, step: string) => void;
  /** Runs on the finished temp file before it is renamed into place; throw to reject it. */
  verify?: (tmpPath: string, timing: { frames: number; durationS: number; scenes: SceneTiming[] }) => Promise<void>;
}

export interface SceneTiming {
  sceneId: string;
  title: string;
  /** Where the scene starts in the final video (seconds). */
  startS: number;
  /** Where the next scene starts (or the end). */
  endS: number;
  /** The clip's exact video length. */
  clipSeconds: number;
  frames: number;
  normalized: string[];
}

export interface AssemblyResult {
  path: string;
  method: 'copy' | 'reencode' | 'transitions';
  durationS: number;
  frames: number;
  scenes: SceneTiming[];
  sidecars: string[];
}

const XFADE: Record<Exclude<TransitionName, 'cut'>, string> = {
  crossfade: 'fade',
  dissolve: 'dissolve',
  fadeblack: 'fadeblack',
  fadewhite: 'fadewhite',
  wipeleft: 'wipeleft',
  wiperight: 'wiperight',
  wipeup: 'wipeup',
  wipedown: 'wipedown',
  slideleft: 'slideleft',
  slideright: 'slideright',
  slideup: 'slideup',
  slidedown: 'slidedown',
};

const f6 = (n: number) => n.toFixed(6);

/** Transition lengths snapped to whole frames (xfade works in frames; offsets must be exact). */
export function snapToFrames(seconds: number, fps: number): number {
  return Math.round(seconds * fps) / fps;
}

/** Scene start/end times in the output: each transition overlaps the end of the previous clip. Pure. */
export function timeline(clips: { sceneId: string; title: string; frames: number; transitionS: number }[], fps: number): SceneTiming[] {
  const out: SceneTiming[] = [];
  let cursorFrames = 0;
  clips.forEach((c, i) => {
    const overlap = i === 0 ? 0 : Math.round(c.transitionS * fps);
    const start = cursorFrames - overlap;
    out.push({ sceneId: c.sceneId, title: c.title, startS: start / fps, endS: 0, clipSeconds: c.frames / fps, frames: c.frames, normalized: [] });
    cursorFrames = start + c.frames;
  });
  out.forEach((t, i) => (t.endS = i + 1 < out.length ? out[i + 1]!.startS : cursorFrames / fps));
  return out;
}

/** ffconcat list naming only the video stream, with each clip's exact video duration. Pure. */
export function concatList(entries: { path: string; seconds: number }[]): string {
  const quote = (p: string) => `'${p.replaceAll("'", "'\\''")}'`;
  return [
    'ffconcat version 1.0',
    'stream',
    'exact_stream_id 0x1',
    ...entries.flatMap((e) => [`file ${quote(e.path)}`, `duration ${f6(e.seconds)}`]),
    '',
  ].join('\n');
}

/** Per-clip audio made exactly as long as its video (silence for clips without audio), then joined. Pure. */
export function exactAudioGraph(entries: { input: number | null; seconds: number }[], join: 'concat' | { crossfades: number[] }): string {
  const parts = entries.map((e, i) => {
    const d = f6(e.seconds);
    const src =
      e.input === null
        ? `anullsrc=r=48000:cl=stereo`
        : `[${e.input}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo`;
    return `${src},atrim=end=${d},apad=whole_dur=${d},asetpts=N/SR/TB[a${i}]`;
  });
  if (join === 'concat') {
    parts.push(`${entries.map((_, i) => `[a${i}]`).join('')}concat=n=${entries.length}:v=0:a=1[a]`);
  } else {
    let acc = 'a0';
    for (let i = 1; i < entries.length; i++) {
      const d = join.crossfades[i] ?? 0;
      const out = i === entries.length - 1 ? 'a' : `ac${i}`;
      parts.push(d > 0 ? `[${acc}][a${i}]acrossfade=d=${f6(d)}:c1=tri:c2=tri[${out}]` : `[${acc}][a${i}]concat=n=2:v=0:a=1[${out}]`);
      acc = out;
    }
    if (entries.length === 1) parts.push(`[a0]anull[a]`);
  }
  return parts.join(';\n');
}

/** Video chain with xfade at every non-cut boundary (offsets on the merged timeline). Inputs are house format. Pure. */
export function transitionVideoGraph(entries: { input: number; frames: number; transition: { type: TransitionName; seconds: number } }[], fps: number): string {
  // One timebase (1/fps) everywhere: xfade needs equal timebases, and the concat filter outputs 1/1000000.
  // Measured frame-exact on ffmpeg 5.1 (test/unit/assemble.test.ts counts frames for every transition).
  const tb = `settb=1/${fps}`;
  const parts: string[] = entries.map((e, i) => `[${e.input}:v]${tb},setpts=PTS-STARTPTS[v${i}]`);
  let acc = 'v0';
  let accFrames = entries[0]?.frames ?? 0;
  for (let i = 1; i < entries.length; i++) {
    const e = entries[i]!;
    const out = i === entries.length - 1 ? 'v' : `vc${i}`;
    const tFrames = e.transition.type === 'cut' ? 0 : Math.round(e.transition.seconds * fps);
    if (tFrames > 0) {
      const name = XFADE[e.transition.type as Exclude<TransitionName, 'cut'>];
      // tpad: ffmpeg 5.1's xfade drops one frame slot near the end of a transition when its first input reaches
      // EOF inside the transition while audio shares the graph; padding the first input past the transition
      // avoids it (the padding lies beyond offset+duration and is never shown).
      parts.push(
        `[${acc}]tpad=stop_mode=clone:stop_duration=${f6(tFrames / fps + 1)}[p${i}]`,
        `[p${i}][v${i}]xfade=transition=${name}:duration=${f6(tFrames / fps)}:offset=${f6((accFrames - tFrames) / fps)}[${out}]`,
      );
    } else {
      parts.push(`[${acc}][v${i}]concat=n=2:v=1:a=0,${tb}[${out}]`);
    }
    accFrames += e.frames - tFrames;
    acc = out;
  }
  if (entries.length === 1) parts.push(`[v0]null[v]`);
  return parts.join(';\n');
}

/** ffmetadata with the title and one chapter per scene. Pure. */
export function chaptersMetadata(title: string, scenes: SceneTiming[]): string {
  const esc = (s: string) => s.replace(/([=;#\\\n])/g, '\\$1');
  const lines = [';FFMETADATA1', `title=${esc(title)}`];
  for (const s of scenes) {
    lines.push('[CHAPTER]', 'TIMEBASE=1/1000', `START=${Math.round(s.startS * 1000)}`, `END=${Math.round(s.endS * 1000)}`, `title=${esc(s.title)}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface Cue {
  startS: number;
  endS: number;
  text: string;
}

/** Caption cues from scene narration: each shown for its scene, after the incoming transition. Pure. */
export function narrationCues(scenes: SceneTiming[], narration: (string | undefined)[], fps: number): Cue[] {
  const cues: Cue[] = [];
  scenes.forEach((s, i) => {
    const text = narration[i];
    if (!text) return;
    const nextOverlap = i + 1 < scenes.length ? s.startS + s.clipSeconds - scenes[i + 1]!.startS : 0;
    const end = s.startS + s.clipSeconds - nextOverlap;
    cues.push({ startS: s.startS, endS: Math.max(s.startS + 1 / fps, end), text });
  });
  return cues;
}

const stamp = (s: number, sep: ',' | '.') => {
  const ms = Math.round(s * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(sec)}${sep}${pad(ms % 1000, 3)}`;
};

export function toSrt(cues: Cue[]): string {
  return cues.map((c, i) => `${i + 1}\n${stamp(c.startS, ',')} --> ${stamp(c.endS, ',')}\n${c.text.trim()}\n`).join('\n');
}

export function toVtt(cues: Cue[]): string {
  return `WEBVTT\n\n${cues.map((c) => `${stamp(c.startS, '.')} --> ${stamp(c.endS, '.')}\n${c.text.trim()}\n`).join('\n')}`;
}

/** Runs `fn` over `items` with at most `limit` at once, keeping order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

interface Prepared {
  clip: AssemblyClip;
  path: string;
  facts: ClipFacts;
  normalized: string[];
}

/** Normalizes one clip into the house format (scale+pad or crop, fps, SAR, yuv420p, 48 kHz stereo). */
async function normalizeClip(clip: AssemblyClip, facts: ClipFacts, input: AssemblyInput, dest: string): Promise<void> {
  const { width: w, height: h, fps } = input.house;
  const frames = Math.round(facts.videoSeconds * fps);
  const d = f6(frames / fps);
  const fit =
    input.fit === 'crop'
      ? `scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h}`
      : `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2:color=black`;
  const graphPath = `${dest}.graph.txt`;
  const audio = facts.hasAudio ? `[0:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,` : `anullsrc=r=48000:cl=stereo,`;
  await writeFile(
    graphPath,
    `[0:v]${fit},setsar=1,fps=${fps},format=yuv420p,trim=end_frame=${frames},setpts=PTS-STARTPTS[v];\n` +
      `${audio}atrim=end=${d},apad=whole_dur=${d},asetpts=N/SR/TB[a]`,
  );
  await runFfmpeg({
    inputs: [{ source: clip.path }],
    output: dest,
    expectedDurationS: frames / fps,
    outputOptions: ['-filter_complex_script', graphPath, '-map', '[v]', '-map', '[a]', ...houseVideoArgs(fps), ...HOUSE_AUDIO_ARGS, '-f', 'mp4'],
    ...(input.signal ? { signal: input.signal } : {}),
  });
}

export async function assemble(input: AssemblyInput): Promise<AssemblyResult> {
  const { house } = input;
  await mkdir(input.workDir, { recursive: true });
  const scratch = await mkdtemp(join(input.workDir, 'assembly-'));
  const progress = input.onProgress ?? (() => {});
  try {
    // 1. Probe (in parallel; clips were verified when stored) and normalize only what differs from the house format.
    const facts = await mapLimit(input.clips, 4, async (clip) => clipFacts(await probe(clip.path, input.signal ? { signal: input.signal } : {})));
    const prepared: Prepared[] = [];
    for (const [i, clip] of input.clips.entries()) {
      const f = facts[i]!;
      const mismatches = houseMismatches(f, house);
      if (mismatches.length === 0) {
        prepared.push({ clip, path: clip.path, facts: f, normalized: [] });
        continue;
      }
      const dest = join(scratch, `norm-${i}.mp4`);
      progress(i / input.clips.length / 4, `normalizing ${clip.sceneId} (${mismatches.join(', ')})`);
      await normalizeClip(clip, f, input, dest);
      prepared.push({ clip, path: dest, facts: clipFacts(await probe(dest, { countPackets: true })), normalized: mismatches });
    }

    const fps = house.fps;
    const scenes = timeline(
      prepared.map((p, i) => ({
        sceneId: p.clip.sceneId,
        title: p.clip.title,
        frames: p.facts.frames,
        transitionS: i === 0 || p.clip.transition.type === 'cut' ? 0 : snapToFrames(p.clip.transition.seconds, fps),
      })),
      fps,
    );
    scenes.forEach((s, i) => (s.normalized = prepared[i]!.normalized));
    const totalFrames = Math.round((scenes.at(-1)?.endS ?? 0) * fps);
    const durationS = totalFrames / fps;

    const hasTransitions = prepared.some((p, i) => i > 0 && p.clip.transition.type !== 'cut' && p.clip.transition.seconds > 0);
    const fingerprints = new Set(prepared.map((p) => p.facts.videoFingerprint));
    const method: AssemblyResult['method'] = hasTransitions ? 'transitions' : fingerprints.size === 1 ? 'copy' : 'reencode';

    // 2. Side files: chapters + title metadata, captions.
    const sidecars: string[] = [];
    const metaPath = join(scratch, 'chapters.ffmeta');
    await writeFile(metaPath, chaptersMetadata(input.title, input.chapters ? scenes : []));
    const cues = input.captions ? narrationCues(scenes, prepared.map((p) => p.clip.narration), fps) : [];
    const srtPath = join(scratch, 'captions.srt');
    if (cues.length) await writeFile(srtPath, toSrt(cues));

    // 3. The one ffmpeg call that writes the final file.
    const inputs: { source: string; options?: string[] }[] = [];
    const graph: string[] = [];
    const maps: string[] = [];
    const codec: string[] = [];
    const clipInput = (i: number) => (method === 'copy' ? i + 1 : i);
    if (method === 'copy') {
      const listPath = join(scratch, 'video.ffconcat');
      await writeFile(listPath, concatList(prepared.map((p) => ({ path: p.path, seconds: p.facts.videoSeconds }))));
      inputs.push({ source: listPath, options: ['-f', 'concat', '-safe', '0'] });
      maps.push('-map', '0:v:0');
      codec.push('-c:v', 'copy');
    }
    prepared.forEach((p) => inputs.push({ source: p.path }));
    const audioEntries = prepared.map((p, i) => ({ input: p.facts.hasAudio ? clipInput(i) : null, seconds: p.facts.frames / fps }));
    if (method === 'transitions') {
      graph.push(transitionVideoGraph(prepared.map((p, i) => ({ input: i, frames: p.facts.frames, transition: i === 0 ? { type: 'cut', seconds: 0 } : p.clip.transition })), fps));
      graph.push(exactAudioGraph(audioEntries, { crossfades: scenes.map((s, i) => (i === 0 ? 0 : scenes[i - 1]!.startS + scenes[i - 1]!.clipSeconds - s.startS)) }));
    } else {
      graph.push(exactAudioGraph(audioEntries, 'concat'));
      if (method === 'reencode') {
        graph.push(`${prepared.map((_, i) => `[${i}:v]setpts=PTS-STARTPTS[vv${i}]`).join(';')};${prepared.map((_, i) => `[vv${i}]`).join('')}concat=n=${prepared.length}:v=1:a=0[v]`);
      }
    }
    if (method !== 'copy') {
      maps.push('-map', '[v]');
      codec.push(...houseVideoArgs(fps));
    }
    maps.push('-map', '[a]');
    const metaIndex = inputs.length;
    inputs.push({ source: metaPath, options: ['-f', 'ffmetadata'] });
    let subtitleArgs: string[] = [];
    if (cues.length) {
      const subIndex = inputs.length;
      inputs.push({ source: srtPath, options: ['-f', 'srt'] });
      subtitleArgs = ['-map', `${subIndex}:s`, '-c:s', 'mov_text', '-metadata:s:s:0', 'language=eng', '-metadata:s:s:0', 'handler_name=Narration'];
    }
    const graphPath = join(scratch, 'graph.txt');
    await writeFile(graphPath, graph.join(';\n'));

    await mkdir(join(input.output, '..'), { recursive: true });
    const tmp = `${tempPathFor(input.output)}.mp4`;
    try {
      await runFfmpeg({
        inputs,
        output: tmp,
        expectedDurationS: durationS,
        outputOptions: [
          '-filter_complex_script', graphPath,
          ...maps,
          ...subtitleArgs,
          '-map_metadata', String(metaIndex),
          '-map_chapters', input.chapters ? String(metaIndex) : '-1',
          ...codec,
          ...HOUSE_AUDIO_ARGS,
          '-metadata', `title=${input.title}`,
          '-movflags', '+faststart',
          '-f', 'mp4',
        ],
        ...(input.signal ? { signal: input.signal } : {}),
        onProgress: (p) => progress(0.25 + p.fraction * 0.7, 'assembling'),
      });
      await input.verify?.(tmp, { frames: totalFrames, durationS, scenes });
      await rename(tmp, input.output);
    } finally {
      await rm(tmp, { force: true });
    }
    if (cues.length) {
      const base = input.output.replace(/\.mp4$/, '');
      for (const [ext, text] of [['srt', toSrt(cues)], ['vtt', toVtt(cues)]] as const) {
        const p = `${base}.${ext}`;
        const t = tempPathFor(p);
        await writeFile(t, text);
        await rename(t, p);
        sidecars.push(p);
      }
    }
    progress(1, 'assembled');
    return { path: input.output, method, durationS, frames: totalFrames, scenes, sidecars };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
