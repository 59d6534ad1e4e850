/**
 * Renders the local provider's clips: a real H.264 + AAC mp4 at an exact size, length and frame rate, with a
 * distinct colour and tone per scene, a moving marker (so it is not a still), the scene's title and prompt drawn
 * on it, and optionally a first-frame image it starts from and a last-frame image it ends on.
 *
 * The colour is the scene's marker: tests sample it at each scene's midpoint in the final video.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFfmpeg, type FfmpegProgress } from './ffmpeg.js';
import { HOUSE_AUDIO_ARGS, houseVideoArgs } from './house.js';

export interface CardSpec {
  width: number;
  height: number;
  fps: number;
  seconds: number;
  /** 0xRRGGBB background. */
  color: number;
  /** Sine tone in Hz; 0 for silence. */
  toneHz: number;
  title: string;
  body: string;
  firstFrame?: string;
  lastFrame?: string;
}

/** Size of the untouched colour patch in the top-left corner, for marker sampling. */
export const MARKER_PATCH = { x: 0, y: 0, size: 48 } as const;

export function hex(color: number): string {
  return `0x${color.toString(16).padStart(6, '0')}`;
}

/** Wraps text into at most `maxLines` lines of `width` characters (the last one ellipsised). */
export function wrapText(text: string, width: number, maxLines: number): string[] {
  const words = text.replace(/\s+/g, ' ').trim().split(' ');
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const next = line ? `${line} ${word}` : word;
    if (next.length > width && line) {
      lines.push(line);
      line = word.slice(0, width);
    } else line = next.slice(0, width);
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    kept[maxLines - 1] = `${kept[maxLines - 1]!.slice(0, width - 1)}…`;
    return kept;
  }
  return lines;
}

/** The filter graph (written to a script file). Inputs: 0 = colour, 1 = tone, then first/last frame images. */
export function cardGraph(spec: CardSpec, files: { title: string; body: string }, images: { first?: number; last?: number }): string {
  const { width: w, height: h, fps, seconds: s } = spec;
  const titleSize = Math.max(16, Math.round(h / 14));
  const bodySize = Math.max(12, Math.round(h / 30));
  const box = Math.max(8, Math.round(h / 12));
  const p = MARKER_PATCH.size;
  const chains: string[] = [];
  // A marker box sweeping left to right below the corner patch, so every frame differs (no freeze detection).
  chains.push(
    `color=c=white:s=${box}x${box}:r=${fps}[box]`,
    `[0:v][box]overlay=x='${p}+(W-${p}-w)*t/${s}':y=(H-h)/2:shortest=1,` +
      `drawtext=expansion=none:textfile='${files.title}':fontcolor=white:fontsize=${titleSize}:x=(w-text_w)/2:y=h/5:box=1:boxcolor=black@0.35:boxborderw=8,` +
      `drawtext=expansion=none:textfile='${files.body}':fontcolor=white:fontsize=${bodySize}:line_spacing=6:x=(w-text_w)/2:y=h*0.62:box=1:boxcolor=black@0.35:boxborderw=6,` +
      `format=yuv420p[base]`,
  );
  let current = 'base';
  const fade = Math.min(1, s / 3);
  if (images.first !== undefined) {
    chains.push(
      `[${images.first}:v]scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h},setsar=1,format=yuva420p,` +
        `fade=t=out:st=0:d=${fade.toFixed(4)}:alpha=1[ff]`,
      `[${current}][ff]overlay=shortest=1:format=auto,format=yuv420p[withfirst]`,
    );
    current = 'withfirst';
  }
  if (images.last !== undefined) {
    const d = Math.max(1 / fps, fade - 1 / fps);
    chains.push(
      `[${images.last}:v]scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h},setsar=1,format=yuva420p,` +
        `fade=t=in:st=${(s - 1 / fps - d).toFixed(4)}:d=${d.toFixed(4)}:alpha=1[lf]`,
      `[${current}][lf]overlay=shortest=1:format=auto,format=yuv420p[withlast]`,
    );
    current = 'withlast';
  }
  chains.push(`[${current}]null[v]`, `[1:a]aformat=sample_rates=48000:channel_layouts=stereo[a]`);
  return chains.join(';\n');
}

/** Renders the card to `output` (the caller owns temp naming and the final rename). */
export async function renderCard(
  spec: CardSpec,
  output: string,
  opts: { signal?: AbortSignal; onProgress?: (p: FfmpegProgress) => void } = {},
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'storyreel-card-'));
  try {
    const files = { title: join(dir, 'title.txt'), body: join(dir, 'body.txt'), graph: join(dir, 'graph.txt') };
    const chars = Math.max(20, Math.floor(spec.width / Math.max(12, Math.round(spec.height / 30)) / 0.62));
    await writeFile(files.title, wrapText(spec.title, Math.floor(chars / 2), 1).join('\n'));
    await writeFile(files.body, wrapText(spec.body, chars - 4, 4).join('\n'));
    const frames = Math.round(spec.seconds * spec.fps);
    const exact = (frames / spec.fps).toFixed(6);
    const inputs = [
      { source: `color=c=${hex(spec.color)}:s=${spec.width}x${spec.height}:r=${spec.fps}:d=${exact}`, options: ['-f', 'lavfi'] },
      {
        source:
          spec.toneHz > 0 ? `sine=frequency=${spec.toneHz}:sample_rate=48000:duration=${exact}` : `anullsrc=r=48000:cl=stereo:d=${exact}`,
        options: ['-f', 'lavfi'],
      },
    ];
    const images: { first?: number; last?: number } = {};
    for (const [key, path] of [
      ['first', spec.firstFrame],
      ['last', spec.lastFrame],
    ] as const) {
      if (!path) continue;
      images[key] = inputs.length;
      inputs.push({ source: path, options: ['-loop', '1', '-framerate', String(spec.fps), '-t', exact] });
    }
    await writeFile(files.graph, cardGraph(spec, files, images));
    await runFfmpeg({
      inputs,
      output,
      expectedDurationS: frames / spec.fps,
      outputOptions: [
        '-filter_complex_script',
        files.graph,
        '-map',
        '[v]',
        '-map',
        '[a]',
        '-t',
        exact,
        ...houseVideoArgs(spec.fps),
        ...HOUSE_AUDIO_ARGS,
        '-movflags',
        '+faststart',
        '-f',
        'mp4',
      ],
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
