/**
 * The Google mock through the official @google/genai (2.32.0) pointed at it: Veo on the Gemini API and on the Agent
 * Platform (OAuth through external_account ADC, and express mode), the Files API, Gemini Omni through the SDK's own
 * Interactions client, Google's error JSON, safety filtering, retention, and what the SDK itself does that made the
 * adapter avoid it (its Interactions client sends a create again after a 500).
 */
import { ApiError, GoogleGenAI } from '@google/genai';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { credentialSha256 } from '../../src/mock/kit/index.js';
import { startGoogleMock, type GoogleMock } from '../../src/mock/google/server.js';
import { streamsOf } from '../helpers/media.js';

const KEY = 'gemini-test-key-1';
const VERTEX_KEY = 'vertex-express-key-2';
const SUBJECT = 'workload-subject-token-3';
const VEO = 'veo-3.1-generate-001';
const CREATE = `/v1beta/models/${VEO}:predictLongRunning`;
let mock: GoogleMock;
let dir: string;
let adcFile: string;

beforeAll(async () => {
  mock = await startGoogleMock({
    apiKey: KEY,
    vertex: { apiKey: VERTEX_KEY, project: 'demo-project', subjectToken: SUBJECT },
    timing: { queuedMs: 20, msPerVideoSecond: 20 },
  });
  dir = await mkdtemp(join(tmpdir(), 'google-mock-'));
  await writeFile(join(dir, 'subject.txt'), SUBJECT);
  adcFile = join(dir, 'adc.json');
  await writeFile(
    adcFile,
    JSON.stringify({
      type: 'external_account',
      audience: '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/providers/ci',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: mock.tokenURL,
      credential_source: { file: join(dir, 'subject.txt') },
    }),
  );
});
afterAll(async () => {
  await mock?.close();
});
beforeEach(() => mock.reset());

const gemini = (key = KEY) => new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: mock.url } });
const vertexAdc = () =>
  new GoogleGenAI({
    vertexai: true,
    project: 'demo-project',
    location: 'us-central1',
    googleAuthOptions: { keyFilename: adcFile },
    httpOptions: { baseUrl: mock.url },
  });
const vertexExpress = () => new GoogleGenAI({ vertexai: true, apiKey: VERTEX_KEY, httpOptions: { baseUrl: mock.url } });

async function done<T extends { done?: boolean }>(ai: GoogleGenAI, op: T): Promise<T> {
  let cur = op;
  while (!cur.done) {
    await new Promise((r) => setTimeout(r, 30));
    cur = (await ai.operations.getVideosOperation({ operation: cur as never })) as unknown as T;
  }
  return cur;
}

function png(name: string, size = '160x90', color = 'red'): string {
  const path = join(dir, name);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=c=${color}:s=${size}`, '-frames:v', '1', path]);
  return path;
}

const fail = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const errorBody = (e: unknown) =>
  JSON.parse((e as ApiError).message) as { error: { code: number; status: string; details?: { reason?: string }[] } };

describe('Veo on the Gemini API through @google/genai', () => {
  it('generateVideos → operation name → GET until done → a Files API uri the SDK downloads; the key reached the mock', async () => {
    const ai = gemini();
    const op = await ai.models.generateVideos({
      model: VEO,
      source: { prompt: 'a lighthouse at dawn' },
      config: { durationSeconds: 4, aspectRatio: '9:16' },
    });
    expect(op.name).toMatch(new RegExp(`^models/${VEO}/operations/[a-z0-9]+$`));
    const finished = await done(ai, op);
    const video = finished.response!.generatedVideos![0]!.video!;
    expect(video.uri).toMatch(/^https:\/\/generativelanguage\.googleapis\.com\/v1beta\/files\/[a-z0-9]+:download\?alt=media$/);
    const dest = join(dir, 'gemini.mp4');
    await ai.files.download({ file: video, downloadPath: dest });
    const s = await streamsOf(dest);
    expect([s.width, s.height, Math.round(s.durationS), s.audio.length]).toEqual([720, 1280, 4, 1]);
    const log = mock.requests();
    expect(log.map((r) => `${r.method} ${r.path.replace(/operations\/\w+|files\/\w+/, '$ID')}`)).toEqual([
      `POST ${CREATE}`,
      ...log.slice(1, -1).map(() => `GET /v1beta/models/${VEO}/$ID`),
      'GET /v1beta/$ID:download',
    ]);
    expect(log.every((r) => r.auth?.header === 'x-goog-api-key' && r.auth.sha256 === credentialSha256(KEY))).toBe(true);
    expect(mock.jobs()[0]!.received).toMatchObject({ aspectRatio: '9:16', durationSeconds: 4, resolution: '720p' });
  });

  it('the SDK refuses a seed on the Gemini API before sending anything; the mock refuses one sent anyway', async () => {
    const err = await fail(gemini().models.generateVideos({ model: VEO, source: { prompt: 'x' }, config: { seed: 7 } }));
    expect((err as Error).message).toMatch(/seed parameter is only supported in Gemini Enterprise Agent Platform mode/);
    expect(mock.requests()).toHaveLength(0);
    const raw = await fetch(`${mock.url}${CREATE}`, {
      method: 'POST',
      headers: { 'x-goog-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ prompt: 'x' }], parameters: { seed: 7 } }),
    });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { error: { status: string; message: string } }).error).toMatchObject({ status: 'INVALID_ARGUMENT' });
  });

  it.each([
    [{ resolution: '1080p', durationSeconds: 4 }, /must be 8 with 1080p/],
    [{ durationSeconds: 5 }, /out of bounds/],
    [{ aspectRatio: '1:1' }, /aspectRatio/],
  ])('validation: %j → 400 INVALID_ARGUMENT naming the field', async (config, text) => {
    const err = await fail(gemini().models.generateVideos({ model: VEO, source: { prompt: 'x' }, config: config as never }));
    expect(err).toBeInstanceOf(ApiError);
    expect(errorBody(err).error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect((err as ApiError).message).toMatch(text);
  });

  it('a shut-down model answers 404 "no longer available"; an unknown one 404 "not found"', async () => {
    const gone = await fail(gemini().models.generateVideos({ model: 'veo-3.1-generate-preview', source: { prompt: 'x' } }));
    expect([(gone as ApiError).status, (gone as ApiError).message]).toEqual([404, expect.stringMatching(/no longer available/)]);
    const unknown = await fail(gemini().models.generateVideos({ model: 'veo-9', source: { prompt: 'x' } }));
    expect((unknown as ApiError).message).toMatch(/is not found for API version v1beta/);
  });

  it('keys: a wrong one is 400 API_KEY_INVALID, a missing one 403 PERMISSION_DENIED (as the live API answers)', async () => {
    const wrong = await fail(gemini('nope').models.generateVideos({ model: VEO, source: { prompt: 'x' } }));
    expect(errorBody(wrong).error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_INVALID' }] });
    const none = await fetch(`${mock.url}${CREATE}`, { method: 'POST', body: '{}' });
    expect([none.status, ((await none.json()) as { error: { status: string } }).error.status]).toEqual([403, 'PERMISSION_DENIED']);
  });

  it('first frame, last frame and reference images reach the instance; an extension continues a file this API made', async () => {
    const ai = gemini();
    const img = { imageBytes: (await readFile(png('first.png'))).toString('base64'), mimeType: 'image/png' };
    await ai.models.generateVideos({ model: VEO, source: { prompt: 'keys', image: img }, config: { durationSeconds: 8, lastFrame: img } });
    const refs = await ai.models.generateVideos({
      model: VEO,
      source: { prompt: 'refs' },
      config: { durationSeconds: 8, referenceImages: [{ image: img, referenceType: 'asset' as never }] },
    });
    const source = await done(ai, refs);
    await ai.models.generateVideos({ model: VEO, source: { prompt: 'more', video: source.response!.generatedVideos![0]!.video! } });
    expect(mock.jobs().map((j) => j.received)).toMatchObject([
      { image: true, lastFrame: true, referenceImages: 0 },
      { image: false, referenceImages: 1 },
      { video: expect.stringContaining('/v1beta/files/') as string },
    ]);
  });

  it('files are kept two days after the job ends, then 404', async () => {
    let now = Date.now();
    const clocked = await startGoogleMock({ apiKey: KEY, timing: { queuedMs: 0, msPerVideoSecond: 0 }, clock: () => now });
    try {
      const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: clocked.url } });
      const op = await ai.models.generateVideos({ model: VEO, source: { prompt: 'old' }, config: { durationSeconds: 4 } });
      now += 10;
      const video = (await done(ai, op)).response!.generatedVideos![0]!.video!;
      now += 2 * 86_400_000;
      const id = /files\/(\w+)/.exec(video.uri!)![1];
      const res = await fetch(`${clocked.url}/v1beta/files/${id}:download?alt=media`, { headers: { 'x-goog-api-key': KEY } });
      expect([res.status, ((await res.json()) as { error: { status: string } }).error.status]).toEqual([404, 'NOT_FOUND']);
    } finally {
      await clocked.close();
    }
  });
});

describe('Veo on the Agent Platform through @google/genai', () => {
  it('OAuth from external_account ADC (token exchange at the mock): fetchPredictOperation holds the video inline as base64', async () => {
    const ai = vertexAdc();
    const op = await ai.models.generateVideos({
      model: VEO,
      source: { prompt: 'a harbour' },
      config: { durationSeconds: 6, seed: 42, generateAudio: false },
    });
    expect(op.name).toMatch(new RegExp(`^projects/demo-project/locations/us-central1/publishers/google/models/${VEO}/operations/`));
    const finished = await done(ai, op);
    const bytes = finished.response!.generatedVideos![0]!.video!.videoBytes!;
    const dest = join(dir, 'vertex.mp4');
    await writeFile(dest, Buffer.from(bytes, 'base64'));
    const s = await streamsOf(dest);
    expect([s.width, Math.round(s.durationS), s.audio.length]).toEqual([1280, 6, 0]);
    const log = mock.requests();
    expect(log[0]).toMatchObject({ method: 'POST', path: '/v1/token', status: 200 });
    expect(log.slice(1).every((r) => r.auth?.header === 'authorization' && r.auth.scheme === 'Bearer')).toBe(true);
    expect(log.at(-1)!.path).toBe(
      `/v1beta1/projects/demo-project/locations/us-central1/publishers/google/models/${VEO}:fetchPredictOperation`,
    );
    expect(mock.jobs()[0]!.received).toMatchObject({ seed: 42, generateAudio: false });
  });

  it('without a valid token: 401 UNAUTHENTICATED; a wrong subject token is refused by the exchange (invalid_grant)', async () => {
    const res = await fetch(
      `${mock.url}/v1beta1/projects/demo-project/locations/us-central1/publishers/google/models/${VEO}:predictLongRunning`,
      {
        method: 'POST',
        headers: { authorization: 'Bearer made-up', 'content-type': 'application/json' },
        body: '{}',
      },
    );
    expect([res.status, ((await res.json()) as { error: { status: string } }).error.status]).toEqual([401, 'UNAUTHENTICATED']);
    const sts = await fetch(mock.tokenURL, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: 'wrong' }),
    });
    expect([sts.status, ((await sts.json()) as { error: string }).error]).toEqual([400, 'invalid_grant']);
  });

  it('express mode: the key on /v1beta1/publishers/google/models/…', async () => {
    const ai = vertexExpress();
    const op = await ai.models.generateVideos({
      model: 'veo-3.1-fast-generate-001',
      source: { prompt: 'x' },
      config: { durationSeconds: 4 },
    });
    await done(ai, op);
    expect(mock.requests()[0]).toMatchObject({ path: '/v1beta1/publishers/google/models/veo-3.1-fast-generate-001:predictLongRunning' });
    expect(mock.requests().every((r) => r.auth?.sha256 === credentialSha256(VERTEX_KEY))).toBe(true);
  });
});

describe('Gemini Omni through the Interactions API', () => {
  it("the SDK's Interactions client: background create → in_progress → completed with the video inline in steps[model_output]", async () => {
    const ai = gemini();
    const created = (await ai.interactions.create({
      model: 'gemini-omni-1.1-flash',
      input: 'a marble run',
      response_modalities: ['video'],
      response_format: { type: 'video', aspect_ratio: '16:9', resolution: '360p', duration: '5s' },
      background: true,
    } as never)) as { id: string; status: string };
    expect(created.status).toBe('in_progress');
    let got = created as { status: string; steps?: { type: string; content?: { type: string; data?: string }[] }[] };
    while (got.status !== 'completed') {
      await new Promise((r) => setTimeout(r, 30));
      got = (await ai.interactions.get(created.id)) as typeof got;
    }
    const video = got.steps!.find((s) => s.type === 'model_output')!.content!.find((c) => c.type === 'video')!;
    const dest = join(dir, 'omni.mp4');
    await writeFile(dest, Buffer.from(video.data!, 'base64'));
    const s = await streamsOf(dest);
    expect([s.width, s.height, Math.round(s.durationS), s.audio.length]).toEqual([640, 360, 5, 1]);
    expect(mock.requests()[0]).toMatchObject({ method: 'POST', path: '/v1beta/interactions', status: 200 });
  });

  it("the SDK's Interactions client sends a create again after a dropped connection: two paid interactions (why storyreel posts creates itself)", async () => {
    mock.setFaults([{ match: { method: 'POST', path: '/v1beta/interactions' }, action: { type: 'accept_then_drop' } }]);
    await gemini().interactions.create({
      model: 'gemini-omni-1.1-flash',
      input: 'twice',
      response_modalities: ['video'],
      background: true,
    } as never);
    expect(mock.requests().filter((r) => r.method === 'POST')).toHaveLength(2);
    expect(mock.jobs()).toHaveLength(2);
  });

  it('uri delivery: a Files API uri; the Agent Platform answers steps[] only with Api-Revision, outputs[] without', async () => {
    const res = await fetch(`${mock.url}/v1beta/interactions`, {
      method: 'POST',
      headers: { 'x-goog-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gemini-omni-1.1-flash',
        input: 'u',
        response_format: { type: 'video', delivery: 'uri', duration: '3s' },
        background: true,
      }),
    });
    const { id } = (await res.json()) as { id: string };
    await new Promise((r) => setTimeout(r, 200));
    const doc = (await (await fetch(`${mock.url}/v1beta/interactions/${id}`, { headers: { 'x-goog-api-key': KEY } })).json()) as {
      steps: { content: { type: string; uri?: string }[] }[];
    };
    expect(doc.steps[0]!.content.find((c) => c.type === 'video')!.uri).toMatch(
      /^https:\/\/generativelanguage\.googleapis\.com\/v1beta\/files\/[a-z0-9]+$/,
    );
    const base = `${mock.url}/v1beta1/interactions`;
    const headers = { 'x-goog-api-key': VERTEX_KEY, 'content-type': 'application/json' };
    const v = (await (
      await fetch(base, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: 'gemini-omni-1.2-flash', input: 'v', response_modalities: ['video'], background: true }),
      })
    ).json()) as { id: string };
    await new Promise((r) => setTimeout(r, 300));
    const legacy = (await (await fetch(`${base}/${v.id}`, { headers })).json()) as Record<string, unknown>;
    const current = (await (await fetch(`${base}/${v.id}`, { headers: { ...headers, 'api-revision': '2026-05-20' } })).json()) as Record<
      string,
      unknown
    >;
    expect([Object.hasOwn(legacy, 'outputs'), Object.hasOwn(legacy, 'steps')]).toEqual([true, false]);
    expect([Object.hasOwn(current, 'outputs'), Object.hasOwn(current, 'steps')]).toEqual([false, true]);
  });
});

describe("faults and failures in Google's format", () => {
  it('rate_limit: 429 RESOURCE_EXHAUSTED with a per-minute QuotaFailure and RetryInfo; quota: a per-day QuotaFailure, no RetryInfo', async () => {
    mock.setFaults([{ match: { path: CREATE }, action: { type: 'rate_limit', retryAfter: 7 } }]);
    const limited = await fail(gemini().models.generateVideos({ model: VEO, source: { prompt: 'x' } }));
    const body = JSON.stringify(errorBody(limited));
    expect(body).toMatch(/PerMinute/);
    expect(body).toMatch(/"retryDelay":"7s"/);
    mock.setFaults([{ match: { path: CREATE }, action: { type: 'quota' } }]);
    const quota = JSON.stringify(errorBody(await fail(gemini().models.generateVideos({ model: VEO, source: { prompt: 'x' } }))));
    expect([/PerDay/.test(quota), /RetryInfo/.test(quota)]).toEqual([true, false]);
  });

  it.each([
    ['INTERNAL', { error: { code: 13 } }],
    [
      'RAI_INPUT',
      {
        response: {
          generateVideoResponse: { raiMediaFilteredCount: 1, raiMediaFilteredReasons: [expect.stringMatching(/Support codes: 90789179/)] },
        },
      },
    ],
  ])('job_failed %s ends the operation done with %j', async (code, shape) => {
    mock.setFaults([{ match: { path: CREATE }, action: { type: 'job_failed', code } }]);
    const ai = gemini();
    const op = await ai.models.generateVideos({ model: VEO, source: { prompt: 'x' }, config: { durationSeconds: 4 } });
    await done(ai, op);
    const raw = await (await fetch(`${mock.url}/v1beta/${op.name}`, { headers: { 'x-goog-api-key': KEY } })).json();
    expect(raw).toMatchObject({ done: true, ...shape });
  });
});
