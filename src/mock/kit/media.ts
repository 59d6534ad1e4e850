/**
 * Real media for provider mocks, made with ffmpeg (argument arrays, never a shell) and cached by content key in
 * `workDir`:
 *
 * - `video`: MP4, H.264 yuv420p (+ AAC 48 kHz stereo unless `audio: false`), `+faststart`, exactly `width×height`,
 *   `seconds`·`fps` frames. Picture: a solid colour derived from a hash of the prompt, with a light square crossing
 *   it left to right; audio: a sine tone whose pitch also comes from the prompt. A reference image (or clip) is the
 *   first frame and fades out over the first second.
 * - `thumbnail`: WebP of the middle frame (PNG when this ffmpeg has no libwebp encoder).
 * - `spritesheet`: JPEG, 8 frames evenly spread over the clip, each a quarter of the width, tiled 4×2.
 *
 * Edits/remixes rotate the hue of their source; extensions append a freshly generated segment to their source.
 * Files are written under a temporary name and renamed, so several servers may share one `workDir`.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Asset } from './respond.js';

const run = promisify(execFile);

// A mock stands alone (it imports nothing of storyreel outside src/mock), so it resolves the binaries the way
// src/media does: FFMPEG_PATH / FFPROBE_PATH, else PATH.
export const FFMPEG = process.env.FFMPEG_PATH || 'ffmpeg';
export const FFPROBE = process.env.FFPROBE_PATH || 'ffprobe';

export type RenderSpec =
  | {
      kind: 'generate';
      prompt: string;
      width: number;
      height: number;
      seconds: number;
      fps: number;
      /** With a sine-tone AAC track; default true (false: a video-only MP4, as models without sound deliver). */
      audio?: boolean;
      /** A stored image or clip that becomes the first frame. */
      reference?: { kind: 'image' | 'video'; path: string };
    }
  /** The source with its hue rotated by an angle derived from the prompt. */
  | { kind: 'edit'; base: RenderSpec; prompt: string }
  /** The source followed by a new segment of `seconds` generated from the prompt. */
  | { kind: 'extend'; base: RenderSpec; prompt: string; seconds: number }
  /** An uploaded clip, normalised to the mock's codecs and `fps` (silent audio added when it has none). */
  | { kind: 'upload'; path: string; width: number; height: number; seconds: number; fps: number; hasAudio: boolean };

export type Variant = 'video' | 'thumbnail' | 'spritesheet';

export interface ProbeInfo {
  width: number;
  height: number;
  durationS: number;
  hasAudio: boolean;
}

/** Width, height, total seconds, frame rate and whether it has sound, as the spec renders. */
export function geometry(spec: RenderSpec): { width: number; height: number; seconds: number; fps: number; audio: boolean } {
  switch (spec.kind) {
    case 'generate':
      return { width: spec.width, height: spec.height, seconds: spec.seconds, fps: spec.fps, audio: spec.audio ?? true };
    case 'upload':
      return { width: spec.width, height: spec.height, seconds: spec.seconds, fps: spec.fps, audio: true };
    case 'edit':
      return geometry(spec.base);
    case 'extend': {
      const g = geometry(spec.base);
      return { ...g, seconds: g.seconds + spec.seconds };
    }
  }
}

/** Stable content key: equal specs (with content-addressed reference files) share one rendering. */
export function specKey(spec: RenderSpec): string {
  return createHash('sha256').update(stableJson(spec)).digest('hex').slice(0, 32);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Picture colour, moving-square colour, tone pitch (Hz) and edit hue rotation (degrees) for a prompt. */
export function promptLook(prompt: string): { background: string; square: string; toneHz: number; hueShiftDeg: number } {
  const h = createHash('sha256').update(prompt).digest();
  const hue = h.readUInt16BE(0) % 360;
  return {
    background: hsvHex(hue, 0.7, 0.85),
    square: hsvHex((hue + 180) % 360, 0.25, 1),
    toneHz: 200 + (h.readUInt16BE(2) % 800),
    hueShiftDeg: 90 + (h[4]! % 180),
  };
}

function hsvHex(h: number, s: number, v: number): string {
  const f = (n: number) => {
    const k = (n + h / 60) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return `0x${[f(5), f(3), f(1)].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];
const AAC = ['-c:a', 'aac', '-b:a', '96k', '-ar', '48000', '-ac', '2'];
const STEREO = 'aformat=sample_rates=48000:channel_layouts=stereo';

/** Runs at most `limit` tasks at once. */
class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async use<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export interface MediaRendererOptions {
  workDir: string;
  /** Parallel ffmpeg processes, default 2. */
  concurrency?: number;
}

export class MediaRenderer {
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private readonly slots: Slots;
  private webpSupport: Promise<boolean> | undefined;

  constructor(private readonly opts: MediaRendererOptions) {
    this.slots = new Slots(opts.concurrency ?? 2);
  }

  /** The file for one variant of a spec, rendering it (and what it derives from) on first use. */
  async asset(spec: RenderSpec, variant: Variant): Promise<Asset> {
    const key = specKey(spec);
    const video = join(this.opts.workDir, `${key}.mp4`);
    await this.ensure(video, (tmp) => this.renderVideo(spec, tmp));
    if (variant === 'video') return this.describe(video, 'video/mp4');
    if (variant === 'spritesheet') {
      const sheet = join(this.opts.workDir, `${key}.spritesheet.jpg`);
      await this.ensure(sheet, (tmp) => this.ffmpeg(spritesheetArgs(video, geometry(spec).seconds, tmp)));
      return this.describe(sheet, 'image/jpeg');
    }
    const webp = await this.hasWebp();
    const thumb = join(this.opts.workDir, `${key}.thumbnail.${webp ? 'webp' : 'png'}`);
    await this.ensure(thumb, (tmp) => this.ffmpeg(thumbnailArgs(video, geometry(spec).seconds, webp, tmp)));
    return this.describe(thumb, webp ? 'image/webp' : 'image/png');
  }

  /** Starts rendering the video in the background so a download right after completion is fast. */
  prerender(spec: RenderSpec): void {
    this.asset(spec, 'video').catch(() => undefined); // a failure resurfaces on the real request
  }

  /** Stores bytes content-addressed under `workDir/uploads`; returns the path. */
  async storeFile(data: Buffer, ext: string): Promise<string> {
    const path = join(this.opts.workDir, 'uploads', `${createHash('sha256').update(data).digest('hex').slice(0, 32)}.${ext}`);
    await this.ensure(path, (tmp) => writeFile(tmp, data));
    return path;
  }

  async probe(path: string): Promise<ProbeInfo> {
    const { stdout } = await run(FFPROBE, ['-v', 'error', '-of', 'json', '-show_streams', '-show_format', path], {
      signal: this.abort.signal,
      maxBuffer: 8 << 20,
    });
    const p = JSON.parse(stdout) as {
      streams?: { codec_type?: string; width?: number; height?: number }[];
      format?: { duration?: string };
    };
    const v = p.streams?.find((s) => s.codec_type === 'video');
    if (!v?.width || !v.height) throw new Error(`${path}: no video stream`);
    return {
      width: v.width,
      height: v.height,
      durationS: Number(p.format?.duration ?? 0),
      hasAudio: !!p.streams?.some((s) => s.codec_type === 'audio'),
    };
  }

  /** Kills running ffmpeg processes; later calls fail. */
  close(): void {
    this.abort.abort();
  }

  private async describe(path: string, contentType: string): Promise<Asset> {
    return { path, contentType, size: (await stat(path)).size };
  }

  /** Produces `path` once: concurrent callers share the work; an existing file is reused. */
  private ensure(path: string, produce: (tmp: string) => Promise<unknown>): Promise<void> {
    const pending = this.inflight.get(path);
    if (pending) return pending;
    const work = (async () => {
      if (await exists(path)) return;
      await mkdir(dirname(path), { recursive: true });
      const tmp = join(dirname(path), `.tmp-${randomBytes(6).toString('hex')}-${basename(path)}`);
      try {
        await produce(tmp);
        await rename(tmp, path);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    })().finally(() => this.inflight.delete(path));
    this.inflight.set(path, work);
    return work;
  }

  private async renderVideo(spec: RenderSpec, out: string): Promise<void> {
    switch (spec.kind) {
      case 'generate':
        return this.ffmpeg(generateArgs(spec, out));
      case 'upload':
        return this.ffmpeg(normaliseArgs(spec, out));
      case 'edit': {
        const base = await this.asset(spec.base, 'video');
        return this.ffmpeg(editArgs(base.path, promptLook(spec.prompt).hueShiftDeg, out));
      }
      case 'extend': {
        const g = geometry(spec.base);
        const segmentSpec: RenderSpec = {
          kind: 'generate',
          prompt: spec.prompt,
          width: g.width,
          height: g.height,
          seconds: spec.seconds,
          fps: g.fps,
          ...(g.audio ? {} : { audio: false }),
        };
        const [base, segment] = await Promise.all([this.asset(spec.base, 'video'), this.asset(segmentSpec, 'video')]);
        return this.ffmpeg(concatArgs(base.path, g.seconds, segment.path, spec.seconds, g.fps, g.audio, out));
      }
    }
  }

  private async ffmpeg(args: string[]): Promise<void> {
    await this.slots.use(async () => {
      try {
        await run(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { signal: this.abort.signal, maxBuffer: 8 << 20 });
      } catch (err) {
        const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
        throw new Error(`ffmpeg failed: ${stderr.split('\n').slice(-3).join(' | ') || (err as Error).message}`, { cause: err });
      }
    });
  }

  private hasWebp(): Promise<boolean> {
    this.webpSupport ??= run(FFMPEG, ['-hide_banner', '-encoders'], { maxBuffer: 8 << 20 }).then(
      ({ stdout }) => /\blibwebp\b/.test(stdout),
      () => false,
    );
    return this.webpSupport;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function generateArgs(spec: Extract<RenderSpec, { kind: 'generate' }>, out: string): string[] {
  const { width: w, height: h, seconds: s, fps } = spec;
  const audio = spec.audio ?? true;
  const look = promptLook(spec.prompt);
  const square = Math.max(2, Math.round(Math.min(w, h) / 6 / 2) * 2);
  const inputs = [
    ['-f', 'lavfi', '-i', `color=c=${look.background}:s=${w}x${h}:r=${fps}:d=${s}`],
    ['-f', 'lavfi', '-i', `color=c=${look.square}:s=${square}x${square}:r=${fps}:d=${s}`],
  ];
  if (audio) inputs.push(['-f', 'lavfi', '-i', `sine=frequency=${look.toneHz}:sample_rate=48000:duration=${s}`]);
  const moving = `[0:v][1:v]overlay=x='(W-w)*t/${s}':y='(H-h)/2':eval=frame[base]`;
  let picture = `${moving};[base]format=yuv420p[v]`;
  if (spec.reference) {
    const ref = inputs.length;
    inputs.push(
      spec.reference.kind === 'image'
        ? ['-loop', '1', '-framerate', String(fps), '-t', '1', '-i', spec.reference.path]
        : ['-t', '1', '-i', spec.reference.path],
    );
    const fadeOut = `[${ref}:v]fps=${fps},scale=${w}:${h},format=yuva420p,fade=t=out:st=0:d=1:alpha=1,setpts=PTS-STARTPTS[ref]`;
    picture = `${moving};${fadeOut};[base][ref]overlay=eof_action=pass,format=yuv420p[v]`;
  }
  return [
    ...inputs.flat(),
    '-filter_complex',
    audio ? `${picture};[2:a]${STEREO}[a]` : picture,
    '-map',
    '[v]',
    ...(audio ? ['-map', '[a]'] : []),
    ...X264,
    '-r',
    String(fps),
    '-g',
    String(fps),
    ...(audio ? AAC : []),
    '-t',
    String(s),
    '-movflags',
    '+faststart',
    out,
  ];
}

function normaliseArgs(spec: Extract<RenderSpec, { kind: 'upload' }>, out: string): string[] {
  const silence = spec.hasAudio ? [] : ['-f', 'lavfi', '-i', `anullsrc=r=48000:cl=stereo`];
  return [
    '-i',
    spec.path,
    ...silence,
    '-map',
    '0:v:0',
    '-map',
    spec.hasAudio ? '0:a:0' : '1:a:0',
    '-vf',
    `fps=${spec.fps},format=yuv420p`,
    '-af',
    STEREO,
    ...X264,
    '-g',
    String(spec.fps),
    ...AAC,
    '-t',
    String(spec.seconds),
    '-movflags',
    '+faststart',
    out,
  ];
}

function editArgs(base: string, hueShiftDeg: number, out: string): string[] {
  return ['-i', base, '-vf', `hue=h=${hueShiftDeg}`, ...X264, '-c:a', 'copy', '-movflags', '+faststart', out];
}

/** Source trimmed to exactly `baseS` seconds, then the segment trimmed to `segmentS`, re-encoded as one clip. */
function concatArgs(base: string, baseS: number, segment: string, segmentS: number, fps: number, audio: boolean, out: string): string[] {
  const part = (i: number, s: number) =>
    `[${i}:v]trim=end=${s},setpts=PTS-STARTPTS,setsar=1[v${i}]` +
    (audio ? `;[${i}:a]atrim=end=${s},asetpts=PTS-STARTPTS,${STEREO}[a${i}]` : '');
  const joined = audio ? '[v0][a0][v1][a1]concat=n=2:v=1:a=1[v][a]' : '[v0][v1]concat=n=2:v=1:a=0[v]';
  return [
    '-i',
    base,
    '-i',
    segment,
    '-filter_complex',
    `${part(0, baseS)};${part(1, segmentS)};${joined}`,
    '-map',
    '[v]',
    ...(audio ? ['-map', '[a]'] : []),
    ...X264,
    '-r',
    String(fps),
    '-g',
    String(fps),
    ...(audio ? AAC : []),
    '-movflags',
    '+faststart',
    out,
  ];
}

function thumbnailArgs(video: string, seconds: number, webp: boolean, out: string): string[] {
  const codec = webp ? ['-c:v', 'libwebp', '-quality', '80'] : ['-c:v', 'png', '-update', '1'];
  return ['-ss', (seconds / 2).toFixed(3), '-i', video, '-frames:v', '1', ...codec, out];
}

function spritesheetArgs(video: string, seconds: number, out: string): string[] {
  return ['-i', video, '-vf', `fps=8/${seconds},scale=trunc(iw/8)*2:-2,tile=4x2`, '-frames:v', '1', '-q:v', '4', '-update', '1', out];
}
