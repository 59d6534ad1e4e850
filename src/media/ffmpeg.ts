/**
 * The ffmpeg runner: the only file that imports fluent-ffmpeg (the product is built on it). fluent-ffmpeg is
 * archived and has three defects that matter here; each is neutralised below and tested in
 * test/unit/ffmpeg-runner.test.ts:
 *  1. its progress percent is computed against input 0 only (1801 % on a 12-input concat): we ask ffmpeg for
 *     `-progress pipe:2` and compute the fraction against OUR expected output duration (parseProgress);
 *  2. an options ARRAY splits every element containing one space (`title=My Film` → two argv items): we always pass
 *     options as separate arguments, which it never splits (addOptions);
 *  3. its error message keeps only trailing lines that do not start with "[" (dropping
 *     `[Parsed_scale_0 @ …] Invalid size`): we keep our own stderr tail and name the real cause (FfmpegError).
 * Filter graphs are always written to script files by the callers (`-filter_complex_script`), never inlined.
 * Every input is opened with `-protocol_whitelist file` (INPUT_PROTOCOLS): a user's `.mp3` that is really an HLS
 * playlist, or a path that is really a URL, can never make ffmpeg fetch anything from the network.
 * Cancellation kills ffmpeg (SIGKILL) and the caller's temp output is removed; nothing half-written survives.
 */
import ffmpeg from 'fluent-ffmpeg';
import { rm } from 'node:fs/promises';

export interface FfmpegInput {
  /** A file path, or a lavfi graph when options include `-f lavfi`. */
  source: string;
  options?: string[];
}

/**
 * The protocols ffmpeg and ffprobe may open for an input, and everything it references (concat lists, playlists):
 * local files only. The concat demuxer reads its entries through the same whitelist, so `file` covers it too.
 */
export const INPUT_PROTOCOLS = 'file';

/** Numbered ffmpeg inputs, for graphs that refer to `[n:a]`: `add` returns the index of the input it added. */
export class InputList {
  readonly list: FfmpegInput[] = [];
  add(source: string, options?: string[]): number {
    this.list.push(options ? { source, options } : { source });
    return this.list.length - 1;
  }
}

/** Progress of any long media step, 0..1; every long ffmpeg/ffprobe call accepts one so activities can heartbeat. */
export type OnProgress = (fraction: number) => void;

/** The options every long media call takes (a bare AbortSignal is accepted where older callers pass one). */
export interface MediaCallOptions {
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/** Normalises `signal | { signal, onProgress }` (older positional callers pass a bare signal). */
export function callOptions(signalOrOptions?: AbortSignal | MediaCallOptions): MediaCallOptions {
  if (!signalOrOptions) return {};
  return signalOrOptions instanceof AbortSignal ? { signal: signalOrOptions } : signalOrOptions;
}

export interface FfmpegJob {
  inputs: FfmpegInput[];
  /** Output options, one argv item per element (values with spaces stay intact). */
  outputOptions: string[];
  /** Where ffmpeg writes; the caller renames it into place after verification. */
  output: string;
  /** Expected duration of the output in seconds, the denominator of the progress fraction. */
  expectedDurationS: number;
  /**
   * Further outputs of the same run, each with its own options (one decode feeding several outputs: a check that
   * also writes a still). Progress follows the first output; the caller removes these files if the run fails.
   */
  moreOutputs?: { output: string; options: string[] }[];
  signal?: AbortSignal;
  onProgress?: (p: FfmpegProgress) => void;
  /**
   * Fail when ffmpeg logs any error, even if it exits 0 (decode checks): a frame-threaded decoder can log a corrupt
   * frame ("error while decoding MB …") without flagging it in time for `-xerror` (measured: 3 of 10 short runs).
   */
  failOnErrorLog?: boolean;
}

export interface FfmpegProgress {
  /** 0..1, against the expected output duration. */
  fraction: number;
  outTimeS: number;
  speed?: number;
  /** Video frames written so far (decoded frames for a `-f null` decode pass); absent before the first report. */
  frames?: number;
}

/** ffmpeg failed. `cause` is the line that names the real reason; `stderrTail` the last lines for logs. */
export class FfmpegError extends Error {
  override readonly name = 'FfmpegError';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly reason: string,
    readonly stderrTail: string[],
    readonly args: string[],
  ) {
    super(message);
  }
}

export class FfmpegCancelledError extends Error {
  override readonly name = 'FfmpegCancelledError';
}

const TAIL_LINES = 200;

/** Parses one `-progress` key=value line into seconds of output written, or undefined. */
export function parseProgressLine(line: string): { outTimeS?: number; speed?: number; frames?: number; end?: boolean } | undefined {
  const m = /^(out_time_us|out_time_ms|speed|progress|frame)=(.*)$/.exec(line.trim());
  if (!m) return undefined;
  const [, key, value] = m as unknown as [string, string, string];
  if (key === 'progress') return { end: value === 'end' };
  if (key === 'frame') {
    const n = Number(value);
    return Number.isInteger(n) && n >= 0 ? { frames: n } : undefined;
  }
  if (key === 'speed') {
    const s = Number.parseFloat(value);
    return Number.isFinite(s) ? { speed: s } : undefined;
  }
  // ffmpeg writes microseconds under both names (out_time_ms is a historical misnomer); N/A before output starts.
  const us = Number(value);
  return Number.isFinite(us) && us >= 0 ? { outTimeS: us / 1e6 } : undefined;
}

/** Fraction of the expected duration, clamped to [0, 1]. */
export function progressFraction(outTimeS: number, expectedDurationS: number): number {
  if (!(expectedDurationS > 0)) return 0;
  return Math.min(1, Math.max(0, outTimeS / expectedDurationS));
}

/** The stderr line that names the cause: the first error-level line, preferring a filter's own message. */
export function extractReason(lines: readonly string[]): string {
  const refused = refusedProtocol(lines);
  if (refused) return refused;
  const errors = lines.filter((l) => /\[(error|fatal)\]/.test(l) || /^\[[^\]]+ @ 0x[0-9a-f]+\]/.test(l));
  const specific = errors.find((l) => /\[(Parsed_|AVFilterGraph|graph)/.test(l)) ?? errors[0];
  const chosen =
    specific ??
    [...lines]
      .reverse()
      .find((l) => l.trim() && !/^(progress|out_time|frame|fps|stream_|bitrate|total_size|dup_frames|drop_frames|speed)=/.test(l));
  return (chosen ?? 'ffmpeg failed without a message')
    .replace(/^\[(error|fatal|warning)\]\s*/, '')
    .replace(/ @ 0x[0-9a-f]+/, '')
    .trim();
}

/**
 * When ffmpeg or ffprobe refused to open something because of the protocol whitelist: a sentence naming what was
 * refused (the URL when ffmpeg printed it) and why. Undefined otherwise. Pure.
 */
export function refusedProtocol(lines: readonly string[]): string | undefined {
  const text = lines.join('\n');
  const proto = /Protocol '([^']+)' not on whitelist/.exec(text)?.[1];
  if (!proto) return undefined;
  const url = /([a-z][a-z0-9+.-]*:\/\/[^\s']+?)(?=:\s|'|\s|$)/m.exec(text)?.[1];
  return (
    `refused to fetch ${url ?? 'a network resource'} (protocol ${proto} is not allowed): storyreel reads local media ` +
    'files only (is this a playlist or a link saved under a media file name?)'
  );
}

/** Input options with the protocol whitelist first (unless the caller chose one). */
export function inputOptions(input: FfmpegInput): string[] {
  const options = input.options ?? [];
  return options.includes('-protocol_whitelist') ? options : ['-protocol_whitelist', INPUT_PROTOCOLS, ...options];
}

export function runFfmpeg(job: FfmpegJob): Promise<void> {
  const tail: string[] = [];
  // `stdoutLines` sizes fluent-ffmpeg's own stdout/stderr rings (untyped option).
  const command = ffmpeg({ stdoutLines: TAIL_LINES } as ffmpeg.FfmpegCommandOptions);
  for (const input of job.inputs) {
    command.input(input.source);
    addOptions(command, 'input', inputOptions(input));
  }
  command.output(job.output);
  addOptions(command, 'output', [
    '-y',
    '-nostdin',
    '-hide_banner',
    '-loglevel',
    'level+warning',
    '-nostats',
    '-progress',
    'pipe:2',
    ...job.outputOptions,
  ]);
  for (const more of job.moreOutputs ?? []) {
    command.output(more.output);
    addOptions(command, 'output', ['-y', ...more.options]);
  }

  let lastOut = 0;
  let speed: number | undefined;
  let frames: number | undefined;
  command.on('stderr', (line: string) => {
    const p = parseProgressLine(line);
    if (p) {
      if (p.speed !== undefined) speed = p.speed;
      if (p.frames !== undefined) frames = p.frames;
      if (p.outTimeS !== undefined) lastOut = p.outTimeS;
      if (p.outTimeS !== undefined || p.end) {
        const fraction = p.end ? 1 : progressFraction(lastOut, job.expectedDurationS);
        job.onProgress?.({
          fraction,
          outTimeS: lastOut,
          ...(speed !== undefined ? { speed } : {}),
          ...(frames !== undefined ? { frames } : {}),
        });
      }
      return;
    }
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
  });

  return new Promise<void>((resolve, reject) => {
    let cancelled = false;
    const onAbort = () => {
      cancelled = true;
      command.kill('SIGKILL');
    };
    if (job.signal?.aborted) {
      reject(new FfmpegCancelledError('cancelled before ffmpeg started'));
      return;
    }
    job.signal?.addEventListener('abort', onAbort, { once: true });
    const args = () => (command as unknown as { _getArguments(): string[] })._getArguments();
    command.on('error', (err: Error & { code?: number }) => {
      job.signal?.removeEventListener('abort', onAbort);
      void rm(job.output, { force: true })
        .catch(() => undefined)
        .finally(() => {
          if (cancelled) return reject(new FfmpegCancelledError('ffmpeg was cancelled'));
          const reason = extractReason(tail);
          const exit = /exited with code (\d+)/.exec(err.message)?.[1];
          reject(new FfmpegError(`ffmpeg failed: ${reason}`, exit === undefined ? null : Number(exit), reason, [...tail], safeArgs(args)));
        });
    });
    command.on('end', () => {
      job.signal?.removeEventListener('abort', onAbort);
      const logged = job.failOnErrorLog ? tail.filter((l) => /\[(error|fatal)\]/.test(l)) : [];
      if (logged.length === 0) return resolve();
      const reason = extractReason(logged);
      reject(new FfmpegError(`ffmpeg reported an error: ${reason}`, 0, reason, [...tail], safeArgs(args)));
    });
    command.run();
  });
}

/** Always more than one argument per call, so fluent-ffmpeg never splits an option at a space. */
function addOptions(command: ffmpeg.FfmpegCommand, where: 'input' | 'output', options: readonly string[]): void {
  if (options.length === 0) return;
  const add = (...o: string[]) => (where === 'input' ? command.inputOptions(...o) : command.outputOptions(...o));
  // One element would take the splitting path; ffmpeg treats a repeated -hide_banner as harmless.
  if (options.length === 1) add(options[0]!, '-hide_banner');
  else add(...options);
}

function safeArgs(get: () => string[]): string[] {
  try {
    return get();
  } catch {
    return [];
  }
}
