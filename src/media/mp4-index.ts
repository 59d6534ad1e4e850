/**
 * A minimal MP4/MOV index reader: just the boxes assembly needs to tell whether clips are byte-compatible for a
 * stream copy, read in-process from the `moov` box (a few KB), without starting ffprobe.
 *
 * Why: on this class of machine ffprobe costs ~40 ms of CPU per file just to start (it links ~200 libraries), so
 * probing 24 clips took about 1 s — more than half of the copy itself. When every clip carries the same video
 * sample description (codec configuration with SPS/PPS, size, pixel aspect), time scale, frame duration, track id,
 * orientation and edit-list start, ONE ffprobe of the first clip describes them all; only frame counts and audio
 * presence differ per clip, and those are read here. Anything unusual (no moov, several video tracks, variable
 * frame durations, a box this reader does not understand) returns undefined and the caller falls back to ffprobe.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export interface Mp4Track {
  id: number;
  /** hdlr type: 'vide', 'soun', 'sbtl', … */
  handler: string;
  /** Sample entry type: 'avc1', 'hvc1', 'mp4a', … */
  format: string;
  timescale: number;
  /** Media duration in timescale units (mdhd). */
  duration: number;
  /** Number of samples (video: frames). */
  samples: number;
  /** Distinct sample durations from stts (one value for constant frame rate). */
  sampleDeltas: number[];
  /** The sample description entry without its bitrate box (btrt differs per clip). */
  sampleEntry: Buffer;
  /** tkhd transformation matrix (rotation lives here). */
  matrix: Buffer;
  /** media_time of the first edit (−1: an empty edit, i.e. a delayed start); undefined without an edit list. */
  editStart?: number;
  /**
   * Where the edit list starts the media: each entry's media_time, with an empty edit's length (a delay); segment
   * lengths of media edits are left out (they follow the clip's length). '' without an edit list.
   */
  edits: string;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: number;
}

export interface Box {
  type: string;
  /** Payload start and end offsets in the buffer. */
  start: number;
  end: number;
}

/** The boxes between `start` and `end` of `buf` (payload offsets); stops at the first malformed header. */
export function* boxes(buf: Buffer, start: number, end: number): Generator<Box> {
  for (let pos = start; pos + 8 <= end;) {
    let size = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    let header = 8;
    if (size === 1) {
      if (pos + 16 > end) return;
      size = Number(buf.readBigUInt64BE(pos + 8));
      header = 16;
    } else if (size === 0) size = end - pos;
    if (size < header || pos + size > end) return;
    yield { type, start: pos + header, end: pos + size };
    pos += size;
  }
}

export const child = (buf: Buffer, parent: Box, type: string) => {
  for (const b of boxes(buf, parent.start, parent.end)) if (b.type === type) return b;
  return undefined;
};

export const path = (buf: Buffer, parent: Box, ...types: string[]) =>
  types.reduce<Box | undefined>((b, t) => (b ? child(buf, b, t) : undefined), parent);

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** Sample rate and channels from an esds descriptor chain's AudioSpecificConfig; {} when absent or unusual. */
function aacConfig(d: Buffer): { sampleRate?: number; channels?: number } {
  let pos = 0;
  const descriptor = () => {
    const tag = d[pos++];
    let len = 0;
    for (let k = 0; k < 4 && pos < d.length; k++) {
      const b = d[pos++]!;
      len = (len << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return { tag, len };
  };
  if (descriptor().tag !== 3) return {};
  // ES_ID(2), flags(1), then optional dependsOn_ES_ID(2), URL(1 + length), OCR_ES_Id(2).
  const flags = d[pos + 2] ?? 0;
  pos += 3;
  if (flags & 0x80) pos += 2;
  if (flags & 0x40) pos += 1 + (d[pos] ?? 0);
  if (flags & 0x20) pos += 2;
  if (descriptor().tag !== 4) return {};
  pos += 13;
  if (descriptor().tag !== 5 || pos + 2 > d.length) return {};
  const bits = d.readUInt16BE(pos);
  const rateIndex = (bits >> 7) & 0x0f;
  const channels = (bits >> 3) & 0x0f;
  return { ...(rateIndex < AAC_RATES.length ? { sampleRate: AAC_RATES[rateIndex] } : {}), ...(channels > 0 ? { channels } : {}) };
}

/** The start-defining part of an elst box (see Mp4Track.edits). */
function editStarts(buf: Buffer, elst: Box): string {
  const v1 = buf[elst.start] === 1;
  const size = v1 ? 20 : 12;
  const n = buf.readUInt32BE(elst.start + 4);
  const out: string[] = [];
  for (let k = 0, at = elst.start + 8; k < n && at + size <= elst.end; k++, at += size) {
    const duration = v1 ? Number(buf.readBigUInt64BE(at)) : buf.readUInt32BE(at);
    const mediaTime = v1 ? Number(buf.readBigInt64BE(at + 8)) : buf.readInt32BE(at + 4);
    out.push(mediaTime === -1 ? `empty ${duration}` : `${mediaTime}@${buf.readUInt32BE(at + (v1 ? 16 : 8))}`);
  }
  return out.join(',');
}

function parseTrak(buf: Buffer, trak: Box): Mp4Track | undefined {
  const tkhd = child(buf, trak, 'tkhd');
  const mdhd = path(buf, trak, 'mdia', 'mdhd');
  const hdlr = path(buf, trak, 'mdia', 'hdlr');
  const stbl = path(buf, trak, 'mdia', 'minf', 'stbl');
  const stsd = stbl && child(buf, stbl, 'stsd');
  const stts = stbl && child(buf, stbl, 'stts');
  const stsz = stbl && child(buf, stbl, 'stsz');
  if (!tkhd || !mdhd || !hdlr || !stsd || !stts || !stsz) return undefined;

  const tv = buf[tkhd.start]!;
  const id = buf.readUInt32BE(tkhd.start + (tv === 1 ? 20 : 12));
  const matrixAt = tkhd.start + (tv === 1 ? 52 : 40);
  const mv = buf[mdhd.start]!;
  const timescale = buf.readUInt32BE(mdhd.start + (mv === 1 ? 20 : 12));
  const duration = mv === 1 ? Number(buf.readBigUInt64BE(mdhd.start + 24)) : buf.readUInt32BE(mdhd.start + 16);
  const handler = buf.toString('latin1', hdlr.start + 8, hdlr.start + 12);

  const entry = boxes(buf, stsd.start + 8, stsd.end).next().value as Box | undefined;
  if (!entry || buf.readUInt32BE(stsd.start + 4) !== 1) return undefined;
  const format = buf.toString('latin1', entry.start - 4, entry.start);
  const track: Mp4Track = {
    id,
    handler,
    format,
    timescale,
    duration,
    samples: 0,
    sampleDeltas: [],
    sampleEntry: Buffer.alloc(0),
    matrix: buf.subarray(matrixAt, matrixAt + 36),
    edits: '',
  };
  let fixed = 0;
  if (handler === 'vide') {
    fixed = 78;
    track.width = buf.readUInt16BE(entry.start + 24);
    track.height = buf.readUInt16BE(entry.start + 26);
  } else if (handler === 'soun') {
    fixed = 28;
    track.channels = buf.readUInt16BE(entry.start + 16);
    track.sampleRate = buf.readUInt32BE(entry.start + 24) >>> 16;
  }
  const kept = [buf.subarray(entry.start - 8, entry.start + fixed)];
  if (fixed) {
    for (const b of boxes(buf, entry.start + fixed, entry.end)) {
      if (b.type !== 'btrt') kept.push(buf.subarray(b.start - 8, b.end));
      // MP4 writes 2 channels in the AAC sample entry whatever the stream holds; the decoder config has the truth.
      if (b.type === 'esds') Object.assign(track, aacConfig(buf.subarray(b.start + 4, b.end)));
    }
  }
  track.sampleEntry = Buffer.concat(kept);

  const deltas = new Set<number>();
  const n = buf.readUInt32BE(stts.start + 4);
  if (stts.start + 8 + n * 8 > stts.end) return undefined;
  let sttsSamples = 0;
  for (let k = 0; k < n; k++) {
    sttsSamples += buf.readUInt32BE(stts.start + 8 + k * 8);
    deltas.add(buf.readUInt32BE(stts.start + 12 + k * 8));
  }
  track.sampleDeltas = [...deltas];
  track.samples = buf.readUInt32BE(stsz.start + 8);
  if (track.samples !== sttsSamples) return undefined;

  const elst = path(buf, trak, 'edts', 'elst');
  if (elst) track.edits = editStarts(buf, elst);
  if (elst && buf.readUInt32BE(elst.start + 4) > 0) {
    const ev = buf[elst.start]!;
    track.editStart = ev === 1 ? Number(buf.readBigInt64BE(elst.start + 16)) : buf.readInt32BE(elst.start + 12);
  }
  return track;
}

/** Tracks of a `moov` box payload; undefined when it is not something this reader understands. Pure. */
export function parseMoov(moov: Buffer): Mp4Track[] | undefined {
  const tracks: Mp4Track[] = [];
  for (const b of boxes(moov, 0, moov.length)) {
    if (b.type !== 'trak') continue;
    const t = parseTrak(moov, b);
    if (!t) return undefined;
    tracks.push(t);
  }
  return tracks;
}

/** The payload of the top-level moov box (walking box headers, so it may sit before or after mdat). */
export async function readMoov(file: string, maxBytes = 64 * 1024 * 1024): Promise<Buffer | undefined> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(16);
    for (let pos = 0; pos + 8 <= size;) {
      const { bytesRead } = await fh.read(head, 0, 16, pos);
      if (bytesRead < 8) return undefined;
      let len = head.readUInt32BE(0);
      let header = 8;
      if (len === 1) {
        len = Number(head.readBigUInt64BE(8));
        header = 16;
      } else if (len === 0) len = size - pos;
      if (len < header || pos + len > size) return undefined;
      if (head.toString('latin1', 4, 8) === 'moov') {
        if (len - header > maxBytes) return undefined;
        const body = Buffer.alloc(len - header);
        await fh.read(body, 0, body.length, pos + header);
        return body;
      }
      pos += len;
    }
    return undefined;
  } finally {
    await fh.close();
  }
}

export interface QuickFacts {
  /** Equal for clips whose video a stream copy can join (see the module comment). */
  copyKey: string;
  /** Equal for clips whose audio starts at the same offset from the picture (audio format, time scale, edit list). */
  timingKey: string;
  frames: number;
  audio: { sampleRate: number; channels: number } | null;
}

/** Quick facts of one clip, or undefined when ffprobe is needed (not MP4, no single CFR video track, …). */
export async function quickFacts(file: string): Promise<QuickFacts | undefined> {
  const moov = await readMoov(file).catch(() => undefined);
  const tracks = moov && parseMoov(moov);
  if (!tracks) return undefined;
  const video = tracks.filter((t) => t.handler === 'vide');
  const audio = tracks.filter((t) => t.handler === 'soun');
  const v = video[0];
  if (video.length !== 1 || audio.length > 1 || !v || v.sampleDeltas.length !== 1 || v.samples === 0) return undefined;
  const copyKey = createHash('sha256')
    .update(v.sampleEntry)
    .update(v.matrix)
    .update(`|${v.id}|${v.timescale}|${v.sampleDeltas[0]}|${v.editStart ?? 'none'}`)
    .digest('hex');
  const a = audio[0];
  const timingKey = a ? `${a.format}|${a.timescale}|${a.edits}` : 'none';
  return { copyKey, timingKey, frames: v.samples, audio: a ? { sampleRate: a.sampleRate ?? 0, channels: a.channels ?? 0 } : null };
}
