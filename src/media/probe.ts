/**
 * ffprobe, as JSON validated with zod (not fluent-ffmpeg's INI regex parser). Every call opens its input with
 * `-protocol_whitelist file` (see ffmpeg.ts): a playlist saved as `.mp3` or a URL passed as a path never reaches the
 * network, and a playlist (HLS, DASH, concat) is refused with a message that says what it is.
 */
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { z } from 'zod';
import { INPUT_PROTOCOLS, refusedProtocol, type OnProgress } from './ffmpeg.js';

const run = promisify(execFile);

export const FFMPEG = process.env.FFMPEG_PATH || 'ffmpeg';
export const FFPROBE = process.env.FFPROBE_PATH || 'ffprobe';

const num = z
  .union([z.number(), z.string()])
  .transform((v) => Number(v))
  .optional();

const Stream = z.looseObject({
  index: z.number(),
  id: z.string().optional(),
  codec_type: z.string(),
  codec_name: z.string().optional(),
  profile: z.string().optional(),
  level: z.number().optional(),
  pix_fmt: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  sample_aspect_ratio: z.string().optional(),
  r_frame_rate: z.string().optional(),
  avg_frame_rate: z.string().optional(),
  time_base: z.string().optional(),
  start_time: num,
  duration: num,
  nb_frames: num,
  nb_read_frames: num,
  nb_read_packets: num,
  sample_rate: num,
  channels: z.number().optional(),
  channel_layout: z.string().optional(),
  extradata_hash: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
});
export type ProbeStream = z.infer<typeof Stream>;

const Probe = z.looseObject({
  streams: z.array(Stream).default([]),
  format: z
    .looseObject({
      format_name: z.string().optional(),
      /** Where the file's timeline starts (the earliest stream start); ffmpeg subtracts it from every input timestamp. */
      start_time: num,
      duration: num,
      size: num,
      tags: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  chapters: z.array(z.looseObject({ start_time: num, end_time: num, tags: z.record(z.string(), z.string()).optional() })).default([]),
});
export type ProbeResult = z.infer<typeof Probe>;

export class ProbeError extends Error {
  override readonly name = 'ProbeError';
}

/** Formats that are lists of other resources, not media: a user asset in one of them is refused. */
const PLAYLIST_FORMATS = new Set(['hls', 'dash', 'concat', 'webm_dash_manifest']);

const whitelisted = (path: string) => ['-protocol_whitelist', INPUT_PROTOCOLS, path];

/**
 * Full container/stream description. `countFrames` decodes (slower) to count frames and packets exactly;
 * `countPackets` reads every packet without decoding (nb_read_packets per stream) and reports `onProgress` while it
 * reads, so callers can heartbeat through long files.
 */
export async function probe(
  path: string,
  opts: { countFrames?: boolean; countPackets?: boolean; signal?: AbortSignal; onProgress?: OnProgress } = {},
): Promise<ProbeResult> {
  const args = ['-v', 'error', '-of', 'json', '-show_format', '-show_streams', '-show_chapters', '-show_data_hash', 'md5'];
  if (opts.countFrames) args.push('-count_frames');
  let result: ProbeResult;
  try {
    const { stdout } = await run(FFPROBE, [...args, ...whitelisted(path)], {
      maxBuffer: 32 * 1024 * 1024,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    result = Probe.parse(JSON.parse(stdout));
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim() ?? '';
    const why = refusedProtocol(stderr.split('\n')) ?? stderr.split('\n').pop();
    throw new ProbeError(`ffprobe could not read ${path}${why ? `: ${why}` : ''}`, { cause: err });
  }
  const format = result.format?.format_name ?? '';
  if (PLAYLIST_FORMATS.has(format)) {
    throw new ProbeError(`${path} is a playlist (${format}), not a media file: storyreel reads local media files only`);
  }
  if (opts.countPackets && !opts.countFrames) {
    const counts = new Map<number, number>();
    const durationS = Number(result.format?.duration ?? 0);
    for await (const p of readPackets(path, { ...opts, durationS })) counts.set(p.streamIndex, (counts.get(p.streamIndex) ?? 0) + 1);
    for (const s of result.streams) s.nb_read_packets = counts.get(s.index) ?? 0;
  }
  return result;
}

/** One demuxed packet (no decoding): its stream, presentation time and duration in seconds, keyframe flag. */
export interface PacketInfo {
  streamIndex: number;
  ptsS: number;
  durationS: number;
  keyframe: boolean;
}

/**
 * Every packet of the file in demux order, streamed from one ffprobe (a few MB of text for an hour of video, never
 * held at once). `onProgress` gets the fraction of `durationS` read so far, at most every 200 ms.
 */
export async function* readPackets(
  path: string,
  opts: { signal?: AbortSignal; onProgress?: OnProgress; durationS?: number } = {},
): AsyncGenerator<PacketInfo> {
  const args = ['-v', 'error', '-show_entries', 'packet=stream_index,pts_time,duration_time,flags', '-of', 'csv=p=0'];
  const child = spawn(FFPROBE, [...args, ...whitelisted(path)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  // Awaited after the last line; this keeps an early spawn error from being reported as unhandled meanwhile.
  exited.catch(() => undefined);
  const total = opts.durationS ?? 0;
  let reported = 0;
  try {
    for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
      // Side data may follow the four fields on the same line (and blank lines follow it): keep what parses.
      const [index, pts, duration, flags] = line.split(',');
      if (!index || !/^\d+$/.test(index)) continue;
      const packet: PacketInfo = {
        streamIndex: Number(index),
        ptsS: pts === undefined || pts === 'N/A' ? Number.NaN : Number(pts),
        durationS: Number(duration) || 0,
        keyframe: !!flags?.startsWith('K'),
      };
      if (opts.onProgress && total > 0 && Number.isFinite(packet.ptsS) && performance.now() - reported > 200) {
        reported = performance.now();
        opts.onProgress(Math.min(1, Math.max(0, packet.ptsS / total)));
      }
      yield packet;
    }
    const code = await exited;
    if (code !== 0) {
      const why = refusedProtocol(stderr.split('\n')) ?? stderr.trim().split('\n').pop();
      throw new ProbeError(`ffprobe could not read the packets of ${path}${why ? `: ${why}` : ''}`);
    }
    opts.onProgress?.(1);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

export const videoStream = (p: ProbeResult) => p.streams.find((s) => s.codec_type === 'video');
export const audioStream = (p: ProbeResult) => p.streams.find((s) => s.codec_type === 'audio');

/** "24/1" → 24, "30000/1001" → 29.97 */
export function rate(text: string | undefined): number {
  if (!text) return 0;
  const [n, d] = text.split('/').map(Number);
  return d ? (n ?? 0) / d : (n ?? 0);
}

export interface ImageInfo {
  width: number;
  height: number;
  mime: 'image/png' | 'image/jpeg' | 'image/webp';
}

/** Reads an image's format and size; throws ProbeError when the file is not a PNG, JPEG or WebP image. */
export async function probeImage(path: string): Promise<ImageInfo> {
  const p = await probe(path);
  const v = videoStream(p);
  const mime =
    v?.codec_name === 'png' ? 'image/png' : v?.codec_name === 'mjpeg' ? 'image/jpeg' : v?.codec_name === 'webp' ? 'image/webp' : undefined;
  if (!v || !mime || !v.width || !v.height) {
    throw new ProbeError(`${path} is not a PNG, JPEG or WebP image (found ${v?.codec_name ?? 'no picture'})`);
  }
  return { width: v.width, height: v.height, mime };
}
