/**
 * The speech providers by name, built from the environment (keys are read here, by the worker, never from a plan).
 * One instance per provider and endpoint, created on first use.
 */
import type { VoiceSettings } from '../contracts/speech.js';
import { ProviderError } from '../providers/errors.js';
import { ElevenLabsSpeech } from './elevenlabs.js';
import { EspeakSpeech } from './espeak-ng.js';
import { OpenAISpeech } from './openai-speech.js';
import type { SpeechProvider } from './types.js';

export type SpeechFactory = (voice: VoiceSettings, env: Readonly<Record<string, string | undefined>>) => SpeechProvider;

export class SpeechRegistry {
  private readonly made = new Map<string, SpeechProvider>();
  constructor(
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly factories: Readonly<Record<string, SpeechFactory>> = {},
  ) {}

  /** The provider that speaks in `voice` (its endpoint and key variable pick the instance). */
  forVoice(voice: VoiceSettings): SpeechProvider {
    const id = `${voice.provider}|${voice.baseURL ?? ''}|${voice.apiKeyEnv ?? ''}`;
    let p = this.made.get(id);
    if (!p) {
      const factory = this.factories[voice.provider] ?? DEFAULT_FACTORIES[voice.provider];
      if (!factory)
        throw new ProviderError('model_unavailable', `unknown speech provider "${voice.provider}"`, { provider: voice.provider });
      p = factory(voice, this.env);
      this.made.set(id, p);
    }
    return p;
  }
}

const DEFAULT_FACTORIES: Record<string, SpeechFactory> = {
  'espeak-ng': () => new EspeakSpeech(),
  elevenlabs: (voice, env) =>
    new ElevenLabsSpeech({
      env,
      ...(voice.baseURL ? { baseURL: voice.baseURL } : {}),
      ...(voice.apiKeyEnv ? { apiKeyEnv: voice.apiKeyEnv } : {}),
    }),
  'openai-speech': (voice, env) =>
    new OpenAISpeech({
      env,
      ...(voice.baseURL ? { baseURL: voice.baseURL } : {}),
      ...(voice.apiKeyEnv ? { apiKeyEnv: voice.apiKeyEnv } : {}),
    }),
};
