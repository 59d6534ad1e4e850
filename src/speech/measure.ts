/**
 * Lengths of spoken lines before planning (line key → seconds): from the speech store, or synthesized now by a local
 * voice (espeak-ng: free; the worker then finds the line stored). Paid voices not yet stored are left out: the
 * planner estimates them and the production measures and refits before any clip is requested.
 */
import { join } from 'node:path';
import type { SpeechLine } from '../contracts/speech.js';
import { SpeechStore } from '../store/speech-store.js';
import { SpeechRegistry } from './registry.js';
import { voiceLine } from './voice-scene.js';

/** `workDir`: the work dir whose store the worker uses (speech lives under <workDir>/store/speech). */
export function localSpeechMeasurer(workDir: string, env: Readonly<Record<string, string | undefined>> = process.env) {
  return async (lines: SpeechLine[]): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    if (!lines.length) return out;
    const store = new SpeechStore(join(workDir, 'store'));
    const registry = new SpeechRegistry(env);
    for (const line of lines) {
      const stored = await store.get(line.key);
      if (stored) out[line.key] = stored.durationS;
      else if (registry.forVoice(line.voice).local) {
        const voiced = await voiceLine(line, { store, provider: (v) => registry.forVoice(v), scratchDir: join(workDir, 'tmp', 'speech') });
        out[line.key] = voiced.durationS;
      }
    }
    return out;
  };
}
