/**
 * Speech in the plan: who says what in each scene, in which voice, and how long the scene must be to hold it.
 * Pure: the planner calls it with durations measured at the edge (espeak-ng, or the speech cache) or estimated, and
 * the workflow calls `retimeForSpeech` with the durations its voicing activities measured, before any clip of a
 * retimed scene is requested.
 */
import { describeSeconds, secondsAllowed, type SecondsSpec } from '../contracts/capabilities.js';
import { hashOf } from '../contracts/hash.js';
import { speechLength, type SceneSpeech, type SpeechFit, type SpeechLine, type VoiceSettings } from '../contracts/speech.js';
import type { Scene, Storyboard, Voice } from './schema.js';

/** Bump when the meaning of a speech key changes. */
export const SPEECH_KEY_VERSION = 1;
/** A breath before the first line once the scene is fully in view. */
export const LEAD_S = 0.25;
/** Between two lines of one scene. */
export const GAP_S = 0.3;
/** Silence kept after the last line before the next scene starts to take over. */
export const TAIL_S = 0.35;

export function resolveVoice(v: Voice): VoiceSettings {
  if (typeof v === 'string') return { provider: 'espeak-ng', voice: v };
  const out: VoiceSettings = { provider: v.provider, voice: v.voice };
  if (v.model !== undefined) out.model = v.model;
  if (v.speed !== undefined && v.speed !== 1) out.speed = v.speed;
  if (v.instructions !== undefined) out.instructions = v.instructions;
  if (v.baseURL !== undefined) out.baseURL = v.baseURL;
  if (v.apiKeyEnv !== undefined) out.apiKeyEnv = v.apiKeyEnv;
  return out;
}

/** Content address of one synthesized line: what is said and everything that shapes the voice (not the key's name). */
export function lineKey(text: string, voice: VoiceSettings): string {
  const { apiKeyEnv: _env, ...shaping } = voice;
  return hashOf({ v: SPEECH_KEY_VERSION, text, voice: shaping });
}

/**
 * What scene `scene` says: its narration in the narrator's voice (when the storyboard has one and the scene has no
 * recorded narration file), then its lines in their characters' voices. Undefined when nothing is spoken.
 */
export function sceneSpeech(
  sb: Storyboard,
  scene: Scene,
  placement: { transitionInS: number; transitionOutS: number },
): SceneSpeech | undefined {
  const lines: SpeechLine[] = [];
  if (scene.narration && sb.defaults.voice && !scene.narrationAudio) {
    const voice = resolveVoice(sb.defaults.voice);
    lines.push({ speaker: 'narrator', text: scene.narration, voice, key: lineKey(scene.narration, voice) });
  }
  for (const line of scene.lines ?? []) {
    const who = sb.characters.find((c) => c.id === line.character);
    if (!who?.voice) continue; // reported by the schema
    const voice = resolveVoice(who.voice);
    lines.push({ speaker: line.character, text: line.text, voice, key: lineKey(line.text, voice) });
  }
  if (!lines.length) return undefined;
  const leadS = round3(placement.transitionInS + LEAD_S);
  const tailS = round3(placement.transitionOutS + TAIL_S);
  const setting = scene.speechFit ?? sb.defaults.speechFit;
  const fit: SpeechFit = setting === 'auto' ? (scene.seconds !== undefined ? 'fail' : 'lengthen') : setting;
  return {
    lines,
    leadS,
    gapS: GAP_S,
    tailS,
    fit,
    key: hashOf({ v: SPEECH_KEY_VERSION, lines: lines.map((l) => l.key), leadS, gapS: GAP_S }),
  };
}

/** Every line the storyboard speaks (deduplicated by key), for measuring before planning. */
export function spokenLines(sb: Storyboard): SpeechLine[] {
  const out = new Map<string, SpeechLine>();
  for (const scene of sb.scenes)
    for (const l of sceneSpeech(sb, scene, { transitionInS: 0, transitionOutS: 0 })?.lines ?? []) out.set(l.key, l);
  return [...out.values()];
}

/** Speaking rate when nothing was measured: characters per second at speed 1 (about 165 words a minute). */
const CHARS_PER_SECOND = 14;

/** A rough length of a line before it is synthesized (paid providers in `plan`); replaced by the measured one later. */
export function estimateLineSeconds(text: string, voice: VoiceSettings): number {
  return round3(Math.max(0.5, text.length / (CHARS_PER_SECOND * (voice.speed ?? 1))) + 0.2);
}

/** The scene's speech length from measured line durations where known, estimates elsewhere. */
export function sceneSpeechSeconds(
  speech: SceneSpeech,
  measured: Readonly<Record<string, number>>,
): { speechS: number; measured: boolean } {
  const seconds = speech.lines.map((l) => measured[l.key] ?? estimateLineSeconds(l.text, l.voice));
  return { speechS: speechLength(speech, seconds), measured: speech.lines.every((l) => measured[l.key] !== undefined) };
}

export interface SpeechTiming {
  /** The clip to request from the video model. */
  clipSeconds: number;
  /** How long the scene lasts in the video (differs from the clip for extend and trim). */
  sceneSeconds: number;
  /** Set when the speech does not fit and the policy is `fail`: the message names the numbers. */
  problem?: string;
}

/**
 * The clip and scene lengths for a scene whose speech (lead + lines + gaps) lasts `speechS` and must be followed by
 * `tailS` of room. `requested` is the length the storyboard asked for; `allowed` the video model's lengths.
 */
export function fitToSpeech(args: {
  requested: number;
  speechS: number;
  tailS: number;
  fit: SpeechFit;
  allowed: SecondsSpec;
}): SpeechTiming {
  const need = round3(args.speechS + args.tailS);
  if (need <= args.requested + 1e-9) return { clipSeconds: args.requested, sceneSeconds: args.requested };
  switch (args.fit) {
    case 'extend':
      // The clip the storyboard asked for, as a length the model makes (the longest allowed one not above it when it
      // is not allowed, as routing would pad it); its last frame is then held until the speech and its tail are over.
      return { clipSeconds: clipAtMost(args.allowed, args.requested), sceneSeconds: need };
    case 'fail':
      return {
        clipSeconds: args.requested,
        sceneSeconds: args.requested,
        problem: `its speech needs ${need.toFixed(2)} s (${args.speechS.toFixed(2)} s spoken + ${args.tailS.toFixed(2)} s before the next scene) but the scene is fixed at ${args.requested} s; remove \`seconds\`, shorten the text, or set \`speechFit\` to lengthen, extend or trim`,
      };
    case 'lengthen':
    case 'trim': {
      const clip = shortestAllowed(args.allowed, need);
      if (clip === undefined) {
        return {
          clipSeconds: args.requested,
          sceneSeconds: args.requested,
          problem: `its speech needs ${need.toFixed(2)} s, longer than any clip the model makes (${describeSeconds(args.allowed)}); shorten the text, split the scene, or set \`speechFit: extend\``,
        };
      }
      return { clipSeconds: clip, sceneSeconds: args.fit === 'trim' ? need : clip };
    }
  }
}

/** `seconds` when the model makes it, else the longest allowed length below it, else the shortest one above it. */
function clipAtMost(spec: SecondsSpec, seconds: number): number {
  if (secondsAllowed(spec, seconds)) return seconds;
  const below =
    spec.kind === 'enum'
      ? [...spec.values].filter((v) => v <= seconds + 1e-9).sort((a, b) => b - a)[0]
      : seconds >= spec.min - 1e-9
        ? round3(Math.min(spec.max, spec.min + Math.floor((seconds - spec.min) / spec.step + 1e-9) * spec.step))
        : undefined;
  return below ?? shortestAllowed(spec, seconds) ?? seconds;
}

/**
 * A fitted scene's length (extend, trim) rounded UP to whole frames at `fps`: the edit cuts clips at frames, and
 * rounding down could take the last of the speech's tail.
 */
export function wholeFrames(seconds: number, fps: number): number {
  return round3(Math.ceil(seconds * fps - 1e-6) / fps);
}

/** The shortest allowed length that is at least `seconds`. */
export function shortestAllowed(spec: SecondsSpec, seconds: number): number | undefined {
  if (spec.kind === 'enum') return [...spec.values].sort((a, b) => a - b).find((v) => v >= seconds - 1e-9);
  if (seconds > spec.max + 1e-9) return undefined;
  const steps = Math.max(0, Math.ceil((seconds - spec.min) / spec.step - 1e-9));
  const out = round3(spec.min + steps * spec.step);
  return out <= spec.max + 1e-9 ? out : undefined;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
