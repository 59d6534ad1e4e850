/**
 * Assembly's first step: what every clip and audio file is. One ffprobe stands for every clip whose MP4 index shows
 * the same video sample description and the same audio start (mp4-index.ts: ffprobe costs ~40 ms of CPU just to
 * start, more than half of a 24-clip copy); otherwise each clip is probed, four at a time.
 */
import { AssemblyInputError, type AssemblyClip, type SoundtrackInput } from './assembly-types.js';
import type { OnProgress } from './ffmpeg.js';
import { clipFacts, type ClipFacts } from './fingerprint.js';
import { mapLimit } from './map-limit.js';
import { quickFacts } from './mp4-index.js';
import { audioStream, probe, ProbeError, videoStream, type ProbeResult } from './probe.js';

/** ffprobe facts for every clip (see the module comment). `onProgress` counts clips done. */
export async function probeClips(
  clips: readonly AssemblyClip[],
  opts: { signal?: AbortSignal; onProgress?: OnProgress } = {},
): Promise<{ probes: ProbeResult[]; facts: ClipFacts[] }> {
  const sig = opts.signal ? { signal: opts.signal } : {};
  let done = 0;
  const probeOne = async (clip: AssemblyClip) => {
    const p = await probe(clip.path, sig);
    if (!videoStream(p)) throw new AssemblyInputError(`scene ${clip.sceneId}: ${clip.path} has no video stream`, clip.sceneId);
    opts.onProgress?.(++done / clips.length);
    return p;
  };
  const quick = await mapLimit(clips, 8, (c) => quickFacts(c.path));
  const first = quick[0];
  if (first && quick.every((q) => q?.copyKey === first.copyKey && q.timingKey === first.timingKey)) {
    const p0 = await probeOne(clips[0]!);
    const f0 = clipFacts(p0);
    if (f0.frames === first.frames && f0.hasAudio === !!first.audio) {
      opts.onProgress?.(1);
      return {
        probes: clips.map(() => p0),
        facts: quick.map((q) => ({
          ...f0,
          frames: q!.frames,
          videoSeconds: f0.fps ? q!.frames / f0.fps : f0.videoSeconds,
          hasAudio: !!q!.audio,
          audioRate: q!.audio?.sampleRate ?? 0,
          audioChannels: q!.audio?.channels ?? 0,
          audioSeconds: 0,
        })),
      };
    }
  }
  const probes = await mapLimit(clips, 4, probeOne);
  return { probes, facts: probes.map((p) => clipFacts(p)) };
}

/**
 * Length in seconds of each scene's narration file (0 where there is none) and a check that the soundtrack has
 * audio. A file without an audio stream is the user's mistake: AssemblyInputError names the scene and the file.
 */
export async function probeAudioFiles(
  clips: readonly AssemblyClip[],
  soundtrack: SoundtrackInput | undefined,
  signal?: AbortSignal,
): Promise<{ narrationSeconds: number[] }> {
  const seconds = async (path: string, what: string, sceneId?: string) => {
    const p = await probe(path, signal ? { signal } : {}).catch((err: unknown) => {
      throw err instanceof ProbeError ? new AssemblyInputError(`${what}: ${err.message}`, sceneId, { cause: err }) : err;
    });
    const a = audioStream(p);
    if (!a) throw new AssemblyInputError(`${what}: ${path} has no audio stream`, sceneId);
    return Number(a.duration ?? 0);
  };
  const narrationSeconds = await mapLimit(clips, 4, (c) =>
    c.narrationAudio ? seconds(c.narrationAudio, `scene ${c.sceneId} narrationAudio`, c.sceneId) : Promise.resolve(0),
  );
  if (soundtrack) await seconds(soundtrack.path, 'soundtrack');
  return { narrationSeconds };
}
