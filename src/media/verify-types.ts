/** The plain-JSON shapes of verification (what is expected of a final video, and what was found). */
export interface Expectation {
  width: number;
  height: number;
  fps: number;
  frames: number;
  /** Scene boundaries after the first scene: where each next scene starts and its incoming transition (seconds). */
  boundaries: { atS: number; transitionS: number }[];
  chapters?: number;
  /** Expected duration in seconds; default frames / fps. */
  durationS?: number;
  /** Expected number of subtitle (caption) tracks; unchecked when absent. */
  subtitles?: number;
  /** Scene ids in order (one more than boundaries), to name scenes in events. */
  sceneIds?: string[];
}

export interface DetectedEvent {
  kind: 'black' | 'freeze' | 'silence';
  startS: number;
  /** Absent when the stretch lasts to the end of the video. */
  endS?: number;
  /** True when the stretch touches a scene boundary and neither a transition nor its whole scene explains it. */
  atJoin: boolean;
  /** The scene the stretch starts in (id when known, else its index). */
  scene?: string;
  /** The stretch covers everything its scene shows on its own (a black or still shot). */
  wholeScene?: boolean;
}

export interface Verification {
  ok: boolean;
  problems: string[];
  warnings: string[];
  video: {
    codec: string;
    pixFmt: string;
    sar: string;
    width: number;
    height: number;
    fps: number;
    frames: number;
    durationS: number;
    startS: number;
  };
  audio: { codec: string; sampleRate: number; channels: number; durationS: number; packets: number; startS: number } | null;
  subtitles: number;
  chapters: number;
  faststart: boolean;
  events: DetectedEvent[];
  decodeErrors: string[];
  /** What was decoded: every frame, or the windows after each join (see the module comment). */
  decode: 'full' | 'joins';
  /** Per-scene packet counts and keyframes ('joins' only). */
  segments?: SegmentReport[];
  /** Wall time of the checks, ms. */
  tookMs: number;
}

export interface SegmentReport {
  /** The scene's id when known, else its index. */
  scene: string;
  /** Where the scene starts in the video, seconds. */
  startS: number;
  frames: number;
  expectedFrames: number;
  /** Sum of the scene's video packet durations, seconds. */
  durationS: number;
  /** The scene's first frame is a keyframe (needed when its bytes are copied). */
  keyframeAtStart: boolean;
}
