/**
 * Speech as data, shared by the planner (what is said, by which voice, how long it may be), the speech providers
 * (src/speech) and the workflow (which voices scenes before their clips are requested). Depends on nothing of ours.
 */

/** The speech providers storyreel ships. `espeak-ng` is local and free: the default, so a demo speaks offline. */
export const SPEECH_PROVIDERS = ['espeak-ng', 'openai-speech', 'elevenlabs'] as const;
export type SpeechProviderName = (typeof SPEECH_PROVIDERS)[number];

/**
 * A voice, resolved: everything that changes the sound, so all of it is part of a line's cache key. No secrets:
 * keys come from the worker's environment (`apiKeyEnv` names the variable).
 */
export interface VoiceSettings {
  provider: SpeechProviderName;
  /** espeak-ng: a voice name (`en-us`, `en-gb+f3`); openai-speech: `alloy`, `marin`, …; elevenlabs: a voice id. */
  voice: string;
  /** The provider's model (`gpt-4o-mini-tts`, `eleven_multilingual_v2`); the provider's default when omitted. */
  model?: string;
  /** 1 = the voice's normal rate; 0.5 to 2. */
  speed?: number;
  /** How to speak (openai-speech models that take instructions). */
  instructions?: string;
  /** An OpenAI-compatible server (openai-speech) or an ElevenLabs endpoint other than the default. */
  baseURL?: string;
  /** The environment variable holding the key (default OPENAI_API_KEY / ELEVENLABS_API_KEY). */
  apiKeyEnv?: string;
}

/** One word as it is heard: seconds from the start of the audio it belongs to. */
export interface WordTiming {
  text: string;
  startS: number;
  endS: number;
}

/** One thing said in a scene: the narration or a character's line. */
export interface SpeechLine {
  /** `narrator`, or the character id. */
  speaker: string;
  text: string;
  voice: VoiceSettings;
  /** Content address of the synthesized line: sha256 over text, voice settings (provider, model included). */
  key: string;
}

/**
 * How a scene's length follows its speech:
 * - lengthen: the shortest clip the model allows that holds the speech (the default when the scene's length is not
 *   fixed on the scene);
 * - fail: the scene's fixed length is kept and a longer speech is an error naming both numbers (the default when the
 *   scene states `seconds`);
 * - extend: the clip is rendered at the requested length and its last frame is held until the speech ends;
 * - trim: a clip long enough is rendered and its tail cut where the speech ends (the speech is never cut).
 */
export type SpeechFit = 'lengthen' | 'fail' | 'extend' | 'trim';

/** What a scene says, and where: lines follow each other from `leadS` after the scene starts, `gapS` apart. */
export interface SceneSpeech {
  lines: SpeechLine[];
  /** Silence before the first line: the incoming transition plus a short breath. */
  leadS: number;
  gapS: number;
  /** Silence kept after the last line before the next scene (or its transition) starts. */
  tailS: number;
  fit: SpeechFit;
  /** Content address of the scene's speech track (the line keys and the placement). */
  key: string;
}

/** A voiced line: its audio in the house format and what it took. */
export interface VoicedLine {
  key: string;
  path: string;
  durationS: number;
  /** Word timings from the provider (ElevenLabs alignment) or estimated from the audio (espeak-ng, openai-speech). */
  words: WordTiming[];
  wordTimings: 'provider' | 'estimated';
  costUsd: number;
  /** True when the line came from the speech cache (nothing was paid). */
  cached: boolean;
}

/** A scene's speech track: lines placed on one file that starts with the scene. */
export interface VoicedScene {
  sceneId: string;
  key: string;
  path: string;
  /** Length of the track: lead + lines + gaps (no tail). */
  speechS: number;
  /** Scene-relative word timings, each with the speaker. */
  words: (WordTiming & { speaker: string })[];
  costUsd: number;
  /** Lines that were synthesized now (not from the cache). */
  synthesized: number;
}

/** Total length of a scene's speech given each line's duration: lead, lines, gaps between them. */
export function speechLength(speech: Pick<SceneSpeech, 'leadS' | 'gapS'>, lineSeconds: readonly number[]): number {
  if (!lineSeconds.length) return 0;
  const lines = lineSeconds.reduce((t, s) => t + s, 0);
  return round3(speech.leadS + lines + speech.gapS * (lineSeconds.length - 1));
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
