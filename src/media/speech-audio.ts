/**
 * Speech audio: a synthesized line in the house audio format (48 kHz stereo PCM WAV), where in it someone is
 * speaking (for word timings the provider does not give), and a scene's speech track made of lines placed at
 * offsets. Every write is temp file + rename.
 */
import { execFile } from 'node:child_process';
import { rename, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tempPathFor } from '../store/files.js';
import { FFMPEG, FFPROBE } from './probe.js';
import { INPUT_PROTOCOLS, runFfmpeg } from './ffmpeg.js';

const run = promisify(execFile);

/** Length of an audio file in seconds, from its decoded samples' timestamps (ffprobe's container duration). */
export async function audioSeconds(path: string, signal?: AbortSignal): Promise<number> {
  const { stdout } = await run(
    FFPROBE,
    ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', '-protocol_whitelist', INPUT_PROTOCOLS, path],
    signal ? { signal } : {},
  );
  const s = Number(stdout.trim());
  if (!Number.isFinite(s) || s <= 0) throw new Error(`${path}: not an audio file with a length`);
  return s;
}

/** Converts any audio file ffmpeg reads into the house speech format: 48 kHz stereo 16-bit WAV. */
export async function toHouseWav(input: string, output: string, signal?: AbortSignal): Promise<number> {
  const tmp = tempPathFor(output);
  try {
    await runFfmpeg({
      inputs: [{ source: input }],
      output: tmp,
      expectedDurationS: 10,
      outputOptions: ['-vn', '-ac', '2', '-ar', '48000', '-c:a', 'pcm_s16le', '-f', 'wav'],
      ...(signal ? { signal } : {}),
    });
    const seconds = await audioSeconds(tmp, signal);
    await rename(tmp, output);
    return seconds;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** A stretch of audio where someone is speaking, in seconds from the file's start. */
export interface VoicedSpan {
  startS: number;
  endS: number;
}

/**
 * Where the file is not silent (below -40 dBFS for at least 80 ms counts as silence): ffmpeg's silencedetect.
 * Pauses between words are often shorter than that; pauses at commas and full stops are not.
 */
export async function voicedSpans(path: string, signal?: AbortSignal): Promise<VoicedSpan[]> {
  const total = await audioSeconds(path, signal);
  const { stderr } = await run(
    FFMPEG,
    [
      '-hide_banner',
      '-nostdin',
      '-protocol_whitelist',
      INPUT_PROTOCOLS,
      '-i',
      path,
      '-af',
      'silencedetect=n=-40dB:d=0.08',
      '-f',
      'null',
      '-',
    ],
    { maxBuffer: 8 * 1024 * 1024, ...(signal ? { signal } : {}) },
  );
  return spansFromSilences(parseSilences(stderr), total);
}

/** silence_start / silence_end pairs from silencedetect's log (an open silence runs to the end). */
export function parseSilences(log: string): { startS: number; endS: number | undefined }[] {
  const out: { startS: number; endS: number | undefined }[] = [];
  for (const line of log.split('\n')) {
    const start = /silence_start: (-?[\d.]+)/.exec(line);
    if (start) out.push({ startS: Math.max(0, Number(start[1])), endS: undefined });
    const end = /silence_end: ([\d.]+)/.exec(line);
    if (end && out.length) out[out.length - 1]!.endS = Number(end[1]);
  }
  return out;
}

/** The complement of the silences within [0, totalS]; spans shorter than 20 ms are dropped. */
export function spansFromSilences(silences: readonly { startS: number; endS: number | undefined }[], totalS: number): VoicedSpan[] {
  const spans: VoicedSpan[] = [];
  let at = 0;
  for (const s of silences) {
    if (s.startS - at > 0.02) spans.push({ startS: at, endS: s.startS });
    at = s.endS ?? totalS;
  }
  if (totalS - at > 0.02) spans.push({ startS: at, endS: totalS });
  return spans;
}

/**
 * A scene's speech track: each part (a house-format WAV) placed at its offset, silence between, `totalS` long.
 * One ffmpeg call (adelay + amix), written as 48 kHz stereo WAV.
 */
export async function placeSpeech(
  parts: readonly { path: string; offsetS: number }[],
  totalS: number,
  output: string,
  scratchGraph: string,
  signal?: AbortSignal,
): Promise<void> {
  const tmp = tempPathFor(output);
  const graph = [
    ...parts.map(
      (p, i) =>
        `[${i}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,adelay=delays=${Math.round(p.offsetS * 1000)}:all=1[p${i}]`,
    ),
    `${parts.map((_, i) => `[p${i}]`).join('')}amix=inputs=${parts.length}:duration=longest:dropout_transition=0:normalize=0,apad=whole_dur=${totalS.toFixed(6)},atrim=end=${totalS.toFixed(6)}[out]`,
  ].join(';\n');
  await writeFile(scratchGraph, graph);
  try {
    await runFfmpeg({
      inputs: parts.map((p) => ({ source: p.path })),
      output: tmp,
      expectedDurationS: totalS,
      outputOptions: ['-filter_complex_script', scratchGraph, '-map', '[out]', '-c:a', 'pcm_s16le', '-f', 'wav'],
      ...(signal ? { signal } : {}),
    });
    await rename(tmp, output);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    await rm(scratchGraph, { force: true });
  }
}
