/**
 * Stills for continuity: the exact last frame of a clip, and any image fitted to an exact pixel size
 * (scale to cover, centre crop), which providers like the OpenAI Videos API require to the pixel.
 */
import { rename, rm } from 'node:fs/promises';
import { runFfmpeg } from './ffmpeg.js';
import { tempPathFor } from '../store/files.js';

export interface Size {
  width: number;
  height: number;
}

const fit = (s: Size) => `scale=${s.width}:${s.height}:force_original_aspect_ratio=increase,crop=${s.width}:${s.height},setsar=1`;

/**
 * Writes the clip's last frame as PNG at `size`. Decodes the last second and keeps overwriting one image, which is
 * exact where `-sseof -0.1 -frames:v 1` returns the second-to-last frame (../shared/reference/ffmpeg.md §5).
 */
export async function extractLastFrame(clip: string, dest: string, size: Size, signal?: AbortSignal): Promise<void> {
  const tmp = `${tempPathFor(dest)}.png`;
  try {
    await runFfmpeg({
      inputs: [{ source: clip, options: ['-sseof', '-1'] }],
      output: tmp,
      expectedDurationS: 1,
      outputOptions: ['-map', '0:v:0', '-vf', fit(size), '-update', '1', '-f', 'image2', '-c:v', 'png'],
      ...(signal ? { signal } : {}),
    });
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Writes `image` scaled to cover `size` and centre-cropped to it, as PNG. */
export async function fitImage(image: string, dest: string, size: Size, signal?: AbortSignal): Promise<void> {
  const tmp = `${tempPathFor(dest)}.png`;
  try {
    await runFfmpeg({
      inputs: [{ source: image }],
      output: tmp,
      expectedDurationS: 0,
      outputOptions: ['-vf', fit(size), '-frames:v', '1', '-update', '1', '-f', 'image2', '-c:v', 'png'],
      ...(signal ? { signal } : {}),
    });
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Writes the frame at `atS` seconds as PNG (poster frames, contact sheets, tests). */
export async function frameAt(video: string, atS: number, dest: string, size?: Size): Promise<void> {
  const tmp = `${tempPathFor(dest)}.png`;
  try {
    await runFfmpeg({
      inputs: [{ source: video, options: ['-ss', atS.toFixed(3)] }],
      output: tmp,
      expectedDurationS: 0,
      outputOptions: [...(size ? ['-vf', fit(size)] : []), '-frames:v', '1', '-update', '1', '-f', 'image2', '-c:v', 'png'],
    });
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
}
