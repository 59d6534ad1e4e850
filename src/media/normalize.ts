/**
 * Normalization: one clip re-encoded into the house format (size and fit, frame rate, square pixels, yuv420p, the
 * house H.264 settings), video and audio exactly its own length in whole frames, audio placed by its timestamps.
 * Also the house encode's fingerprint, which decides whether a clip's H.264 parameters allow a stream copy.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runFfmpeg, type MediaCallOptions } from './ffmpeg.js';
import { clipFacts, type ClipFacts, type HouseFormat } from './fingerprint.js';
import { conformFilters, f6, placedClipAudio, type Conform } from './graphs.js';
import { HOUSE_AUDIO_ARGS, houseVideoArgs } from './house.js';
import { probe } from './probe.js';

const RATE = 48000;

/** The normalization graph: picture conformed and started at its first frame, audio from that frame on. Pure. */
export function normalizeGraph(facts: Pick<ClipFacts, 'hasAudio' | 'videoOffsetS'>, conform: Conform): string {
  const samples = Math.round((conform.frames / conform.fps) * RATE);
  const audio = facts.hasAudio
    ? placedClipAudio(0, samples, Math.round(facts.videoOffsetS * RATE))
    : `anullsrc=r=${RATE}:cl=stereo,atrim=end_sample=${samples},asetpts=N/SR/TB`;
  return `[0:v]${conformFilters(conform)},setpts=PTS-STARTPTS[v];\n${audio}[a]`;
}

/** Re-encodes `src` into the house format at `dest` (see the module comment); `onProgress` follows the encode. */
export async function normalizeClip(
  src: string,
  facts: ClipFacts,
  conform: Conform,
  dest: string,
  opts: MediaCallOptions = {},
): Promise<void> {
  const graphPath = `${dest}.graph.txt`;
  await writeFile(graphPath, normalizeGraph(facts, conform));
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
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: (p) => opts.onProgress!(p.fraction) } : {}),
  });
}

const houseFingerprints = new Map<string, string>();

/** The fingerprint of the house encode at this size and rate (encodes 3 black frames once per process). */
export async function houseFingerprint(house: HouseFormat, scratch: string, signal?: AbortSignal): Promise<string> {
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
