/**
 * What storyreel needs from ffmpeg, checked truthfully at start-up (the worker, `storyreel setup`): the version, and
 * every filter, encoder, decoder, muxer, demuxer and protocol the code uses, read from the binary itself
 * (`-filters`, `-encoders`, …), not assumed from a version number. The lists below are the code's own: a test builds
 * every filter graph the media room writes and fails when one names a filter missing here.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** -fps_mode (stills, contact sheet) arrived in 5.1; transitions and their frame counts were measured on 5.1. */
export const MIN_VERSION = [5, 1] as const;

type Kind = 'filter' | 'encoder' | 'decoder' | 'muxer' | 'demuxer' | 'protocol';

/** Where each component is used, and what to install when a build lacks it. */
export const REQUIRED: Record<Kind, Record<string, string>> = {
  filter: {
    // conforming and joining pictures (graphs.ts, transitions, normalization, stills)
    scale: 'graphs',
    setsar: 'graphs',
    pad: 'graphs',
    crop: 'graphs',
    fps: 'graphs',
    format: 'graphs',
    tpad: 'graphs',
    trim: 'graphs',
    settb: 'graphs',
    setpts: 'graphs',
    split: 'graphs',
    concat: 'graphs',
    null: 'graphs',
    xfade: 'transitions',
    tile: 'contact sheet',
    // audio (exact lengths, narration, soundtrack, ducking, loudness)
    aresample: 'audio',
    aformat: 'audio',
    anullsrc: 'audio',
    atrim: 'audio',
    apad: 'audio',
    asetpts: 'audio',
    afade: 'audio',
    asplit: 'audio',
    amix: 'audio',
    anull: 'audio',
    volume: 'audio',
    sidechaincompress: 'soundtrack ducking',
    adelay: 'speech tracks (lines placed in a scene)',
    ebur128: 'loudness measurement',
    ametadata: 'loudness measurement',
    alimiter: 'loudness limiting',
    // burned captions (libass) and the local provider's cards (libfreetype)
    subtitles: 'burned captions; needs an ffmpeg built with libass (--enable-libass)',
    drawtext: 'local provider cards; needs an ffmpeg built with libfreetype (--enable-libfreetype)',
    color: 'local provider cards',
    sine: 'local provider cards',
    overlay: 'local provider cards',
    fade: 'local provider cards',
    // verification
    blackdetect: 'verification',
    freezedetect: 'verification',
    silencedetect: 'verification',
    metadata: 'verification',
  },
  encoder: {
    libx264: 'the house video encode; needs an ffmpeg built with --enable-gpl --enable-libx264',
    aac: 'the house audio encode',
    mov_text: 'the caption track',
    mjpeg: 'poster and contact sheet',
    png: 'continuity stills',
    pcm_s16le: 'speech (lines and scene speech tracks in WAV)',
  },
  decoder: { h264: 'clips', aac: 'clips', png: 'images', mjpeg: 'images', webp: 'images', mp3: 'ElevenLabs speech' },
  muxer: { mp4: 'clips and the final video', null: 'measurement and verification passes', image2: 'stills', wav: 'speech' },
  demuxer: {
    mov: 'clips',
    concat: 'joining clips (ffconcat lists)',
    lavfi: 'generated sources; part of libavdevice',
    ffmetadata: 'chapters and title',
    srt: 'the caption track',
    image2: 'images',
    wav: 'speech (espeak-ng, OpenAI-compatible servers)',
  },
  protocol: { file: 'every input (the only protocol inputs may use)', pipe: 'progress reports (-progress pipe:2)' },
};

export interface FfmpegCheck {
  ok: boolean;
  /** ffmpeg's first `-version` line, e.g. "ffmpeg version 5.1.9-0+deb12u1 …"; empty when ffmpeg did not run. */
  version: string;
  ffmpeg: string;
  ffprobe: string;
  /** What is missing, one line each: "filter sidechaincompress (soundtrack ducking)". */
  missing: string[];
  /** One paragraph for a person: what is missing and how to get it; "" when ok. */
  message: string;
}

const HOW_TO_GET =
  'Install ffmpeg 5.1 or newer with these components (Debian 12 / Ubuntu 23.04 or newer: `apt-get install ffmpeg`; ' +
  'macOS: `brew install ffmpeg`; elsewhere a full static build from https://ffmpeg.org/download.html), or point ' +
  'FFMPEG_PATH and FFPROBE_PATH at one.';

/** Names listed by `ffmpeg -filters | -encoders | -decoders | -muxers | -demuxers`. Pure. */
export function parseComponentList(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const tokens = line.trim().split(/\s+/);
    // Leading flag columns ("T.C", "V....D", "DE", and "d" for a device in newer builds), then the name.
    while (tokens.length > 1 && (/^[A-Z.|]{1,6}$/.test(tokens[0]!) || tokens[0] === 'd')) tokens.shift();
    const name = tokens[0];
    if (name && /^[a-z0-9_,]+$/.test(name)) for (const n of name.split(',')) names.add(n);
  }
  return names;
}

/** Input and output protocols from `ffmpeg -protocols`. Pure. */
export function parseProtocols(text: string): { input: Set<string>; output: Set<string> } {
  const out = { input: new Set<string>(), output: new Set<string>() };
  let section: Set<string> | undefined;
  for (const line of text.split('\n')) {
    if (/^\s*Input:/.test(line)) section = out.input;
    else if (/^\s*Output:/.test(line)) section = out.output;
    else if (section && line.trim()) section.add(line.trim());
  }
  return out;
}

/** [major, minor] from the `-version` line; undefined for git builds ("N-112345-g…"). Pure. */
export function parseVersion(line: string): [number, number] | undefined {
  const m = /version n?(\d+)\.(\d+)/.exec(line);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * Runs ffmpeg and ffprobe (FFMPEG_PATH / FFPROBE_PATH, else `ffmpeg` / `ffprobe` on PATH, both from `env`) and
 * compares what they offer with REQUIRED. Never throws; `requireFfmpeg` turns a failed check into an error.
 */
export async function checkFfmpeg(opts: { env?: NodeJS.ProcessEnv } = {}): Promise<FfmpegCheck> {
  const env = opts.env ?? process.env;
  const ffmpeg = env.FFMPEG_PATH || 'ffmpeg';
  const ffprobe = env.FFPROBE_PATH || 'ffprobe';
  const tool = async (bin: string, args: string[]) =>
    (await run(bin, ['-hide_banner', ...args], { env, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' })).stdout;
  const base = { ffmpeg, ffprobe };
  let version = '';
  try {
    version = (await tool(ffmpeg, ['-version'])).split('\n')[0] ?? '';
  } catch {
    const message = `ffmpeg was not found or does not run (${ffmpeg}). ${HOW_TO_GET}`;
    return { ...base, ok: false, version, missing: ['ffmpeg'], message };
  }
  const missing: string[] = [];
  try {
    await tool(ffprobe, ['-version']);
  } catch {
    missing.push(`ffprobe (${ffprobe} was not found or does not run; it ships with ffmpeg)`);
  }
  const parsed = parseVersion(version);
  const [major, minor] = MIN_VERSION;
  if (parsed && (parsed[0] < major || (parsed[0] === major && parsed[1] < minor))) {
    missing.push(`ffmpeg ${major}.${minor} or newer (found ${parsed.join('.')}; -fps_mode and the measured transition behaviour need it)`);
  } else if (!parsed && !(await tool(ffmpeg, ['-h', 'long'])).includes('-fps_mode')) {
    missing.push('the -fps_mode option (ffmpeg 5.1 or newer)');
  }
  const [filters, encoders, decoders, muxers, demuxers, protocols] = await Promise.all([
    tool(ffmpeg, ['-filters']).then(parseComponentList),
    tool(ffmpeg, ['-encoders']).then(parseComponentList),
    tool(ffmpeg, ['-decoders']).then(parseComponentList),
    tool(ffmpeg, ['-muxers']).then(parseComponentList),
    tool(ffmpeg, ['-demuxers']).then(parseComponentList),
    tool(ffmpeg, ['-protocols']).then(parseProtocols),
  ]);
  const have: Record<Kind, Set<string>> = {
    filter: filters,
    encoder: encoders,
    decoder: decoders,
    muxer: muxers,
    demuxer: demuxers,
    protocol: new Set([...protocols.input].filter((p) => p !== 'pipe' || protocols.output.has('pipe'))),
  };
  for (const kind of Object.keys(REQUIRED) as Kind[]) {
    for (const [name, why] of Object.entries(REQUIRED[kind])) if (!have[kind].has(name)) missing.push(`${kind} ${name} (${why})`);
  }
  if (missing.length === 0) return { ...base, ok: true, version, missing, message: '' };
  const message = `${version || ffmpeg} lacks what storyreel needs: ${missing.join('; ')}. ${HOW_TO_GET}`;
  return { ...base, ok: false, version, missing, message };
}

/** ffmpeg lacks something storyreel needs; `message` says what and how to get it. */
export class FfmpegRequirementError extends Error {
  override readonly name = 'FfmpegRequirementError';
  constructor(readonly check: FfmpegCheck) {
    super(check.message);
  }
}

const checked = new Map<string, Promise<FfmpegCheck>>();

/** checkFfmpeg once per process (per binary), throwing FfmpegRequirementError when something is missing. */
export async function requireFfmpeg(opts: { env?: NodeJS.ProcessEnv } = {}): Promise<FfmpegCheck> {
  const env = opts.env ?? process.env;
  const key = `${env.FFMPEG_PATH || 'ffmpeg'}|${env.FFPROBE_PATH || 'ffprobe'}|${env.PATH ?? ''}`;
  let pending = checked.get(key);
  if (!pending) {
    pending = checkFfmpeg({ env });
    checked.set(key, pending);
  }
  const check = await pending;
  if (!check.ok) {
    checked.delete(key);
    throw new FfmpegRequirementError(check);
  }
  return check;
}
