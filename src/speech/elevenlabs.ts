/**
 * ElevenLabs through the official `@elevenlabs/elevenlabs-js` SDK, using the endpoint that returns character
 * timings (`convertWithTimestamps`, `POST /v1/text-to-speech/{voice_id}/with-timestamps`): the words of captions come
 * from what was really said. One request per synthesis (SDK retries off); MP3 44.1 kHz 128 kb/s, which every plan
 * may ask for.
 */
import { writeFile } from 'node:fs/promises';
import { ElevenLabsClient, ElevenLabsError, ElevenLabsTimeoutError } from '@elevenlabs/elevenlabs-js';
import type { VoiceSettings } from '../contracts/speech.js';
import { ProviderError } from '../providers/errors.js';
import { speechHttpError, speechNoAnswer } from './errors.js';
import type { SpeechProvider, SynthesisRequest, SynthesisResult } from './types.js';
import { wordsFromAlignment } from './word-timings.js';

const PROVIDER = 'elevenlabs';
export const DEFAULT_ELEVEN_MODEL = 'eleven_multilingual_v2';
/** USD per character billed (pay-as-you-go list price, about $0.30 per 1 000 characters; flash/turbo half). */
const USD_PER_CHAR: Record<string, number> = { eleven_flash_v2_5: 0.00015, eleven_turbo_v2_5: 0.00015 };
const DEFAULT_USD_PER_CHAR = 0.0003;

export interface ElevenLabsSpeechOptions {
  env: Readonly<Record<string, string | undefined>>;
  baseURL?: string;
  apiKeyEnv?: string;
  timeoutMs?: number;
}

export class ElevenLabsSpeech implements SpeechProvider {
  readonly name = PROVIDER;
  readonly local = false;
  private readonly client: ElevenLabsClient;

  constructor(opts: ElevenLabsSpeechOptions) {
    const keyVar = opts.apiKeyEnv ?? 'ELEVENLABS_API_KEY';
    const apiKey = opts.env[keyVar];
    if (!apiKey) throw new ProviderError('auth', `${PROVIDER}: set ${keyVar} to an ElevenLabs API key`, { provider: PROVIDER });
    this.client = new ElevenLabsClient({
      apiKey,
      ...(opts.baseURL ? { baseUrl: opts.baseURL } : {}),
      maxRetries: 0,
      timeoutInSeconds: Math.ceil((opts.timeoutMs ?? 120_000) / 1000),
    });
  }

  async synthesize(req: SynthesisRequest): Promise<SynthesisResult> {
    const v = req.voice;
    if (v.speed !== undefined && (v.speed < 0.7 || v.speed > 1.2)) {
      throw new ProviderError('invalid_request', `${PROVIDER}: speed ${v.speed} is outside what ElevenLabs takes (0.7 to 1.2)`, {
        provider: PROVIDER,
      });
    }
    try {
      const { data, rawResponse } = await this.client.textToSpeech
        .convertWithTimestamps(
          v.voice,
          {
            text: req.text,
            modelId: v.model ?? DEFAULT_ELEVEN_MODEL,
            outputFormat: 'mp3_44100_128',
            ...(v.speed !== undefined ? { voiceSettings: { speed: v.speed } } : {}),
          },
          { maxRetries: 0, ...(req.signal ? { abortSignal: req.signal } : {}) },
        )
        .withRawResponse();
      await writeFile(req.dest, Buffer.from(data.audioBase64, 'base64'));
      const billed = Number(rawResponse.headers.get('x-character-count') ?? req.text.length);
      const requestId = rawResponse.headers.get('request-id') ?? undefined;
      return {
        path: req.dest,
        ...(data.alignment
          ? {
              words: wordsFromAlignment({
                characters: data.alignment.characters,
                character_start_times_seconds: data.alignment.characterStartTimesSeconds,
                character_end_times_seconds: data.alignment.characterEndTimesSeconds,
              }),
            }
          : {}),
        costUsd: round6(billed * this.perChar(v)),
        ...(requestId ? { requestId } : {}),
      };
    } catch (err) {
      if (req.signal?.aborted) throw err;
      throw classify(err);
    }
  }

  estimateCost(text: string, voice: VoiceSettings): number {
    return round6(text.length * this.perChar(voice));
  }

  private perChar(voice: VoiceSettings): number {
    return USD_PER_CHAR[voice.model ?? DEFAULT_ELEVEN_MODEL] ?? DEFAULT_USD_PER_CHAR;
  }
}

function classify(err: unknown): unknown {
  if (err instanceof ProviderError) return err;
  if (err instanceof ElevenLabsTimeoutError) return speechNoAnswer(PROVIDER, err);
  if (err instanceof ElevenLabsError) {
    // No status, or a 2xx whose body did not arrive whole: the synthesis may have happened.
    if (err.statusCode === undefined || err.statusCode < 300) return speechNoAnswer(PROVIDER, err);
    const body = err.body as { detail?: { status?: unknown; message?: unknown } } | undefined;
    const d = body?.detail && !Array.isArray(body.detail) ? body.detail : undefined;
    return speechHttpError(
      PROVIDER,
      {
        status: err.statusCode,
        ...(typeof d?.status === 'string' ? { code: d.status } : {}),
        message: typeof d?.message === 'string' ? d.message : `HTTP ${err.statusCode}`,
        ...(err.rawResponse?.headers.get('request-id') ? { requestId: err.rawResponse.headers.get('request-id')! } : {}),
        header: (n) => err.rawResponse?.headers.get(n),
      },
      err,
    );
  }
  return err;
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;
