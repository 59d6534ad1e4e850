/**
 * Generated clips and A/V analysis for assembly tests and the assembly benchmark (real ffmpeg, no fixtures).
 *
 * Sync clips (../shared/reference/ffmpeg.md §2.1 gen_sync): a solid colour per clip (a moving white box keeps the
 * picture from freezing) and a 1 kHz beep during the first 200 ms of its audio. Cuts are found from the colour of
 * the top-left corner of every decoded frame, beep onsets from the decoded PCM; `avOffsets` reports audio onset
 * minus video cut at every scene start (positive: audio late).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { houseVideoArgs } from '../../src/media/house.js';
import { parseMeterLines } from '../../src/media/loudness.js';

const run = promisify(execFile);

export interface ClipSpec {
  width: number;
  height: number;
  fps: number;
  seconds: number;
  /** 0xRRGGBB: the whole picture except the moving box. */
  color: number;
  /** No audio stream at all when false. */
  audio?:
    | false
    | {
        /** Audio length minus video length, ms (−30: 30 ms short, +50: 50 ms long). */
        deltaMs?: number;
        sampleRate?: number;
        channels?: number;
        /** 1 kHz beep (amplitude 0.5) during the first 200 ms; default true. */
        beep?: boolean;
        /** The beep starts this far into the audio instead (ms). */
        beepAtMs?: number;
        /**
         * Where the audio stream starts relative to the picture, ms, by timestamps (an edit list): +40 starts the
         * audio 40 ms after the first frame (an empty edit on the audio track), −40 starts the picture 40 ms after
         * the audio (an empty edit on the video track).
         */
        startMs?: number;
        /** A continuous tone of this frequency (amplitude 0.25) after the beep. */
        toneHz?: number;
      };
  /** Picture: solid colour + moving box (default), or testsrc2 with the colour as a corner patch (bench). */
  picture?: 'solid' | 'testsrc2';
  /** Extra video encoder args replacing the house encode (e.g. a different profile, to break the fingerprint). */
  videoArgs?: string[];
  /** The first seconds are black (an injected black gap). */
  blackHeadS?: number;
  /** The last seconds repeat one frame (a frozen tail). */
  freezeTailS?: number;
  /** The first seconds repeat the first frame (a stall at the start). */
  freezeHeadS?: number;
  /** No moving box: the picture never changes (a still shot). */
  still?: boolean;
}

export const hex6 = (c: number) => `0x${c.toString(16).padStart(6, '0')}`;

/** Writes a clip per `spec` to `path` (H.264 + AAC mp4, the house encode unless `videoArgs`). */
export async function genClip(path: string, spec: ClipSpec): Promise<void> {
  const { width: w, height: h, fps, seconds: d } = spec;
  const box = Math.max(8, Math.round(h / 10));
  const bg = `color=c=${hex6(spec.color)}:s=${w}x${h}:r=${fps}:d=${d}`;
  const picture =
    spec.picture === 'testsrc2'
      ? `testsrc2=s=${w}x${h}:r=${fps}:d=${d},drawbox=x=0:y=0:w=${Math.round(w / 8)}:h=${Math.round(h / 8)}:color=${hex6(spec.color)}:t=fill`
      : spec.still
        ? `${bg},format=yuv420p`
        : `${bg}[bg];color=c=white:s=${box}x${box}:r=${fps}[box];[bg][box]overlay=x='${w / 4}+(W/2-w)*t/${d}':y=(H-h)/2:shortest=1,format=yuv420p`;
  const freeze = spec.freezeTailS
    ? `,trim=end=${(d - spec.freezeTailS).toFixed(6)},tpad=stop_mode=clone:stop_duration=${spec.freezeTailS.toFixed(6)}`
    : '';
  const stall = spec.freezeHeadS
    ? `,trim=start=${spec.freezeHeadS.toFixed(6)},setpts=PTS-STARTPTS,tpad=start_mode=clone:start_duration=${spec.freezeHeadS.toFixed(6)}`
    : '';
  const black = spec.blackHeadS ? `,drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='lt(t,${spec.blackHeadS})'` : '';
  const video = `${picture}${freeze}${stall}${black}[v]`;
  const graph = [video];
  const a = spec.audio === false ? undefined : (spec.audio ?? {});
  if (a) {
    const sr = a.sampleRate ?? 48000;
    const ad = Math.max(0.001, d + (a.deltaMs ?? 0) / 1000);
    const at = (a.beepAtMs ?? 0) / 1000;
    const beep =
      a.beep === false
        ? '0'
        : at > 0
          ? `if(between(t,${at},${at + 0.2}),0.5*sin(2*PI*1000*(t-${at})),0)`
          : `if(lt(t,0.2),0.5*sin(2*PI*1000*t),0)`;
    const tone = a.toneHz ? `+if(gte(t,0.2),0.25*sin(2*PI*${a.toneHz}*t),0)` : '';
    const layout = (a.channels ?? 2) === 1 ? 'mono' : 'stereo';
    graph.push(`aevalsrc='${beep}${tone}':s=${sr}:d=${ad.toFixed(6)},aformat=channel_layouts=${layout}[a]`);
  }
  const startMs = a?.startMs ?? 0;
  const encoded = startMs ? `${path}.base.mp4` : path;
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-filter_complex',
    graph.join(';'),
    '-map',
    '[v]',
    ...(a ? ['-map', '[a]'] : []),
    ...(spec.videoArgs ?? houseVideoArgs(fps)),
    ...(a ? ['-c:a', 'aac', '-b:a', '128k'] : []),
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    encoded,
  ]);
  if (startMs) await offsetAudio(encoded, path, startMs);
}

/**
 * Remuxes `src` so its audio starts `startMs` after (positive) or before (negative: the picture is delayed) its
 * video, by timestamps only; the movie time scale of 48 kHz keeps the edit exact to the sample.
 */
async function offsetAudio(src: string, dest: string, startMs: number): Promise<void> {
  const offset = ['-itsoffset', (Math.abs(startMs) / 1000).toFixed(6)];
  const [videoIn, audioIn] = startMs > 0 ? [[], offset] : [offset, []];
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    ...videoIn,
    '-i',
    src,
    ...audioIn,
    '-i',
    src,
    '-map',
    '0:v',
    '-map',
    '1:a',
    '-c',
    'copy',
    '-movie_timescale',
    '48000',
    '-movflags',
    '+faststart',
    dest,
  ]);
  await rm(src, { force: true });
}

/** A plain audio file (e.g. a soundtrack or narration): a sine of `hz` at `amplitude` for `seconds`. */
export async function genTone(
  path: string,
  hz: number,
  seconds: number,
  amplitude = 0.25,
  codec: string[] = ['-c:a', 'aac', '-b:a', '128k'],
): Promise<void> {
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `aevalsrc='${amplitude}*sin(2*PI*${hz}*t)':s=44100:d=${seconds}`,
    ...codec,
    path,
  ]);
}

async function capture(cmd: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${cmd} exited ${code}: ${err.slice(-500)}`)),
    );
  });
}

/** Presentation times of every video frame, ascending (from packets: no decode). */
export async function videoFrameTimes(video: string): Promise<number[]> {
  const out = await capture('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'packet=pts_time',
    '-of',
    'csv=p=0',
    video,
  ]);
  return out
    .toString()
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .sort((x, y) => x - y);
}

/** Mean RGB of the top-left corner (1/8 of each side) of every frame, in presentation order. */
export async function cornerColors(video: string): Promise<[number, number, number][]> {
  const raw = await capture('ffmpeg', [
    '-v',
    'error',
    '-i',
    video,
    '-map',
    '0:v:0',
    '-fps_mode',
    'passthrough',
    '-vf',
    'crop=iw/8:ih/8:0:0,scale=1:1:flags=area',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-',
  ]);
  const out: [number, number, number][] = [];
  for (let i = 0; i + 2 < raw.length; i += 3) out.push([raw[i]!, raw[i + 1]!, raw[i + 2]!]);
  return out;
}

/** Decoded audio as mono float samples at 48 kHz, sample after sample from the first decoded sample. */
export async function audioSamples(video: string, rate = 48000): Promise<Float32Array> {
  const raw = await capture('ffmpeg', ['-v', 'error', '-i', video, '-map', '0:a:0', '-ac', '1', '-ar', String(rate), '-f', 'f32le', '-']);
  return new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
}

const dist = (a: readonly number[], b: readonly number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
const rgb = (c: number): [number, number, number] => [(c >> 16) & 255, (c >> 8) & 255, c & 255];

/**
 * Index of the first frame of each scene: scene k starts at the first frame (after scene k−1's start) whose corner
 * is nearer to colour k than to colour k−1. −1 when not found.
 */
export function sceneStartFrames(colors: readonly (readonly number[])[], sceneColors: readonly number[]): number[] {
  const starts: number[] = [];
  let from = 0;
  sceneColors.forEach((c, k) => {
    if (k === 0) {
      starts.push(0);
      return;
    }
    const want = rgb(c);
    const prev = rgb(sceneColors[k - 1]!);
    let found = -1;
    for (let i = from + 1; i < colors.length; i++) {
      if (dist(colors[i]!, want) < dist(colors[i]!, prev) && dist(colors[i]!, want) < 60) {
        found = i;
        break;
      }
    }
    starts.push(found);
    if (found > 0) from = found;
  });
  return starts;
}

/** First sample at or after `fromS` whose magnitude exceeds `threshold`, as seconds; undefined if none before `toS`. */
export function onsetAfter(samples: Float32Array, fromS: number, toS: number, threshold = 0.1, rate = 48000): number | undefined {
  const end = Math.min(samples.length, Math.round(toS * rate));
  for (let i = Math.max(0, Math.round(fromS * rate)); i < end; i++) if (Math.abs(samples[i]!) > threshold) return i / rate;
  return undefined;
}

export interface SceneSync {
  scene: number;
  cutS: number;
  onsetS: number | undefined;
  /** onset − cut, ms; undefined when the scene has no beep. */
  offsetMs: number | undefined;
}

/**
 * Audio onset minus video cut at every scene start. The beep search window opens 100 ms before the cut (and closes
 * `searchUntilMs` after it, default 150); the previous scene's beep is over by then as long as scenes last more than
 * 300 ms.
 */
export async function avOffsets(
  video: string,
  sceneColors: readonly number[],
  opts: { threshold?: number; searchUntilMs?: number } = {},
): Promise<{ scenes: SceneSync[]; frames: number; audioS: number }> {
  const [times, colors, samples] = await Promise.all([videoFrameTimes(video), cornerColors(video), audioSamples(video)]);
  const starts = sceneStartFrames(colors, sceneColors);
  const until = (opts.searchUntilMs ?? 150) / 1000;
  const scenes = starts.map((f, k) => {
    const cutS = f >= 0 ? times[f]! : Number.NaN;
    const onsetS = onsetAfter(samples, Math.max(0, cutS - 0.1), cutS + until, opts.threshold);
    return { scene: k, cutS, onsetS, offsetMs: onsetS === undefined ? undefined : (onsetS - cutS) * 1000 };
  });
  return { scenes, frames: colors.length, audioS: samples.length / 48000 };
}

/** RMS amplitude of the `hz` component between `fromS` and `toS` (Goertzel over the window). */
export function toneLevel(samples: Float32Array, hz: number, fromS: number, toS: number, rate = 48000): number {
  const a = Math.max(0, Math.round(fromS * rate));
  const b = Math.min(samples.length, Math.round(toS * rate));
  const n = b - a;
  if (n <= 0) return 0;
  const w = (2 * Math.PI * hz) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = a; i < b; i++) {
    const s = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  // A sine of amplitude A gives power (A·n/2)²; return its RMS, A/√2.
  return (2 * Math.sqrt(Math.max(0, power))) / n / Math.SQRT2;
}

/** Integrated loudness (LUFS) and true peak (dBTP) of a file's audio, by ffmpeg's EBU R128 meter. */
export async function loudnessOf(video: string): Promise<{ integratedLufs: number; truePeakDb: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'storyreel-lufs-'));
  try {
    const file = join(dir, 'm.txt');
    await run('ffmpeg', [
      '-v',
      'error',
      '-i',
      video,
      '-map',
      '0:a:0',
      '-af',
      `ebur128=peak=true:metadata=1,ametadata=mode=print:file=${file}`,
      '-f',
      'null',
      '-',
    ]);
    const m = parseMeterLines((await readFile(file, 'utf8')).split('\n'));
    if (!m) throw new Error(`no loudness measured for ${video}`);
    return m;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every frame (presentation order) scaled to a cols×rows grid of RGB cells: cells[frame][row*cols+col]. */
export async function frameGrid(video: string, cols = 4, rows = 4): Promise<[number, number, number][][]> {
  const raw = await capture('ffmpeg', [
    '-v',
    'error',
    '-i',
    video,
    '-map',
    '0:v:0',
    '-fps_mode',
    'passthrough',
    '-vf',
    `scale=${cols}:${rows}:flags=area`,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-',
  ]);
  const size = cols * rows * 3;
  const frames: [number, number, number][][] = [];
  for (let f = 0; f + size <= raw.length; f += size) {
    const cells: [number, number, number][] = [];
    for (let c = 0; c < cols * rows; c++) cells.push([raw[f + c * 3]!, raw[f + c * 3 + 1]!, raw[f + c * 3 + 2]!]);
    frames.push(cells);
  }
  return frames;
}

/** Mean colour of a frame's grid cells. */
export const meanColor = (cells: readonly (readonly number[])[]): [number, number, number] =>
  [0, 1, 2].map((k) => cells.reduce((s, c) => s + c[k]!, 0) / cells.length) as [number, number, number];
