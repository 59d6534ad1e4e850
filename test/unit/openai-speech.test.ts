/**
 * openai-speech against its mock through the official openai SDK (retries off): the mock's contract, one request per
 * synthesis (a rerun hits the speech store), how each fault is classified and how many requests it costs, and the
 * key never leaving the process except as the Authorization header.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { credentialSha256 } from '../../src/mock/kit/index.js';
import { startOpenAISpeechMock, type OpenAISpeechMock } from '../../src/mock/openai-speech/server.js';
import { ProviderError } from '../../src/providers/errors.js';
import { OpenAISpeech } from '../../src/speech/openai-speech.js';
import { voiceLine, voiceScene } from '../../src/speech/voice-scene.js';
import { SpeechStore } from '../../src/store/speech-store.js';
import { lineKey } from '../../src/storyboard/speech.js';
import type { VoiceSettings } from '../../src/contracts/speech.js';

const KEY = 'sk-test-speech-0123456789';
let mock: OpenAISpeechMock;
let dir: string;

beforeAll(async () => {
  mock = await startOpenAISpeechMock({ apiKey: KEY });
});
afterAll(async () => {
  await mock.close();
});
beforeEach(async () => {
  mock.reset();
  dir = await mkdtemp(join(tmpdir(), 'openai-speech-'));
  return () => rm(dir, { recursive: true, force: true });
});

const voice = (): VoiceSettings => ({
  provider: 'openai-speech',
  voice: 'marin',
  model: 'gpt-4o-mini-tts',
  baseURL: mock.baseURL,
  apiKeyEnv: 'TEST_SPEECH_KEY',
});
const deps = () => ({
  store: new SpeechStore(join(dir, 'store')),
  provider: () => new OpenAISpeech({ env: { TEST_SPEECH_KEY: KEY }, baseURL: mock.baseURL, apiKeyEnv: 'TEST_SPEECH_KEY' }),
  scratchDir: join(dir, 'scratch'),
});
const line = (text: string) => ({ speaker: 'narrator', text, voice: voice(), key: lineKey(text, voice()) });
const posts = () => mock.requests().filter((r) => r.method === 'POST' && r.path === '/v1/audio/speech');

describe('openai-speech mock through the openai SDK', () => {
  const sdk = () => new OpenAI({ apiKey: KEY, baseURL: mock.baseURL, maxRetries: 0 });

  it('answers every response_format with audio of that format, longer text giving longer audio', async () => {
    const magic: Record<string, (b: Buffer) => boolean> = {
      wav: (b) => b.subarray(0, 4).toString() === 'RIFF',
      mp3: (b) => b[0] === 0xff || b.subarray(0, 3).toString() === 'ID3',
      flac: (b) => b.subarray(0, 4).toString() === 'fLaC',
      opus: (b) => b.subarray(0, 4).toString() === 'OggS',
      aac: (b) => b[0] === 0xff && (b[1]! & 0xf0) === 0xf0,
      pcm: (b) => b.length > 0 && b.length % 2 === 0,
    };
    for (const [format, check] of Object.entries(magic)) {
      const res = await sdk().audio.speech.create({
        model: 'tts-1',
        voice: 'alloy',
        input: 'Hello there.',
        response_format: format as 'wav',
      });
      expect(check(Buffer.from(await res.arrayBuffer())), format).toBe(true);
    }
    const short = Buffer.from(
      await (await sdk().audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Hi.', response_format: 'pcm' })).arrayBuffer(),
    );
    const long = Buffer.from(
      await (
        await sdk().audio.speech.create({
          model: 'tts-1',
          voice: 'alloy',
          input: 'Hi. This is a much longer sentence.',
          response_format: 'pcm',
        })
      ).arrayBuffer(),
    );
    expect(long.length).toBeGreaterThan(short.length * 4);
  });

  it('validates as OpenAI does: unknown voice, instructions on tts-1, speed range, input length, missing key', async () => {
    await expect(sdk().audio.speech.create({ model: 'tts-1', voice: 'nobody', input: 'x' })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_value',
      param: 'voice',
    });
    await expect(sdk().audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'x', instructions: 'softly' })).rejects.toMatchObject({
      status: 400,
      param: 'instructions',
    });
    await expect(sdk().audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'x', speed: 5 })).rejects.toMatchObject({
      status: 400,
      param: 'speed',
    });
    await expect(sdk().audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'x'.repeat(4097) })).rejects.toMatchObject({
      status: 400,
      param: 'input',
    });
    await expect(sdk().audio.speech.create({ model: 'tts-9', voice: 'alloy', input: 'x' })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    await expect(
      new OpenAI({ apiKey: 'wrong', baseURL: mock.baseURL, maxRetries: 0 }).audio.speech.create({
        model: 'tts-1',
        voice: 'alloy',
        input: 'x',
      }),
    ).rejects.toMatchObject({ status: 401 });
    const sse = await sdk().audio.speech.create({
      model: 'gpt-4o-mini-tts',
      voice: { id: 'voice_custom' },
      input: 'Hello.',
      stream_format: 'sse',
    });
    const events = (await sse.text())
      .split('\n\n')
      .filter(Boolean)
      .map((e) => JSON.parse(e.replace(/^data: /, '')) as { type: string });
    expect(events.at(-1)!.type).toBe('speech.audio.done');
  });
});

describe('voicing through openai-speech', () => {
  it('one request per line; a rerun pays nothing; the key is only ever the Authorization header', async () => {
    const speech = {
      lines: [line('The storm came in at dusk.'), line('Hold fast.')],
      leadS: 0.25,
      gapS: 0.3,
      tailS: 0.35,
      fit: 'lengthen' as const,
      key: 'c'.repeat(64),
    };
    const first = await voiceScene('s1', speech, deps());
    expect(posts()).toHaveLength(2);
    expect(first.synthesized).toBe(2);
    expect(first.costUsd).toBeGreaterThan(0);
    expect(first.words[0]!.startS).toBeCloseTo(0.25, 2);
    expect(first.words.map((w) => w.text)).toEqual(['The', 'storm', 'came', 'in', 'at', 'dusk.', 'Hold', 'fast.']);
    for (const r of posts()) expect(r.auth?.sha256).toBe(credentialSha256(KEY));
    expect(JSON.stringify(mock.requests())).not.toContain(KEY);
    // A new scene with the same lines: the lines come from the store.
    const again = await voiceScene('s2', { ...speech, key: 'd'.repeat(64) }, deps());
    expect(posts()).toHaveLength(2);
    expect(again.synthesized).toBe(0);
    expect(again.costUsd).toBe(0);
    const record = JSON.parse(await readFile(join(dir, 'store', 'speech', 'dd', `${'d'.repeat(64)}.json`), 'utf8')) as object;
    expect(JSON.stringify(record)).not.toContain(KEY);
  });

  it('a 503 is retried by the caller (two requests, one synthesis); a 429 carries Retry-After', async () => {
    mock.setFaults([{ match: { path: '/v1/audio/speech' }, action: { type: 'http', status: 503 } }]);
    const err = await voiceLine(line('Once.'), deps()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: 'transient', retryable: true });
    await voiceLine(line('Once.'), deps());
    expect(posts()).toHaveLength(2);
    expect(mock.syntheses()).toHaveLength(1);
    mock.setFaults([{ match: { path: '/v1/audio/speech' }, action: { type: 'rate_limit', retryAfter: 2 } }]);
    await expect(voiceLine(line('Twice.'), deps())).rejects.toMatchObject({ kind: 'rate_limited', retryAfterMs: 2000 });
  });

  it('an answer lost after the server synthesized is never sent again automatically', async () => {
    for (const action of [{ type: 'accept_then_drop' }, { type: 'content_truncated' }] as const) {
      mock.reset();
      mock.setFaults([{ match: { path: '/v1/audio/speech' }, action }]);
      const err = (await voiceLine(line(`Lost ${action.type}.`), deps()).catch((e: unknown) => e)) as ProviderError;
      expect(err.kind, action.type).toBe('ambiguous_submit');
      expect(err.retryable).toBe(false);
      expect(err.message).not.toContain(KEY);
      expect(posts()).toHaveLength(1);
    }
  });

  it('quota and auth failures are never retried and never show the key', async () => {
    mock.setFaults([{ match: { path: '/v1/audio/speech' }, action: { type: 'quota' } }]);
    await expect(voiceLine(line('Pay.'), deps())).rejects.toMatchObject({ kind: 'quota_exhausted', retryable: false });
    mock.setFaults([]);
    const bad = { ...deps(), provider: () => new OpenAISpeech({ env: { K: 'sk-wrong-key-999' }, baseURL: mock.baseURL, apiKeyEnv: 'K' }) };
    const err = (await voiceLine(line('Who?'), bad).catch((e: unknown) => e)) as ProviderError;
    expect(err).toMatchObject({ kind: 'auth', retryable: false });
    expect(`${err.message} ${JSON.stringify(err.toJSON())}`).not.toContain('sk-wrong-key-999');
  });
});
