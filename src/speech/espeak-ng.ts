/**
 * espeak-ng (Debian package `espeak-ng`): local, free, deterministic for the same text and settings. Robotic, but it
 * lets every storyboard speak offline, and it is what the demo and the timing tests measure. It gives no word
 * timings; the caller estimates them from where the audio is voiced.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { VoiceSettings } from '../contracts/speech.js';
import { ProviderError } from '../providers/errors.js';
import type { SpeechProvider, SynthesisRequest, SynthesisResult } from './types.js';

const run = promisify(execFile);

export const ESPEAK = process.env.ESPEAK_NG_PATH || 'espeak-ng';
/** espeak-ng's default rate in words per minute; `speed` scales it. */
const BASE_WPM = 165;

/** espeak-ng voice names: letters, digits, `-`, `_`, a `+variant`. Never passed through a shell, checked anyway. */
const VOICE = /^[A-Za-z0-9_-]{1,40}(\+[A-Za-z0-9_-]{1,20})?$/;

export function espeakArgs(voice: VoiceSettings, dest: string): string[] {
  if (!VOICE.test(voice.voice)) {
    throw new ProviderError('invalid_request', `espeak-ng voice "${voice.voice}" is not a voice name (e.g. en-us, en-gb+f3)`, {
      provider: 'espeak-ng',
    });
  }
  // The text goes through stdin: no length limit from argv, and a line starting with "-" is never an option.
  return ['-v', voice.voice, '-s', String(Math.round(BASE_WPM * (voice.speed ?? 1))), '-w', dest, '--stdin'];
}

export class EspeakSpeech implements SpeechProvider {
  readonly name = 'espeak-ng';
  readonly local = true;

  async synthesize(req: SynthesisRequest): Promise<SynthesisResult> {
    const args = espeakArgs(req.voice, req.dest);
    try {
      const child = run(ESPEAK, args, { ...(req.signal ? { signal: req.signal } : {}), timeout: 120_000 });
      child.child.stdin?.end(req.text);
      await child;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOENT') {
        throw new ProviderError('model_unavailable', 'espeak-ng is not installed: run `npm run setup` or `apt-get install espeak-ng`', {
          provider: 'espeak-ng',
          cause: err,
        });
      }
      const stderr = String((err as { stderr?: string }).stderr ?? '').trim();
      throw new ProviderError('invalid_request', `espeak-ng failed${stderr ? `: ${stderr.split('\n')[0]}` : ''}`, {
        provider: 'espeak-ng',
        cause: err,
      });
    }
    return { path: req.dest, costUsd: 0 };
  }

  estimateCost(): number {
    return 0;
  }
}
