/**
 * Placeholders for skipped scenes: a titled slate, or a still of the previous scene's last frame held for the
 * scene's length. Silent, in the house format.
 */
import { rm } from 'node:fs/promises';
import { runFfmpeg } from './ffmpeg.js';
import { extractLastFrame } from './frames.js';
import { HOUSE_AUDIO_ARGS, houseVideoArgs } from './house.js';
import { renderCard } from './render-card.js';

export interface PlaceholderSpec {
  width: number;
  height: number;
  fps: number;
  seconds: number;
  title: string;
  reason: string;
}

export async function renderSlate(spec: PlaceholderSpec, output: string, signal?: AbortSignal): Promise<void> {
  await renderCard(
    {
      width: spec.width,
      height: spec.height,
      fps: spec.fps,
      seconds: spec.seconds,
      color: 0x1c1c22,
      toneHz: 0,
      title: `${spec.title} (placeholder)`,
      body: spec.reason,
    },
    output,
    signal ? { signal } : {},
  );
}

/** Holds the last frame of `clip` for the scene's length. */
export async function renderStill(spec: PlaceholderSpec, clip: string, output: string, signal?: AbortSignal): Promise<void> {
  const still = `${output}.still.png`;
  try {
    await extractLastFrame(clip, still, { width: spec.width, height: spec.height }, signal);
    const frames = Math.round(spec.seconds * spec.fps);
    const exact = (frames / spec.fps).toFixed(6);
    await runFfmpeg({
      inputs: [
        { source: still, options: ['-loop', '1', '-framerate', String(spec.fps), '-t', exact] },
        { source: `anullsrc=r=48000:cl=stereo:d=${exact}`, options: ['-f', 'lavfi'] },
      ],
      output,
      expectedDurationS: frames / spec.fps,
      outputOptions: [
        '-map',
        '0:v',
        '-map',
        '1:a',
        '-t',
        exact,
        ...houseVideoArgs(spec.fps),
        ...HOUSE_AUDIO_ARGS,
        '-movflags',
        '+faststart',
        '-f',
        'mp4',
      ],
      ...(signal ? { signal } : {}),
    });
  } finally {
    await rm(still, { force: true });
  }
}
