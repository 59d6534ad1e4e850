/**
 * Voicing activities: a scene's lines synthesized (each once, kept in the speech store by content key) and placed on
 * the scene's speech track, before the scene's clip is requested. A rerun or a retry after a worker crash finds the
 * lines already stored and pays nothing; a line is only requested again if its audio never reached the store.
 * Heartbeats carry the scene id; cancellation aborts the request in flight.
 */
import { cancellationSignal, heartbeat } from '@temporalio/activity';
import { join } from 'node:path';
import type { SceneSpeech, VoicedScene } from '../src/contracts/speech.js';
import { SpeechRegistry } from '../src/speech/registry.js';
import { voiceScene } from '../src/speech/voice-scene.js';
import { SpeechStore } from '../src/store/speech-store.js';

export interface SpeechDeps {
  /** Speech providers (default: the built-in ones with keys from `env`). */
  speech?: SpeechRegistry;
  /**
   * Where the speech store lives: beside the clips under a directory store's root (the CLI's plan reads it there).
   * With object storage the speech cache stays on this host's disk (not yet in the bucket).
   */
  speechRoot: string;
  tmpDir: string;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface VoiceSceneInput {
  productionId: string;
  sceneId: string;
  speech: SceneSpeech;
}

export function speechActivities(deps: SpeechDeps) {
  const registry = deps.speech ?? new SpeechRegistry(deps.env ?? process.env);
  const store = new SpeechStore(deps.speechRoot);
  return {
    /** The scene's speech track: path, length, scene-relative word timings, and what was paid now (0 from the cache). */
    async voiceScene(input: VoiceSceneInput): Promise<VoicedScene> {
      heartbeat({ sceneId: input.sceneId });
      // A provider may take a while to answer: keep heartbeating so a dead worker is noticed, a slow voice is not.
      const beat = setInterval(() => heartbeat({ sceneId: input.sceneId }), 5_000);
      try {
        return await voiceScene(input.sceneId, input.speech, {
          store,
          provider: (voice) => registry.forVoice(voice),
          scratchDir: join(deps.tmpDir, 'speech'),
          signal: cancellationSignal(),
        });
      } finally {
        clearInterval(beat);
      }
    },
  };
}
