/**
 * The speech provider contract: text and a voice in, an audio file out with its length and, where the provider
 * gives them, word timings. Providers take an AbortSignal and never import Temporal; errors are ProviderError
 * (src/providers/errors.ts) classified from status codes and SDK error classes.
 */
import type { VoiceSettings, WordTiming } from '../contracts/speech.js';

export interface SynthesisRequest {
  text: string;
  voice: VoiceSettings;
  /** Where to write the provider's audio (any format ffmpeg reads); the caller converts and stores it. */
  dest: string;
  signal?: AbortSignal;
}

export interface SynthesisResult {
  /** The file written (`dest`). */
  path: string;
  /** Word timings from the provider, seconds from the start of the audio; undefined when it gives none. */
  words?: WordTiming[];
  costUsd: number;
  /** The provider's request id, for support. */
  requestId?: string;
}

export interface SpeechProvider {
  readonly name: string;
  /** Runs on this machine for free: `plan` may synthesize with it to measure lengths exactly. */
  readonly local: boolean;
  /** Exactly one request to the provider (SDK retries off); a retry is the caller's decision. */
  synthesize(req: SynthesisRequest): Promise<SynthesisResult>;
  /** What one synthesis of `text` costs in USD (0 for local voices). */
  estimateCost(text: string, voice: VoiceSettings): number;
}
