/**
 * Speech for the text-to-speech mocks: deterministic "speech" made in JS from the text (a tone per letter, silence
 * for spaces and longer silence for punctuation), with the exact time of every character, so a mock can return the
 * character alignment a real service computes and tests can check word timings against it. Encoded as WAV or raw
 * PCM here, and as MP3, Opus, AAC, FLAC, μ-law or A-law through ffmpeg (argument arrays, never a shell).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FFMPEG } from './media.js';

const run = promisify(execFile);

export interface SpokenAudio {
  sampleRate: number;
  /** Mono 16-bit samples. */
  samples: Int16Array;
  /** Per character of the text: when it starts and ends, seconds. */
  characters: string[];
  starts: number[];
  ends: number[];
  seconds: number;
}

/** Seconds per character at speed 1: letters sound, spaces and punctuation are pauses. */
const LETTER_S = 0.065;
const SPACE_S = 0.06;
const COMMA_S = 0.22;
const STOP_S = 0.38;

function charSeconds(ch: string): { seconds: number; voiced: boolean } {
  if (/[.!?…]/.test(ch)) return { seconds: STOP_S, voiced: false };
  if (/[,;:]/.test(ch)) return { seconds: COMMA_S, voiced: false };
  if (/\s/.test(ch)) return { seconds: SPACE_S, voiced: false };
  if (/[\p{L}\p{N}]/u.test(ch)) return { seconds: LETTER_S, voiced: true };
  return { seconds: 0.02, voiced: false };
}

/** The audio for `text` at `speed` (1 = normal), `sampleRate` Hz. Same input, same samples. */
export function speak(text: string, opts: { speed?: number; sampleRate?: number } = {}): SpokenAudio {
  const rate = opts.sampleRate ?? 24_000;
  const speed = opts.speed ?? 1;
  const characters = [...text];
  const starts: number[] = [];
  const ends: number[] = [];
  const chunks: Int16Array[] = [];
  let at = 0;
  let phase = 0;
  for (const ch of characters) {
    const { seconds, voiced } = charSeconds(ch);
    const n = Math.round((seconds / speed) * rate);
    const chunk = new Int16Array(n);
    if (voiced) {
      const freq = 180 + ((ch.codePointAt(0) ?? 0) % 12) * 15;
      for (let i = 0; i < n; i++) {
        // A short fade at each edge keeps letters from clicking.
        const edge = Math.min(1, i / 48, (n - i) / 48);
        chunk[i] = Math.round(Math.sin(phase) * 9000 * edge);
        phase += (2 * Math.PI * freq) / rate;
      }
    }
    chunks.push(chunk);
    starts.push(round3(at));
    at += n / rate;
    ends.push(round3(at));
  }
  const samples = new Int16Array(chunks.reduce((t, c) => t + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    samples.set(c, offset);
    offset += c.length;
  }
  return { sampleRate: rate, samples, characters, starts, ends, seconds: round3(at) };
}

/** Little-endian 16-bit PCM, no header. */
export function pcmBytes(audio: SpokenAudio): Buffer {
  return Buffer.from(audio.samples.buffer, audio.samples.byteOffset, audio.samples.byteLength);
}

/** A canonical 44-byte-header PCM WAV. */
export function wavBytes(audio: SpokenAudio): Buffer {
  const data = pcmBytes(audio);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(audio.sampleRate, 24);
  h.writeUInt32LE(audio.sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** ffmpeg output arguments per compressed codec. */
const ENCODERS: Record<string, string[]> = {
  mp3: ['-c:a', 'libmp3lame', '-f', 'mp3'],
  opus: ['-c:a', 'libopus', '-f', 'ogg'],
  aac: ['-c:a', 'aac', '-f', 'adts'],
  flac: ['-c:a', 'flac', '-f', 'flac'],
  ulaw: ['-c:a', 'pcm_mulaw', '-f', 'mulaw'],
  alaw: ['-c:a', 'pcm_alaw', '-f', 'alaw'],
};

/**
 * The audio in `codec` (wav, pcm, or one of ENCODERS) at `sampleRate` and `bitrateKbps` when the codec has one.
 * Compressed codecs go through ffmpeg in a temp dir.
 */
export async function encodeSpeech(
  audio: SpokenAudio,
  codec: string,
  opts: { sampleRate?: number; bitrateKbps?: number } = {},
): Promise<Buffer> {
  const rate = opts.sampleRate ?? audio.sampleRate;
  if ((codec === 'wav' || codec === 'pcm') && rate === audio.sampleRate) return codec === 'wav' ? wavBytes(audio) : pcmBytes(audio);
  const dir = await mkdtemp(join(tmpdir(), 'mock-speech-'));
  try {
    const input = join(dir, 'in.wav');
    const output = join(dir, 'out');
    await writeFile(input, wavBytes(audio));
    const args =
      codec === 'wav'
        ? ['-c:a', 'pcm_s16le', '-f', 'wav']
        : codec === 'pcm'
          ? ['-c:a', 'pcm_s16le', '-f', 's16le']
          : [...(ENCODERS[codec] ?? []), ...(opts.bitrateKbps ? ['-b:a', `${opts.bitrateKbps}k`] : [])];
    if (!args.length) throw new Error(`no encoder for ${codec}`);
    await run(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-y', '-i', input, '-ar', String(rate), '-ac', '1', ...args, output]);
    return await readFile(output);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
