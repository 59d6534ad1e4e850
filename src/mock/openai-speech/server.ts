/**
 * A mock of the OpenAI-compatible speech endpoint, `POST /v1/audio/speech` (OpenAI and the local servers that copy
 * it), on the mock kit: validation with OpenAI's error format, audio in every `response_format` (made by
 * kit/speech.ts, 24 kHz mono like OpenAI's), `stream_format: sse` events, Bearer keys, faults and a request log.
 * See README.md for the contract and the choices made.
 */
import { createHash } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import {
  startMockServer,
  text,
  type FaultRule,
  type MockKit,
  type MockProvider,
  type MockRequest,
  type MockRoute,
  type RequestLogEntry,
  listenOptions,
} from '../kit/index.js';
import { encodeSpeech, speak } from '../kit/speech.js';
import {
  ApiError,
  errorReply,
  invalidType,
  invalidValue,
  missingParameter,
  stringTooLong,
  unknownParameter,
} from '../openai-videos/errors.js';
import { faultBody, parseOpenAIBody } from '../openai-videos/replies.js';

export const SPEECH_MODELS = ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts', 'gpt-4o-mini-tts-2025-12-15'] as const;
export const SPEECH_VOICES = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'fable',
  'onyx',
  'nova',
  'sage',
  'shimmer',
  'verse',
  'marin',
  'cedar',
] as const;
export const RESPONSE_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;
const CONTENT_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};
const BODY_KEYS = new Set(['model', 'input', 'voice', 'instructions', 'response_format', 'speed', 'stream_format']);
export const MAX_INPUT = 4096;

export interface SpeechRoute extends MockRoute {
  kind: 'speech';
}

export interface OpenAISpeechMockOptions {
  port?: number;
  host?: string;
  /** When set, requests need `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  workDir?: string;
  recordBodies?: boolean;
}

export interface OpenAISpeechMock {
  url: string;
  /** `http://HOST:PORT/v1`: the openai SDK's baseURL. */
  baseURL: string;
  port: number;
  requests(): RequestLogEntry[];
  setFaults(rules: FaultRule[]): void;
  addFaults(rules: FaultRule[]): void;
  reset(): void;
  /** Syntheses answered (one per successful request), for tests. */
  syntheses(): { model: string; voice: string; input: string; format: string }[];
  close(): Promise<void>;
}

export async function startOpenAISpeechMock(opts: OpenAISpeechMockOptions = {}): Promise<OpenAISpeechMock> {
  const server = await startMockServer(
    {
      name: 'openai-speech',
      ...listenOptions(opts),
    },
    (kit) => new SpeechProvider(opts, kit),
  );
  return {
    url: server.url,
    baseURL: `${server.url}/v1`,
    port: server.port,
    requests: () => server.requests(),
    setFaults: (rules) => server.faults.set(rules),
    addFaults: (rules) => server.faults.add(rules),
    reset: () => server.reset(),
    syntheses: () => [...server.provider.done],
    close: () => server.close(),
  };
}

interface SpeechCommand {
  model: string;
  input: string;
  voice: string;
  instructions?: string;
  format: (typeof RESPONSE_FORMATS)[number];
  speed: number;
  stream: 'audio' | 'sse';
}

/** The body as OpenAI validates it (texts in OpenAI's style; see README for which are [real]). */
export function parseSpeechBody(fields: Record<string, unknown>): SpeechCommand {
  for (const k of Object.keys(fields)) if (!BODY_KEYS.has(k)) throw unknownParameter(k);
  const str = (k: string): string | undefined => {
    const v = fields[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw invalidType(k, 'a string', v);
    return v;
  };
  const model = str('model');
  if (!model) throw missingParameter('model');
  if (!(SPEECH_MODELS as readonly string[]).includes(model)) {
    throw new ApiError(404, `The model \`${model}\` does not exist or you do not have access to it.`, { code: 'model_not_found' });
  }
  const input = str('input');
  if (input === undefined) throw missingParameter('input');
  if (!input.trim())
    throw new ApiError(400, "Invalid 'input': empty string. Expected a string with minimum length 1, but got an empty string instead.", {
      param: 'input',
      code: 'empty_string',
    });
  if (input.length > MAX_INPUT) throw stringTooLong('input', MAX_INPUT, input.length);
  const rawVoice = fields.voice;
  let voice: string;
  if (rawVoice && typeof rawVoice === 'object' && typeof (rawVoice as { id?: unknown }).id === 'string')
    voice = (rawVoice as { id: string }).id;
  else if (typeof rawVoice === 'string') {
    if (!(SPEECH_VOICES as readonly string[]).includes(rawVoice)) throw invalidValue('voice', rawVoice, SPEECH_VOICES);
    voice = rawVoice;
  } else throw missingParameter('voice');
  const instructions = str('instructions');
  if (instructions !== undefined && model.startsWith('tts-1')) {
    throw new ApiError(400, `Instructions are not supported for model ${model}.`, { param: 'instructions', code: 'unsupported_parameter' });
  }
  const format = (str('response_format') ?? 'mp3') as SpeechCommand['format'];
  if (!(RESPONSE_FORMATS as readonly string[]).includes(format)) throw invalidValue('response_format', format, RESPONSE_FORMATS);
  const speedRaw = fields.speed;
  if (speedRaw !== undefined && typeof speedRaw !== 'number') throw invalidType('speed', 'a decimal', speedRaw);
  const speed = speedRaw ?? 1;
  if (speed < 0.25)
    throw new ApiError(400, `Invalid 'speed': decimal below minimum value. Expected a value >= 0.25, but got ${speed} instead.`, {
      param: 'speed',
      code: 'decimal_below_min_value',
    });
  if (speed > 4)
    throw new ApiError(400, `Invalid 'speed': decimal above maximum value. Expected a value <= 4, but got ${speed} instead.`, {
      param: 'speed',
      code: 'decimal_above_max_value',
    });
  const stream = (str('stream_format') ?? 'audio') as SpeechCommand['stream'];
  if (stream !== 'audio' && stream !== 'sse') throw invalidValue('stream_format', stream, ['sse', 'audio']);
  if (stream === 'sse' && model.startsWith('tts-1')) {
    throw new ApiError(400, `stream_format 'sse' is not supported for model ${model}.`, {
      param: 'stream_format',
      code: 'unsupported_value',
    });
  }
  return { model, input, voice, ...(instructions !== undefined ? { instructions } : {}), format, speed, stream };
}

class SpeechProvider implements MockProvider<SpeechRoute> {
  readonly done: { model: string; voice: string; input: string; format: string }[] = [];

  constructor(
    private readonly opts: OpenAISpeechMockOptions,
    private readonly kit: MockKit,
  ) {}

  route(method: string, path: string): SpeechRoute | undefined {
    if (method === 'POST' && path === '/v1/audio/speech') return { kind: 'speech', servesContent: true };
    return undefined;
  }

  async handle(req: MockRequest<SpeechRoute>) {
    const cmd = parseSpeechBody((req.body.fields ?? {}) as Record<string, unknown>);
    const audio = speak(cmd.input, { speed: cmd.speed, sampleRate: 24_000 });
    if (cmd.stream === 'sse') {
      const bytes = await encodeSpeech(audio, cmd.format);
      const events = [];
      for (let i = 0; i < bytes.length; i += 16_384)
        events.push({ type: 'speech.audio.delta', audio: bytes.subarray(i, i + 16_384).toString('base64') });
      const tokens = Math.ceil(cmd.input.length / 4);
      events.push({
        type: 'speech.audio.done',
        usage: { input_tokens: tokens, output_tokens: Math.ceil(audio.seconds * 20), total_tokens: tokens + Math.ceil(audio.seconds * 20) },
      });
      this.done.push({ model: cmd.model, voice: cmd.voice, input: cmd.input, format: cmd.format });
      return { reply: text(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join(''), 200, 'text/event-stream') };
    }
    const bytes = await encodeSpeech(audio, cmd.format);
    const dir = join(this.kit.workDir, 'speech');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}.${cmd.format}`);
    await writeFile(path, bytes);
    this.done.push({ model: cmd.model, voice: cmd.voice, input: cmd.input, format: cmd.format });
    return {
      reply: {
        kind: 'asset' as const,
        asset: { path, contentType: CONTENT_TYPES[cmd.format]!, size: (await stat(path)).size },
        range: undefined,
      },
    };
  }

  errorReply = errorReply;
  faultBody = faultBody;
  parseBody = parseOpenAIBody;

  notFound(method: string, path: string) {
    return new ApiError(404, `Invalid URL (${method} ${path})`, { code: null });
  }

  authorize(req: IncomingMessage): void {
    const key = this.opts.apiKey;
    if (!key) return;
    const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    if (!given) {
      throw new ApiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        { code: 'invalid_api_key' },
      );
    }
    if (given !== key)
      throw new ApiError(401, 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.', {
        code: 'invalid_api_key',
      });
  }

  reset(): void {
    this.done.length = 0;
  }

  listings = { syntheses: () => this.done };
}
