/**
 * Verification of a final video before a production is called done: streams, size, frame count and duration
 * against the plan, an audio packet check (the container check alone misses copy drift), moov before mdat, and
 * one full decode pass that fails on corruption and reports black, frozen or silent stretches.
 */
import { open } from 'node:fs/promises';
import { FFMPEG, audioStream, probe, rate, videoStream } from './probe.js';
import { spawn } from 'node:child_process';

export interface Expectation {
  width: number;
  height: number;
  fps: number;
  frames: number;
  /** Scene boundaries (seconds) and transition windows, to tell joins from content. */
  boundaries: { atS: number; transitionS: number }[];
  chapters?: number;
}

export interface DetectedEvent {
  kind: 'black' | 'freeze' | 'silence';
  startS: number;
  endS?: number;
  /** True when the stretch touches a scene boundary outside a transition window. */
  atJoin: boolean;
}

export interface Verification {
  ok: boolean;
  problems: string[];
  warnings: string[];
  video: { codec: string; width: number; height: number; fps: number; frames: number; durationS: number };
  audio: { codec: string; sampleRate: number; channels: number; durationS: number; packets: number } | null;
  chapters: number;
  faststart: boolean;
  events: DetectedEvent[];
  decodeErrors: string[];
}

/** Top-level MP4 atom order; faststart means moov comes before mdat. */
export async function topLevelAtoms(path: string): Promise<string[]> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const atoms: string[] = [];
    const head = Buffer.alloc(16);
    for (let pos = 0; pos < size && atoms.length < 64; ) {
      const { bytesRead } = await fh.read(head, 0, 16, pos);
      if (bytesRead < 8) break;
      let len = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      if (len === 1) len = Number(head.readBigUInt64BE(8));
      else if (len === 0) len = size - pos;
      if (len < 8) break;
      atoms.push(type);
      pos += len;
    }
    return atoms;
  } finally {
    await fh.close();
  }
}

/** Parses blackdetect/freezedetect/silencedetect lines from a decode pass. Pure. */
export function parseDetections(stderr: string): Omit<DetectedEvent, 'atJoin'>[] {
  const events: Omit<DetectedEvent, 'atJoin'>[] = [];
  for (const m of stderr.matchAll(/black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)/g)) {
    events.push({ kind: 'black', startS: Number(m[1]), endS: Number(m[2]) });
  }
  const pair = (startKey: string, endKey: string, kind: 'freeze' | 'silence') => {
    const starts = [...stderr.matchAll(new RegExp(`${startKey}:\\s*([\\d.]+)`, 'g'))].map((m) => Number(m[1]));
    const ends = [...stderr.matchAll(new RegExp(`${endKey}:\\s*([\\d.]+)`, 'g'))].map((m) => Number(m[1]));
    starts.forEach((s, i) => events.push({ kind, startS: s, ...(ends[i] !== undefined ? { endS: ends[i] } : {}) }));
  };
  pair('freeze_start', 'freeze_end', 'freeze');
  pair('silence_start', 'silence_end', 'silence');
  return events.sort((a, b) => a.startS - b.startS);
}

/** Marks events that touch a boundary outside its transition window. Pure. */
export function classifyEvents(events: Omit<DetectedEvent, 'atJoin'>[], exp: Expectation, totalS: number): DetectedEvent[] {
  const frame = 1 / exp.fps;
  return events.map((e) => {
    const end = e.endS ?? totalS;
    const atJoin = exp.boundaries.some((b) => {
      const windowStart = b.atS - frame;
      const windowEnd = b.atS + b.transitionS + frame;
      const overlaps = e.startS <= b.atS + frame && end >= b.atS - frame;
      const insideTransition = b.transitionS > 0 && e.startS >= windowStart && end <= windowEnd;
      return overlaps && !insideTransition;
    });
    return { ...e, atJoin };
  });
}

function decodePass(path: string, signal?: AbortSignal): Promise<{ stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      FFMPEG,
      ['-hide_banner', '-nostdin', '-nostats', '-v', 'info', '-i', path, '-map', '0:v:0', '-map', '0:a:0?',
        '-vf', 'blackdetect=d=0.3:pix_th=0.10,freezedetect=n=-60dB:d=1.5', '-af', 'silencedetect=n=-60dB:d=0.5', '-f', 'null', '-'],
      { stdio: ['ignore', 'ignore', 'pipe'], ...(signal ? { signal } : {}) },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 4_000_000) stderr = stderr.slice(-2_000_000);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ stderr, code }));
  });
}

export async function verifyVideo(path: string, exp: Expectation, signal?: AbortSignal): Promise<Verification> {
  const problems: string[] = [];
  const warnings: string[] = [];
  // Packets, not decoded frames: the decode pass below already reads every frame once.
  const p = await probe(path, { countPackets: true, ...(signal ? { signal } : {}) });
  const v = videoStream(p);
  const a = audioStream(p);
  const videoCount = p.streams.filter((s) => s.codec_type === 'video').length;
  const audioCount = p.streams.filter((s) => s.codec_type === 'audio').length;
  if (videoCount !== 1) problems.push(`expected 1 video stream, found ${videoCount}`);
  if (audioCount !== 1) problems.push(`expected 1 audio stream, found ${audioCount}`);
  const frames = Number(v?.nb_read_packets ?? 0);
  const fps = rate(v?.avg_frame_rate);
  const vDur = Number(v?.duration ?? 0);
  if (v) {
    if (v.codec_name !== 'h264') problems.push(`video codec ${v.codec_name}, expected h264`);
    if (v.width !== exp.width || v.height !== exp.height) problems.push(`size ${v.width}x${v.height}, expected ${exp.width}x${exp.height}`);
    if (Math.abs(fps - exp.fps) > 0.01) problems.push(`frame rate ${fps.toFixed(3)}, expected ${exp.fps}`);
    const tolerance = Math.max(1, exp.boundaries.length);
    if (Math.abs(frames - exp.frames) > tolerance) problems.push(`${frames} frames, expected ${exp.frames} (±${tolerance})`);
    else if (frames !== exp.frames) warnings.push(`${frames} frames, expected exactly ${exp.frames}`);
  }
  let audio: Verification['audio'] = null;
  if (a) {
    const sr = Number(a.sample_rate ?? 0);
    const packets = Number(a.nb_read_packets ?? 0);
    const aDur = Number(a.duration ?? 0);
    audio = { codec: a.codec_name ?? '', sampleRate: sr, channels: a.channels ?? 0, durationS: aDur, packets };
    if (a.codec_name !== 'aac') problems.push(`audio codec ${a.codec_name}, expected aac`);
    const aacFrame = 1024 / (sr || 48000);
    if (Math.abs(aDur - vDur) > aacFrame + 1 / exp.fps) problems.push(`audio is ${(aDur - vDur).toFixed(3)} s off the video length`);
    // Every AAC packet is 1024 samples: more packets than the duration accounts for means stacked priming (drift).
    if (sr && packets * aacFrame - aDur > 2 * aacFrame + 0.001) {
      problems.push(`audio holds ${(packets * aacFrame).toFixed(3)} s of packets for ${aDur.toFixed(3)} s: concatenation drift`);
    }
  }
  const chapters = p.chapters.length;
  if (exp.chapters !== undefined && chapters !== exp.chapters) problems.push(`${chapters} chapters, expected ${exp.chapters}`);
  const atoms = await topLevelAtoms(path);
  const faststart = atoms.indexOf('moov') >= 0 && atoms.indexOf('moov') < atoms.indexOf('mdat');
  if (!faststart) problems.push(`moov atom is not before mdat (${atoms.join(',')}); not web-ready`);

  const decode = await decodePass(path, signal);
  const decodeErrors = decode.stderr
    .split('\n')
    .filter((l) => /error|corrupt|invalid|non-existing|missing/i.test(l) && !/detect/.test(l))
    .slice(0, 20);
  if (decode.code !== 0) problems.push(`decoding failed (exit ${decode.code})`);
  if (decodeErrors.length) problems.push(`decoder reported ${decodeErrors.length} error line(s): ${decodeErrors[0]}`);
  const events = classifyEvents(parseDetections(decode.stderr), exp, vDur);
  for (const e of events.filter((x) => x.atJoin && x.kind !== 'silence')) {
    warnings.push(`unexpected ${e.kind} at a scene join: ${e.startS.toFixed(3)}–${(e.endS ?? vDur).toFixed(3)} s`);
  }
  return {
    ok: problems.length === 0,
    problems,
    warnings,
    video: { codec: v?.codec_name ?? '', width: v?.width ?? 0, height: v?.height ?? 0, fps, frames, durationS: vDur },
    audio,
    chapters,
    faststart,
    events,
    decodeErrors,
  };
}
