/**
 * What assembly takes and returns (assemble.ts runs it; the steps live in assembly-plan, probe-clips, normalize,
 * assembly-audio, assembly-encode and delivery). Plain data only.
 */
import type { ClipFacts, HouseFormat } from './fingerprint.js';
import type { OnProgress } from './ffmpeg.js';
import type { LoudnessReport } from './loudness.js';
import type { SceneTiming } from './timeline.js';
import type { TransitionName } from './transitions.js';
import type { Expectation } from './verify-types.js';

export interface AssemblyClip {
  sceneId: string;
  title: string;
  path: string;
  /** Transition INTO this clip; ignored for the first. */
  transition: { type: TransitionName; seconds: number };
  /** Caption text for this scene. */
  narration?: string;
  /** Narration audio file, mixed over the scene from its start (cut at the next scene's start). */
  narrationAudio?: string;
  /**
   * Words spoken in `narrationAudio` (storyreel's synthesized speech), seconds from the scene's start: captions are
   * timed per word from them, and the clip's own sound is ducked under the speech.
   */
  words?: SpokenWord[];
}

export interface SpokenWord {
  text: string;
  startS: number;
  endS: number;
  /** `narrator` or a character id; a new speaker starts a new caption. */
  speaker?: string;
}

export interface SoundtrackInput {
  path: string;
  volumeDb: number;
  duck: boolean;
  fadeInSeconds: number;
  fadeOutSeconds: number;
}

export interface CaptionStyleInput {
  /** Text height in output pixels. */
  fontSize: number;
  /** RRGGBB. */
  color: string;
  /** Outline width in output pixels. */
  outline: number;
  position: 'bottom' | 'top';
  /** Highlight the word being spoken (ASS karaoke-style), in `highlight` (RRGGBB). */
  karaoke?: boolean;
  highlight?: string;
}

/** How the final video is written: video stream-copied, re-encoded with transitions, or re-encoded for burn-in. */
export type AssemblyMethod = 'copy' | 'reencode' | 'transitions';

/** What the `verify` hook gets besides the temp file. */
export interface VerifyTiming {
  frames: number;
  durationS: number;
  scenes: SceneTiming[];
  /** What the plan promises, ready for verifyVideo. */
  expectation: Expectation;
  /** copy: the clips' video bytes were joined as they are (verify the joins); otherwise every frame was encoded. */
  method: AssemblyMethod;
}

export interface AssemblyInput {
  clips: AssemblyClip[];
  house: HouseFormat;
  fit: 'pad' | 'crop';
  title: string;
  chapters: boolean;
  /** Soft captions: a mov_text track plus .srt/.vtt sidecars. */
  captions: boolean;
  /** Burn captions into the picture (forces a video re-encode). */
  burnCaptions?: false | CaptionStyleInput;
  soundtrack?: SoundtrackInput;
  /** EBU R128 normalization of the final mix. */
  loudness?: false | { targetLufs: number; truePeakDb: number; loudnessRange: number };
  /** Write poster.jpg and contact-sheet.jpg beside the output. */
  poster?: boolean;
  contactSheet?: boolean;
  /** Final path, e.g. out/<id>/final.mp4. Sidecars go beside it (final.srt, final.vtt). */
  output: string;
  /** Scratch space; what assembly puts there is removed afterwards. */
  workDir: string;
  signal?: AbortSignal;
  /** fraction 0..1 of the whole assembly and the step under way; called at least every second or so of ffmpeg work. */
  onProgress?: (fraction: number, step: string) => void;
  /**
   * Runs on the finished temp file before anything is put in place; throw to reject it. `onProgress` (0..1 of the
   * verification) feeds the assembly's own progress.
   */
  verify?: (tmpPath: string, timing: VerifyTiming, onProgress: OnProgress) => Promise<void>;
}

/** What assembly found out about one clip. */
export interface ClipReport {
  sceneId: string;
  width: number;
  height: number;
  fps: number;
  frames: number;
  audio: { sampleRate: number; channels: number } | null;
  /** codec|profile|level|pix_fmt|size|fps|time base|SAR|track id|extradata md5: equal fingerprints can be copied. */
  fingerprint: string;
  /** Why it was re-encoded before (copy) or conformed inside (re-encode paths) assembly; empty: used as is. */
  normalized: string[];
}

export interface AssemblyResult {
  path: string;
  method: AssemblyMethod;
  durationS: number;
  frames: number;
  scenes: SceneTiming[];
  sidecars: string[];
  poster?: string;
  contactSheet?: string;
  clips: ClipReport[];
  audio: { narrationScenes: number; soundtrack: boolean; ducking: boolean; loudness?: LoudnessReport };
  /** Things that were adjusted (shortened transitions, narration cut at the next scene). */
  warnings: string[];
  /** Wall time per step, ms (probe, normalize, measure, encode, verify, stills, finish). */
  stepsMs: Record<string, number>;
}

/** A clip as it goes into the final ffmpeg call: the original, or its normalized copy. */
export interface PreparedClip {
  clip: AssemblyClip;
  path: string;
  facts: ClipFacts;
  normalized: string[];
}

/** Input the user gave that assembly cannot use (an audio file without audio, a clip without video). */
export class AssemblyInputError extends Error {
  override readonly name = 'AssemblyInputError';
  constructor(
    message: string,
    readonly sceneId?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
