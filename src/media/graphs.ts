/**
 * Filter graph and list builders for assembly. Pure: every function returns text that the caller writes to a
 * script file (`-filter_complex_script`, ffconcat), so each is unit-tested as a string.
 *
 * Exactness rules (measured on ffmpeg 5.1, ../shared/reference/ffmpeg.md):
 * - every clip's audio is trimmed or padded to exactly its video length before joining (no drift, no duplicated
 *   frames from the concat filter);
 * - transition offsets are computed in whole frames on the merged timeline;
 * - re-encoded video is decoded from ffconcat lists of house-format clips (one or two decoders whatever the clip
 *   count) with regular 1/fps timestamps, and a clip followed by an xfade is padded past the transition (ffmpeg 5.1
 *   drops a frame slot otherwise; see transitionVideoGraph).
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
  frames: number;
  /** Incoming transition (ignored for the first entry). */
  transition: { type: TransitionName; seconds: number };
}

/**
 * Which decode list (ffconcat input) each clip is read from in the transitions path: even clips from one, odd
 * clips from the other, so two decoders serve any number of clips and each list is read strictly in order.
 */
export const parity = (index: number) => (index % 2 === 0 ? 'even' : 'odd');

/** Cuts only, re-encoded: the clips decoded in order from one ffconcat input, with regular timestamps, into [out]. */
export function sequenceVideoGraph(input: number, fps: number, out = 'v'): string {
  return `[${input}:v]settb=1/${fps},setpts=N,setsar=1[${out}]`;
}

/**
 * Video chain with xfade at every non-cut boundary into [out]. Clips come from two ffconcat inputs (even and odd
 * clips, house format, each list in order); every clip is cut out of its list by frame numbers. Offsets are on
 * the merged timeline: offset_k = (frames so far − T_k) / fps, with `overlaps[k]` frames of overlap (timeline()).
 *
 * ffmpeg 5.1's xfade ends a transition either when its first input passes offset+duration (exact) or when that
 * input reaches EOF; on the EOF path it can take the EOF before its last queued frame and then skips one frame
 * slot (measured: 1597 frames for 1596). So a clip followed by a transition is extended by a few copies of its last
 * frame, which fall inside the next transition at full progress and are never seen. (Padding after an xfade with
 * tpad is wrong: xfade reports a stale EOF time, which tpad uses for its copies.)
 */
export function transitionVideoGraph(
  entries: readonly VideoEntry[],
  overlaps: readonly number[],
  inputs: { even: number; odd: number },
  fps: number,
  out = 'v',
): string {
  const tb = `settb=1/${fps}`;
  const parts: string[] = [];
  for (const side of ['even', 'odd'] as const) {
    const members = entries.map((_, i) => i).filter((i) => parity(i) === side);
    if (members.length === 0) continue;
    const src = `[${inputs[side]}:v]${tb},setpts=N,setsar=1`;
    parts.push(members.length === 1 ? `${src}[s${members[0]}]` : `${src},split=${members.length}${members.map((i) => `[s${i}]`).join('')}`);
  }
  const position = { even: 0, odd: 0 };
  entries.forEach((e, i) => {
    const side = parity(i);
    const from = position[side];
    position[side] += e.frames;
    const next = entries[i + 1];
    const padded = next && next.transition.type !== 'cut' && (overlaps[i + 1] ?? 0) > 0 ? ',tpad=stop_mode=clone:stop=4' : '';
    parts.push(`[s${i}]trim=start_frame=${from}:end_frame=${from + e.frames},setpts=PTS-STARTPTS${padded}[v${i}]`);
  });
  let acc = 'v0';
  let accFrames = entries[0]?.frames ?? 0;
  for (let i = 1; i < entries.length; i++) {
    const e = entries[i]!;
    const label = i === entries.length - 1 ? out : `vc${i}`;
    const tFrames = e.transition.type === 'cut' ? 0 : (overlaps[i] ?? 0);
    if (tFrames > 0) {
      const name = XFADE[e.transition.type as Exclude<TransitionName, 'cut'>];
      parts.push(
        `[${acc}][v${i}]xfade=transition=${name}:duration=${f6(tFrames / fps)}:offset=${f6((accFrames - tFrames) / fps)}[${label}]`,
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
 * Clip audio into the house format, placed by its timestamps: `first_pts=0` makes the resampler start the stream at
 * the file's time zero, so audio that starts after the picture (an empty edit, encoder priming, a muxer's offset)
 * gets that much silence in front instead of being pulled forward to the first frame. Audio that starts before the
 * picture is cut by the caller (a clip's `videoOffsetS`; assembly normalizes such clips).
 */
export const CLIP_AUDIO = 'aresample=48000:first_pts=0,aformat=sample_fmts=fltp:channel_layouts=stereo';

/**
 * One clip's audio as exactly `samples` samples at 48 kHz from its first video frame (`skipSamples` into the file's
 * timeline), padded with silence when short: the chain after the input label, without an output label.
 */
export function placedClipAudio(input: number, samples: number, skipSamples = 0): string {
  const trim = skipSamples > 0 ? `atrim=start_sample=${skipSamples}:end_sample=${skipSamples + samples}` : `atrim=end_sample=${samples}`;
  return `[${input}:a]${CLIP_AUDIO},${trim},apad=whole_len=${samples},asetpts=N/SR/TB`;
}

/**
 * Per-clip audio placed by its timestamps and made exactly as long as its video (silence for clips without audio),
 * joined into [out]: by the concat filter at cuts, and across a transition of `crossfades[i]` seconds by fading clip i−1 out and clip i in
 * (linear, as acrossfade's tri curves) and summing the overlapping pieces.
 *
 * Why not acrossfade: in ffmpeg 5.1 a chain of acrossfade filters makes ffmpeg read clips long before the video
 * needs them, and their decoded video frames pile up (measured: 2.2 GB for 12 clips at 720p, 6.9 GB for 24). The
 * concat filter only pulls from the segment it is playing, so every clip is read when the picture reaches it.
 * Lengths are counted in samples at 48 kHz, so pieces join without rounding.
 */
export function exactAudioGraph(
  entries: readonly { input: number | null; seconds: number }[],
  join: 'concat' | { crossfades: readonly number[] },
  out = 'a',
): string {
  const rate = 48000;
  const samples = (s: number) => Math.round(s * rate);
  const fades = join === 'concat' ? [] : join.crossfades;
  const parts: string[] = [];
  const segments: string[] = [];
  entries.forEach((e, i) => {
    const n = samples(e.seconds);
    const fadeIn = i > 0 ? Math.min(samples(fades[i] ?? 0), n) : 0;
    const fadeOut = i + 1 < entries.length ? Math.min(samples(fades[i + 1] ?? 0), n - fadeIn) : 0;
    let chain =
      e.input === null
        ? `anullsrc=r=${rate}:cl=stereo,atrim=end_sample=${n},apad=whole_len=${n},asetpts=N/SR/TB`
        : placedClipAudio(e.input, n);
    if (fadeIn) chain += `,afade=t=in:ss=0:ns=${fadeIn}`;
    if (fadeOut) chain += `,afade=t=out:ss=${n - fadeOut}:ns=${fadeOut}`;
    const pieces = [
      ...(fadeIn ? [['h', 0, fadeIn] as const] : []),
      ...(n - fadeIn - fadeOut > 0 ? [['b', fadeIn, n - fadeOut] as const] : []),
      ...(fadeOut ? [['t', n - fadeOut, n] as const] : []),
    ];
    if (pieces.length === 1 && pieces[0]![0] === 'b') {
      parts.push(`${chain}[b${i}]`);
    } else {
      parts.push(`${chain},asplit=${pieces.length}${pieces.map(([k]) => `[${k}${i}s]`).join('')}`);
      for (const [k, from, to] of pieces)
        parts.push(`[${k}${i}s]atrim=start_sample=${from}:end_sample=${to},asetpts=PTS-STARTPTS[${k}${i}]`);
    }
    if (fadeIn) {
      parts.push(`[t${i - 1}][h${i}]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0[x${i}]`);
      segments.push(`[x${i}]`);
    }
    if (n - fadeIn - fadeOut > 0) segments.push(`[b${i}]`);
  });
  parts.push(segments.length === 1 ? `${segments[0]}anull[${out}]` : `${segments.join('')}concat=n=${segments.length}:v=0:a=1[${out}]`);
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
  parts.push(
    merged.length === 1 ? `[n0]anull[${out}]` : `${merged.map((_, i) => `[n${i}]`).join('')}concat=n=${merged.length}:v=0:a=1[${out}]`,
  );
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
 * ([music]) when present, the soundtrack ducked under clip audio + narration when asked, and the clip audio ducked
 * under the narration when it is speech storyreel synthesized (`duckClipUnderNarration`). Sums without
 * renormalising (amix normalize=0), so clip audio keeps its level.
 */
export function mixGraph(
  has: { narration: boolean; soundtrack: false | { duck: boolean }; duckClipUnderNarration?: boolean },
  out = 'mix',
): string {
  const parts: string[] = [];
  let voice = 'clip';
  if (has.narration && has.duckClipUnderNarration) {
    // Spoken narration and lines sit over the clip's own sound: the clip drops while someone speaks.
    parts.push(
      `[narr]asplit=2[nmix][nkey]`,
      `[clip][nkey]sidechaincompress=${DUCKING}[clipducked]`,
      `[clipducked][nmix]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[voice]`,
    );
    voice = 'voice';
  } else if (has.narration) {
    parts.push(`[clip][narr]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[voice]`);
    voice = 'voice';
  }
  if (!has.soundtrack) {
    parts.push(`[${voice}]anull[${out}]`);
    return parts.join(';\n');
  }
  if (has.soundtrack.duck) {
    parts.push(
      `[${voice}]asplit=2[vmix][vkey]`,
      `[music][vkey]sidechaincompress=${DUCKING}[ducked]`,
      `[vmix][ducked]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[${out}]`,
    );
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
