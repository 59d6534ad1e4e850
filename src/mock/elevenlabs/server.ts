/**
 * A mock of ElevenLabs text to speech (`https://api.elevenlabs.io`) on the mock kit:
 * - `POST /v1/text-to-speech/{voice_id}/with-timestamps` → `{audio_base64, alignment, normalized_alignment}` with
 *   the exact start and end of every character (kit/speech.ts makes the audio, so the alignment is true);
 * - `POST /v1/text-to-speech/{voice_id}` → the audio bytes;
 * - `GET /v1/voices` → the voices it knows.
 * Query `output_format` (mp3_*, pcm_*, wav_*, opus_*, ulaw_8000, alaw_8000; default mp3_44100_128),
 * `enable_logging` and `optimize_streaming_latency` (accepted, no effect). Keys in `xi-api-key`. Errors in
 * ElevenLabs' shapes: `{"detail":{"status","message"}}`, and FastAPI's 422 `{"detail":[{loc,msg,type}]}`.
 * Every answer carries `request-id`, and `x-character-count` (what was billed). See README.md.
 */
import { createHash } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import {
  json,
  MockHttpError,
  startMockServer,
  type ErrorFault,
  type FaultRule,
  type JsonReply,
  type MockKit,
  type MockProvider,
  type MockRequest,
  type MockRoute,
  type RequestLogEntry,
  listenOptions,
} from '../kit/index.js';
import { encodeSpeech, speak } from '../kit/speech.js';

export const VOICES = [
  { voice_id: '21m00Tcm4TlvDq8ikWAM', name: 'Rachel' },
  { voice_id: 'JBFqnCBsd6RMkjVDRZzb', name: 'George' },
  { voice_id: 'EXAVITQu4vr4xnSDvpWk', name: 'Sarah' },
] as const;
export const MODELS = ['eleven_multilingual_v2', 'eleven_flash_v2_5', 'eleven_turbo_v2_5', 'eleven_v3', 'eleven_monolingual_v1'] as const;
export const MAX_TEXT = 10_000;

export interface ElevenRoute extends MockRoute {
  kind: 'with-timestamps' | 'convert' | 'voices';
  voiceId?: string;
}

export interface ElevenLabsMockOptions {
  port?: number;
  host?: string;
  /** When set, requests need `xi-api-key: <apiKey>`. */
  apiKey?: string;
  /** Characters left on the account; a request needing more answers 401 quota_exceeded. Default 1 000 000. */
  characters?: number;
  workDir?: string;
  recordBodies?: boolean;
}

export interface ElevenLabsMock {
  url: string;
  /** The SDK's `baseUrl`. */
  baseURL: string;
  port: number;
  requests(): RequestLogEntry[];
  setFaults(rules: FaultRule[]): void;
  addFaults(rules: FaultRule[]): void;
  reset(): void;
  /** Syntheses answered, with the characters billed. */
  syntheses(): { voiceId: string; text: string; modelId: string; characters: number }[];
  close(): Promise<void>;
}

export async function startElevenLabsMock(opts: ElevenLabsMockOptions = {}): Promise<ElevenLabsMock> {
  const server = await startMockServer(
    {
      name: 'elevenlabs',
      requestIdHeader: 'request-id',
      ...listenOptions(opts),
    },
    (kit) => new ElevenProvider(opts, kit),
  );
  return {
    url: server.url,
    baseURL: server.url,
    port: server.port,
    requests: () => server.requests(),
    setFaults: (rules) => server.faults.set(rules),
    addFaults: (rules) => server.faults.add(rules),
    reset: () => server.reset(),
    syntheses: () => [...server.provider.done],
    close: () => server.close(),
  };
}

/** `{"detail":{"status","message"}}` */
const detail = (status: number, code: string, message: string, headers?: Record<string, string>) =>
  new MockHttpError(status, message, { code, ...(headers ? { headers } : {}) });

/** FastAPI's validation answer. */
const unprocessable = (loc: (string | number)[], msg: string, type: string) =>
  new MockHttpError(422, msg, { code: 'validation', extra: { detail: [{ loc, msg, type }] } });

interface Format {
  codec: string;
  sampleRate: number;
  bitrateKbps?: number;
  contentType: string;
}

/** `codec_samplerate[_bitrate]` as ElevenLabs names output formats. */
export function parseOutputFormat(text: string): Format | undefined {
  const m = /^(mp3|pcm|wav|opus|ulaw|alaw)_(\d+)(?:_(\d+))?$/.exec(text);
  if (!m) return undefined;
  const codec = m[1]!;
  const sampleRate = Number(m[2]);
  const bitrate = m[3] ? Number(m[3]) : undefined;
  const ok: Record<string, (r: number, b?: number) => boolean> = {
    mp3: (r, b) => (r === 22050 && b === 32) || (r === 44100 && [32, 64, 96, 128, 192].includes(b ?? -1)),
    pcm: (r, b) => b === undefined && [8000, 16000, 22050, 24000, 44100, 48000].includes(r),
    wav: (r, b) => b === undefined && [8000, 16000, 22050, 24000, 32000, 44100, 48000].includes(r),
    opus: (r, b) => r === 48000 && [32, 64, 96, 128, 192].includes(b ?? -1),
    ulaw: (r, b) => r === 8000 && b === undefined,
    alaw: (r, b) => r === 8000 && b === undefined,
  };
  if (!ok[codec]!(sampleRate, bitrate)) return undefined;
  const contentType = {
    mp3: 'audio/mpeg',
    pcm: 'audio/pcm',
    wav: 'audio/wav',
    opus: 'audio/opus',
    ulaw: 'audio/basic',
    alaw: 'audio/basic',
  }[codec]!;
  return { codec, sampleRate, ...(bitrate ? { bitrateKbps: bitrate } : {}), contentType };
}

class ElevenProvider implements MockProvider<ElevenRoute> {
  readonly done: { voiceId: string; text: string; modelId: string; characters: number }[] = [];
  private charactersLeft: number;

  constructor(
    private readonly opts: ElevenLabsMockOptions,
    private readonly kit: MockKit,
  ) {
    this.charactersLeft = opts.characters ?? 1_000_000;
  }

  route(method: string, path: string): ElevenRoute | undefined {
    if (method === 'GET' && path === '/v1/voices') return { kind: 'voices' };
    const m = /^\/v1\/text-to-speech\/([^/]+)(\/with-timestamps)?$/.exec(path);
    if (method === 'POST' && m) {
      const voiceId = decodeURIComponent(m[1]!);
      return m[2] ? { kind: 'with-timestamps', voiceId } : { kind: 'convert', voiceId, servesContent: true };
    }
    return undefined;
  }

  async handle(req: MockRequest<ElevenRoute>) {
    if (req.route.kind === 'voices') return { reply: json({ voices: VOICES.map((v) => ({ ...v, category: 'premade' })) }) };
    const voiceId = req.route.voiceId!;
    if (!VOICES.some((v) => v.voice_id === voiceId))
      throw detail(404, 'voice_not_found', `A voice with voice_id ${voiceId} does not exist.`);
    const fields = (req.body.fields ?? {}) as Record<string, unknown>;
    const text = fields.text;
    if (text === undefined) throw unprocessable(['body', 'text'], 'Field required', 'missing');
    if (typeof text !== 'string') throw unprocessable(['body', 'text'], 'Input should be a valid string', 'string_type');
    if (!text.trim()) throw detail(400, 'empty_text', 'The text is empty.');
    if (text.length > MAX_TEXT)
      throw detail(400, 'max_character_limit_exceeded', `Text is too long: ${text.length} characters; the limit is ${MAX_TEXT}.`);
    const modelId = fields.model_id === undefined ? 'eleven_multilingual_v2' : fields.model_id;
    if (typeof modelId !== 'string' || !(MODELS as readonly string[]).includes(modelId)) {
      throw detail(400, 'model_not_found', `A model with model ID ${String(modelId)} does not exist.`);
    }
    const settings = (fields.voice_settings ?? {}) as Record<string, unknown>;
    const speed = settings.speed === undefined ? 1 : settings.speed;
    if (typeof speed !== 'number' || speed < 0.7 || speed > 1.2) {
      throw unprocessable(
        ['body', 'voice_settings', 'speed'],
        'Input should be greater than or equal to 0.7 and less than or equal to 1.2',
        'value_error',
      );
    }
    const formatText = req.query.get('output_format') ?? 'mp3_44100_128';
    const format = parseOutputFormat(formatText);
    if (!format) throw unprocessable(['query', 'output_format'], `Input should be a valid output format, got '${formatText}'`, 'enum');
    const characters = text.length;
    if (characters > this.charactersLeft) {
      throw detail(
        401,
        'quota_exceeded',
        `This request exceeds your quota of 1000000. You have ${this.charactersLeft} credits remaining, while ${characters} credits are required for this request.`,
      );
    }
    this.charactersLeft -= characters;
    const audio = speak(text, { speed, sampleRate: 44_100 });
    const bytes = await encodeSpeech(audio, format.codec, {
      sampleRate: format.sampleRate,
      ...(format.bitrateKbps ? { bitrateKbps: format.bitrateKbps } : {}),
    });
    this.done.push({ voiceId, text, modelId, characters });
    const headers = { 'x-character-count': String(characters) };
    if (req.route.kind === 'with-timestamps') {
      const alignment = {
        characters: audio.characters,
        character_start_times_seconds: audio.starts,
        character_end_times_seconds: audio.ends,
      };
      return { reply: json({ audio_base64: bytes.toString('base64'), alignment, normalized_alignment: alignment }, 200, headers) };
    }
    const dir = join(this.kit.workDir, 'speech');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}.${format.codec}`);
    await writeFile(path, bytes);
    return {
      reply: {
        kind: 'asset' as const,
        asset: { path, contentType: format.contentType, size: (await stat(path)).size },
        range: undefined,
        headers,
      },
    };
  }

  errorReply(err: MockHttpError): JsonReply {
    if (err.status === 422 && Array.isArray(err.extra.detail)) return json({ detail: err.extra.detail }, 422, err.headers);
    return json({ detail: { status: err.code ?? 'error', message: err.message } }, err.status, err.headers);
  }

  faultBody(action: ErrorFault): JsonReply {
    if (action.type === 'quota')
      return this.errorReply(detail(401, 'quota_exceeded', 'This request exceeds your quota of 10000. You have 0 credits remaining.'));
    if (action.type === 'rate_limit') {
      return this.errorReply(
        detail(
          429,
          'too_many_concurrent_requests',
          'Too many concurrent requests. Your current subscription allows 2 concurrent requests.',
        ),
      );
    }
    const texts: Record<number, [string, string]> = {
      500: ['internal_error', 'An internal server error occurred.'],
      502: ['bad_gateway', 'Bad gateway.'],
      503: ['system_busy', 'We are experiencing heavy traffic, please try again.'],
      504: ['timeout', 'The request timed out.'],
    };
    const [code, message] = texts[action.status] ?? ['error', `HTTP ${action.status}`];
    return this.errorReply(detail(action.status, action.code ?? code, action.message ?? message));
  }

  notFound(): MockHttpError {
    return new MockHttpError(404, 'Not Found', { code: 'not_found' });
  }

  authorize(req: IncomingMessage): void {
    const key = this.opts.apiKey;
    if (!key) return;
    const given = req.headers['xi-api-key'];
    if (!given) throw detail(401, 'needs_authorization', 'Neither authorization header nor xi-api-key received, please provide one.');
    if (given !== key) throw detail(401, 'invalid_api_key', 'Invalid API key');
  }

  reset(): void {
    this.done.length = 0;
    this.charactersLeft = this.opts.characters ?? 1_000_000;
  }

  listings = { syntheses: () => this.done };
}
