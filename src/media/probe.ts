/**
 * ffprobe, as JSON validated with zod (not fluent-ffmpeg's INI regex parser). Also the media tool check that the
 * worker runs at start-up.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { z } from 'zod';

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

/** Full container/stream description. `countFrames` decodes (slower) to count frames and packets exactly. */
export async function probe(
  path: string,
  opts: { countFrames?: boolean; countPackets?: boolean; signal?: AbortSignal } = {},
): Promise<ProbeResult> {
  const args = ['-v', 'error', '-of', 'json', '-show_format', '-show_streams', '-show_chapters', '-show_data_hash', 'md5'];
  if (opts.countFrames) args.push('-count_frames');
  if (opts.countPackets) args.push('-count_packets');
  args.push(path);
  try {
    const { stdout } = await run(FFPROBE, args, { maxBuffer: 32 * 1024 * 1024, ...(opts.signal ? { signal: opts.signal } : {}) });
    return Probe.parse(JSON.parse(stdout));
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new ProbeError(`ffprobe could not read ${path}${stderr ? `: ${stderr.split('\n').pop()}` : ''}`, { cause: err });
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

/** Checks that ffmpeg and ffprobe run and have what storyreel needs; returns the ffmpeg version line. */
export async function checkMediaTools(): Promise<string> {
  let version: string;
  try {
    version = (await run(FFMPEG, ['-hide_banner', '-version'])).stdout.split('\n')[0] ?? '';
    await run(FFPROBE, ['-hide_banner', '-version']);
  } catch (err) {
    throw new Error(
      `ffmpeg/ffprobe not found (${FFMPEG}, ${FFPROBE}); install them (Debian: apt-get install -y ffmpeg) or set FFMPEG_PATH/FFPROBE_PATH`,
      { cause: err },
    );
  }
  const filters = (await run(FFMPEG, ['-hide_banner', '-filters'], { maxBuffer: 8 * 1024 * 1024 })).stdout;
  const missing = ['xfade', 'acrossfade', 'apad', 'drawtext', 'concat', 'loudnorm'].filter((f) => !new RegExp(`\\s${f}\\s`).test(filters));
  if (missing.length) throw new Error(`${version} lacks filters storyreel needs: ${missing.join(', ')} (ffmpeg >= 4.3 with libfreetype)`);
  return version;
}
