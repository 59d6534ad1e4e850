/**
 * The decoding side of verification: the full pass (every frame, `-xerror`, black/freeze/silence detectors) for
 * re-encoded videos, and the join windows for stream copies (the first half second of every scene after the first,
 * each decoded from the join's own keyframe). Plus the pure parsing and classification of detector events.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FfmpegError, runFfmpeg, type FfmpegInput, type OnProgress } from './ffmpeg.js';
import { escapeFilterValue, f6 } from './graphs.js';
import type { DetectedEvent, Expectation } from './verify-types.js';
import { mapLimit } from './map-limit.js';
import { splitPasses, type JoinWindow } from './verify-joins.js';

export type RawEvent = Omit<DetectedEvent, 'atJoin'>;

/**
 * Events from the detectors' frame metadata (`metadata=mode=print` output: lavfi.black_start=…, lavfi.black_end=…,
 * lavfi.freezedetect.freeze_start=…, lavfi.silence_start=…). Starts and ends pair up in order per kind. Pure.
 */
export function parseDetections(lines: Iterable<string>): RawEvent[] {
  const keys: Record<string, ['black' | 'freeze' | 'silence', 'start' | 'end']> = {
    'lavfi.black_start': ['black', 'start'],
    'lavfi.black_end': ['black', 'end'],
    'lavfi.freezedetect.freeze_start': ['freeze', 'start'],
    'lavfi.freezedetect.freeze_end': ['freeze', 'end'],
    'lavfi.silence_start': ['silence', 'start'],
    'lavfi.silence_end': ['silence', 'end'],
  };
  const events: RawEvent[] = [];
  const open: Partial<Record<RawEvent['kind'], RawEvent>> = {};
  for (const line of lines) {
    const m = /^([\w.]+)=(-?[\d.]+)\s*$/.exec(line.trim());
    const key = m && keys[m[1]!];
    if (!key) continue;
    const [kind, edge] = key;
    const t = Math.max(0, Number(m[2]));
    if (edge === 'start') {
      const e: RawEvent = { kind, startS: t };
      open[kind] = e;
      events.push(e);
    } else if (open[kind]) {
      open[kind]!.endS = t;
      delete open[kind];
    }
  }
  return events.sort((a, b) => a.startS - b.startS);
}

/** Classifies events against the scene boundaries (see DetectedEvent). Pure. */
export function classifyEvents(events: readonly RawEvent[], exp: Expectation, totalS: number): DetectedEvent[] {
  const frame = 1 / exp.fps;
  // Detector timestamps land on frames; allow two frames of slack at every edge.
  const slack = 2 * frame;
  const starts = [0, ...exp.boundaries.map((b) => b.atS)];
  const ins = [0, ...exp.boundaries.map((b) => b.transitionS)];
  const sceneAt = (t: number) => {
    let k = 0;
    while (k + 1 < starts.length && starts[k + 1]! <= t + frame / 2) k++;
    return k;
  };
  return events.map((e) => {
    const end = e.endS ?? totalS;
    const k = sceneAt(e.startS);
    const own = { from: starts[k]! + ins[k]!, to: starts[k + 1] ?? totalS };
    const wholeScene = e.startS <= own.from + slack && end >= own.to - slack;
    const insideTransition = exp.boundaries.some(
      (b) => b.transitionS > 0 && e.startS >= b.atS - slack && end <= b.atS + b.transitionS + slack,
    );
    const touches = exp.boundaries.some((b) => e.startS <= b.atS + slack && end >= b.atS - slack);
    const scene = exp.sceneIds?.[k] ?? String(k);
    return { ...e, atJoin: touches && !insideTransition && !wholeScene, scene, ...(wholeScene ? { wholeScene } : {}) };
  });
}

/**
 * Events seen in join windows (times relative to each window's start), placed on the video's timeline. A black
 * stretch that opens a scene is at the join. A freeze that opens a scene and ends inside the window is a stall at
 * the join; one that lasts the whole window may be a still shot, which only a full decode could tell, so it is
 * reported but not counted as at the join. Pure.
 */
export function classifyWindowEvents(perWindow: readonly RawEvent[][], windows: readonly JoinWindow[], fps: number): DetectedEvent[] {
  const slack = 2 / fps;
  return windows.flatMap((w, k) =>
    (perWindow[k] ?? []).map((e) => {
      const length = w.frames / fps;
      const opens = e.startS <= slack;
      // A detector reports an end only when the stretch ends before the window does.
      const endsInside = e.endS !== undefined && e.endS < length - 1e-6;
      const atJoin = opens && (e.kind === 'black' || endsInside);
      return {
        kind: e.kind,
        startS: w.startS + e.startS,
        endS: w.startS + (e.endS ?? length),
        atJoin,
        scene: w.scene,
      };
    }),
  );
}

/**
 * The detector chains. In a join window (a sixth of a second): black from 0.12 s (the full pass wants 0.3 s, longer
 * than the window); a freeze from 0.08 s of frames that repeat exactly (-90 dB): a stall or doubled frames. At the
 * full pass's -60 dB, a slow shot's first two or three frames already count as frozen.
 */
export const DETECTORS = {
  video: 'blackdetect=d=0.3:pix_th=0.10,freezedetect=n=-60dB:d=1.5',
  audio: 'silencedetect=n=-60dB:d=0.5',
  window: 'blackdetect=d=0.12:pix_th=0.10,freezedetect=n=-90dB:d=0.08',
} as const;

export interface DecodeOptions {
  signal?: AbortSignal;
  onProgress?: OnProgress;
  /** Where the small metadata files go; default the OS temp dir. */
  scratchDir?: string;
}

async function withScratch<T>(opts: DecodeOptions, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(opts.scratchDir ?? tmpdir(), 'storyreel-decode-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const readLines = async (path: string) => (await readFile(path, 'utf8').catch(() => '')).split('\n');

/** Every frame decoded once; resolves to the detector events, or rejects with FfmpegError on a decoding error. */
export async function decodeAll(path: string, hasAudio: boolean, durationS: number, opts: DecodeOptions): Promise<RawEvent[]> {
  return withScratch(opts, async (dir) => {
    const vMeta = join(dir, 'video.txt');
    const aMeta = join(dir, 'audio.txt');
    const graph = [`[0:v:0]${DETECTORS.video},metadata=mode=print:file=${escapeFilterValue(vMeta)}[v]`];
    if (hasAudio) graph.push(`[0:a:0]${DETECTORS.audio},ametadata=mode=print:file=${escapeFilterValue(aMeta)}[a]`);
    const graphPath = join(dir, 'graph.txt');
    await writeFile(graphPath, graph.join(';\n'));
    await runFfmpeg({
      inputs: [{ source: path }],
      output: join(dir, 'decode.null'),
      expectedDurationS: durationS,
      outputOptions: ['-xerror', '-filter_complex_script', graphPath, '-map', '[v]', ...(hasAudio ? ['-map', '[a]'] : []), '-f', 'null'],
      failOnErrorLog: true,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: (p) => opts.onProgress!(p.fraction) } : {}),
    });
    return parseDetections([...(await readLines(vMeta)), ...(hasAudio ? await readLines(aMeta) : [])]);
  });
}

/**
 * The join windows, at most `perPass` to an ffmpeg process (verify-joins.ts), two processes at a time: each
 * window is an input that seeks to its join (a keyframe, so decoding starts there) with its own detectors, and the
 * concat filter pulls the windows one after another, so one decoder per process works at a time. Each decoder runs
 * on one thread: a frame-threaded decoder that stops after a few frames does not always flag a corrupt frame in
 * time for `-xerror` (measured: 7 of 10 runs), a single-threaded one always does. The deblocking filter is skipped:
 * it is a fifth of the decode, changes no bitstream error and moves no detector. Resolves to each window's events
 * (relative to the window), or rejects with FfmpegError naming the joins of the failing process.
 */
export async function decodeJoinWindows(
  path: string,
  windows: readonly JoinWindow[],
  fps: number,
  perPass: number,
  opts: DecodeOptions,
): Promise<RawEvent[][]> {
  if (windows.length === 0) return [];
  const passes = splitPasses(windows, perPass);
  const done = passes.map(() => 0);
  const report = (k: number, f: number) => {
    done[k] = f;
    opts.onProgress?.(done.reduce((a, b) => a + b, 0) / passes.length);
  };
  return withScratch(opts, async (dir) => {
    const perPassEvents = await mapLimit(passes, 2, (batch, k) =>
      decodePass(path, batch, fps, join(dir, `pass${k}`), opts.signal, (f) => report(k, f)),
    );
    return perPassEvents.flat();
  });
}

async function decodePass(
  path: string,
  batch: readonly JoinWindow[],
  fps: number,
  prefix: string,
  signal: AbortSignal | undefined,
  onProgress: OnProgress,
): Promise<RawEvent[][]> {
  const meta = batch.map((_, j) => `${prefix}-w${j}.txt`);
  const inputs: FfmpegInput[] = batch.map((w) => ({
    source: path,
    options: ['-threads', '1', '-skip_loop_filter', 'all', '-ss', f6(w.startS), '-t', f6((w.frames + 1) / fps)],
  }));
  const graph = batch.map(
    (w, j) =>
      `[${j}:v:0]trim=end_frame=${w.frames},setpts=PTS-STARTPTS,${DETECTORS.window},metadata=mode=print:file=${escapeFilterValue(meta[j]!)}[w${j}]`,
  );
  graph.push(`${batch.map((_, j) => `[w${j}]`).join('')}concat=n=${batch.length}:v=1:a=0[v]`);
  const graphPath = `${prefix}-graph.txt`;
  await writeFile(graphPath, graph.join(';\n'));
  await runFfmpeg({
    inputs,
    output: `${prefix}.null`,
    expectedDurationS: batch.reduce((n, w) => n + w.frames, 0) / fps,
    outputOptions: ['-xerror', '-filter_complex_script', graphPath, '-map', '[v]', '-f', 'null'],
    failOnErrorLog: true,
    ...(signal ? { signal } : {}),
    onProgress: (p) => onProgress(p.fraction),
  }).catch((err: unknown) => {
    if (!(err instanceof FfmpegError)) throw err;
    const where = `after the join${batch.length > 1 ? 's' : ''} at ${batch.map((w) => `${w.startS.toFixed(3)} s`).join(', ')}`;
    throw new FfmpegError(`ffmpeg failed ${where}: ${err.reason}`, err.exitCode, `${where}: ${err.reason}`, err.stderrTail, err.args);
  });
  return Promise.all(meta.map(async (m) => parseDetections(await readLines(m))));
}
