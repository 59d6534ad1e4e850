/**
 * Assembly: verified clips → one final mp4 (+ caption sidecars, poster, contact sheet), frame-exact and in sync.
 *
 * 1. Probe: one ffprobe stands for every clip whose MP4 index shows the same video sample description
 *    (mp4-index.ts); otherwise each clip is probed. Fingerprints are compared with the house format.
 * 2. Normalize only the clips that differ (size → scale+pad or crop per `fit`, fps, SAR, pixel format, codec,
 *    rotation; for the copy method also H.264 parameters), one at a time, in the house encode.
 * 3. One ffmpeg call writes the output (AssemblyResult.method):
 *    - copy (every boundary a cut, no burn-in): video is stream-copied through an ffconcat list that names only the
 *      video stream and gives each clip's exact video duration, while each clip's audio is trimmed or padded to
 *      exactly that duration and encoded once ("H2" in ../shared/reference/ffmpeg.md: 0.0 ms A/V error at every
 *      scene start; plain `-f concat -c copy` drifts ~27 ms per clip from AAC priming);
 *    - transitions: xfade per boundary with exact offsets, clips decoded from two ffconcat lists (even and odd
 *      clips), so two decoders serve any number of clips; audio crossfades are built from concat + fades;
 *    - reencode: cuts only, but the picture changes (burned captions); one decode list.
 *    Audio is always rebuilt in that call: clip audio (48 kHz stereo, silence for clips without audio), narration
 *    from each scene's start, soundtrack (looped, faded, ducked), then an optional EBU R128 gain measured by a cheap
 *    audio-only pass before it. Chapters, title, the mov_text caption track and +faststart go in the same call.
 * 4. The `verify` hook runs on the finished temp file; only then are poster, contact sheet and sidecars written
 *    into place, and the video last. Scratch files are removed in every case; a cancelled run kills ffmpeg and
 *    leaves no partial output.
 */
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runFfmpeg } from './ffmpeg.js';
import { clipFacts, houseMismatches, type ClipFacts, type HouseFormat } from './fingerprint.js';
import { HOUSE_AUDIO_ARGS, houseVideoArgs } from './house.js';
import { audioStream, probe, rate, videoStream, type ProbeResult } from './probe.js';
import {
  burnChain,
  concatList,
  conformFilters,
  exactAudioGraph,
  f6,
  loudnessApplyChain,
  loudnessMeterChain,
  mixGraph,
  narrationGraph,
  parity,
  sequenceVideoGraph,
  soundtrackChain,
  transitionVideoGraph,
  type Conform,
  type LoudnessApply,
  type VideoEntry,
} from './graphs.js';
import { narrationCues, toAss, toSrt, toVtt, type Cue } from './captions.js';
import { planLoudness, readMeterFile, type LoudnessReport } from './loudness.js';
import { quickFacts } from './mp4-index.js';
import { keyframeTimes, sheetLayout, writeContactSheet, writePoster } from './stills.js';
import { chaptersMetadata, timeline, totalFrames, visibleWindows, type SceneTiming } from './timeline.js';
import type { TransitionName } from './transitions.js';
import type { Expectation } from './verify.js';
import { tempPathFor } from '../store/files.js';

export type { TransitionName } from './transitions.js';
export type { SceneTiming } from './timeline.js';
export type { Cue } from './captions.js';
export { snapToFrames, timeline, chaptersMetadata } from './timeline.js';
export { concatList, exactAudioGraph, transitionVideoGraph } from './graphs.js';
export { narrationCues, toSrt, toVtt } from './captions.js';

export interface AssemblyClip {
  sceneId: string;
  title: string;
  path: string;
  /** Transition INTO this clip; ignored for the first. */
  transition: { type: TransitionName; seconds: number };
  /** Caption text for this scene. */
  narration?: string;
  /** Narration audio file, mixed over the scene from its start (cut at the next scene's start). */
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
  /** Text height in output pixels. */
  fontSize: number;
  /** RRGGBB. */
  color: string;
  /** Outline width in output pixels. */
  outline: number;
  position: 'bottom' | 'top';
}

export interface AssemblyInput {
  clips: AssemblyClip[];
  house: HouseFormat;
  fit: 'pad' | 'crop';
  title: string;
  chapters: boolean;
  /** Soft captions: a mov_text track plus .srt/.vtt sidecars. */
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
  /** Scratch space; what assembly puts there is removed afterwards. */
  workDir: string;
  signal?: AbortSignal;
  /** fraction 0..1 of the whole assembly and the step under way. */
  onProgress?: (fraction: number, step: string) => void;
  /**
   * Runs on the finished temp file before anything is put in place; throw to reject it. `expectation` is what the
   * plan promises, ready for verifyVideo.
   */
  verify?: (
    tmpPath: string,
    timing: { frames: number; durationS: number; scenes: SceneTiming[]; expectation: Expectation },
  ) => Promise<void>;
}

/** What assembly found out about one clip. */
export interface ClipReport {
  sceneId: string;
  width: number;
  height: number;
  fps: number;
  frames: number;
  audio: { sampleRate: number; channels: number } | null;
  /** codec|profile|level|pix_fmt|size|fps|time base|SAR|track id|extradata md5: equal fingerprints can be copied. */
  fingerprint: string;
  /** Why it was re-encoded before (copy) or conformed inside (re-encode paths) assembly; empty: used as is. */
  normalized: string[];
}

export interface AssemblyResult {
  path: string;
  method: 'copy' | 'reencode' | 'transitions';
  durationS: number;
  frames: number;
  scenes: SceneTiming[];
  sidecars: string[];
  poster?: string;
  contactSheet?: string;
  clips: ClipReport[];
  audio: { narrationScenes: number; soundtrack: boolean; ducking: boolean; loudness?: LoudnessReport };
  /** Things that were adjusted (shortened transitions, narration cut at the next scene). */
  warnings: string[];
  /** Wall time per step, ms (probe, normalize, measure, encode, verify, stills, finish). */
  stepsMs: Record<string, number>;
}

/** Input the user gave that assembly cannot use (an audio file without audio, a clip without video). */
export class AssemblyInputError extends Error {
  override readonly name = 'AssemblyInputError';
  constructor(
    message: string,
    readonly sceneId?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Runs `fn` over `items` with at most `limit` at once, keeping order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** Why a clip is not in the house format: fingerprint.ts's checks plus rotation, a late start, variable frame rate. Pure. */
export function copyMismatches(p: ProbeResult, facts: ClipFacts, house: HouseFormat): string[] {
  const out = houseMismatches(facts, house);
  const v = videoStream(p);
  const sideData = (v as { side_data_list?: { rotation?: number }[] } | undefined)?.side_data_list ?? [];
  const rotation = Number(v?.tags?.rotate ?? sideData.find((d) => d.rotation !== undefined)?.rotation ?? 0);
  if (rotation % 360 !== 0) out.push(`rotated ${rotation}°`);
  const start = Number(v?.start_time ?? 0);
  if (house.fps > 0 && Math.abs(start) > 0.5 / house.fps) out.push(`video starts at ${start.toFixed(3)} s`);
  if (v?.r_frame_rate && v.avg_frame_rate && Math.abs(rate(v.r_frame_rate) - rate(v.avg_frame_rate)) > 0.01)
    out.push('variable frame rate');
  return out;
}

const houseFingerprints = new Map<string, string>();

/** The fingerprint of the house encode at this size and rate (encodes 3 black frames once per process). */
async function houseFingerprint(house: HouseFormat, scratch: string, signal?: AbortSignal): Promise<string> {
  const key = `${house.width}x${house.height}@${house.fps}`;
  const known = houseFingerprints.get(key);
  if (known) return known;
  const dest = join(scratch, 'house-reference.mp4');
  await runFfmpeg({
    inputs: [{ source: `color=c=black:s=${house.width}x${house.height}:r=${house.fps}:d=${f6(3 / house.fps)}`, options: ['-f', 'lavfi'] }],
    output: dest,
    expectedDurationS: 0,
    outputOptions: ['-map', '0:v', ...houseVideoArgs(house.fps), '-f', 'mp4'],
    ...(signal ? { signal } : {}),
  });
  const fingerprint = clipFacts(await probe(dest)).videoFingerprint;
  houseFingerprints.set(key, fingerprint);
  return fingerprint;
}

/** Re-encodes one clip into the house format, video and audio exactly `conform.frames` frames long. */
async function normalizeClip(src: string, facts: ClipFacts, conform: Conform, dest: string, signal?: AbortSignal): Promise<void> {
  const d = f6(conform.frames / conform.fps);
  const graphPath = `${dest}.graph.txt`;
  const audio = facts.hasAudio ? `[0:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,` : `anullsrc=r=48000:cl=stereo,`;
  await writeFile(
    graphPath,
    `[0:v]${conformFilters(conform)},setpts=PTS-STARTPTS[v];\n${audio}atrim=end=${d},apad=whole_dur=${d},asetpts=N/SR/TB[a]`,
  );
  await runFfmpeg({
    inputs: [{ source: src }],
    output: dest,
    expectedDurationS: conform.frames / conform.fps,
    outputOptions: [
      '-filter_complex_script',
      graphPath,
      '-map',
      '[v]',
      '-map',
      '[a]',
      ...houseVideoArgs(conform.fps),
      ...HOUSE_AUDIO_ARGS,
      '-f',
      'mp4',
    ],
    ...(signal ? { signal } : {}),
  });
}

/**
 * ffprobe facts for every clip. When the clips' MP4 indexes show the same video sample description, time base,
 * frame duration, track id, orientation and edit start (quickFacts), one ffprobe of the first clip stands for all
 * of them and only frame counts and audio presence are taken per clip; otherwise each clip is probed (4 at once).
 */
async function probeClips(clips: readonly AssemblyClip[], signal?: AbortSignal): Promise<{ probes: ProbeResult[]; facts: ClipFacts[] }> {
  const probeOne = async (clip: AssemblyClip) => {
    const p = await probe(clip.path, signal ? { signal } : {});
    if (!videoStream(p)) throw new AssemblyInputError(`scene ${clip.sceneId}: ${clip.path} has no video stream`, clip.sceneId);
    return p;
  };
  const quick = await mapLimit(clips, 8, (c) => quickFacts(c.path));
  const first = quick[0];
  if (first && quick.every((q) => q?.copyKey === first.copyKey)) {
    const p0 = await probeOne(clips[0]!);
    const f0 = clipFacts(p0);
    if (f0.frames === first.frames && f0.hasAudio === !!first.audio) {
      return {
        probes: clips.map(() => p0),
        facts: quick.map((q) => ({
          ...f0,
          frames: q!.frames,
          videoSeconds: f0.fps ? q!.frames / f0.fps : f0.videoSeconds,
          hasAudio: !!q!.audio,
          audioRate: q!.audio?.sampleRate ?? 0,
          audioChannels: q!.audio?.channels ?? 0,
          audioSeconds: 0,
        })),
      };
    }
  }
  const probes = await mapLimit(clips, 4, probeOne);
  return { probes, facts: probes.map((p) => clipFacts(p)) };
}

/** Numbered ffmpeg inputs. */
class Inputs {
  readonly list: { source: string; options?: string[] }[] = [];
  add(source: string, options?: string[]): number {
    this.list.push(options ? { source, options } : { source });
    return this.list.length - 1;
  }
}

interface Prepared {
  clip: AssemblyClip;
  path: string;
  facts: ClipFacts;
  normalized: string[];
}

interface AudioSources {
  narration: { path: string; seconds: number }[] | undefined;
  soundtrack: SoundtrackInput | undefined;
}

/** Adds the audio inputs and returns the audio graph up to [mix] (clip audio, narration, soundtrack, ducking). */
function audioPart(
  inputs: Inputs,
  prepared: readonly Prepared[],
  clipInput: (i: number) => number | null,
  scenes: readonly SceneTiming[],
  sources: AudioSources,
  durationS: number,
  fps: number,
): string {
  const parts: string[] = [];
  const entries = prepared.map((p, i) => ({ input: clipInput(i), seconds: p.facts.frames / fps }));
  const crossfades = scenes.map((s) => s.transitionS);
  parts.push(exactAudioGraph(entries, crossfades.some((c) => c > 0) ? { crossfades } : 'concat', 'clip'));
  if (sources.narration) {
    const narration = sources.narration;
    parts.push(
      narrationGraph(
        scenes.map((s, i) => {
          const n = narration[i];
          const slot = s.endS - s.startS;
          return n?.path
            ? { input: inputs.add(n.path), seconds: slot, cut: n.seconds > slot + 1e-3 }
            : { input: null, seconds: slot, cut: false };
        }),
        'narr',
      ),
    );
  }
  if (sources.soundtrack) {
    const input = inputs.add(sources.soundtrack.path, ['-stream_loop', '-1']);
    parts.push(soundtrackChain({ ...sources.soundtrack, input }, durationS, 'music'));
  }
  parts.push(
    mixGraph({ narration: !!sources.narration, soundtrack: sources.soundtrack ? { duck: sources.soundtrack.duck } : false }, 'mix'),
  );
  return parts.join(';\n');
}

export async function assemble(input: AssemblyInput): Promise<AssemblyResult> {
  const { house, signal } = input;
  const fps = house.fps;
  const sig = signal ? { signal } : {};
  const steps: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    steps[name] = Math.round((steps[name] ?? 0) + now - t0);
    t0 = now;
  };
  const progress = input.onProgress ?? (() => {});
  const warnings: string[] = [];
  if (input.clips.length === 0) throw new AssemblyInputError('nothing to assemble: no clips');
  await mkdir(input.workDir, { recursive: true });
  const scratch = await mkdtemp(join(input.workDir, 'assembly-'));
  const outDir = dirname(input.output);
  const tmp = `${tempPathFor(input.output)}.mp4`;
  const stillTemps: string[] = [];
  try {
    // 1. Probe clips and audio files.
    progress(0, 'probing clips');
    const { probes, facts } = await probeClips(input.clips, signal);
    const audioSeconds = async (path: string, what: string, sceneId?: string) => {
      const a = audioStream(await probe(path, sig));
      if (!a) throw new AssemblyInputError(`${what}: ${path} has no audio stream`, sceneId);
      return Number(a.duration ?? 0);
    };
    const narrationSeconds = await mapLimit(input.clips, 4, (c) =>
      c.narrationAudio ? audioSeconds(c.narrationAudio, `scene ${c.sceneId} narrationAudio`, c.sceneId) : Promise.resolve(0),
    );
    if (input.soundtrack) await audioSeconds(input.soundtrack.path, 'soundtrack');
    lap('probe');

    // 2. Decide the method and what to normalize.
    const hasTransitions = input.clips.some((c, i) => i > 0 && c.transition.type !== 'cut' && Math.round(c.transition.seconds * fps) > 0);
    const narrationText = input.clips.map((c) => c.narration);
    const wantsCues = (input.captions || !!input.burnCaptions) && narrationText.some((t) => t?.trim());
    const burn = input.burnCaptions && wantsCues ? input.burnCaptions : undefined;
    const mismatches = probes.map((p, i) => copyMismatches(p, facts[i]!, house));
    const conformOf = (f: ClipFacts): Conform => ({
      width: house.width,
      height: house.height,
      fps,
      fit: input.fit,
      sar: f.sar,
      frames: Math.round(f.videoSeconds * fps),
    });

    // Re-encoded video is decoded from ffconcat lists, so every clip must be in the house format (size, fps, SAR,
    // pixel format, orientation); the copy method additionally needs identical H.264 parameters.
    let method: AssemblyResult['method'] = hasTransitions ? 'transitions' : burn ? 'reencode' : 'copy';
    const reasons = mismatches.map((m) => [...m]);
    if (method === 'copy' && new Set(facts.map((f, i) => (reasons[i]!.length ? 'conform' : f.videoFingerprint))).size > 1) {
      const reference = await houseFingerprint(house, scratch, signal);
      facts.forEach((f, i) => {
        if (reasons[i]!.length === 0 && f.videoFingerprint !== reference) reasons[i]!.push('H.264 parameters differ from the house encode');
      });
    }

    // One clip at a time: x264 already uses every core, and only one decoder and encoder are alive.
    const prepared: Prepared[] = [];
    const toNormalize = reasons.filter((r) => r.length).length;
    let normalizedCount = 0;
    for (const [i, clip] of input.clips.entries()) {
      const f = facts[i]!;
      const why = reasons[i]!;
      if (why.length === 0) {
        prepared.push({ clip, path: clip.path, facts: f, normalized: [] });
        continue;
      }
      const dest = join(scratch, `norm-${i}.mp4`);
      progress(0.02 + (0.2 * normalizedCount) / toNormalize, `normalizing ${clip.sceneId} (${why.join(', ')})`);
      await normalizeClip(clip.path, f, conformOf(f), dest, signal);
      normalizedCount++;
      prepared.push({ clip, path: dest, facts: clipFacts(await probe(dest, { countPackets: true, ...sig })), normalized: why });
    }
    if (method === 'copy' && new Set(prepared.map((p) => p.facts.videoFingerprint)).size > 1) {
      warnings.push('normalized clips did not match the others byte for byte; the video was re-encoded instead of copied');
      method = 'reencode';
    }
    lap('normalize');

    // 3. The timeline and everything derived from it.
    const scenes = timeline(
      prepared.map((p, i) => ({
        sceneId: p.clip.sceneId,
        title: p.clip.title,
        frames: p.facts.frames,
        transitionS: i === 0 || p.clip.transition.type === 'cut' ? 0 : p.clip.transition.seconds,
      })),
      fps,
    );
    for (const id of scenes.clamped ?? []) warnings.push(`scene ${id}: transition shortened to fit the clips on both sides`);
    scenes.forEach((s, i) => (s.normalized = prepared[i]!.normalized));
    const frames = totalFrames(scenes, fps);
    const durationS = frames / fps;
    const overlaps = scenes.map((s) => Math.round(s.transitionS * fps));
    const windows = visibleWindows(scenes, fps);
    const narration = input.clips.some((c) => c.narrationAudio)
      ? input.clips.map((c, i) => ({ path: c.narrationAudio ?? '', seconds: narrationSeconds[i]! }))
      : undefined;
    narration?.forEach((n, i) => {
      const slot = scenes[i]!.endS - scenes[i]!.startS;
      if (n.path && n.seconds > slot + 1e-3)
        warnings.push(
          `scene ${scenes[i]!.sceneId}: narration audio (${n.seconds.toFixed(2)} s) cut at the next scene (${slot.toFixed(2)} s)`,
        );
    });
    const sources: AudioSources = { narration, soundtrack: input.soundtrack };

    // 4. Side files: chapters + title, captions.
    const metaPath = join(scratch, 'chapters.ffmeta');
    await writeFile(metaPath, chaptersMetadata(input.title, input.chapters ? scenes : []));
    const cues: Cue[] = wantsCues ? narrationCues(scenes, narrationText, fps) : [];
    const srtPath = join(scratch, 'captions.srt');
    if (input.captions && cues.length) await writeFile(srtPath, toSrt(cues));
    const assPath = join(scratch, 'captions.ass');
    if (burn) await writeFile(assPath, toAss(cues, burn, house));

    // 5. Loudness: measure the finished mix in an audio-only pass, then apply one gain in the main pass.
    let loudnessApply: LoudnessApply | undefined;
    let loudnessReport: LoudnessReport | undefined;
    if (input.loudness) {
      progress(0.22, 'measuring loudness');
      const inputs = new Inputs();
      const audioInputs = prepared.map((p) => (p.facts.hasAudio ? inputs.add(p.path) : null));
      const meterFile = join(scratch, 'loudness.txt');
      const graph = `${audioPart(inputs, prepared, (i) => audioInputs[i] ?? null, scenes, sources, durationS, fps)};\n${loudnessMeterChain(meterFile, 'mix', 'meter')}`;
      const graphPath = join(scratch, 'measure.txt');
      await writeFile(graphPath, graph);
      await runFfmpeg({
        inputs: inputs.list,
        output: join(scratch, 'measure.null'),
        expectedDurationS: durationS,
        outputOptions: ['-filter_complex_script', graphPath, '-map', '[meter]', '-f', 'null'],
        ...sig,
        onProgress: (p) => progress(0.22 + p.fraction * 0.05, 'measuring loudness'),
      });
      const measured = await readMeterFile(meterFile);
      if (measured) {
        const plan = planLoudness(measured, input.loudness);
        loudnessApply = plan.apply;
        loudnessReport = plan.report;
      } else warnings.push('loudness could not be measured; levels left as they are');
      lap('measure');
    }

    // 6. The one ffmpeg call that writes the final file.
    const inputs = new Inputs();
    const graph: string[] = [];
    const maps: string[] = [];
    const codec: string[] = [];
    const list = async (name: string, members: Prepared[]) => {
      const listPath = join(scratch, name);
      await writeFile(listPath, concatList(members.map((p) => ({ path: p.path, seconds: p.facts.frames / fps }))));
      return inputs.add(listPath, ['-f', 'concat', '-safe', '0']);
    };
    if (method === 'copy') {
      await list('video.ffconcat', prepared);
      maps.push('-map', '0:v:0');
      codec.push('-c:v', 'copy');
    } else {
      const videoOut = burn ? 'vbase' : 'v';
      if (method === 'transitions') {
        const even = await list(
          'even.ffconcat',
          prepared.filter((_, i) => parity(i) === 'even'),
        );
        const odd = await list(
          'odd.ffconcat',
          prepared.filter((_, i) => parity(i) === 'odd'),
        );
        const entries: VideoEntry[] = prepared.map((p, i) => ({
          frames: p.facts.frames,
          transition: i === 0 ? { type: 'cut', seconds: 0 } : p.clip.transition,
        }));
        graph.push(transitionVideoGraph(entries, overlaps, { even, odd }, fps, videoOut));
      } else {
        graph.push(sequenceVideoGraph(await list('video.ffconcat', prepared), fps, videoOut));
      }
      if (burn) graph.push(burnChain(assPath, 'vbase', 'v'));
      maps.push('-map', '[v]');
      const stills = [...scenes.map((s) => s.startS), ...windows.map((w) => w.midS)];
      codec.push(...houseVideoArgs(fps), '-force_key_frames', keyframeTimes(stills));
    }
    const audioInputs = prepared.map((p) => (p.facts.hasAudio ? inputs.add(p.path) : null));
    const clipInput = (i: number) => audioInputs[i] ?? null;
    graph.push(audioPart(inputs, prepared, clipInput, scenes, sources, durationS, fps));
    graph.push(loudnessApplyChain(loudnessApply, 'mix', 'a'));
    maps.push('-map', '[a]');
    const metaIndex = inputs.add(metaPath, ['-f', 'ffmetadata']);
    const subtitleArgs: string[] = [];
    if (input.captions && cues.length) {
      const subIndex = inputs.add(srtPath, ['-f', 'srt']);
      subtitleArgs.push(
        '-map',
        `${subIndex}:s`,
        '-c:s',
        'mov_text',
        '-metadata:s:s:0',
        'language=eng',
        '-metadata:s:s:0',
        'handler_name=Narration',
      );
    }
    const graphPath = join(scratch, 'graph.txt');
    await writeFile(graphPath, graph.join(';\n'));
    await mkdir(outDir, { recursive: true });
    const encodeFrom = input.loudness ? 0.27 : 0.22;
    progress(encodeFrom, 'assembling');
    await runFfmpeg({
      inputs: inputs.list,
      output: tmp,
      expectedDurationS: durationS,
      outputOptions: [
        '-filter_complex_script',
        graphPath,
        ...maps,
        ...subtitleArgs,
        '-map_metadata',
        String(metaIndex),
        '-map_chapters',
        input.chapters ? String(metaIndex) : '-1',
        ...codec,
        ...HOUSE_AUDIO_ARGS,
        '-metadata',
        `title=${input.title}`,
        '-movflags',
        '+faststart',
        '-f',
        'mp4',
      ],
      ...sig,
      onProgress: (p) => progress(encodeFrom + p.fraction * (0.9 - encodeFrom), 'assembling'),
    });
    lap('encode');

    // 7. Verify before anything is put in place.
    const expectation: Expectation = {
      width: house.width,
      height: house.height,
      fps,
      frames,
      durationS,
      boundaries: scenes.slice(1).map((s) => ({ atS: s.startS, transitionS: s.transitionS })),
      ...(input.chapters ? { chapters: scenes.length } : {}),
      subtitles: input.captions && cues.length ? 1 : 0,
      sceneIds: scenes.map((s) => s.sceneId),
    };
    await input.verify?.(tmp, { frames, durationS, scenes, expectation });
    lap('verify');

    // 8. Poster and contact sheet from the verified file, then everything into place (the video last).
    progress(0.96, 'poster and contact sheet');
    const placed: { tmp: string; dest: string }[] = [];
    const stage = (dest: string) => {
      const t = `${tempPathFor(dest)}${dest.slice(dest.lastIndexOf('.'))}`;
      stillTemps.push(t);
      placed.push({ tmp: t, dest });
      return t;
    };
    const poster = input.poster ? join(outDir, 'poster.jpg') : undefined;
    const contactSheet = input.contactSheet ? join(outDir, 'contact-sheet.jpg') : undefined;
    await Promise.all([
      poster ? writePoster(tmp, windows[0]!.midS, stage(poster), signal) : undefined,
      contactSheet
        ? writeContactSheet(
            tmp,
            windows.map((w) => w.midS),
            fps,
            sheetLayout(scenes.length, house),
            stage(contactSheet),
            join(scratch, 'tiles.ffconcat'),
            signal,
          )
        : undefined,
    ]);
    lap('stills');

    const sidecars: string[] = [];
    if (input.captions && cues.length) {
      const base = input.output.replace(/\.mp4$/, '');
      for (const [ext, text] of [
        ['srt', toSrt(cues)],
        ['vtt', toVtt(cues)],
      ] as const) {
        const dest = `${base}.${ext}`;
        await writeFile(stage(dest), text);
        sidecars.push(dest);
      }
    }
    for (const p of placed) await rename(p.tmp, p.dest);
    await rename(tmp, input.output);
    lap('finish');
    progress(1, 'assembled');
    return {
      path: input.output,
      method,
      durationS,
      frames,
      scenes: scenes.map((s) => ({ ...s })),
      sidecars,
      ...(poster ? { poster } : {}),
      ...(contactSheet ? { contactSheet } : {}),
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
        ...(loudnessReport ? { loudness: loudnessReport } : {}),
      },
      warnings,
      stepsMs: steps,
    };
  } finally {
    await rm(tmp, { force: true });
    await Promise.all(stillTemps.map((t) => rm(t, { force: true })));
    await rm(scratch, { recursive: true, force: true });
  }
}
