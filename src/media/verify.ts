/**
 * Verification of a final video before a production is called done. Everything in the result is plain JSON
 * (it goes into manifest.json as is).
 *
 * 1. Container (ffprobe) and packets (read once, no decode): one H.264 yuv420p square-pixel video and one AAC audio
 *    stream, size, frame rate, frame count and duration against the plan (± one frame per boundary), both streams
 *    starting at 0, audio as long as video, chapters and caption tracks as planned.
 * 2. Audio packets: every AAC packet is 1024 samples, so more packets than the duration accounts for means stacked
 *    priming frames (concat-copy drift), which the container durations alone do not show.
 * 3. moov before mdat (web playback starts before the download ends).
 * 4. Decoding, by `decode`:
 *    - 'full' (re-encoded videos): one pass over every frame (`-xerror`: the first corrupt frame fails it) with
 *      blackdetect, freezedetect and silencedetect; events are classified against the scene boundaries. Black or
 *      frozen stretches at a join that a transition does not explain are warnings, not failures: still shots are
 *      legitimate content, a whole black or frozen scene is reported as such.
 *    - 'joins' (stream copies): the clips' frames are their own bytes, decoded when each clip arrived, so only the
 *      joins are checked: per-scene packet counts and durations, a keyframe at every scene start, regular
 *      timestamps (from the MP4 index, mp4-samples.ts), and a decode of the first frames after every join (a
 *      sixth of a second) with black and freeze detectors (verify-decode.ts). About a tenth of a full decode's
 *      work at 4-8 s scenes.
 */
import { open } from 'node:fs/promises';
import { FfmpegCancelledError, FfmpegError } from './ffmpeg.js';
import { audioStream, probe, ProbeError, rate, readPackets, videoStream, type PacketInfo, type ProbeResult } from './probe.js';
import { classifyEvents, classifyWindowEvents, decodeAll, decodeJoinWindows, type DecodeOptions } from './verify-decode.js';
import { readSamples } from './mp4-samples.js';
import { analyzeSegments, joinWindows, windowsPerPass } from './verify-joins.js';
import type { DetectedEvent, Expectation, SegmentReport, Verification } from './verify-types.js';

export { classifyEvents, parseDetections } from './verify-decode.js';
export type { DetectedEvent, Expectation, SegmentReport, Verification } from './verify-types.js';

/** Top-level MP4 atom order; faststart means moov comes before mdat. */
export async function topLevelAtoms(path: string): Promise<string[]> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const atoms: string[] = [];
    const head = Buffer.alloc(16);
    for (let pos = 0; pos < size && atoms.length < 64;) {
      const { bytesRead } = await fh.read(head, 0, 16, pos);
      if (bytesRead < 8) break;
      let len = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      if (len === 1) len = Number(head.readBigUInt64BE(8));
      else if (len === 0) len = size - pos;
      if (len < 8) break;
      atoms.push(type);
      pos += len;
    }
    return atoms;
  } finally {
    await fh.close();
  }
}

/**
 * The same from the MP4 index, in-process (mp4-samples.ts): a sample counts as readable when its bytes lie inside
 * the file. Undefined when the index cannot be read that way (the caller asks ffprobe).
 */
async function packetsFromIndex(
  path: string,
  p: ProbeResult,
): Promise<{ counts: Map<number, number>; videoPackets: PacketInfo[]; error?: string } | undefined> {
  const index = await readSamples(path).catch(() => undefined);
  const v = videoStream(p);
  const a = audioStream(p);
  if (!index || !v || !!a !== !!index.audio) return undefined;
  const counts = new Map([[v.index, index.video.readable]]);
  if (a && index.audio) counts.set(a.index, index.audio.readable);
  return { counts, videoPackets: index.video.packets.map((pk) => ({ ...pk, streamIndex: v.index })) };
}

/** Every packet's stream counted, and the video packets kept (for the joins), or why they could not all be read. */
async function readAllPackets(
  path: string,
  p: ProbeResult,
  videoIndex: number | undefined,
  sig: { signal?: AbortSignal },
  onProgress: (f: number) => void,
): Promise<{ counts: Map<number, number>; videoPackets: PacketInfo[]; error?: string }> {
  const counts = new Map<number, number>();
  const videoPackets: PacketInfo[] = [];
  try {
    for await (const packet of readPackets(path, { ...sig, durationS: Number(p.format?.duration ?? 0), onProgress })) {
      counts.set(packet.streamIndex, (counts.get(packet.streamIndex) ?? 0) + 1);
      if (packet.streamIndex === videoIndex) videoPackets.push(packet);
    }
    return { counts, videoPackets };
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    return { counts, videoPackets, error: `packets could not be read to the end: ${err.message}` };
  }
}

export interface VerifyOptions extends DecodeOptions {
  /** 'full' (default): decode every frame; 'joins': a stream copy's joins only (see the module comment). */
  decode?: 'full' | 'joins';
}

function unreadable(reason: string, tookMs: number): Verification {
  return {
    ok: false,
    problems: [`not a readable video: ${reason}`],
    warnings: [],
    video: { codec: '', pixFmt: '', sar: '', width: 0, height: 0, fps: 0, frames: 0, durationS: 0, startS: 0 },
    audio: null,
    subtitles: 0,
    chapters: 0,
    faststart: false,
    events: [],
    decodeErrors: [],
    decode: 'full',
    tookMs: Math.round(tookMs),
  };
}

const round = (n: number, d = 6) => (Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : 0);

export async function verifyVideo(path: string, exp: Expectation, signalOrOptions?: AbortSignal | VerifyOptions): Promise<Verification> {
  const opts: VerifyOptions = signalOrOptions instanceof AbortSignal ? { signal: signalOrOptions } : (signalOrOptions ?? {});
  const mode = opts.decode ?? 'full';
  const started = performance.now();
  const problems: string[] = [];
  const warnings: string[] = [];
  const frameS = 1 / exp.fps;
  const sig = opts.signal ? { signal: opts.signal } : {};
  // Where each part's progress lands: reading packets is cheap next to a full decode, not next to join windows.
  const packetShare = mode === 'full' ? 0.1 : 0.3;
  let p: ProbeResult;
  try {
    p = await probe(path, sig);
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    return unreadable(err.message, performance.now() - started);
  }
  const v = videoStream(p);
  const a = audioStream(p);
  const vDur = Number(v?.duration ?? 0);
  // Packets and decoding are independent reads of the same file: they run side by side (the decode on its own
  // processes), and their findings are put in order afterwards.
  const share = { packets: 0, decode: 0 };
  const report = (part: keyof typeof share, f: number) => {
    share[part] = f;
    opts.onProgress?.(share.packets * packetShare + share.decode * (1 - packetShare));
  };
  const decodeOpts = { ...opts, onProgress: (f: number) => report('decode', f) };
  const windows = mode === 'joins' ? joinWindows(exp) : [];
  const decodeErrors: string[] = [];
  const decodeProblems: string[] = [];
  const decoding = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    if (!v) return undefined;
    try {
      return await fn();
    } catch (err) {
      if (err instanceof FfmpegCancelledError || !(err instanceof FfmpegError)) throw err;
      decodeErrors.push(...err.stderrTail.filter((l) => /\[(error|fatal)\]/.test(l)).slice(0, 20));
      decodeProblems.push(`decoding failed: ${err.reason}`);
      return undefined;
    }
  };
  const decoded =
    mode === 'full'
      ? decoding(async () => ({ full: await decodeAll(path, !!a, vDur, decodeOpts) }))
      : decoding(async () => ({
          windows: await decodeJoinWindows(path, windows, exp.fps, windowsPerPass(exp.width, exp.height), decodeOpts),
        }));
  const reading = async () =>
    (mode === 'joins' ? await packetsFromIndex(path, p) : undefined) ??
    (await readAllPackets(path, p, v?.index, sig, (f) => report('packets', f)));
  const [packets] = await Promise.all([reading(), decoded]);
  const { videoPackets, counts } = packets;
  if (packets.error) problems.push(packets.error);
  for (const s of p.streams) s.nb_read_packets = counts.get(s.index) ?? 0;
  const count = (type: string) => p.streams.filter((s) => s.codec_type === type).length;
  if (count('video') !== 1) problems.push(`expected 1 video stream, found ${count('video')}`);
  if (count('audio') !== 1) problems.push(`expected 1 audio stream, found ${count('audio')}`);
  const subtitles = count('subtitle');
  if (exp.subtitles !== undefined && subtitles !== exp.subtitles) problems.push(`${subtitles} caption track(s), expected ${exp.subtitles}`);

  const frames = Number(v?.nb_read_packets ?? 0);
  const listed = Number(v?.nb_frames ?? frames);
  const fps = rate(v?.avg_frame_rate);
  const vStart = Number(v?.start_time ?? 0);
  const sar = v?.sample_aspect_ratio && v.sample_aspect_ratio !== '0:1' ? v.sample_aspect_ratio : '1:1';
  const tolerance = Math.max(1, exp.boundaries.length);
  const expectedS = exp.durationS ?? exp.frames / exp.fps;
  if (v) {
    if (v.codec_name !== 'h264') problems.push(`video codec ${v.codec_name}, expected h264`);
    if (v.pix_fmt !== 'yuv420p') problems.push(`pixel format ${v.pix_fmt}, expected yuv420p`);
    if (sar !== '1:1') problems.push(`sample aspect ratio ${sar}, expected 1:1`);
    if (v.width !== exp.width || v.height !== exp.height) problems.push(`size ${v.width}x${v.height}, expected ${exp.width}x${exp.height}`);
    if (Math.abs(fps - exp.fps) > 0.01) problems.push(`frame rate ${fps.toFixed(3)}, expected ${exp.fps}`);
    if (Math.abs(rate(v.r_frame_rate) - fps) > 0.01)
      warnings.push(`variable frame rate (r_frame_rate ${v.r_frame_rate}, average ${v.avg_frame_rate})`);
    if (listed !== frames) problems.push(`the container lists ${listed} frames but only ${frames} can be read: truncated or damaged`);
    if (Math.abs(frames - exp.frames) > tolerance) problems.push(`${frames} frames, expected ${exp.frames} (±${tolerance})`);
    else if (frames !== exp.frames) warnings.push(`${frames} frames, expected exactly ${exp.frames}`);
    if (Math.abs(vDur - expectedS) > tolerance * frameS + 1e-3)
      problems.push(`video lasts ${vDur.toFixed(3)} s, expected ${expectedS.toFixed(3)} s`);
    if (Math.abs(vStart) > frameS / 2) problems.push(`video starts at ${vStart.toFixed(3)} s, expected 0`);
  }
  let audio: Verification['audio'] = null;
  if (a) {
    const sr = Number(a.sample_rate ?? 0);
    const packets = Number(a.nb_read_packets ?? 0);
    const aDur = Number(a.duration ?? 0);
    const aStart = Number(a.start_time ?? 0);
    audio = {
      codec: a.codec_name ?? '',
      sampleRate: sr,
      channels: a.channels ?? 0,
      durationS: round(aDur),
      packets,
      startS: round(aStart),
    };
    if (a.codec_name !== 'aac') problems.push(`audio codec ${a.codec_name}, expected aac`);
    const aacFrame = 1024 / (sr || 48000);
    if (Math.abs(aDur - vDur) > aacFrame + frameS) problems.push(`audio is ${(aDur - vDur).toFixed(3)} s off the video length`);
    if (Math.abs(aStart) > frameS / 2) problems.push(`audio starts at ${aStart.toFixed(3)} s, expected 0`);
    if (sr && packets * aacFrame - aDur > 2 * aacFrame + 0.001) {
      problems.push(`audio holds ${(packets * aacFrame).toFixed(3)} s of packets for ${aDur.toFixed(3)} s: concatenation drift`);
    }
  }
  const chapters = p.chapters.length;
  if (exp.chapters !== undefined && chapters !== exp.chapters) problems.push(`${chapters} chapters, expected ${exp.chapters}`);
  const atoms = await topLevelAtoms(path);
  const faststart = atoms.indexOf('moov') >= 0 && atoms.indexOf('moov') < atoms.indexOf('mdat');
  if (!faststart) problems.push(`moov atom is not before mdat (${atoms.join(',')}); not web-ready`);

  let events: DetectedEvent[] = [];
  let segments: SegmentReport[] | undefined;
  const result = await decoded;
  if (v && mode === 'full') {
    events = classifyEvents(result && 'full' in result ? result.full : [], exp, vDur);
  } else if (v) {
    const joins = analyzeSegments(videoPackets, exp);
    segments = joins.segments;
    problems.push(...joins.problems);
    events = classifyWindowEvents(result && 'windows' in result ? result.windows : [], windows, exp.fps);
  }
  problems.push(...decodeProblems);
  events = events.map((e) => ({ ...e, startS: round(e.startS), ...(e.endS !== undefined ? { endS: round(e.endS) } : {}) }));
  for (const e of events) {
    const span = `${e.startS.toFixed(3)}–${(e.endS ?? vDur).toFixed(3)} s`;
    if (e.atJoin && e.kind !== 'silence') warnings.push(`unexpected ${e.kind} at a scene join (scene ${e.scene}): ${span}`);
    else if (e.wholeScene && e.kind === 'black') warnings.push(`scene ${e.scene} is black: ${span}`);
  }
  return {
    ok: problems.length === 0,
    problems,
    warnings,
    video: {
      codec: v?.codec_name ?? '',
      pixFmt: v?.pix_fmt ?? '',
      sar,
      width: v?.width ?? 0,
      height: v?.height ?? 0,
      fps: round(fps),
      frames,
      durationS: round(vDur),
      startS: round(vStart),
    },
    audio,
    subtitles,
    chapters,
    faststart,
    events,
    decodeErrors,
    decode: mode,
    ...(segments ? { segments } : {}),
    tookMs: Math.round(performance.now() - started),
  };
}
