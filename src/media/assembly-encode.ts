/**
 * The one ffmpeg call that writes the final video, by method (AssemblyResult.method):
 * - copy (every boundary a cut, no burn-in): video is stream-copied through an ffconcat list that names only the
 *   video stream and gives each clip's exact video duration ("H2" in ../shared/reference/ffmpeg.md: 0.0 ms A/V error
 *   at every scene start; plain `-f concat -c copy` drifts ~27 ms per clip from AAC priming);
 * - transitions: xfade per boundary with exact offsets, clips decoded from two ffconcat lists (even and odd clips),
 *   so two decoders serve any number of clips;
 * - reencode: cuts only, but the picture changes (burned captions); one decode list.
 * Audio is always rebuilt in the same call (assembly-audio.ts), with chapters, title, the mov_text caption track and
 * +faststart. `finalCommand` is pure (the inputs, graph, lists and arguments as text); `encodeFinal` runs it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { audioGraph, type AudioSources } from './assembly-audio.js';
import type { CaptionPlan, PlannedTimeline } from './assembly-plan.js';
import type { AssemblyMethod, PreparedClip } from './assembly-types.js';
import { lineWidthFor, sceneCues, toAss, toSrt, type Cue } from './captions.js';
import { InputList, runFfmpeg, type FfmpegInput, type OnProgress } from './ffmpeg.js';
import type { HouseFormat } from './fingerprint.js';
import {
  burnChain,
  concatList,
  loudnessApplyChain,
  parity,
  sequenceVideoGraph,
  transitionVideoGraph,
  type LoudnessApply,
  type VideoEntry,
} from './graphs.js';
import { HOUSE_AUDIO_ARGS, houseVideoArgs } from './house.js';
import { keyframeTimes } from './stills.js';
import { chaptersMetadata } from './timeline.js';

/** Chapters + title, and the caption files, written to scratch for the encode. */
export interface SideFiles {
  metadata: string;
  cues: Cue[];
  /** The caption track's source (.srt), when there is one. */
  srt?: string;
  /** The burn-in subtitles (.ass), when captions are burned. */
  ass?: string;
}

export async function writeSideFiles(args: {
  scratch: string;
  title: string;
  chapters: boolean;
  captionTrack: boolean;
  captions: CaptionPlan;
  plan: PlannedTimeline;
  house: HouseFormat;
}): Promise<SideFiles> {
  const metadata = join(args.scratch, 'chapters.ffmeta');
  await writeFile(metadata, chaptersMetadata(args.title, args.chapters ? args.plan.scenes : []));
  const cues = args.captions.cues
    ? sceneCues(args.plan.scenes, args.captions.text, args.captions.words, args.house.fps, lineWidthFor(args.house))
    : [];
  const side: SideFiles = { metadata, cues };
  if (args.captionTrack && cues.length) {
    side.srt = join(args.scratch, 'captions.srt');
    await writeFile(side.srt, toSrt(cues));
  }
  if (args.captions.burn) {
    side.ass = join(args.scratch, 'captions.ass');
    await writeFile(side.ass, toAss(cues, args.captions.burn, args.house));
  }
  return side;
}

export interface FinalCommand {
  inputs: FfmpegInput[];
  /** ffconcat lists to write before running: path and text. */
  lists: { path: string; text: string }[];
  graphPath: string;
  graph: string;
  outputOptions: string[];
}

/** Everything the final ffmpeg call needs, as text. Pure. */
export function finalCommand(args: {
  method: AssemblyMethod;
  prepared: readonly PreparedClip[];
  plan: PlannedTimeline;
  sources: AudioSources;
  loudness: LoudnessApply | undefined;
  side: SideFiles;
  title: string;
  chapters: boolean;
  fps: number;
  scratch: string;
}): FinalCommand {
  const { method, prepared, plan, fps, side } = args;
  const inputs = new InputList();
  const lists: FinalCommand['lists'] = [];
  const list = (name: string, members: readonly PreparedClip[]) => {
    const path = join(args.scratch, name);
    lists.push({ path, text: concatList(members.map((p) => ({ path: p.path, seconds: p.facts.frames / fps }))) });
    return inputs.add(path, ['-f', 'concat', '-safe', '0']);
  };
  const graph: string[] = [];
  const maps: string[] = [];
  const codec: string[] = [];
  if (method === 'copy') {
    list('video.ffconcat', prepared);
    maps.push('-map', '0:v:0');
    codec.push('-c:v', 'copy');
  } else {
    const videoOut = side.ass ? 'vbase' : 'v';
    if (method === 'transitions') {
      const even = list(
        'even.ffconcat',
        prepared.filter((_, i) => parity(i) === 'even'),
      );
      const odd = list(
        'odd.ffconcat',
        prepared.filter((_, i) => parity(i) === 'odd'),
      );
      const entries: VideoEntry[] = prepared.map((p, i) => ({
        frames: p.facts.frames,
        transition: i === 0 ? { type: 'cut', seconds: 0 } : p.clip.transition,
      }));
      graph.push(transitionVideoGraph(entries, plan.overlaps, { even, odd }, fps, videoOut));
    } else {
      graph.push(sequenceVideoGraph(list('video.ffconcat', prepared), fps, videoOut));
    }
    if (side.ass) graph.push(burnChain(side.ass, 'vbase', 'v'));
    maps.push('-map', '[v]');
    // Keyframes where stills are taken (scene starts and middles), so the contact sheet's keyframe-only decode is exact.
    const stills = [...plan.scenes.map((s) => s.startS), ...plan.windows.map((w) => w.midS)];
    codec.push(...houseVideoArgs(fps), '-force_key_frames', keyframeTimes(stills));
  }
  graph.push(audioGraph(inputs, prepared, plan.scenes, args.sources, plan.durationS, fps));
  graph.push(loudnessApplyChain(args.loudness, 'mix', 'a'));
  maps.push('-map', '[a]');
  const metaIndex = inputs.add(side.metadata, ['-f', 'ffmetadata']);
  const subtitleArgs: string[] = [];
  if (side.srt) {
    const subIndex = inputs.add(side.srt, ['-f', 'srt']);
    subtitleArgs.push(
      '-map',
      `${subIndex}:s`,
      '-c:s',
      'mov_text',
      '-metadata:s:s:0',
      'language=eng',
      '-metadata:s:s:0',
      'handler_name=Narration',
    );
  }
  const graphPath = join(args.scratch, 'graph.txt');
  return {
    inputs: inputs.list,
    lists,
    graphPath,
    graph: graph.join(';\n'),
    outputOptions: [
      '-filter_complex_script',
      graphPath,
      ...maps,
      ...subtitleArgs,
      '-map_metadata',
      String(metaIndex),
      '-map_chapters',
      args.chapters ? String(metaIndex) : '-1',
      ...codec,
      ...HOUSE_AUDIO_ARGS,
      '-metadata',
      `title=${args.title}`,
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
    ],
  };
}

/** Writes the lists and the graph, then runs the command into `output` (a temp path; the caller renames it). */
export async function encodeFinal(
  command: FinalCommand,
  output: string,
  durationS: number,
  opts: { signal?: AbortSignal; onProgress?: OnProgress } = {},
): Promise<void> {
  await Promise.all([...command.lists.map((l) => writeFile(l.path, l.text)), writeFile(command.graphPath, command.graph)]);
  await runFfmpeg({
    inputs: command.inputs,
    output,
    expectedDurationS: durationS,
    outputOptions: command.outputOptions,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: (p) => opts.onProgress!(p.fraction) } : {}),
  });
}
