/**
 * Filter graph and list builders for assembly. Pure: every function returns text that the caller writes to a
 * script file (`-filter_complex_script`, ffconcat), so each is unit-tested as a string.
 *
 * Exactness rules (measured on ffmpeg 5.1, ../shared/reference/ffmpeg.md):
 * - every clip's audio is trimmed or padded to exactly its video length before joining (no drift, no duplicated
 *   frames from the concat filter);
 * - transition offsets are computed in whole frames on the merged timeline;
 * - inside a transition graph every video stream has time base 1/fps, and the first input of each xfade is padded
 *   past the transition (ffmpeg 5.1 drops a frame slot otherwise; see transitionVideoGraph).
 */
import type { TransitionName } from './transitions.js';
import { XFADE } from './transitions.js';

export const f6 = (n: number) => n.toFixed(6);

/**
 * Escapes a filter option value inside a filtergraph: level 1 (`\ ' :` inside the option value) and level 2
 * (`\ ' [ ] , ;` in the graph description), per ffmpeg-filters(1) "Notes on filtergraph escaping".
 */
export function escapeFilterValue(value: string): string {
  const level1 = value.replace(/[\\':]/g, (c) => `\\${c}`);
  return level1.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

/** ffconcat list naming only the video stream, with each clip's exact video duration. */
export function concatList(entries: readonly { path: string; seconds: number }[]): string {
  const quote = (p: string) => `'${p.replaceAll("'", "'\\''")}'`;
  return [
    'ffconcat version 1.0',
    'stream',
    'exact_stream_id 0x1',
    ...entries.flatMap((e) => [`file ${quote(e.path)}`, `duration ${f6(e.seconds)}`]),
    '',
  ].join('\n');
}

/** How a clip that differs from the house format is brought into it. */
export interface Conform {
  width: number;
  height: number;
  fps: number;
  fit: 'pad' | 'crop';
  /** The clip's sample aspect ratio ("1:1" when square). */
  sar: string;
  /** Output frame count: round(clip seconds × fps). */
  frames: number;
}

/**
 * Filters (no labels) that conform any picture to the house format: square pixels, scale+pad (letterbox) or
 * scale+crop (fill), constant fps, yuv420p, exactly `frames` frames (the last frame is repeated if the fps
 * conversion comes up one short).
 */
export function conformFilters(c: Conform): string {
  const squarePixels = c.sar !== '1:1' ? `scale=trunc(iw*sar/2)*2:ih,setsar=1,` : '';
  const fit =
    c.fit === 'crop'
      ? `scale=${c.width}:${c.height}:force_original_aspect_ratio=increase:force_divisible_by=2,crop=${c.width}:${c.height}`
      : `scale=${c.width}:${c.height}:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=${c.width}:${c.height}:(ow-iw)/2:(oh-ih)/2:color=black`;
  return `${squarePixels}${fit},setsar=1,fps=${c.fps},format=yuv420p,tpad=stop_mode=clone:stop=1,trim=end_frame=${c.frames}`;
}

export interface VideoEntry {
  input: number;
  frames: number;
  /** Present when the clip is not in the house format: conformed inside the graph. */
  conform?: Conform;
  /** Incoming transition (ignored for the first entry). */
  transition: { type: TransitionName; seconds: number };
}

const sourceChain = (e: VideoEntry, tb: string) => `[${e.input}:v]${e.conform ? `${conformFilters(e.conform)},` : ''}${tb}setpts=PTS-STARTPTS`;

/** Cuts only, re-encoded: every clip (conformed where needed) joined by the concat filter into [out]. */
export function concatVideoGraph(entries: readonly VideoEntry[], out = 'v'): string {
  const parts = entries.map((e, i) => `${sourceChain(e, '')}[v${i}]`);
  parts.push(`${entries.map((_, i) => `[v${i}]`).join('')}concat=n=${entries.length}:v=1:a=0[${out}]`);
  return parts.join(';\n');
}

/**
 * Video chain with xfade at every non-cut boundary into [out]. Offsets are on the merged timeline:
 * offset_k = (frames so far − T_k) / fps. `overlaps[k]` is the overlap in frames (timeline()).
 *
 * ffmpeg 5.1's xfade ends a transition either when its first input passes offset+duration (exact) or when that
 * input reaches EOF; on the EOF path it can take the input's EOF before its last queued frames and then skips one
 * frame slot (measured: 1597 frames for 1596, worse when audio shares the graph). So the first input of every
 * xfade is extended past the transition with black frames that are never shown (the concat filter, unlike tpad,
 * reports a correct EOF time after an xfade, whose own EOF timestamp is stale).
 */
export function transitionVideoGraph(
  entries: readonly VideoEntry[],
  overlaps: readonly number[],
  video: { width: number; height: number; fps: number },
  out = 'v',
): string {
  const { fps } = video;
  // One time base (1/fps) everywhere: xfade needs equal time bases, and the concat filter outputs 1/1000000.
  const tb = `settb=1/${fps}`;
  const parts: string[] = entries.map((e, i) => `${sourceChain(e, `setsar=1,${tb},`)}[v${i}]`);
  let acc = 'v0';
  let accFrames = entries[0]?.frames ?? 0;
  for (let i = 1; i < entries.length; i++) {
    const e = entries[i]!;
    const label = i === entries.length - 1 ? out : `vc${i}`;
    const tFrames = e.transition.type === 'cut' ? 0 : (overlaps[i] ?? 0);
    if (tFrames > 0) {
      const padS = f6(tFrames / fps + 1);
      parts.push(
        `color=c=black:s=${video.width}x${video.height}:r=${fps}:d=${padS},format=yuv420p,setsar=1,${tb}[k${i}]`,
        `[${acc}][k${i}]concat=n=2:v=1:a=0,${tb}[p${i}]`,
        `[p${i}][v${i}]xfade=transition=${XFADE[e.transition.type as Exclude<TransitionName, 'cut'>]}:duration=${f6(tFrames / fps)}:offset=${f6((accFrames - tFrames) / fps)}[${label}]`,
      );
    } else {
      parts.push(`[${acc}][v${i}]concat=n=2:v=1:a=0,${tb}[${label}]`);
    }
    accFrames += e.frames - tFrames;
    acc = label;
  }
  if (entries.length === 1) parts.push(`[v0]null[${out}]`);
  return parts.join(';\n');
}

const toHouseAudio = 'aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo';

/**
 * Per-clip audio made exactly as long as its video (silence for clips without audio), joined by concat or, where
 * `crossfades[i]` > 0, by acrossfade over the transition, into [out].
 */
export function exactAudioGraph(entries: readonly { input: number | null; seconds: number }[], join: 'concat' | { crossfades: readonly number[] }, out = 'a'): string {
  const parts = entries.map((e, i) => {
    const d = f6(e.seconds);
    const src = e.input === null ? `anullsrc=r=48000:cl=stereo` : `[${e.input}:a]${toHouseAudio}`;
    return `${src},atrim=end=${d},apad=whole_dur=${d},asetpts=N/SR/TB[a${i}]`;
  });
  if (entries.length === 1) parts.push(`[a0]anull[${out}]`);
  else if (join === 'concat') {
    parts.push(`${entries.map((_, i) => `[a${i}]`).join('')}concat=n=${entries.length}:v=0:a=1[${out}]`);
  } else {
    let acc = 'a0';
    for (let i = 1; i < entries.length; i++) {
      const d = join.crossfades[i] ?? 0;
      const label = i === entries.length - 1 ? out : `ac${i}`;
      parts.push(d > 0 ? `[${acc}][a${i}]acrossfade=d=${f6(d)}:c1=tri:c2=tri[${label}]` : `[${acc}][a${i}]concat=n=2:v=0:a=1[${label}]`);
      acc = label;
    }
  }
  return parts.join(';\n');
}

/**
 * The narration track: scene i's narration file placed at the scene's start and cut at the next scene's start
 * (faded over 50 ms when cut), silence elsewhere; exactly as long as the video. `slots` are the scenes'
 * [start, next start) lengths in seconds; consecutive silent slots are merged.
 */
export function narrationGraph(slots: readonly { input: number | null; seconds: number; cut: boolean }[], out = 'narr'): string {
  const merged: { input: number | null; seconds: number; cut: boolean }[] = [];
  for (const s of slots) {
    const last = merged.at(-1);
    if (s.input === null && last && last.input === null) last.seconds += s.seconds;
    else merged.push({ ...s });
  }
  const parts = merged.map((s, i) => {
    const d = f6(s.seconds);
    if (s.input === null) return `anullsrc=r=48000:cl=stereo,atrim=end=${d},asetpts=N/SR/TB[n${i}]`;
    const fade = s.cut && s.seconds > 0.1 ? `,afade=t=out:st=${f6(s.seconds - 0.05)}:d=0.05` : '';
    return `[${s.input}:a]${toHouseAudio},atrim=end=${d}${fade},apad=whole_dur=${d},asetpts=N/SR/TB[n${i}]`;
  });
  parts.push(merged.length === 1 ? `[n0]anull[${out}]` : `${merged.map((_, i) => `[n${i}]`).join('')}concat=n=${merged.length}:v=0:a=1[${out}]`);
  return parts.join(';\n');
}

export interface SoundtrackSpec {
  /** Input index; the input is opened with `-stream_loop -1`, so it repeats for as long as needed. */
  input: number;
  volumeDb: number;
  duck: boolean;
  fadeInSeconds: number;
  fadeOutSeconds: number;
}

/** The soundtrack cut to `totalS`, with gain and fades, into [out]. */
export function soundtrackChain(s: SoundtrackSpec, totalS: number, out = 'music'): string {
  const d = f6(totalS);
  const fadeIn = Math.min(s.fadeInSeconds, totalS);
  const fadeOut = Math.min(s.fadeOutSeconds, totalS);
  return (
    `[${s.input}:a]${toHouseAudio},atrim=end=${d},asetpts=N/SR/TB,volume=${s.volumeDb.toFixed(2)}dB` +
    (fadeIn > 0 ? `,afade=t=in:st=0:d=${f6(fadeIn)}` : '') +
    (fadeOut > 0 ? `,afade=t=out:st=${f6(totalS - fadeOut)}:d=${f6(fadeOut)}` : '') +
    `,apad=whole_dur=${d}[${out}]`
  );
}

/**
 * Sidechain settings for ducking: the soundtrack drops by about 15-20 dB while the voice (clip audio + narration)
 * is above −34 dBFS, attacks in 20 ms and recovers over 300 ms.
 */
export const DUCKING = 'threshold=0.02:ratio=8:attack=20:release=300:makeup=1:detection=rms';

/**
 * The full mix into [out]: clip audio ([clip], from exactAudioGraph), plus narration ([narr]) and soundtrack
 * ([music]) when present, the soundtrack ducked under clip audio + narration when asked. Sums without
 * renormalising (amix normalize=0), so clip audio keeps its level.
 */
export function mixGraph(has: { narration: boolean; soundtrack: false | { duck: boolean } }, out = 'mix'): string {
  const parts: string[] = [];
  let voice = 'clip';
  if (has.narration) {
    parts.push(`[clip][narr]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[voice]`);
    voice = 'voice';
  }
  if (!has.soundtrack) {
    parts.push(`[${voice}]anull[${out}]`);
    return parts.join(';\n');
  }
  if (has.soundtrack.duck) {
    parts.push(`[${voice}]asplit=2[vmix][vkey]`, `[music][vkey]sidechaincompress=${DUCKING}[ducked]`, `[vmix][ducked]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[${out}]`);
  } else {
    parts.push(`[${voice}][music]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[${out}]`);
  }
  return parts.join(';\n');
}

/** Measurement tail: EBU R128 meter (with true peak) whose running values go to `metadataFile`. */
export function loudnessMeterChain(metadataFile: string, from = 'mix', out = 'meter'): string {
  return `[${from}]ebur128=peak=true:metadata=1,ametadata=mode=print:file=${escapeFilterValue(metadataFile)}[${out}]`;
}

/** How the measured mix is brought to the target (see loudness.ts). */
export type LoudnessApply = { mode: 'linear'; gainDb: number } | { mode: 'limited'; gainDb: number; limitLinear: number };

/** The loudness stage from [from] into [out]: a plain gain, or a gain into a delay-compensated peak limiter. */
export function loudnessApplyChain(apply: LoudnessApply | undefined, from = 'mix', out = 'a'): string {
  if (!apply || apply.gainDb === 0) return `[${from}]anull[${out}]`;
  const gain = `volume=${apply.gainDb.toFixed(2)}dB`;
  if (apply.mode === 'linear') return `[${from}]${gain}[${out}]`;
  return `[${from}]${gain},alimiter=limit=${apply.limitLinear.toFixed(4)}:attack=5:release=50:level=false:latency=1[${out}]`;
}

/** Burns an ASS subtitle file into [from] → [out]. */
export function burnChain(assFile: string, from: string, out = 'v'): string {
  return `[${from}]subtitles=filename=${escapeFilterValue(assFile)}[${out}]`;
}
