/**
 * The Runway mock (src/mock/runway), driven through the official `@runwayml/sdk` (retries off) and plain HTTP: both
 * create endpoints, per-model validation with Runway's `issues`, the task lifecycle (PENDING → THROTTLED under the
 * tier's concurrency → RUNNING → SUCCEEDED / FAILED), DELETE, fresh signed output URLs on every read, the account
 * (credits, daily limits, GET /v1/organization), the version header, error bodies, faults and the request log. Also
 * what the SDK itself does with its default retries on a create (why the adapter turns them off).
 */
import RunwayML, { APIError } from '@runwayml/sdk';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { credentialSha256 } from '../../src/mock/kit/index.js';
import { startRunwayMock, type RunwayMock, type Task } from '../../src/mock/runway/server.js';
import { tempDir } from '../helpers/files.js';
import { frameByIndex, meanAbsDiff, streamsOf } from '../helpers/media.js';

const run = promisify(execFile);
const KEY = 'key_test-runway';
let now = Date.UTC(2026, 11, 1, 12, 0, 0);
const clock = () => now;
const advance = (ms: number) => (now += ms);

let mock: RunwayMock;
beforeAll(async () => {
  mock = await startRunwayMock({ apiKey: KEY, clock, prerender: false, timing: { queuedMs: 1000, msPerVideoSecond: 1000 } });
});
afterEach(() => mock.reset());
afterAll(async () => {
  await mock?.close();
});

const sdk = (m = mock, key = KEY) => new RunwayML({ apiKey: key, baseURL: m.baseURL, maxRetries: 0 });
const task = async (id: string, m = mock) => (await sdk(m).tasks.retrieve(id)) as Task;

/** The SDK's APIError: status and the JSON body. */
async function apiError(p: Promise<unknown>): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(APIError);
  const e = err as APIError;
  return { status: e.status!, body: e.error as Record<string, unknown>, headers: e.headers! };
}

async function download(url: string, name: string): Promise<string> {
  const file = join(await tempDir(), name);
  const res = await fetch(url);
  expect(res.status).toBe(200);
  await writeFile(file, Buffer.from(await res.arrayBuffer()));
  return file;
}

async function pngDataUri(size = '1280x720', source = 'testsrc2'): Promise<{ uri: string; path: string }> {
  const path = join(await tempDir(), 'frame.png');
  await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `${source}=size=${size}`, '-frames:v', '1', path]);
  return { uri: `data:image/png;base64,${(await readFile(path)).toString('base64')}`, path };
}

describe('create, read, download', () => {
  it('text_to_video: 200 {id, estimatedCost}; PENDING, RUNNING with progress 0..1, SUCCEEDED with output and cost; a silent mp4', async () => {
    const created = await sdk().textToVideo.create({ model: 'gen4.5', promptText: 'a red kite', ratio: '1280:720', duration: 3 });
    expect(created).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown, estimatedCost: { credits: 36 } });
    const pending = await task(created.id);
    expect(pending).toEqual({ id: created.id, createdAt: new Date(now).toISOString(), status: 'PENDING', estimatedCost: { credits: 36 } });
    advance(1000 + 1500);
    expect(await task(created.id)).toMatchObject({ status: 'RUNNING', progress: 0.5, estimatedCost: { credits: 36 } });
    advance(1500);
    const done = await task(created.id);
    expect(done).toEqual({
      id: created.id,
      createdAt: pending.createdAt,
      status: 'SUCCEEDED',
      output: [expect.stringMatching(/\/files\/[0-9a-f]{32}\/video\.mp4$/) as unknown],
      cost: { credits: 36 },
    });
    const s = await streamsOf(await download(done.output![0]!, 'gen45.mp4'));
    expect([s.width, s.height, s.frames, s.audio.length]).toEqual([1280, 720, 72, 0]);
    const log = mock.requests();
    expect(log.map((r) => [r.method, r.path, r.status])).toEqual([
      ['POST', '/v1/text_to_video', 200],
      ['GET', `/v1/tasks/${created.id}`, 200],
      ['GET', `/v1/tasks/${created.id}`, 200],
      ['GET', `/v1/tasks/${created.id}`, 200],
      ['GET', new URL(done.output![0]!).pathname, 200],
    ]);
    expect(log[0]!.auth).toEqual({ header: 'authorization', scheme: 'Bearer', sha256: credentialSha256(KEY) });
    expect(log[0]!.headers['x-runway-version']).toBe('2024-11-06');
    expect(log[0]!.retryCount).toBe(0);
    expect(log[4]!.auth).toBeUndefined();
    expect(JSON.stringify(log)).not.toContain(KEY);
  });

  it('image_to_video: a data-URI first frame is frame 0; veo3.1 with first and last frame has sound unless audio: false', async () => {
    const { uri, path } = await pngDataUri();
    const withSound = await sdk().imageToVideo.create({
      model: 'veo3.1_fast',
      promptText: 'the kite lands',
      ratio: '1280:720',
      duration: 4,
      promptImage: [
        { uri, position: 'first' },
        { uri, position: 'last' },
      ],
    });
    const silent = await sdk().imageToVideo.create({
      model: 'veo3.1_fast',
      promptImage: uri,
      ratio: '1280:720',
      duration: 4,
      audio: false,
    });
    expect([withSound.estimatedCost.credits, silent.estimatedCost.credits]).toEqual([60, 40]);
    advance(10_000);
    const a = await download((await task(withSound.id)).output![0]!, 'a.mp4');
    const b = await download((await task(silent.id)).output![0]!, 'b.mp4');
    const [sa, sb] = [await streamsOf(a), await streamsOf(b)];
    expect([sa.width, sa.height, sa.frames, sa.audio.length]).toEqual([1280, 720, 96, 1]);
    expect(sb.audio.length).toBe(0);
    expect(meanAbsDiff((await frameByIndex(path, 0)).data, (await frameByIndex(a, 0)).data)).toBeLessThan(6);
    expect(mock.tasks().map((t) => [t.endpoint, t.firstFrame, t.lastFrame, t.audio])).toEqual([
      ['image_to_video', true, true, true],
      ['image_to_video', true, false, false],
    ]);
  });
});

describe("validation: 400 'Validation of body failed' with issues", () => {
  const post = (endpoint: 'text_to_video' | 'image_to_video', body: Record<string, unknown>) =>
    apiError(
      endpoint === 'text_to_video'
        ? sdk().textToVideo.create(body as unknown as RunwayML.TextToVideoCreateParams)
        : sdk().imageToVideo.create(body as unknown as RunwayML.ImageToVideoCreateParams),
    );

  it.each([
    [
      'an unknown model (or one the endpoint does not serve) is the only issue, with the accepted values',
      'text_to_video',
      { model: 'gen4_turbo', promptText: 'x', ratio: '960:960', duration: 99 },
      [
        {
          code: 'invalid_value',
          path: ['model'],
          values: ['gen4.5', 'veo3.1', 'veo3.1_fast', 'seedance2', 'seedance2_fast', 'seedance2_mini', 'gemini_omni_flash'],
        },
      ],
    ],
    [
      'keys the model does not know, a ratio, a duration too long',
      'text_to_video',
      { model: 'gen4.5', promptText: 'x', ratio: '1920:1080', duration: 12, audio: true, negativePrompt: 'rain' },
      [
        { code: 'unrecognized_keys', keys: ['audio', 'negativePrompt'], path: [] },
        { code: 'invalid_value', path: ['ratio'], values: ['1280:720', '720:1280'] },
        { code: 'too_big', path: ['duration'], message: 'Too big: expected number to be <=10' },
      ],
    ],
    [
      'a duration Veo does not offer, a missing ratio',
      'text_to_video',
      { model: 'veo3.1', promptText: 'x', duration: 5 },
      [
        { code: 'invalid_type', path: ['ratio'] },
        { code: 'invalid_value', path: ['duration'], values: [4, 6, 8] },
      ],
    ],
    [
      'a prompt over 1000 UTF-16 code units (an emoji counts two)',
      'text_to_video',
      { model: 'gen4.5', promptText: `${'a'.repeat(999)}🎬`, ratio: '1280:720', duration: 5 },
      [{ code: 'too_big', path: ['promptText'], message: 'Too big: expected string to have <=1000 characters' }],
    ],
    [
      'an http URL, a last frame alone on Veo',
      'image_to_video',
      { model: 'veo3.1', ratio: '1280:720', promptImage: [{ uri: 'http://example.com/a.png', position: 'last' }] },
      [
        { code: 'custom', path: ['promptImage', 0, 'uri'], message: 'Only HTTPS URLs are allowed.' },
        { code: 'custom', path: ['promptImage'], message: 'This model does not support generating with only a last frame.' },
      ],
    ],
    [
      'a last frame on a first-frame-only model, an IP host, a bad data URI',
      'image_to_video',
      {
        model: 'gen4_turbo',
        ratio: '1280:720',
        promptImage: [
          { uri: 'https://10.0.0.1/a.png', position: 'first' },
          { uri: 'data:image/png;base64,AAAA', position: 'last' },
        ],
      },
      [
        { code: 'custom', path: ['promptImage', 0, 'uri'], message: 'URLs must be hosted on a domain.' },
        { code: 'invalid_value', path: ['promptImage', 1, 'position'], values: ['first'] },
      ],
    ],
  ] as const)('%s', async (_name, endpoint, body, issues) => {
    const { status, body: answer } = await post(endpoint, body);
    expect(status).toBe(400);
    expect(answer).toMatchObject({ error: 'Validation of body failed', docUrl: 'https://docs.dev.runwayml.com/api' });
    expect(answer.issues).toEqual(issues.map((i) => expect.objectContaining(i) as unknown));
    expect(mock.tasks()).toHaveLength(0);
  });

  it('a data URI over 5 MB is refused', async () => {
    const uri = `data:image/png;base64,${'A'.repeat(5 * 1024 * 1024)}`;
    const { body } = await post('image_to_video', { model: 'gen4_turbo', ratio: '1280:720', promptImage: uri });
    expect(body.issues).toEqual([expect.objectContaining({ path: ['promptImage'], message: 'The data URI must be under 5MB.' })]);
  });
});

describe('headers, auth, unknown things', () => {
  const raw = (path: string, init: RequestInit = {}) => fetch(`${mock.baseURL}${path}`, init);

  it('X-Runway-Version is required and must be 2024-11-06', async () => {
    const headers = { authorization: `Bearer ${KEY}` };
    const missing = await raw('/v1/organization', { headers });
    expect([missing.status, ((await missing.json()) as { error: string }).error]).toEqual([400, expect.stringMatching(/X-Runway-Version/)]);
    const old = await raw('/v1/organization', { headers: { ...headers, 'x-runway-version': '2024-09-13' } });
    expect([old.status, ((await old.json()) as { error: string }).error]).toEqual([
      400,
      expect.stringMatching(/"2024-09-13" is not supported/),
    ]);
  });

  it('401 without a key or with a wrong one; 404 for an unknown task; 405 for a wrong method', async () => {
    expect((await apiError(sdk(mock, 'key_wrong').organization.retrieve())).status).toBe(401);
    expect((await raw('/v1/organization')).status).toBe(401);
    const gone = await apiError(sdk().tasks.retrieve('00000000-0000-4000-8000-000000000000'));
    expect([gone.status, gone.body]).toEqual([404, { error: 'Could not find Task' }]);
    const wrong = await raw('/v1/text_to_video', { headers: { authorization: `Bearer ${KEY}`, 'x-runway-version': '2024-11-06' } });
    expect([wrong.status, wrong.headers.get('allow')]).toEqual([405, 'POST']);
  });
});

describe('limits per model: THROTTLED under the tier, daily generations', () => {
  it('with one slot per model, a second task of the same model waits THROTTLED; another model runs at once', async () => {
    const one = await startRunwayMock({ clock, prerender: false, concurrency: 1, timing: { queuedMs: 0, msPerVideoSecond: 1000 } });
    try {
      const c = sdk(one, 'any');
      const make = (model: 'gen4.5' | 'gemini_omni_flash', promptText: string) =>
        c.textToVideo.create({ model, promptText, ratio: '1280:720', duration: 4 } as RunwayML.TextToVideoCreateParams);
      const a = await make('gen4.5', 'first');
      const b = await make('gen4.5', 'second');
      const o = await make('gemini_omni_flash', 'other model');
      advance(1000);
      expect([(await task(a.id, one)).status, (await task(b.id, one)).status, (await task(o.id, one)).status]).toEqual([
        'RUNNING',
        'THROTTLED',
        'RUNNING',
      ]);
      advance(3000);
      expect([(await task(a.id, one)).status, (await task(b.id, one)).status]).toEqual(['SUCCEEDED', 'RUNNING']);
    } finally {
      await one.close();
    }
  });

  it('past the daily limit a create is 429, and the organization shows the usage against the limit', async () => {
    const daily = await startRunwayMock({ clock, prerender: false, dailyGenerations: 2 });
    try {
      const c = sdk(daily, 'any');
      const make = () => c.textToVideo.create({ model: 'gen4.5', promptText: 'x', ratio: '1280:720', duration: 2 });
      await make();
      await make();
      const refused = await apiError(make());
      expect(refused.status).toBe(429);
      const org = await c.organization.retrieve();
      expect([org.usage.models['gen4.5']!.dailyGenerations, org.tier.models['gen4.5']!.maxDailyGenerations]).toEqual([2, 2]);
      advance(86_400_001);
      await make();
    } finally {
      await daily.close();
    }
  });
});

describe('the account: credits charged, refunded, exhausted', () => {
  it('a task is charged its estimate; a failed one is refunded except SAFETY.INPUT.*; a balance too small is 400 [real text]', async () => {
    const small = await startRunwayMock({ clock, prerender: false, credits: 100, timing: { queuedMs: 0, msPerVideoSecond: 100 } });
    try {
      const c = sdk(small, 'any');
      const make = (duration: number, fault?: string) =>
        c.textToVideo.create(
          { model: 'gen4.5', promptText: 'x', ratio: '1280:720', duration },
          fault ? { headers: { 'x-mock-fault': JSON.stringify({ type: 'job_failed', code: fault }) } } : {},
        );
      await make(2); // 24
      const internal = await make(2, 'INTERNAL'); // 24, refunded
      const unsafe = await make(2, 'SAFETY.INPUT.TEXT'); // 24, kept
      expect(small.creditBalance()).toBe(100 - 72);
      advance(1000);
      expect(await task(internal.id, small)).toMatchObject({ status: 'FAILED', failureCode: 'INTERNAL', cost: { credits: 0 } });
      expect(await task(unsafe.id, small)).toMatchObject({ status: 'FAILED', failureCode: 'SAFETY.INPUT.TEXT', cost: { credits: 24 } });
      expect((await c.organization.retrieve()).creditBalance).toBe(100 - 48);
      const broke = await apiError(make(5));
      expect([broke.status, broke.body.error]).toEqual([400, 'You do not have enough credits to run this task.']);
    } finally {
      await small.close();
    }
  });

  it('a quota fault answers as an empty account and empties the balance the organization reports', async () => {
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'quota' } }]);
    const first = await apiError(sdk().textToVideo.create({ model: 'gen4.5', promptText: 'x', ratio: '1280:720', duration: 2 }));
    expect([first.status, first.body.error, first.headers.get('retry-after')]).toEqual([
      400,
      'You do not have enough credits to run this task.',
      null,
    ]);
    expect((await sdk().organization.retrieve()).creditBalance).toBe(0);
    const second = await apiError(sdk().textToVideo.create({ model: 'gen4.5', promptText: 'x', ratio: '1280:720', duration: 2 }));
    expect(second.status).toBe(400);
  });
});

describe('DELETE and output URLs', () => {
  it('DELETE of a running task: 204, then 404 [real]; with deleteOnCancel false it stays CANCELLED at cost 0', async () => {
    const created = await sdk().textToVideo.create({ model: 'gen4.5', promptText: 'stop', ratio: '1280:720', duration: 4 });
    advance(1500);
    await sdk().tasks.delete(created.id);
    expect(mock.requests().at(-1)!.status).toBe(204);
    expect((await apiError(sdk().tasks.retrieve(created.id))).status).toBe(404);
    const visible = await startRunwayMock({ clock, prerender: false, deleteOnCancel: false });
    try {
      const c = sdk(visible, 'any');
      const t = await c.textToVideo.create({ model: 'gen4.5', promptText: 'stop', ratio: '1280:720', duration: 4 });
      await c.tasks.delete(t.id);
      expect(await task(t.id, visible)).toMatchObject({ status: 'CANCELLED', cost: { credits: 0 } });
      expect(visible.creditBalance()).toBe(1_000_000);
    } finally {
      await visible.close();
    }
  });

  it('every read signs a fresh URL; an expired URL is 404 while a new read gives a working one; a purged task is 404', async () => {
    const short = await startRunwayMock({
      clock,
      prerender: false,
      outputUrlTtlMs: 60_000,
      taskRetentionMs: 3_600_000,
      timing: { queuedMs: 0, msPerVideoSecond: 100 },
    });
    try {
      const c = sdk(short, 'any');
      const t = await c.textToVideo.create({ model: 'gen4.5', promptText: 'fresh', ratio: '720:1280', duration: 2 });
      advance(1000);
      const first = (await task(t.id, short)).output![0]!;
      const second = (await task(t.id, short)).output![0]!;
      expect(second).not.toBe(first);
      advance(60_000);
      expect((await fetch(first)).status).toBe(404);
      const third = (await task(t.id, short)).output![0]!;
      const s = await streamsOf(await download(third, 'fresh.mp4'));
      expect([s.width, s.height]).toEqual([720, 1280]);
      advance(3_600_000);
      expect((await apiError(c.tasks.retrieve(t.id))).status).toBe(404);
    } finally {
      await short.close();
    }
  });
});

describe("faults in Runway's format, and what the SDK does by itself", () => {
  it('rate_limit → 429 {error} with Retry-After; job_failed codes are Runway’s (others refused); job_stuck holds RUNNING', async () => {
    mock.setFaults([{ match: { method: 'GET', path: '/v1/organization' }, action: { type: 'rate_limit', retryAfter: 7 } }]);
    const limited = await apiError(sdk().organization.retrieve());
    expect([limited.status, limited.body, limited.headers.get('retry-after')]).toEqual([429, { error: 'Too many requests' }, '7']);
    const bad = await fetch(`${mock.url}/__mock/faults`, {
      method: 'POST',
      body: JSON.stringify({ match: {}, action: { type: 'job_failed', code: 'E005' } }),
    });
    expect(bad.status).toBe(400);
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'job_stuck', atProgress: 40 } }]);
    const stuck = await sdk().textToVideo.create({ model: 'gen4.5', promptText: 'x', ratio: '1280:720', duration: 2 });
    advance(600_000);
    expect(await task(stuck.id)).toMatchObject({ status: 'RUNNING', progress: 0.4 });
  });

  it('with its default retries the SDK sends a create again after a 500 and after a dropped answer: two tasks from one call', async () => {
    const plain = new RunwayML({ apiKey: KEY, baseURL: mock.baseURL });
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'accept_then_drop' } }]);
    await plain.textToVideo.create({ model: 'gen4.5', promptText: 'twice', ratio: '1280:720', duration: 2 });
    expect(mock.tasks().filter((t) => t.promptText === 'twice')).toHaveLength(2);
    expect(mock.requests().map((r) => r.retryCount)).toEqual([0, 1]);
    mock.reset();
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'http', status: 500 } }]);
    await plain.textToVideo.create({ model: 'gen4.5', promptText: 'again', ratio: '1280:720', duration: 2 });
    expect(mock.requests().map((r) => [r.status, r.retryCount])).toEqual([
      [500, 0],
      [200, 1],
    ]);
    // with maxRetries: 0 (what the adapter passes) one request, whatever happens to it
    mock.reset();
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'accept_then_drop' } }]);
    await expect(
      sdk().textToVideo.create({ model: 'gen4.5', promptText: 'once', ratio: '1280:720', duration: 2 }, { maxRetries: 0 }),
    ).rejects.toThrow();
    expect(mock.requests()).toHaveLength(1);
    expect(mock.tasks()).toHaveLength(1);
  });
});
