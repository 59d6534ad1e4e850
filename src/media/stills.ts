/**
 * Poster frame and contact sheet of a finished video, written beside it (temp file + rename by the caller).
 *
 * The poster is the exact frame in the middle of the first scene (one accurate seek). The contact sheet has one
 * tile per scene, decoded from keyframes only: an ffconcat list points at the video once per scene with an in/out
 * point half a frame around the scene's middle, and `-skip_frame nokey` decodes just the keyframe at or before it
 * (one frame per scene, one process, flat memory; accurate seeks cost 5× more at 720p). Re-encoded outputs carry a
 * forced keyframe at every scene middle (`keyframeTimes`), so their tiles are exact; stream-copied outputs start
 * every scene on a keyframe, so their tile is the last keyframe before the middle, never another scene.
 */
import { writeFile } from 'node:fs/promises';
import { callOptions, runFfmpeg, type MediaCallOptions } from './ffmpeg.js';
import { f6 } from './graphs.js';

export interface SheetLayout {
  cols: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
}

/** Tiles with the longer side `longSide` (even sizes), in a near-square grid. Pure. */
export function sheetLayout(count: number, size: { width: number; height: number }, longSide = 320): SheetLayout {
  const scale = Math.min(1, longSide / Math.max(size.width, size.height));
  const even = (n: number) => Math.max(2, 2 * Math.round(n / 2));
  const cols = Math.max(1, Math.ceil(Math.sqrt(count)));
  return { cols, rows: Math.max(1, Math.ceil(count / cols)), tileWidth: even(size.width * scale), tileHeight: even(size.height * scale) };
}

/** ffconcat list selecting, per time, the keyframe at or before it (with `-skip_frame nokey`). Pure. */
export function tileList(video: string, timesS: readonly number[], fps: number): string {
  const quote = (p: string) => `'${p.replaceAll("'", "'\\''")}'`;
  return [
    'ffconcat version 1.0',
    ...timesS.flatMap((t) => [`file ${quote(video)}`, `inpoint ${f6(t + 0.25 / fps)}`, `outpoint ${f6(t + 0.75 / fps)}`]),
    '',
  ].join('\n');
}

/** The tile graph: every decoded keyframe scaled into its cell, `count` cells in a cols×rows grid. Pure. */
export function sheetGraph(count: number, layout: SheetLayout): string {
  const { cols, rows, tileWidth: w, tileHeight: h } = layout;
  return `[0:v]scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1,tile=${cols}x${rows}:nb_frames=${count}:padding=4:margin=4[sheet]`;
}

/** Times that re-encoded outputs force keyframes at (scene starts and middles), as a -force_key_frames list. */
export function keyframeTimes(times: readonly number[]): string {
  return [...new Set(times.map((t) => f6(t)))].sort((a, b) => Number(a) - Number(b)).join(',');
}

const JPEG = ['-f', 'image2', '-update', '1', '-c:v', 'mjpeg', '-q:v', '3'];

/** Writes the exact frame at `atS` as JPEG to `dest`. `onProgress` reaches 1 when it is written. */
export async function writePoster(
  video: string,
  atS: number,
  dest: string,
  signalOrOptions?: AbortSignal | MediaCallOptions,
): Promise<void> {
  const { signal, onProgress } = callOptions(signalOrOptions);
  await runFfmpeg({
    inputs: [{ source: video, options: ['-ss', f6(atS)] }],
    output: dest,
    expectedDurationS: 0,
    outputOptions: ['-map', '0:v:0', '-frames:v', '1', ...JPEG],
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress: (p) => onProgress(p.fraction) } : {}),
  });
}

/**
 * Writes a grid of one tile per time to `dest` (JPEG); `listPath` is a scratch file for the tile list. `onProgress`
 * is called while ffmpeg works (0: the one output frame comes at the end) and with 1 when the sheet is written.
 */
export async function writeContactSheet(
  video: string,
  timesS: readonly number[],
  fps: number,
  layout: SheetLayout,
  dest: string,
  listPath: string,
  signalOrOptions?: AbortSignal | MediaCallOptions,
): Promise<void> {
  const { signal, onProgress } = callOptions(signalOrOptions);
  await writeFile(listPath, tileList(video, timesS, fps));
  const graphPath = `${listPath}.graph.txt`;
  await writeFile(graphPath, sheetGraph(timesS.length, layout));
  await runFfmpeg({
    inputs: [{ source: listPath, options: ['-skip_frame', 'nokey', '-f', 'concat', '-safe', '0'] }],
    output: dest,
    expectedDurationS: 0,
    outputOptions: ['-filter_complex_script', graphPath, '-map', '[sheet]', '-fps_mode', 'passthrough', '-frames:v', '1', ...JPEG],
    ...(signal ? { signal } : {}),
    // One output frame at the very end; the demuxed tiles are the only measure of progress before it.
    ...(onProgress ? { onProgress: (p) => onProgress(p.fraction === 1 ? 1 : 0) } : {}),
  });
}
