/**
 * Frame-exact trimming (re-encodes in the house format). Used for provider extensions, whose output is the
 * stitched whole: only the new tail belongs to the extending scene.
 */
import { rm, writeFile } from 'node:fs/promises';
import { callOptions, runFfmpeg, type MediaCallOptions } from './ffmpeg.js';
import { HOUSE_AUDIO_ARGS, houseVideoArgs } from './house.js';
import { audioStream, probe } from './probe.js';

/** The trim graph: video from frame `startFrame`, audio from `start` seconds (silence without audio). Pure. */
export function trimGraph(startFrame: number, start: string, hasAudio: boolean): string {
  return (
    `[0:v]trim=start_frame=${startFrame},setpts=PTS-STARTPTS[v];` +
    (hasAudio ? `[0:a]atrim=start=${start},asetpts=PTS-STARTPTS[a]` : `anullsrc=r=48000:cl=stereo[a]`)
  );
}

/**
 * Writes `src` without its first `startS` seconds (snapped to whole frames at `fps`) to `dest`. `onProgress` follows
 * the re-encode of what is kept.
 */
export async function trimHead(
  src: string,
  dest: string,
  startS: number,
  fps: number,
  signalOrOptions?: AbortSignal | MediaCallOptions,
): Promise<void> {
  const { signal, onProgress } = callOptions(signalOrOptions);
  const startFrame = Math.round(startS * fps);
  const start = (startFrame / fps).toFixed(6);
  const probed = await probe(src, signal ? { signal } : {});
  const hasAudio = !!audioStream(probed);
  const keptS = Math.max(0, Number(probed.format?.duration ?? 0) - startFrame / fps);
  const graph = `${dest}.graph.txt`;
  await writeFile(graph, trimGraph(startFrame, start, hasAudio));
  try {
    await runFfmpeg({
      inputs: [{ source: src }],
      output: dest,
      expectedDurationS: keptS,
      outputOptions: [
        '-filter_complex_script',
        graph,
        '-map',
        '[v]',
        '-map',
        '[a]',
        ...(hasAudio ? [] : ['-shortest']),
        ...houseVideoArgs(fps),
        ...HOUSE_AUDIO_ARGS,
        '-f',
        'mp4',
      ],
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress: (p) => onProgress(p.fraction) } : {}),
    });
  } finally {
    await rm(graph, { force: true });
  }
}

/**
 * The fit graph: the video at `fps`, its last frame held `padS` seconds longer, cut at exactly `frames` frames; the
 * audio padded with silence (or silence without audio) and cut at the same length. Pure.
 */
export function fitGraph(frames: number, fps: number, padS: number, hasAudio: boolean): string {
  const end = (frames / fps).toFixed(6);
  const hold = padS > 0 ? `tpad=stop_mode=clone:stop_duration=${(padS + 1 / fps).toFixed(6)},` : '';
  return (
    `[0:v]fps=${fps},${hold}trim=end_frame=${frames},setpts=PTS-STARTPTS[v];` +
    (hasAudio ? `[0:a]apad,atrim=end=${end},asetpts=PTS-STARTPTS[a]` : `anullsrc=r=48000:cl=stereo,atrim=end=${end}[a]`)
  );
}

/**
 * Writes `src` at exactly `seconds` (whole frames at `fps`) to `dest`: a longer clip loses its tail (a model that
 * makes 4n+1 frames, or a length generated longer than the scene), a shorter one holds its last frame (a length
 * generated shorter than the scene). Re-encodes in the house format.
 */
export async function fitLength(
  src: string,
  dest: string,
  seconds: number,
  fps: number,
  signalOrOptions?: AbortSignal | MediaCallOptions,
): Promise<void> {
  const { signal, onProgress } = callOptions(signalOrOptions);
  const frames = Math.round(seconds * fps);
  const probed = await probe(src, signal ? { signal } : {});
  const hasAudio = !!audioStream(probed);
  const padS = Math.max(0, frames / fps - Number(probed.format?.duration ?? 0));
  const graph = `${dest}.graph.txt`;
  await writeFile(graph, fitGraph(frames, fps, padS, hasAudio));
  try {
    await runFfmpeg({
      inputs: [{ source: src }],
      output: dest,
      expectedDurationS: frames / fps,
      outputOptions: [
        '-filter_complex_script',
        graph,
        '-map',
        '[v]',
        '-map',
        '[a]',
        ...houseVideoArgs(fps),
        ...HOUSE_AUDIO_ARGS,
        '-f',
        'mp4',
      ],
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress: (p) => onProgress(p.fraction) } : {}),
    });
  } finally {
    await rm(graph, { force: true });
  }
}
