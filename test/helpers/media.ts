/** Frame and audio sampling with real ffmpeg, for assertions on produced videos. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { probe, rate, videoStream } from '../../src/media/probe.js';

const run = promisify(execFile);

/** RGB24 pixels of the frame at `atS` seconds (accurate seek), scaled to w×h when given. */
export async function frameRgb(
  video: string,
  atS: number,
  size?: { w: number; h: number },
): Promise<{ data: Buffer; w: number; h: number }> {
  const p = await probe(video);
  const v = videoStream(p)!;
  const w = size?.w ?? v.width!;
  const h = size?.h ?? v.height!;
  const { stdout } = await run(
    'ffmpeg',
    [
      '-v',
      'error',
      '-ss',
      atS.toFixed(4),
      '-i',
      video,
      '-frames:v',
      '1',
      '-vf',
      `scale=${w}:${h}:flags=area`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  return { data: stdout, w, h };
}

/** RGB24 of frame number `n` (0-based), decoding in order: exact for first/last-frame comparisons. */
export async function frameByIndex(video: string, n: number): Promise<{ data: Buffer; w: number; h: number }> {
  const v = videoStream(await probe(video))!;
  const { stdout } = await run(
    'ffmpeg',
    [
      '-v',
      'error',
      '-i',
      video,
      '-vf',
      `select=eq(n\\,${n})`,
      '-fps_mode',
      'passthrough',
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  return { data: stdout, w: v.width!, h: v.height! };
}

/** Exact last frame (decoded in order from the last second). */
export async function lastFrame(video: string): Promise<{ data: Buffer; w: number; h: number }> {
  const v = videoStream(await probe(video))!;
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-sseof', '-1', '-i', video, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    encoding: 'buffer',
    maxBuffer: 256 * 1024 * 1024,
  });
  const frame = v.width! * v.height! * 3;
  return { data: stdout.subarray(stdout.length - frame), w: v.width!, h: v.height! };
}

/** Mean absolute difference per channel value (0..255) between two same-size frames. */
export function meanAbsDiff(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) throw new Error(`frame sizes differ: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** Average colour of a square patch. */
export function patchColor(f: { data: Buffer; w: number }, x: number, y: number, size: number): [number, number, number] {
  let r = 0,
    g = 0,
    b = 0,
    n = 0;
  for (let yy = y; yy < y + size; yy++) {
    for (let xx = x; xx < x + size; xx++) {
      const i = (yy * f.w + xx) * 3;
      r += f.data[i]!;
      g += f.data[i + 1]!;
      b += f.data[i + 2]!;
      n++;
    }
  }
  return [r / n, g / n, b / n];
}

export function colorDistance(a: readonly number[], b: readonly number[]): number {
  return Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
}

export function rgbOf(color: number): [number, number, number] {
  return [(color >> 16) & 255, (color >> 8) & 255, color & 255];
}

export async function streamsOf(video: string) {
  const p = await probe(video, { countFrames: true });
  const v = videoStream(p);
  return {
    probe: p,
    video: p.streams.filter((s) => s.codec_type === 'video'),
    audio: p.streams.filter((s) => s.codec_type === 'audio'),
    subtitle: p.streams.filter((s) => s.codec_type === 'subtitle'),
    width: v?.width,
    height: v?.height,
    fps: rate(v?.avg_frame_rate),
    frames: Number(v?.nb_read_frames ?? 0),
    durationS: Number(p.format?.duration ?? 0),
  };
}
