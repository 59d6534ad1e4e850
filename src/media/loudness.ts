/**
 * EBU R128 loudness normalization in two passes: measure the finished mix (ffmpeg's ebur128 meter, true peak on),
 * then apply ONE gain so its integrated loudness lands on the target.
 *
 * Why not ffmpeg's loudnorm: its measurement is printed only to the log (the runner keeps no log on success), it
 * resamples to 192 kHz, and when its linear mode cannot be used it falls back to dynamic compression with a 3 s
 * look-ahead. A plain gain keeps the mix's dynamics and its sample-exact timing. When that gain would push the true
 * peak over the ceiling, a delay-compensated limiter catches the peaks (mode 'limited'); loudness range is measured
 * and reported, never compressed.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { LoudnessApply } from './graphs.js';

export interface LoudnessTarget {
  /** Integrated loudness target, LUFS. */
  targetLufs: number;
  /** True-peak ceiling, dBTP. */
  truePeakDb: number;
  /** Loudness range target, LU (reported against, not enforced). */
  loudnessRange: number;
}

export interface LoudnessMeasurement {
  integratedLufs: number;
  truePeakDb: number;
  /** Loudness range, LU. */
  lraLu: number;
}

export interface LoudnessReport extends LoudnessMeasurement {
  targetLufs: number;
  /** Gain applied to the whole mix, dB. */
  gainDb: number;
  /** none: silent mix, nothing to normalize; linear: gain only; limited: gain + peak limiter. */
  mode: 'none' | 'linear' | 'limited';
}

/** Below this the meter reports silence (its gate floor is −70 LUFS). */
const SILENT_LUFS = -69.9;

/** dB from a linear amplitude; floors at −144 dB so reports stay finite JSON. */
export const toDb = (linear: number) => (linear > 0 ? Math.max(-144, 20 * Math.log10(linear)) : -144);

/** Incremental reader of `ametadata=mode=print` output of `ebur128=metadata=1:peak=true` (last frame wins). */
function meterReader() {
  let i: number | undefined;
  let lra = 0;
  let peak = 0;
  return {
    feed(line: string) {
      const m = /^lavfi\.r128\.(I|LRA|true_peak)=(\S+)/.exec(line);
      if (!m) return;
      const v = Number(m[2]);
      if (m[1] === 'I') i = Number.isFinite(v) ? v : -70;
      else if (m[1] === 'LRA') lra = Number.isFinite(v) ? v : 0;
      else if (Number.isFinite(v)) peak = Math.max(peak, v);
    },
    result(): LoudnessMeasurement | undefined {
      return i === undefined ? undefined : { integratedLufs: i, truePeakDb: toDb(peak), lraLu: lra };
    },
  };
}

/** Final values from the meter's metadata lines. Pure. */
export function parseMeterLines(lines: Iterable<string>): LoudnessMeasurement | undefined {
  const r = meterReader();
  for (const line of lines) r.feed(line);
  return r.result();
}

/** Streams the meter's metadata file (about 10 lines per 100 ms of audio), keeping only the final values. */
export async function readMeterFile(path: string): Promise<LoudnessMeasurement | undefined> {
  const r = meterReader();
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) r.feed(line);
  return r.result();
}

/** Decides the gain (and whether peaks need limiting) for a measured mix. Pure. */
export function planLoudness(measured: LoudnessMeasurement, target: LoudnessTarget): { apply?: LoudnessApply; report: LoudnessReport } {
  const base = { ...measured, targetLufs: target.targetLufs };
  if (measured.integratedLufs <= SILENT_LUFS) return { report: { ...base, gainDb: 0, mode: 'none' } };
  const gainDb = Math.round((target.targetLufs - measured.integratedLufs) * 100) / 100;
  if (measured.truePeakDb + gainDb <= target.truePeakDb) {
    return { apply: { mode: 'linear', gainDb }, report: { ...base, gainDb, mode: 'linear' } };
  }
  // The limiter works on sample peaks; half a dB of headroom covers the inter-sample overshoot.
  const limitLinear = Math.max(0.0625, 10 ** ((target.truePeakDb - 0.5) / 20));
  return { apply: { mode: 'limited', gainDb, limitLinear }, report: { ...base, gainDb, mode: 'limited' } };
}
