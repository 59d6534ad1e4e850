/**
 * Voicing: a line synthesized once and kept in the speech store under its key (a rerun, a resume or another
 * production that says the same thing in the same voice pays nothing), and a scene's speech track built from its
 * lines. Lines of a scene are synthesized one after another: one request per line, never two at once for one scene.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  speechLength,
  type VoiceSettings,
  type SceneSpeech,
  type SpeechLine,
  type VoicedLine,
  type VoicedScene,
} from '../contracts/speech.js';
import { placeSpeech, toHouseWav, voicedSpans } from '../media/speech-audio.js';
import { tempPathFor } from '../store/files.js';
import { ProviderError } from '../providers/errors.js';
import type { SpeechStore } from '../store/speech-store.js';
import type { SpeechProvider } from './types.js';
import { estimateWordTimings } from './word-timings.js';

export interface VoiceDeps {
  store: SpeechStore;
  /** The provider that speaks in a voice (throws for one that is not configured). */
  provider: (voice: VoiceSettings) => SpeechProvider;
  /** Scratch space for the provider's raw audio before conversion. */
  scratchDir: string;
  signal?: AbortSignal;
}

export async function voiceLine(line: SpeechLine, deps: VoiceDeps): Promise<VoicedLine> {
  const cached = await deps.store.get(line.key);
  if (cached) {
    return {
      key: line.key,
      path: cached.path,
      durationS: cached.durationS,
      words: cached.words,
      wordTimings: cached.wordTimings,
      costUsd: 0,
      cached: true,
    };
  }
  const provider = deps.provider(line.voice);
  await mkdir(deps.scratchDir, { recursive: true });
  const raw = join(deps.scratchDir, `${line.key}.${Math.random().toString(36).slice(2, 8)}.raw`);
  try {
    const result = await provider.synthesize({
      text: line.text,
      voice: line.voice,
      dest: raw,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    const path = await deps.store.prepare(line.key);
    const durationS = await toHouseWav(result.path, path, deps.signal).catch((err: unknown) => {
      if (deps.signal?.aborted) throw err;
      // Delivered (and paid for) but unreadable: not requested again automatically.
      throw new ProviderError(
        'output_corrupt',
        `${provider.name}: the audio it returned cannot be read (${(err as Error).message.slice(0, 200)})`,
        {
          provider: provider.name,
          retryable: false,
          cause: err,
        },
      );
    });
    const words = result.words ?? estimateWordTimings(line.text, await voicedSpans(path, deps.signal), durationS);
    const record = await deps.store.put({
      key: line.key,
      durationS,
      words,
      wordTimings: result.words ? 'provider' : 'estimated',
      provider: provider.name,
      costUsd: result.costUsd,
    });
    return { key: line.key, path: record.path, durationS, words, wordTimings: record.wordTimings, costUsd: result.costUsd, cached: false };
  } finally {
    await rm(raw, { force: true });
  }
}

/** The scene's speech track (lead silence, then each line, `gapS` apart) with scene-relative word timings. */
export async function voiceScene(sceneId: string, speech: SceneSpeech, deps: VoiceDeps): Promise<VoicedScene> {
  const cached = await deps.store.get(speech.key);
  if (cached) {
    return {
      sceneId,
      key: speech.key,
      path: cached.path,
      speechS: cached.durationS,
      words: cached.words.map((w) => ({ ...w, speaker: w.speaker ?? 'narrator' })),
      costUsd: 0,
      synthesized: 0,
    };
  }
  const voiced: VoicedLine[] = [];
  for (const line of speech.lines) voiced.push(await voiceLine(line, deps));
  const speechS = speechLength(
    speech,
    voiced.map((v) => v.durationS),
  );
  const words: VoicedScene['words'] = [];
  const parts: { path: string; offsetS: number }[] = [];
  let at = speech.leadS;
  voiced.forEach((v, i) => {
    parts.push({ path: v.path, offsetS: at });
    for (const w of v.words)
      words.push({ text: w.text, startS: round3(at + w.startS), endS: round3(at + w.endS), speaker: speech.lines[i]!.speaker });
    at += v.durationS + speech.gapS;
  });
  const path = await deps.store.prepare(speech.key);
  await mkdir(deps.scratchDir, { recursive: true });
  await placeSpeech(parts, speechS, path, tempPathFor(join(deps.scratchDir, `${speech.key}.graph`)), deps.signal);
  const costUsd = round6(voiced.reduce((t, v) => t + v.costUsd, 0));
  await deps.store.put({
    key: speech.key,
    durationS: speechS,
    words,
    wordTimings: voiced.every((v) => v.wordTimings === 'provider') ? 'provider' : 'estimated',
    provider: 'scene',
    costUsd,
  });
  return { sceneId, key: speech.key, path, speechS, words, costUsd, synthesized: voiced.filter((v) => !v.cached).length };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const round6 = (n: number) => Math.round(n * 1e6) / 1e6;
