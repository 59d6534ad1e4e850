/**
 * OpenAI-compatible speech (`POST /v1/audio/speech`) through the official `openai` SDK: OpenAI itself, or any server
 * that copies the endpoint (baseURL). One request per synthesis (SDK retries off); WAV is asked for so nothing is
 * lost to a lossy codec before mixing. The endpoint gives no timestamps: words are estimated from the audio.
 */
import { writeFile } from 'node:fs/promises';
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type { VoiceSettings } from '../contracts/speech.js';
import { ProviderError } from '../providers/errors.js';
import { speechHttpError, speechNoAnswer } from './errors.js';
import type { SpeechProvider, SynthesisRequest, SynthesisResult } from './types.js';

const PROVIDER = 'openai-speech';
export const DEFAULT_SPEECH_MODEL = 'gpt-4o-mini-tts';

/** USD per input character (tts-1: $15 / 1M characters, tts-1-hd: $30 / 1M; gpt-4o-mini-tts ≈ $0.015 a minute). */
const USD_PER_CHAR: Record<string, number> = { 'tts-1': 15e-6, 'tts-1-hd': 30e-6 };
const MINI_TTS_USD_PER_CHAR = 0.015 / 60 / 14;

export interface OpenAISpeechOptions {
  env: Readonly<Record<string, string | undefined>>;
  baseURL?: string;
  apiKeyEnv?: string;
  /** ms until the answer; default 120 s. */
  timeoutMs?: number;
}

export class OpenAISpeech implements SpeechProvider {
  readonly name = PROVIDER;
  readonly local = false;
  private readonly client: OpenAI;

  constructor(opts: OpenAISpeechOptions) {
    const keyVar = opts.apiKeyEnv ?? 'OPENAI_API_KEY';
    const apiKey = opts.env[keyVar];
    const baseURL = opts.baseURL ?? opts.env.OPENAI_BASE_URL;
    if (!apiKey && !baseURL) {
      throw new ProviderError('auth', `${PROVIDER}: set ${keyVar} (or give the voice a baseURL of a local OpenAI-compatible server)`, {
        provider: PROVIDER,
      });
    }
    this.client = new OpenAI({
      apiKey: apiKey ?? 'none',
      ...(baseURL ? { baseURL } : {}),
      maxRetries: 0,
      timeout: opts.timeoutMs ?? 120_000,
    });
  }

  async synthesize(req: SynthesisRequest): Promise<SynthesisResult> {
    const v = req.voice;
    let res: Response;
    try {
      res = await this.client.audio.speech.create(
        {
          model: v.model ?? DEFAULT_SPEECH_MODEL,
          input: req.text,
          voice: v.voice,
          response_format: 'wav',
          ...(v.speed !== undefined ? { speed: v.speed } : {}),
          ...(v.instructions !== undefined ? { instructions: v.instructions } : {}),
        },
        req.signal ? { signal: req.signal } : {},
      );
      await writeFile(req.dest, Buffer.from(await res.arrayBuffer()));
    } catch (err) {
      throw classify(err);
    }
    return {
      path: req.dest,
      costUsd: this.estimateCost(req.text, v),
      ...(res.headers.get('x-request-id') ? { requestId: res.headers.get('x-request-id')! } : {}),
    };
  }

  estimateCost(text: string, voice: VoiceSettings): number {
    const perChar = USD_PER_CHAR[voice.model ?? DEFAULT_SPEECH_MODEL] ?? MINI_TTS_USD_PER_CHAR;
    return Math.round(text.length * perChar * 1e6) / 1e6;
  }
}

function classify(err: unknown): unknown {
  if (err instanceof APIUserAbortError || err instanceof ProviderError) return err;
  if (err instanceof APIConnectionError) return speechNoAnswer(PROVIDER, err);
  if (err instanceof APIError) {
    const body = err.error as { message?: unknown } | undefined;
    return speechHttpError(
      PROVIDER,
      {
        status: err.status ?? 0,
        ...(err.code ? { code: err.code } : err.type === 'insufficient_quota' ? { code: 'insufficient_quota' } : {}),
        message: typeof body?.message === 'string' ? body.message : `HTTP ${err.status}`,
        ...(err.requestID ? { requestId: err.requestID } : {}),
        header: (n) => err.headers?.get(n),
      },
      err,
    );
  }
  // The answer started but its body broke off: the synthesis happened.
  if (err instanceof Error && (err.name === 'TypeError' || err.name === 'AbortError')) return speechNoAnswer(PROVIDER, err);
  return err;
}
