/**
 * Every sample of an MP4 from its index (the `moov` box, read in-process): per track, how many samples there are
 * and how many lie wholly inside the file, and for the video track each frame's presentation time, duration and
 * keyframe flag. That is what a stream copy's join check needs (verify-joins.ts), at a few milliseconds instead of
 * an ffprobe that prints every packet. Anything this reader does not understand (no moov, fragments, an edit list
 * it cannot place) returns undefined and the caller asks ffprobe.
 */
import { open } from 'node:fs/promises';
import { boxes, child, path as boxPath, readMoov, type Box } from './mp4-index.js';
import type { PacketInfo } from './probe.js';

export interface TrackSamples {
  samples: number;
  /** Samples whose bytes lie wholly inside the file (fewer than `samples`: truncated). */
  readable: number;
}

export interface SampleIndex {
  /** The first video track: its counts and its readable frames as packets (streamIndex left 0 for the caller). */
  video: TrackSamples & { packets: PacketInfo[] };
  /** The first audio track, if any. */
  audio: TrackSamples | null;
}

/** Unsigned or signed 32-bit runs of (count, value) from stts/ctts. */
function runs(buf: Buffer, box: Box, signed: boolean): [number, number][] {
  const n = buf.readUInt32BE(box.start + 4);
  const out: [number, number][] = [];
  for (let k = 0, at = box.start + 8; k < n && at + 8 <= box.end; k++, at += 8) {
    out.push([buf.readUInt32BE(at), signed ? buf.readInt32BE(at + 4) : buf.readUInt32BE(at + 4)]);
  }
  return out;
}

/** 1-based numbers of the sync samples (keyframes) listed in stss. */
function syncSamples(buf: Buffer, stss: Box): Set<number> {
  const n = buf.readUInt32BE(stss.start + 4);
  const out = new Set<number>();
  for (let k = 0, at = stss.start + 8; k < n && at + 4 <= stss.end; k++, at += 4) out.add(buf.readUInt32BE(at));
  return out;
}

function expand(list: [number, number][], total: number): number[] {
  const out: number[] = [];
  for (const [count, value] of list) for (let i = 0; i < count && out.length < total; i++) out.push(value);
  while (out.length < total) out.push(0);
  return out;
}

/** Byte ranges (end offsets) of every sample, from stsz, stsc and stco/co64; undefined when a table is missing. */
function sampleEnds(buf: Buffer, stbl: Box, samples: number): number[] | undefined {
  const stsz = child(buf, stbl, 'stsz');
  const stsc = child(buf, stbl, 'stsc');
  const stco = child(buf, stbl, 'stco') ?? child(buf, stbl, 'co64');
  if (!stsz || !stsc || !stco) return undefined;
  const fixed = buf.readUInt32BE(stsz.start + 4);
  const size = (i: number) => (fixed ? fixed : buf.readUInt32BE(stsz.start + 12 + i * 4));
  const wide = buf.toString('latin1', stco.start - 4, stco.start) === 'co64';
  const chunks = buf.readUInt32BE(stco.start + 4);
  const offset = (c: number) => (wide ? Number(buf.readBigUInt64BE(stco.start + 8 + c * 8)) : buf.readUInt32BE(stco.start + 8 + c * 4));
  const entries = buf.readUInt32BE(stsc.start + 4);
  const perChunk = (c: number) => {
    let n = 0;
    for (let e = 0; e < entries; e++)
      if (buf.readUInt32BE(stsc.start + 8 + e * 12) - 1 <= c) n = buf.readUInt32BE(stsc.start + 12 + e * 12);
    return n;
  };
  const ends: number[] = [];
  for (let c = 0; c < chunks && ends.length < samples; c++) {
    let at = offset(c);
    for (let k = perChunk(c); k > 0 && ends.length < samples; k--) {
      at += size(ends.length);
      ends.push(at);
    }
  }
  return ends.length === samples ? ends : undefined;
}

/**
 * The first video and audio tracks' samples, and the video's frames as packets, or undefined (see the module
 * comment). Other tracks (captions, the chapter track ffmpeg hides) are not read.
 */
export async function readSamples(file: string): Promise<SampleIndex | undefined> {
  const moov = await readMoov(file).catch(() => undefined);
  if (!moov || [...boxes(moov, 0, moov.length)].some((b) => b.type === 'mvex')) return undefined;
  const whole = { type: 'moov', start: 0, end: moov.length };
  const mvhd = child(moov, whole, 'mvhd');
  if (!mvhd) return undefined;
  const movieScale = moov.readUInt32BE(mvhd.start + (moov[mvhd.start] === 1 ? 20 : 12));
  const fh = await open(file, 'r');
  const fileSize = (await fh.stat()).size;
  await fh.close();
  let video: SampleIndex['video'] | undefined;
  let audio: TrackSamples | null = null;
  for (const trak of boxes(moov, 0, moov.length)) {
    if (trak.type !== 'trak') continue;
    const hdlr = boxPath(moov, trak, 'mdia', 'hdlr');
    const handler = hdlr && moov.toString('latin1', hdlr.start + 8, hdlr.start + 12);
    if ((handler !== 'vide' || video) && (handler !== 'soun' || audio)) continue;
    const mdhd = boxPath(moov, trak, 'mdia', 'mdhd');
    const stbl = boxPath(moov, trak, 'mdia', 'minf', 'stbl');
    const stts = stbl && child(moov, stbl, 'stts');
    const stsz = stbl && child(moov, stbl, 'stsz');
    if (!mdhd || !stbl || !stts || !stsz) return undefined;
    const samples = moov.readUInt32BE(stsz.start + 8);
    const ends = sampleEnds(moov, stbl, samples);
    if (!ends) return undefined;
    const counts = { samples, readable: ends.filter((e) => e <= fileSize).length };
    if (handler === 'soun') audio = counts;
    else {
      const scale = moov.readUInt32BE(mdhd.start + (moov[mdhd.start] === 1 ? 20 : 12));
      const elst = boxPath(moov, trak, 'edts', 'elst');
      let emptyS = 0;
      let mediaStart = 0;
      if (elst) {
        const v1 = moov[elst.start] === 1;
        const n = moov.readUInt32BE(elst.start + 4);
        for (let k = 0, at = elst.start + 8; k < n; k++, at += v1 ? 20 : 12) {
          const duration = v1 ? Number(moov.readBigUInt64BE(at)) : moov.readUInt32BE(at);
          const mediaTime = v1 ? Number(moov.readBigInt64BE(at + 8)) : moov.readInt32BE(at + 4);
          if (mediaTime !== -1) {
            mediaStart = mediaTime;
            break;
          }
          emptyS += duration / movieScale;
        }
      }
      const deltas = expand(runs(moov, stts, false), samples);
      const ctts = child(moov, stbl, 'ctts');
      const offsets = ctts ? expand(runs(moov, ctts, moov[ctts.start] === 1), samples) : new Array<number>(samples).fill(0);
      const stss = child(moov, stbl, 'stss');
      const sync = stss ? syncSamples(moov, stss) : undefined;
      let dts = 0;
      const packets = deltas.slice(0, counts.readable).map((delta, i) => {
        const packet = {
          streamIndex: 0,
          ptsS: (dts + offsets[i]! - mediaStart) / scale + emptyS,
          durationS: delta / scale,
          keyframe: sync ? sync.has(i + 1) : true,
        };
        dts += delta;
        return packet;
      });
      video = { ...counts, packets };
    }
  }
  return video ? { video, audio } : undefined;
}
