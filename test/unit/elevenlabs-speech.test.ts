/**
 * elevenlabs against its mock through the official @elevenlabs/elevenlabs-js SDK (retries off): the mock's contract
 * (character alignment that matches the audio, output formats, errors in ElevenLabs' shapes), word-timed captions
 * built from the alignment, one request per synthesis under faults, cache hits on rerun, and the key never leaked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElevenLabsClient } from '@elevenlabs/elevenlabs-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { VoiceSettings } from '../../src/contracts/speech.js';
import { sceneCues, toAss } from '../../src/media/captions.js';
import { audioSeconds, voicedSpans } from '../../src/media/speech-audio.js';
import { credentialSha256 } from '../../src/mock/kit/index.js';
import { startElevenLabsMock, type ElevenLabsMock } from '../../src/mock/elevenlabs/server.js';
import type { ProviderError } from '../../src/providers/errors.js';
import { ElevenLabsSpeech } from '../../src/speech/elevenlabs.js';
import { voiceLine, voiceScene } from '../../src/speech/voice-scene.js';
import { SpeechStore } from '../../src/store/speech-store.js';
import { lineKey } from '../../src/storyboard/speech.js';

const KEY = 'xi-test-key-abcdef0123';
const RACHEL = '21m00Tcm4TlvDq8ikWAM';
let mock: ElevenLabsMock;
let dir: string;

beforeAll(async () => {
  mock = await startElevenLabsMock({ apiKey: KEY });
});
afterAll(async () => {
  await mock.close();
});
beforeEach(async () => {
  mock.reset();
  dir = await mkdtemp(join(tmpdir(), 'eleven-'));
  return () => rm(dir, { recursive: true, force: true });
});

const voice = (): VoiceSettings => ({
  provider: 'elevenlabs',
  voice: RACHEL,
  model: 'eleven_multilingual_v2',
  baseURL: mock.baseURL,
  apiKeyEnv: 'XI',
});
const deps = () => ({
  store: new SpeechStore(join(dir, 'store')),
  provider: () => new ElevenLabsSpeech({ env: { XI: KEY }, baseURL: mock.baseURL, apiKeyEnv: 'XI' }),
  scratchDir: join(dir, 'scratch'),
});
const line = (text: string, speaker = 'narrator') => ({ speaker, text, voice: voice(), key: lineKey(text, voice()) });
const posts = () => mock.requests().filter((r) => r.method === 'POST');

describe('elevenlabs mock through the official SDK', () => {
  const sdk = (apiKey = KEY) => new ElevenLabsClient({ apiKey, baseUrl: mock.baseURL, maxRetries: 0 });

  it('returns audio with a character alignment that matches it', async () => {
    const text = 'Hold fast, Mara.';
    const r = await sdk().textToSpeech.convertWithTimestamps(RACHEL, { text, outputFormat: 'mp3_44100_128' });
    const a = r.alignment!;
    expect(a.characters.join('')).toBe(text);
    expect(a.characterStartTimesSeconds).toHaveLength(text.length);
    expect(a.characterEndTimesSeconds.at(-1)).toBeGreaterThan(0.8);
    expect(Buffer.from(r.audioBase64, 'base64').length).toBeGreaterThan(1000);
  });

  it('answers in ElevenLabs shapes: unknown voice 404, bad output format 422, wrong key 401, quota 401', async () => {
    await expect(sdk().textToSpeech.convertWithTimestamps('nobody', { text: 'x' })).rejects.toMatchObject({
      statusCode: 404,
      body: { detail: { status: 'voice_not_found' } },
    });
    await expect(sdk().textToSpeech.convertWithTimestamps(RACHEL, { text: 'x', modelId: 'eleven_nope' })).rejects.toMatchObject({
      statusCode: 400,
    });
    await expect(sdk('wrong').textToSpeech.convertWithTimestamps(RACHEL, { text: 'x' })).rejects.toMatchObject({
      statusCode: 401,
      body: { detail: { status: 'invalid_api_key' } },
    });
    const small = await startElevenLabsMock({ apiKey: KEY, characters: 3 });
    try {
      const err = await new ElevenLabsClient({ apiKey: KEY, baseUrl: small.baseURL, maxRetries: 0 }).textToSpeech
        .convertWithTimestamps(RACHEL, { text: 'too long' })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ statusCode: 401, body: { detail: { status: 'quota_exceeded' } } });
    } finally {
      await small.close();
    }
  });
});

describe('voicing through elevenlabs', () => {
  it("word-timed captions from the mock's alignment: each word where the audio says it", async () => {
    const speech = {
      lines: [line('The storm came in at dusk.'), line('Hold fast, Mara!', 'mara')],
      leadS: 0.25,
      gapS: 0.3,
      tailS: 0.35,
      fit: 'lengthen' as const,
      key: 'e'.repeat(64),
    };
    const voiced = await voiceScene('s1', speech, deps());
    expect(posts()).toHaveLength(2);
    // The words are the alignment's, shifted by the lead (line 1) and lead + line 1 + gap (line 2).
    expect(voiced.words.map((w) => w.text)).toEqual(['The', 'storm', 'came', 'in', 'at', 'dusk.', 'Hold', 'fast,', 'Mara!']);
    expect(voiced.words[0]!.startS).toBe(0.25);
    const first = await voiceLine(line('The storm came in at dusk.'), deps());
    expect(first.wordTimings).toBe('provider');
    expect(voiced.words[6]!.startS).toBeCloseTo(0.25 + first.durationS + 0.3, 2);
    // Every word starts inside audible speech of the track (the mock's letters are tones, spaces silence).
    const spans = await voicedSpans(voiced.path);
    for (const w of voiced.words)
      expect(
        spans.some((s) => w.startS >= s.startS - 0.03 && w.startS <= s.endS),
        w.text,
      ).toBe(true);
    expect(await audioSeconds(voiced.path)).toBeCloseTo(voiced.speechS, 1);
    // Captions: a cue per sentence/speaker, starting on its first word; karaoke highlights each word in turn.
    const scene = { sceneId: 's1', title: 's1', startS: 10, endS: 14, clipSeconds: 4, frames: 96, transitionS: 0, normalized: [] };
    const cues = sceneCues([scene], [undefined], [voiced.words], 24);
    expect(cues.map((c) => c.text)).toEqual(['The storm came in at dusk.', 'Hold fast, Mara!']);
    expect(cues[0]!.startS).toBe(10.25);
    expect(cues[1]!.startS).toBeCloseTo(10 + voiced.words[6]!.startS, 3);
    const ass = toAss(
      cues,
      { fontSize: 28, color: 'ffffff', outline: 2, position: 'bottom', karaoke: true, highlight: 'ffd400' },
      { width: 720, height: 1280 },
    );
    const events = ass.split('\n').filter((l) => l.startsWith('Dialogue:'));
    expect(events).toHaveLength(9);
    expect(events[1]).toContain('The {\\1c&H00D4FF&}storm{\\r} came');
    // Vertical video: captions 20 % of the height above the bottom.
    expect(ass).toContain(',2,58,58,256,1');
  });

  it('one request per synthesis under faults; reruns pay nothing; the key is only the xi-api-key header', async () => {
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'http', status: 503 } }]);
    await expect(voiceLine(line('Once more.'), deps())).rejects.toMatchObject({ kind: 'transient', retryable: true });
    const ok = await voiceLine(line('Once more.'), deps());
    expect(ok.costUsd).toBeCloseTo(10 * 0.0003, 6);
    expect(posts()).toHaveLength(2);
    expect(mock.syntheses()).toHaveLength(1);
    const again = await voiceLine(line('Once more.'), deps());
    expect(again.cached).toBe(true);
    expect(posts()).toHaveLength(2);
    for (const r of posts()) expect(r.auth).toMatchObject({ header: 'xi-api-key', sha256: credentialSha256(KEY) });
    expect(JSON.stringify(mock.requests())).not.toContain(KEY);

    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'accept_then_drop' } }]);
    const lost = (await voiceLine(line('Lost.'), deps()).catch((e: unknown) => e)) as ProviderError;
    expect(lost).toMatchObject({ kind: 'ambiguous_submit', retryable: false });
    expect(mock.syntheses()).toHaveLength(2);
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'rate_limit', retryAfter: 3 } }]);
    await expect(voiceLine(line('Busy.'), deps())).rejects.toMatchObject({ kind: 'rate_limited', retryAfterMs: 3000 });
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'quota' } }]);
    const quota = (await voiceLine(line('Broke.'), deps()).catch((e: unknown) => e)) as ProviderError;
    expect(quota).toMatchObject({ kind: 'quota_exhausted', retryable: false });
    expect(`${quota.message}${JSON.stringify(quota.toJSON())}`).not.toContain(KEY);
  });
});
