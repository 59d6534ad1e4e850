/**
 * Frame-exact trimming (re-encodes in the house format). Used for provider extensions, whose output is the
 * stitched whole: only the new tail belongs to the extending scene.
 */
import { rm, writeFile } from 'node:fs/promises';
import { runFfmpeg } from './ffmpeg.js';
import { HOUSE_AUDIO_ARGS, houseVideoArgs } from './house.js';
import { audioStream, probe } from './probe.js';

/** Writes `src` without its first `startS` seconds (snapped to whole frames at `fps`) to `dest`. */
export async function trimHead(src: string, dest: string, startS: number, fps: number, signal?: AbortSignal): Promise<void> {
  const startFrame = Math.round(startS * fps);
  const start = (startFrame / fps).toFixed(6);
  const hasAudio = !!audioStream(await probe(src));
  const graph = `${dest}.graph.txt`;
  await writeFile(
    graph,
    `[0:v]trim=start_frame=${startFrame},setpts=PTS-STARTPTS[v];` +
      (hasAudio ? `[0:a]atrim=start=${start},asetpts=PTS-STARTPTS[a]` : `anullsrc=r=48000:cl=stereo[a]`),
  );
  try {
    await runFfmpeg({
      inputs: [{ source: src }],
      output: dest,
      expectedDurationS: 0,
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
    });
  } finally {
    await rm(graph, { force: true });
  }
}
