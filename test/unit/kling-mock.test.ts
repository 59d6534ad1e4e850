/**
 * The Kling mock (src/mock/kling) through plain HTTP with tokens signed here with `jose` (Kling publishes no npm
 * SDK): the JWT check and its codes, both create routes with per-model validation, query by task_id and by
 * external_task_id, the lifecycle, list pages, the concurrency refusal, retention and URL expiry, the envelope of
 * error faults, content refusal at create and failure after acceptance, and the command line.
 */
import { SignJWT } from 'jose';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fitImage } from '../../src/media/frames.js';
import { credentialSha256 } from '../../src/mock/kit/index.js';
import { parseKlingMockArgs } from '../../src/mock/kling/main.js';
import { startKlingMock, type KlingMock } from '../../src/mock/kling/server.js';
import { tempDir } from '../helpers/files.js';
import { frameByIndex, meanAbsDiff, streamsOf } from '../helpers/media.js';

const ROOT = resolve(import.meta.dirname, '../..');
const AK = 'ak-test-0001';
const SK = 'sk-test-secret-0001';
let now = Date.UTC(2026, 11, 1, 12, 0, 0);
const clock = () => now;
const advance = (ms: number) => (now += ms);

let mock: KlingMock;
let frame720: string; // mara.png fitted to 1280x720
beforeAll(async () => {
  mock = await startKlingMock({
    accessKey: AK,
    secretKey: SK,
    clock,
    prerender: false,
    timing: { queuedMs: 1000, msPerVideoSecond: 1000 },
    retentionMs: 86_400_000,
    outputTtlMs: 3_600_000,
    blockedWords: ['forbidden-word'],
    riskWords: ['risky-word'],
  });
  frame720 = join(await tempDir(), 'mara-720.png');
  await fitImage(join(ROOT, 'examples/refs/mara.png'), frame720, { width: 1280, height: 720 });
});
afterEach(() => mock.reset());
afterAll(async () => {
  await mock?.close();
});

/** A token as Kling documents it, with claims overridable for the negative cases. */
async function token(opts: { iss?: string; secret?: string; exp?: number; nbf?: number; noExp?: boolean } = {}): Promise<string> {
  const s = Math.floor(now / 1000);
  let jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(opts.iss ?? AK)
    .setNotBefore(opts.nbf ?? s - 5);
  if (!opts.noExp) jwt = jwt.setExpirationTime(opts.exp ?? s + 1800);
  return jwt.sign(new TextEncoder().encode(opts.secret ?? SK));
}

interface Answer {
  status: number;
  body: { code: number; message: string; request_id: string; data?: unknown };
  headers: Headers;
}

async function api(method: 'GET' | 'POST', path: string, body?: unknown, auth?: string | null): Promise<Answer> {
  const authorization = auth === null ? undefined : (auth ?? `Bearer ${await token()}`);
  const res = await fetch(`${mock.baseURL}${path}`, {
    method,
    headers: { ...(authorization ? { authorization } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'], headers: res.headers };
}

type Task = {
  task_id: string;
  task_status: string;
  task_status_msg: string;
  task_info: { external_task_id?: string };
  task_result?: { videos: { id: string; url: string; duration: string }[] };
  final_unit_deduction?: string;
  created_at: number;
  updated_at: number;
};
const data = (a: Answer) => a.body.data as Task;
const t2v = (extra: Record<string, unknown> = {}) =>
  api('POST', '/v1/videos/text2video', { model_name: 'kling-v3', prompt: 'a red kite', ...extra });

describe('auth: the JWT Kling documents, checked against the clock', () => {
  it.each([
    ['no Authorization', null, 1001],
    ['not a Bearer JWT', 'Basic abc', 1002],
    ['garbage token', 'Bearer not.a.jwt', 1002],
  ] as const)('%s → 401 with code %i', async (_what, auth, code) => {
    const a = await api('GET', '/v1/videos/text2video', undefined, auth);
    expect([a.status, a.body.code]).toEqual([401, code]);
  });

  it('wrong secret 1002, other access key 1000, nbf ahead 1003, expired 1004, no exp 1002; a valid one passes', async () => {
    const s = Math.floor(now / 1000);
    const cases: [string, number][] = [
      [await token({ secret: 'another-secret' }), 1002],
      [await token({ iss: 'someone-else' }), 1000],
      [await token({ nbf: s + 60 }), 1003],
      [await token({ exp: s - 1, nbf: s - 1900 }), 1004],
      [await token({ noExp: true }), 1002],
    ];
    for (const [jwt, code] of cases) {
      const a = await api('GET', '/v1/videos/text2video', undefined, `Bearer ${jwt}`);
      expect([a.status, a.body.code], String(code)).toEqual([401, code]);
    }
    const ok = await api('GET', '/v1/videos/text2video');
    expect([ok.status, ok.body.code, ok.body.message]).toEqual([200, 0, 'SUCCEED']);
    expect(ok.body.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a token valid now is refused once the mock clock passes its exp', async () => {
    const jwt = await token();
    expect((await api('GET', '/v1/videos/text2video', undefined, `Bearer ${jwt}`)).status).toBe(200);
    advance(1801_000);
    const a = await api('GET', '/v1/videos/text2video', undefined, `Bearer ${jwt}`);
    expect([a.status, a.body.code]).toEqual([401, 1004]);
  });

  it('the log keeps the sha256 of the token, never the token', async () => {
    const jwt = await token();
    await api('GET', '/v1/videos/text2video', undefined, `Bearer ${jwt}`);
    const [entry] = mock.requests();
    expect(entry!.auth).toEqual({ header: 'authorization', scheme: 'Bearer', sha256: credentialSha256(jwt) });
    expect(JSON.stringify(mock.requests())).not.toContain(jwt);
  });
});

describe('text to video: create, lifecycle, output', () => {
  it('submitted → processing → succeed with a video of the mode and aspect asked for, sound when asked', async () => {
    const created = await t2v({ mode: 'pro', aspect_ratio: '9:16', duration: '4', sound: 'on', external_task_id: 'ext-1' });
    expect([created.status, created.body.code]).toEqual([200, 0]);
    const c = data(created);
    expect(c).toMatchObject({ task_status: 'submitted', task_info: { external_task_id: 'ext-1' }, created_at: now });
    expect(c.task_id).toMatch(/^\d{18}$/);
    advance(1000 + 1500);
    expect(data(await api('GET', `/v1/videos/text2video/${c.task_id}`)).task_status).toBe('processing');
    advance(3000);
    const done = data(await api('GET', `/v1/videos/text2video/${c.task_id}`));
    expect(done).toMatchObject({ task_status: 'succeed', task_status_msg: '', final_unit_deduction: '2.8', updated_at: now - 500 });
    const video = done.task_result!.videos[0]!;
    expect(video.duration).toBe('4');
    expect(new URL(video.url).pathname).toMatch(/^\/kcdn\/[0-9a-f]{32}\/output\.mp4$/);
    // The URL needs no key, and is the same on every query.
    const res = await fetch(video.url);
    expect(res.status).toBe(200);
    const file = join(await tempDir(), 'out.mp4');
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    const s = await streamsOf(file);
    expect([s.width, s.height, s.frames, s.audio.length]).toEqual([1080, 1920, 4 * 24, 1]);
    expect(data(await api('GET', `/v1/videos/text2video/${c.task_id}`)).task_result!.videos[0]!.url).toBe(video.url);
  });

  it('std mode renders 720p; sound off gives a silent clip; model kling-v1 is the default', async () => {
    const c = data(await t2v({ model_name: 'kling-v2-5-turbo', duration: '5', aspect_ratio: '1:1' }));
    advance(10_000);
    const url = data(await api('GET', `/v1/videos/text2video/${c.task_id}`)).task_result!.videos[0]!.url;
    const file = join(await tempDir(), 'std.mp4');
    await writeFile(file, Buffer.from(await (await fetch(url)).arrayBuffer()));
    const s = await streamsOf(file);
    expect([s.width, s.height, s.audio.length]).toEqual([720, 720, 0]);
    await api('POST', '/v1/videos/text2video', { prompt: 'no model' });
    expect(mock.tasks().map((t) => t.model)).toEqual(['kling-v2-5-turbo', 'kling-v1']);
  });

  it.each([
    [{ model_name: 'kling-v9' }, 404, 1203, /model kling-v9 does not exist/],
    [{ model_name: 'kling-v2-6', duration: '7' }, 400, 1201, /^duration: 7 is not supported by kling-v2-6; supported: 5, 10$/],
    [{ duration: '16' }, 400, 1201, /^duration: 16/],
    [{ mode: 'turbo' }, 400, 1201, /^mode: must be std or pro/],
    [{ aspect_ratio: '4:3' }, 400, 1201, /^aspect_ratio: must be one of 16:9, 9:16, 1:1/],
    [
      { model_name: 'kling-v2-6', mode: 'std', sound: 'on', duration: '5' },
      400,
      1201,
      /^sound: kling-v2-6 in std mode generates no sound$/,
    ],
    [{ model_name: 'kling-v2-1' }, 400, 1201, /^model_name: kling-v2-1 does not support text to video$/],
    [{ prompt: 'x'.repeat(2501) }, 400, 1201, /^prompt: cannot exceed 2500 characters$/],
    [{ prompt: '' }, 400, 1201, /^prompt: must not be empty$/],
  ])('%j → %i, code %i', async (extra, status, code, message) => {
    const a = await t2v(extra);
    expect([a.status, a.body.code]).toEqual([status, code]);
    expect(a.body.message).toMatch(message);
    expect(mock.tasks()).toHaveLength(0);
  });

  it('a prompt with a blocked word is refused at create with 1301', async () => {
    const a = await t2v({ prompt: 'a forbidden-word scene' });
    expect([a.status, a.body.code]).toEqual([400, 1301]);
    expect(mock.tasks()).toHaveLength(0);
  });

  it('a prompt with a risk word is accepted, then fails the risk control with a reason and no units', async () => {
    const c = data(await t2v({ prompt: 'a risky-word scene' }));
    advance(1500);
    const t = data(await api('GET', `/v1/videos/text2video/${c.task_id}`));
    expect(t).toMatchObject({
      task_status: 'failed',
      task_status_msg: 'Failure to pass the risk control system',
      final_unit_deduction: '0',
    });
    expect(t.task_result).toBeUndefined();
  });
});

describe('image to video', () => {
  const png = async () => (await readFile(frame720)).toString('base64');

  it('starts on the image (raw base64), at the mode resolution and the aspect of the image', async () => {
    const c = data(
      await api('POST', '/v1/videos/image2video', { model_name: 'kling-v3', image: await png(), prompt: 'she turns', duration: '3' }),
    );
    advance(10_000);
    const url = data(await api('GET', `/v1/videos/image2video/${c.task_id}`)).task_result!.videos[0]!.url;
    const file = join(await tempDir(), 'i2v.mp4');
    await writeFile(file, Buffer.from(await (await fetch(url)).arrayBuffer()));
    const s = await streamsOf(file);
    expect([s.width, s.height, s.frames]).toEqual([1280, 720, 72]);
    expect(meanAbsDiff((await frameByIndex(frame720, 0)).data, (await frameByIndex(file, 0)).data)).toBeLessThan(4);
  });

  it('an end frame only where the mode takes one; sound not with an end frame on kling-v2-6', async () => {
    const image = await png();
    const std = await api('POST', '/v1/videos/image2video', { model_name: 'kling-v2-6', mode: 'std', image, image_tail: image });
    expect([std.status, std.body.code, std.body.message]).toEqual([
      400,
      1201,
      'image_tail: kling-v2-6 takes an end frame only in pro mode',
    ]);
    const loud = await api('POST', '/v1/videos/image2video', {
      model_name: 'kling-v2-6',
      mode: 'pro',
      image,
      image_tail: image,
      sound: 'on',
    });
    expect([loud.status, loud.body.message]).toEqual([400, 'sound: kling-v2-6 generates no sound together with an end frame']);
    const ok = await api('POST', '/v1/videos/image2video', {
      model_name: 'kling-v2-6',
      mode: 'pro',
      image,
      image_tail: image,
      sound: 'off',
    });
    expect(ok.body.code).toBe(0);
  });

  it.each([
    ['no image at all', {}, /^image: at least one of image or image_tail/],
    ['a data: prefix', { image: 'data:image/png;base64,iVBORw0KGgo=' }, /^image: base64 must not carry a data: prefix/],
    ['not base64', { image: 'not base64!' }, /^image: is neither an image URL nor base64$/],
    ['a 100x100 image', 'small', /^image: image dimensions must be at least 300px \(got 100x100\)$/],
  ] as const)('%s → 400 1201', async (_what, extra, message) => {
    let body: Record<string, unknown> = { model_name: 'kling-v3', prompt: 'p' };
    if (extra === 'small') {
      const small = join(await tempDir(), 'small.png');
      await fitImage(join(ROOT, 'examples/refs/mara.png'), small, { width: 100, height: 100 });
      body.image = (await readFile(small)).toString('base64');
    } else body = { ...body, ...extra };
    const a = await api('POST', '/v1/videos/image2video', body);
    expect([a.status, a.body.code]).toEqual([400, 1201]);
    expect(a.body.message).toMatch(message);
  });
});

describe('external_task_id: unique per account, queryable', () => {
  it('a task is found by its task_id and by its external_task_id, under its own kind only', async () => {
    const c = data(await t2v({ external_task_id: 'sr-abc' }));
    expect(data(await api('GET', '/v1/videos/text2video/sr-abc')).task_id).toBe(c.task_id);
    expect(data(await api('GET', `/v1/videos/text2video/${c.task_id}`)).task_info).toEqual({ external_task_id: 'sr-abc' });
    for (const path of ['/v1/videos/image2video/sr-abc', '/v1/videos/text2video/sr-nope']) {
      const a = await api('GET', path);
      expect([a.status, a.body.code], path).toEqual([404, 1203]);
    }
  });

  it('a second create with a taken id is refused with 1201, whatever the kind; nothing is created', async () => {
    await t2v({ external_task_id: 'sr-dup' });
    const again = await t2v({ external_task_id: 'sr-dup', prompt: 'another' });
    expect([again.status, again.body.code, again.body.message]).toEqual([400, 1201, 'external_task_id: sr-dup already exists']);
    const other = await api('POST', '/v1/videos/image2video', {
      model_name: 'kling-v3',
      image: (await readFile(frame720)).toString('base64'),
      external_task_id: 'sr-dup',
    });
    expect([other.status, other.body.code]).toEqual([400, 1201]);
    expect(mock.tasks()).toHaveLength(1);
  });
});

describe('list, concurrency, retention', () => {
  it('lists newest first, by pageNum/pageSize, and refuses out-of-range pages', async () => {
    for (const p of ['one', 'two', 'three']) await t2v({ prompt: p, external_task_id: `e-${p}` });
    const page = (await api('GET', '/v1/videos/text2video?pageNum=1&pageSize=2')).body.data as Task[];
    expect(page.map((t) => t.task_info.external_task_id)).toEqual(['e-three', 'e-two']);
    const rest = (await api('GET', '/v1/videos/text2video?pageNum=2&pageSize=2')).body.data as Task[];
    expect(rest.map((t) => t.task_info.external_task_id)).toEqual(['e-one']);
    const bad = await api('GET', '/v1/videos/text2video?pageSize=501');
    expect([bad.status, bad.body.code]).toEqual([400, 1201]);
  });

  it('a create while the resource pack is at its concurrency is refused with 1303 (not queued)', async () => {
    const small = await startKlingMock({ clock, prerender: false, concurrency: 1, timing: { queuedMs: 100, msPerVideoSecond: 100 } });
    try {
      const post = () =>
        fetch(`${small.baseURL}/v1/videos/text2video`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model_name: 'kling-v3', prompt: 'p', duration: '3' }),
        });
      expect((await post()).status).toBe(200);
      const refused = await post();
      expect([refused.status, await refused.json()]).toMatchObject([
        429,
        { code: 1303, message: 'parallel task over resource pack limit' },
      ]);
      advance(100 + 300);
      expect((await post()).status).toBe(200);
      expect(small.tasks()).toHaveLength(2);
    } finally {
      await small.close();
    }
  });

  it('the video URL expires after the output TTL; the task is gone after the retention', async () => {
    const c = data(await t2v({ duration: '3', external_task_id: 'old' }));
    advance(4000);
    const url = data(await api('GET', `/v1/videos/text2video/${c.task_id}`)).task_result!.videos[0]!.url;
    advance(3_600_000);
    expect((await fetch(url)).status).toBe(404);
    expect(data(await api('GET', '/v1/videos/text2video/old')).task_status).toBe('succeed');
    advance(86_400_000);
    const gone = await api('GET', '/v1/videos/text2video/old');
    expect([gone.status, gone.body.code]).toEqual([404, 1203]);
    // Its external_task_id may be used again once the task is gone.
    expect((await t2v({ external_task_id: 'old' })).body.code).toBe(0);
  });
});

describe('faults in Kling’s envelope', () => {
  it('quota → 429 1102; rate_limit → 429 1302 with Retry-After; http with a code → that code; a status alone → its code', async () => {
    mock.setFaults([
      { match: { nth: 1 }, action: { type: 'quota' } },
      { match: { nth: 2 }, action: { type: 'rate_limit', retryAfter: 3 } },
      { match: { nth: 3 }, action: { type: 'http', status: 400, code: '1301' } },
      { match: { nth: 4 }, action: { type: 'http', status: 503 } },
    ]);
    const seen = [];
    for (let i = 0; i < 4; i++) {
      const a = await t2v();
      seen.push([a.status, a.body.code, a.headers.get('retry-after')]);
    }
    expect(seen).toEqual([
      [429, 1102, null],
      [429, 1302, '3'],
      [400, 1301, null],
      [503, 5001, null],
    ]);
    expect(mock.tasks()).toHaveLength(0);
  });

  it('job_failed and job_stuck reach the task; accept_then_drop creates it without an answer', async () => {
    mock.setFaults([
      { match: { method: 'POST', nth: 1 }, action: { type: 'job_failed', code: 'internal_error', atProgress: 50 } },
      { match: { method: 'POST', nth: 2 }, action: { type: 'job_stuck', atProgress: 40 } },
      { match: { method: 'POST', nth: 3 }, action: { type: 'accept_then_drop' } },
    ]);
    const failed = data(await t2v({ duration: '3' }));
    const stuck = data(await t2v({ duration: '3' }));
    await expect(t2v({ duration: '3', external_task_id: 'dropped' })).rejects.toThrow();
    advance(60_000);
    expect(data(await api('GET', `/v1/videos/text2video/${failed.task_id}`))).toMatchObject({
      task_status: 'failed',
      task_status_msg: 'Internal error, please try again later',
    });
    expect(data(await api('GET', `/v1/videos/text2video/${stuck.task_id}`)).task_status).toBe('processing');
    expect(data(await api('GET', '/v1/videos/text2video/dropped')).task_status).toBe('succeed');
    expect(
      mock
        .requests()
        .filter((r) => r.method === 'POST')
        .map((r) => r.status),
    ).toEqual([200, 200, 0]);
  });

  it('refuses a job_failed code that is not Kling’s in the mock’s terms', () => {
    expect(() => mock.setFaults([{ match: {}, action: { type: 'job_failed', code: 'E005' } }])).toThrow(/risk_control/);
  });
});

describe('command line', () => {
  it('parses its options and names the bad one', () => {
    expect(
      parseKlingMockArgs(['--port', '0', '--access-key', 'a', '--secret-key', 's', '--concurrency', '2', '--blocked-words', 'x, y']),
    ).toMatchObject({
      port: 0,
      accessKey: 'a',
      secretKey: 's',
      concurrency: 2,
      blockedWords: ['x', 'y'],
    });
    expect(() => parseKlingMockArgs(['--access-key', 'a'])).toThrow(/--access-key and --secret-key go together/);
    expect(() => parseKlingMockArgs(['--concurrency', '0'])).toThrow("--concurrency must be an integer >= 1, got '0'");
  });
});
