/**
 * The audio of the final video: each clip's audio placed by its timestamps and made exactly as long as its picture
 * (crossfaded where the picture crossfades), narration from each scene's start, the soundtrack looped, faded and
 * ducked under voice, then one EBU R128 gain measured by a cheap audio-only pass before the main encode.
 * The graph text comes from graphs.ts; this module adds the inputs it needs and runs the measurement.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NarrationSlots } from './assembly-plan.js';
import type { PreparedClip, SoundtrackInput } from './assembly-types.js';
import { InputList, runFfmpeg, type OnProgress } from './ffmpeg.js';
import { exactAudioGraph, loudnessMeterChain, mixGraph, narrationGraph, soundtrackChain, type LoudnessApply } from './graphs.js';
import { planLoudness, readMeterFile, type LoudnessReport, type LoudnessTarget } from './loudness.js';
import type { SceneTiming } from './timeline.js';

export interface AudioSources {
  narration: NarrationSlots | undefined;
  /** The narration is synthesized speech: the clips' own sound is ducked under it too. */
  duckClipUnderNarration?: boolean;
  soundtrack: SoundtrackInput | undefined;
}

/**
 * Adds every audio input (clip audio first, then narration files, then the soundtrack) to `inputs` and returns the
 * graph up to [mix]: clip audio, narration, soundtrack, ducking.
 */
export function audioGraph(
  inputs: InputList,
  prepared: readonly PreparedClip[],
  scenes: readonly SceneTiming[],
  sources: AudioSources,
  durationS: number,
  fps: number,
): string {
  const clipInputs = prepared.map((p) => (p.facts.hasAudio ? inputs.add(p.path) : null));
  const parts: string[] = [];
  const entries = prepared.map((p, i) => ({ input: clipInputs[i] ?? null, seconds: p.facts.frames / fps }));
  const crossfades = scenes.map((s) => s.transitionS);
  parts.push(exactAudioGraph(entries, crossfades.some((c) => c > 0) ? { crossfades } : 'concat', 'clip'));
  if (sources.narration) {
    const narration = sources.narration;
    parts.push(
      narrationGraph(
        scenes.map((s, i) => {
          const n = narration[i];
          const slot = s.endS - s.startS;
          return n?.path
            ? { input: inputs.add(n.path), seconds: slot, cut: n.seconds > slot + 1e-3 }
            : { input: null, seconds: slot, cut: false };
        }),
        'narr',
      ),
    );
  }
  if (sources.soundtrack) {
    const input = inputs.add(sources.soundtrack.path, ['-stream_loop', '-1']);
    parts.push(soundtrackChain({ ...sources.soundtrack, input }, durationS, 'music'));
  }
  parts.push(
    mixGraph(
      {
        narration: !!sources.narration,
        soundtrack: sources.soundtrack ? { duck: sources.soundtrack.duck } : false,
        ...(sources.duckClipUnderNarration ? { duckClipUnderNarration: true } : {}),
      },
      'mix',
    ),
  );
  return parts.join(';\n');
}

export interface LoudnessPlan {
  apply?: LoudnessApply;
  report?: LoudnessReport;
  /** Set when the mix could not be measured (levels are then left as they are). */
  warning?: string;
}

/** Measures the finished mix (an audio-only ffmpeg pass with the EBU R128 meter) and plans one gain for it. */
export async function measureLoudness(args: {
  prepared: readonly PreparedClip[];
  scenes: readonly SceneTiming[];
  sources: AudioSources;
  durationS: number;
  fps: number;
  target: LoudnessTarget;
  scratch: string;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}): Promise<LoudnessPlan> {
  const inputs = new InputList();
  const meterFile = join(args.scratch, 'loudness.txt');
  const graph = `${audioGraph(inputs, args.prepared, args.scenes, args.sources, args.durationS, args.fps)};\n${loudnessMeterChain(meterFile, 'mix', 'meter')}`;
  const graphPath = join(args.scratch, 'measure.txt');
  await writeFile(graphPath, graph);
  await runFfmpeg({
    inputs: inputs.list,
    output: join(args.scratch, 'measure.null'),
    expectedDurationS: args.durationS,
    outputOptions: ['-filter_complex_script', graphPath, '-map', '[meter]', '-f', 'null'],
    ...(args.signal ? { signal: args.signal } : {}),
    ...(args.onProgress ? { onProgress: (p) => args.onProgress!(p.fraction) } : {}),
  });
  const measured = await readMeterFile(meterFile);
  if (!measured) return { warning: 'loudness could not be measured; levels left as they are' };
  return planLoudness(measured, args.target);
}
