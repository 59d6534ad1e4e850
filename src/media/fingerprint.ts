/**
 * Clip fingerprints: what must be identical across clips for the final video to stream-copy them.
 * Pure functions over ffprobe output.
 */
import { audioStream, rate, videoStream, type ProbeResult } from './probe.js';

export interface HouseFormat {
  width: number;
  height: number;
  fps: number;
  sampleRate: number;
  channels: number;
}

export interface ClipFacts {
  width: number;
  height: number;
  fps: number;
  frames: number;
  /** frames / fps: the exact video duration */
  videoSeconds: number;
  codec: string;
  pixFmt: string;
  sar: string;
  /** MP4 track id of the video stream, e.g. "0x1". */
  videoStreamId: string;
  hasAudio: boolean;
  audioRate: number;
  audioChannels: number;
  audioSeconds: number;
  /**
   * Where the first video frame sits on the file's timeline (seconds after its earliest stream start; 0 unless the
   * audio starts before the picture). ffmpeg counts every input's timestamps from that earliest start.
   */
  videoOffsetS: number;
  /** Everything the concat demuxer needs identical, extradata (SPS/PPS) included. */
  videoFingerprint: string;
}

export function clipFacts(p: ProbeResult): ClipFacts {
  const v = videoStream(p);
  if (!v) throw new Error('no video stream');
  const a = audioStream(p);
  const fps = rate(v.avg_frame_rate) || rate(v.r_frame_rate);
  const duration = Number(v.duration ?? p.format?.duration ?? 0);
  // Counted frames or packets when the probe counted them (they expose truncation); else the container's count.
  const frames = Number(v.nb_read_frames ?? v.nb_read_packets ?? v.nb_frames ?? Math.round(duration * fps));
  const sar = v.sample_aspect_ratio && v.sample_aspect_ratio !== '0:1' ? v.sample_aspect_ratio : '1:1';
  const starts = p.streams.map((s) => Number(s.start_time)).filter(Number.isFinite);
  const fileStart = Number(p.format?.start_time ?? (starts.length ? Math.min(...starts) : 0));
  const videoStart = Number(v.start_time ?? fileStart);
  return {
    width: v.width ?? 0,
    height: v.height ?? 0,
    fps,
    frames,
    videoSeconds: fps ? frames / fps : duration,
    codec: v.codec_name ?? '',
    pixFmt: v.pix_fmt ?? '',
    sar,
    videoStreamId: v.id ?? '0x1',
    hasAudio: !!a,
    audioRate: Number(a?.sample_rate ?? 0),
    audioChannels: a?.channels ?? 0,
    audioSeconds: Number(a?.duration ?? 0),
    videoOffsetS: Number.isFinite(videoStart - fileStart) ? Math.max(0, videoStart - fileStart) : 0,
    videoFingerprint: [
      v.codec_name,
      v.profile,
      v.level,
      v.pix_fmt,
      `${v.width}x${v.height}`,
      v.r_frame_rate,
      v.time_base,
      sar,
      v.id,
      v.extradata_hash,
    ].join('|'),
  };
}

/** Why a clip cannot be stream-copied into this house format (empty: it can). */
export function houseMismatches(c: ClipFacts, house: HouseFormat): string[] {
  const out: string[] = [];
  if (c.codec !== 'h264') out.push(`codec ${c.codec}`);
  if (c.pixFmt !== 'yuv420p') out.push(`pixel format ${c.pixFmt}`);
  if (c.width !== house.width || c.height !== house.height) out.push(`size ${c.width}x${c.height}`);
  if (Math.abs(c.fps - house.fps) > 1e-3) out.push(`${c.fps.toFixed(3)} fps`);
  if (c.sar !== '1:1') out.push(`SAR ${c.sar}`);
  if (c.videoStreamId !== '0x1') out.push(`video track id ${c.videoStreamId}`);
  return out;
}
