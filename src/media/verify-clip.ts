/**
 * Verification of one clip when it arrives (the download activity calls it before the clip is stored): the whole
 * clip is decoded once (`-f null`, every core, `-xerror`: the first corrupt frame fails it), and what it is, is
 * compared with what was requested: size, frame rate, duration within a tolerance, audio present or not. Either the
 * facts come back, or MediaVerificationError says every way the clip differs, in words a person can act on.
 * A clip that passed is what a stream-copy assembly later joins without decoding it again (verify.ts 'joins').
 */
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FfmpegCancelledError, FfmpegError, runFfmpeg, type OnProgress } from './ffmpeg.js';
import { audioStream, probe, ProbeError, rate, videoStream, type ProbeResult } from './probe.js';
import { lastFrameOutputOptions, type Size } from './frames.js';
import { fileSize, tempPathFor } from '../store/files.js';

/** What was requested of the clip; a field left out is not checked. */
export interface ClipExpectation {
  width?: number;
  height?: number;
  /** The frame rate, or the rates any of which is acceptable (a provider renders at one of its own rates). */
  fps?: number | readonly number[];
  durationS?: number;
  /** Allowed |duration − durationS|, seconds; default 0.25 (providers round their lengths to encoder frames). */
  durationToleranceS?: number;
  /** true: the clip must have an audio stream; false: it must have none. */
  audio?: boolean;
}

/** What the clip is, from its container and one full decode. Plain JSON. */
export interface ClipVerification {
  codec: string;
  pixFmt: string;
  width: number;
  height: number;
  fps: number;
  /** Frames the decoder produced (the container's count when they agree). */
  frames: number;
  durationS: number;
  audio: { codec: string; sampleRate: number; channels: number; durationS: number } | null;
  tookMs: number;
}

/** The clip is not what was requested or cannot be decoded; `problems` lists every reason, `message` joins them. */
export class MediaVerificationError extends Error {
  override readonly name = 'MediaVerificationError';
  /** A clip that fails verification fails the same way again: retrying the check cannot help. */
  readonly retryable = false;
  constructor(
    readonly path: string,
    readonly problems: string[],
    readonly facts?: Omit<ClipVerification, 'tookMs'>,
    options?: ErrorOptions,
  ) {
    super(`the clip ${path} failed verification: ${problems.join('; ')}`, options);
  }
}

/** The requested-versus-actual comparison (pure): one sentence per difference. */
export function clipProblems(facts: Omit<ClipVerification, 'tookMs'>, expected: ClipExpectation, listedFrames: number): string[] {
  const out: string[] = [];
  if (facts.width === 0 || facts.height === 0) out.push('it has no picture');
  const size = (w?: number, h?: number) => `${w ?? '?'}x${h ?? '?'}`;
  if (
    (expected.width !== undefined && facts.width !== expected.width) ||
    (expected.height !== undefined && facts.height !== expected.height)
  )
    out.push(`it is ${size(facts.width, facts.height)}, ${size(expected.width, expected.height)} was requested`);
  const rates = expected.fps === undefined ? [] : typeof expected.fps === 'number' ? [expected.fps] : expected.fps;
  if (rates.length && !rates.some((r) => Math.abs(facts.fps - r) <= 0.01))
    out.push(`it runs at ${round(facts.fps, 3)} fps, ${rates.join(' or ')} fps was requested`);
  const tolerance = expected.durationToleranceS ?? 0.25;
  if (expected.durationS !== undefined && Math.abs(facts.durationS - expected.durationS) > tolerance)
    out.push(`it lasts ${facts.durationS.toFixed(3)} s, ${expected.durationS} s (±${tolerance}) was requested`);
  if (expected.audio === true && !facts.audio) out.push('it has no audio track, audio was requested');
  if (expected.audio === false && facts.audio) out.push('it has an audio track, none was requested');
  if (listedFrames > 0 && facts.frames < listedFrames)
    out.push(`only ${facts.frames} of the ${listedFrames} frames its index lists could be decoded: truncated or damaged`);
  return out;
}

const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;

function containerFacts(p: ProbeResult, decodedFrames: number): Omit<ClipVerification, 'tookMs'> {
  const v = videoStream(p);
  const a = audioStream(p);
  const fps = rate(v?.avg_frame_rate) || rate(v?.r_frame_rate);
  return {
    codec: v?.codec_name ?? '',
    pixFmt: v?.pix_fmt ?? '',
    width: v?.width ?? 0,
    height: v?.height ?? 0,
    fps: round(fps, 6),
    frames: decodedFrames,
    durationS: round(Number(v?.duration ?? p.format?.duration ?? 0), 6),
    audio: a
      ? {
          codec: a.codec_name ?? '',
          sampleRate: Number(a.sample_rate ?? 0),
          channels: a.channels ?? 0,
          durationS: round(Number(a.duration ?? 0), 6),
        }
      : null,
  };
}

/** What the check may reuse or make on the way. */
export interface VerifyClipExtras {
  /** The clip's probe, when the caller has one (saves starting ffprobe again). */
  probed?: ProbeResult;
  /**
   * Also write the clip's last frame at this size to this path during the same decode (what a chained scene starts
   * from). Written only when the clip passes; when no frame could be taken the file is simply absent.
   */
  lastFrame?: { path: string; size: Size };
}

/**
 * Decodes the whole clip and compares it with `expected` (see the module comment). `onProgress` follows the decode
 * (0..1); a cancelled signal kills ffmpeg and rejects with FfmpegCancelledError.
 */
export async function verifyClip(
  path: string,
  expected: ClipExpectation,
  signal?: AbortSignal,
  onProgress?: OnProgress,
  extras: VerifyClipExtras = {},
): Promise<ClipVerification> {
  const started = performance.now();
  let p: ProbeResult;
  try {
    p = extras.probed ?? (await probe(path, signal ? { signal } : {}));
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    throw new MediaVerificationError(path, [`it is not a readable video (${err.message})`], undefined, { cause: err });
  }
  const v = videoStream(p);
  if (!v) throw new MediaVerificationError(path, ['it has no video stream'], containerFacts(p, 0));
  const durationS = Number(v.duration ?? p.format?.duration ?? 0);
  let decoded = 0;
  const dir = await mkdtemp(join(tmpdir(), 'storyreel-clip-'));
  const still = extras.lastFrame ? { ...extras.lastFrame, tmp: `${tempPathFor(extras.lastFrame.path)}.png` } : undefined;
  // The window the still is taken from: the last three frames (each one in it is encoded; the last one stays).
  const fps = rate(v.avg_frame_rate) || rate(v.r_frame_rate) || 24;
  const end = Number(v.start_time ?? 0) + durationS;
  try {
    await runFfmpeg({
      // Every core decodes (frame threads); the null muxer writes nothing.
      inputs: [{ source: path, options: ['-threads', '0'] }],
      output: join(dir, 'decode.null'),
      expectedDurationS: durationS,
      outputOptions: ['-xerror', '-map', '0:v:0', ...(audioStream(p) ? ['-map', '0:a:0'] : []), '-f', 'null'],
      ...(still ? { moreOutputs: [{ output: still.tmp, options: lastFrameOutputOptions(still.size, end - 3 / fps) }] } : {}),
      failOnErrorLog: true,
      ...(signal ? { signal } : {}),
      onProgress: (pr) => {
        if (pr.frames !== undefined) decoded = pr.frames;
        onProgress?.(pr.fraction);
      },
    });
    const facts = containerFacts(p, decoded);
    const problems = clipProblems(facts, expected, Number(v.nb_frames ?? 0));
    if (problems.length) throw new MediaVerificationError(path, problems, facts);
    if (still && (await fileSize(still.tmp))) await rename(still.tmp, still.path);
    return { ...facts, tookMs: Math.round(performance.now() - started) };
  } catch (err) {
    if (err instanceof FfmpegCancelledError || !(err instanceof FfmpegError)) throw err;
    throw new MediaVerificationError(path, [`it cannot be decoded: ${err.reason}`], containerFacts(p, decoded), { cause: err });
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (still) await rm(still.tmp, { force: true });
  }
}
