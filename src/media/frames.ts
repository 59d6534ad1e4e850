/**
 * Stills for continuity: the exact last frame of a clip, and any image fitted to an exact pixel size
 * (scale to cover, centre crop), which providers like the OpenAI Videos API require to the pixel.
 */
import { rename, rm } from 'node:fs/promises';
import { callOptions, runFfmpeg, type FfmpegInput, type MediaCallOptions } from './ffmpeg.js';
import { tempPathFor } from '../store/files.js';

export interface Size {
  width: number;
  height: number;
}

const fit = (s: Size) => `scale=${s.width}:${s.height}:force_original_aspect_ratio=increase,crop=${s.width}:${s.height},setsar=1`;

/**
 * One PNG written by ffmpeg to a temp name beside `dest`, renamed into place when complete. `decodesS` is how much
 * input ffmpeg decodes for it (the progress denominator).
 */
async function writePng(input: FfmpegInput, filters: string[], dest: string, decodesS: number, opts: MediaCallOptions): Promise<void> {
  const tmp = `${tempPathFor(dest)}.png`;
  try {
    await runFfmpeg({
      inputs: [input],
      output: tmp,
      expectedDurationS: decodesS,
      outputOptions: ['-map', '0:v:0', ...filters, '-update', '1', '-f', 'image2', '-c:v', 'png'],
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: (p) => opts.onProgress!(p.fraction) } : {}),
    });
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Writes the clip's last frame as PNG at `size`. Decodes the last second and keeps overwriting one image, which is
 * exact where `-sseof -0.1 -frames:v 1` returns the second-to-last frame (../shared/reference/ffmpeg.md §5).
 */
export async function extractLastFrame(
  clip: string,
  dest: string,
  size: Size,
  signalOrOptions?: AbortSignal | MediaCallOptions,
): Promise<void> {
  await writePng({ source: clip, options: ['-sseof', '-1'] }, ['-vf', fit(size)], dest, 1, callOptions(signalOrOptions));
}

/**
 * Output options that make a run which decodes a whole clip (a check) also write its last frame, exactly as
 * extractLastFrame would: the frames from `fromS` on (stream time, seconds) are fitted and overwrite one PNG, so the
 * last one stays. Choose `fromS` a few frames before the end: every frame in the window is encoded.
 */
export function lastFrameOutputOptions(size: Size, fromS: number): string[] {
  const from = Math.max(0, fromS).toFixed(6);
  return ['-map', '0:v:0', '-vf', `select=gte(t\\,${from}),${fit(size)}`, '-update', '1', '-f', 'image2', '-c:v', 'png'];
}

/** Writes `image` scaled to cover `size` and centre-cropped to it, as PNG. */
export async function fitImage(image: string, dest: string, size: Size, signalOrOptions?: AbortSignal | MediaCallOptions): Promise<void> {
  await writePng({ source: image }, ['-vf', fit(size), '-frames:v', '1'], dest, 0, callOptions(signalOrOptions));
}
