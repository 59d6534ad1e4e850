/**
 * The kling adapter on its own, against the mock: the token it signs (claims, reuse, refresh, a 1004 dropping it),
 * the create bodies it sends, exact reconciliation by external_task_id (already created, generations past failed
 * tasks, an edited request never finding the old task), every documented error code in our taxonomy, downloads
 * (expired, truncated, never with the token), local validation, and the planner's view of the catalog.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../../src/contracts/jobs.js';
import { planFile } from '../../src/load/load-storyboard.js';
import { fitImage } from '../../src/media/frames.js';
import { startKlingMock, type KlingMock } from '../../src/mock/kling/server.js';
import { catalog } from '../../src/providers/catalog.js';
import { ProviderError } from '../../src/providers/errors.js';
import { KlingTokenSource } from '../../src/providers/kling/auth.js';
import { KlingProvider } from '../../src/providers/kling/provider.js';
import { bodyDigest, buildCreate, externalTaskId } from '../../src/providers/kling/request.js';
import { KLING_MODELS } from '../../src/providers/kling/models.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { streamsOf } from '../helpers/media.js';

const AK = 'ak-unit-7f1c';
const SK = 'sk-unit-secret-93b2';
const ENV = { KLING_ACCESS_KEY: AK, KLING_SECRET_KEY: SK };
let now = Date.UTC(2026, 11, 1, 9, 0, 0);
const clock = () => now;
let mock: KlingMock;
let frame: string;
beforeAll(async () => {
  mock = await startKlingMock({ accessKey: AK, secretKey: SK, clock, prerender: false, timing: { queuedMs: 100, msPerVideoSecond: 100 } });
  frame = join(await tempDir(), 'frame.png');
  await fitImage(join(import.meta.dirname, '../../examples/refs/mara.png'), frame, { width: 1280, height: 720 });
});
beforeEach(() => mock.reset());
afterAll(async () => {
  await mock?.close();
});

const provider = (settings: Record<string, unknown> = {}, env: Record<string, string> = ENV) =>
  new KlingProvider({ settings: { baseURL: mock.baseURL, ...settings }, env, now: clock });
const request = (prompt: string, extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  clientRef: `prod:${prompt}:1.1`,
  model: 'kling-v3',
  prompt,
  seconds: 3,
  size: { width: 1280, height: 720 },
  fps: 24,
  ...extra,
});
const posts = () => mock.requests().filter((r) => r.method === 'POST');

async function thrown(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('the token', () => {
  it('is HS256 with iss = access key, exp = now + 1800, nbf = now − 5; reused until 5 min are left, then signed anew', async () => {
    let t = Date.UTC(2026, 0, 1);
    const source = new KlingTokenSource({ accessKey: AK, secretKey: SK }, () => t);
    const first = await source.token();
    expect(decodeProtectedHeader(first)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const s = t / 1000;
    expect(decodeJwt(first)).toEqual({ iss: AK, exp: s + 1800, nbf: s - 5 });
    t += 1400_000; // 400 s left
    expect(await source.token()).toBe(first);
    t += 101_000; // 299 s left
    const second = await source.token();
    expect(second).not.toBe(first);
    expect(decodeJwt(second).exp).toBe(Math.floor(t / 1000) + 1800);
    t += 1000;
    expect(await source.token()).toBe(second);
    source.invalidate(); // Kling said it expired: the next request signs a new one
    expect(decodeJwt(await source.token()).exp).toBe(Math.floor(t / 1000) + 1800);
  });

  it('an expired token (1004) is auth but retryable, and the next request carries a fresh one', async () => {
    const p = provider();
    const job = (await p.submit(request('expiry'), {})).jobId;
    now += 1000_000; // the cached token has 800 s left: reused, and Kling (a fault here) says it expired
    mock.setFaults([{ match: { method: 'GET' }, action: { type: 'http', status: 401, code: '1004' } }]);
    const err = await thrown(p.poll(job, {}));
    expect([err.kind, err.retryable, err.providerCode]).toEqual(['auth', true, '1004']);
    const tokens = mock.requests().map((r) => r.auth?.sha256);
    await p.poll(job, {});
    const last = mock.requests().at(-1)!;
    expect(last.status).toBe(200);
    expect(tokens).not.toContain(last.auth!.sha256);
  });

  it('missing keys fail the request naming the variables; other variables can be named', async () => {
    const err = await thrown(provider({}, { KLING_ACCESS_KEY: AK }).submit(request('nokey'), {}));
    expect([err.kind, err.message]).toEqual([
      'auth',
      'no Kling keys: set KLING_SECRET_KEY on the worker (or name other variables with providers.kling.accessKeyEnv / secretKeyEnv)',
    ]);
    const custom = provider({ accessKeyEnv: 'MY_AK', secretKeyEnv: 'MY_SK' }, { MY_AK: AK, MY_SK: SK });
    expect((await custom.submit(request('custom'), {})).state).toBe('queued');
    expect(posts()).toHaveLength(1);
  });
});

describe('create bodies', () => {
  it('text to video: duration as text, the mode and aspect of the size, sound on, the external id; a 1080p size is pro', async () => {
    const spec = KLING_MODELS['kling-v3']!;
    const { kind, body } = await buildCreate('kling-v3', spec, {}, request('a', { negativePrompt: 'blur' }));
    expect([kind, body]).toEqual([
      'text2video',
      { model_name: 'kling-v3', prompt: 'a', negative_prompt: 'blur', duration: '3', mode: 'std', aspect_ratio: '16:9', sound: 'on' },
    ]);
    const tall = await buildCreate('kling-v3', spec, { sound: false }, request('a', { size: { width: 1080, height: 1920 } }));
    expect(tall.body).toMatchObject({ mode: 'pro', aspect_ratio: '9:16', sound: 'off' });
  });

  it('image to video: raw base64 image and image_tail, no aspect_ratio; kling-v2-6 sends sound off with an end frame', async () => {
    const img = { kind: 'file' as const, path: frame, mime: 'image/png' as const };
    const { kind, body } = await buildCreate(
      'kling-v2-6',
      KLING_MODELS['kling-v2-6']!,
      {},
      request('b', { model: 'kling-v2-6', seconds: 5, size: { width: 1920, height: 1080 }, firstFrame: img, lastFrame: img }),
    );
    expect(kind).toBe('image2video');
    expect(body.aspect_ratio).toBeUndefined();
    expect(body).toMatchObject({ mode: 'pro', sound: 'off', duration: '5' });
    expect(String(body.image)).toMatch(/^iVBORw0KGgo/); // PNG, no data: prefix
    expect(body.image_tail).toBe(body.image);
    const v25 = await buildCreate(
      'kling-v2-5-turbo',
      KLING_MODELS['kling-v2-5-turbo']!,
      {},
      request('c', { model: 'kling-v2-5-turbo', seconds: 5 }),
    );
    expect(v25.body.sound).toBeUndefined(); // a model without sound gets no sound field
  });

  it('the mock renders what the body asked: 720p std with sound for kling-v3', async () => {
    const p = provider();
    const { jobId } = await p.submit(request('render'), {});
    now += 1000;
    const file = join(await tempDir(), 'k.mp4');
    await p.download(jobId, file, {});
    const s = await streamsOf(file);
    expect([s.width, s.height, s.frames, s.audio.length]).toEqual([1280, 720, 72, 1]);
    // The video URL is a CDN's: fetched without our token.
    const cdn = mock.requests().filter((r) => r.path.startsWith('/kcdn/'));
    expect(cdn.map((r) => r.auth)).toEqual([undefined]);
  });
});

describe('exactly once by external_task_id', () => {
  it('findByClientRef: null before a create, the task after, null for another request under the same clientRef', async () => {
    const p = provider();
    const r = request('find');
    expect(await p.findByClientRef(r.clientRef, {}, r)).toBeNull();
    const made = await p.submit(r, {});
    expect(await p.findByClientRef(r.clientRef, {}, r)).toMatchObject({ jobId: made.jobId });
    // A resumed production whose scene was edited repeats the clientRef: the old task is not its task.
    expect(await p.findByClientRef(r.clientRef, {}, { ...r, prompt: 'find, edited' })).toBeNull();
    const [post] = posts();
    expect(mock.tasks()[0]!.task_info.external_task_id).toMatch(/^sr-[0-9a-f]{40}$/);
    expect(post!.status).toBe(200);
  });

  it('a create whose id Kling already has (a live task of the same request) is answered with that task', async () => {
    const p = provider();
    const r = request('twice');
    const first = await p.submit(r, {});
    const second = await p.submit(r, {});
    expect(second.jobId).toBe(first.jobId);
    expect(posts().map((q) => q.status)).toEqual([200, 400]);
    expect(mock.tasks()).toHaveLength(1);
  });

  it('a failed task under the id: the next generation is created (one paid create), and found afterwards', async () => {
    const p = provider();
    const r = request('gen');
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'job_failed', code: 'internal_error' } }]);
    const failed = await p.submit(r, {});
    now += 200;
    expect((await p.poll(failed.jobId, {})).state).toBe('failed');
    expect(await p.findByClientRef(r.clientRef, {}, r)).toBeNull(); // the newest generation failed: post the next
    const next = await p.submit(r, {});
    expect(next.jobId).not.toBe(failed.jobId);
    expect(posts().map((q) => q.status)).toEqual([200, 400, 200]);
    const digest = bodyDigest((await buildCreate('kling-v3', KLING_MODELS['kling-v3']!, {}, r)).body);
    expect(mock.tasks().map((t) => t.task_info.external_task_id)).toEqual([
      externalTaskId(r.clientRef, digest, 0),
      externalTaskId(r.clientRef, digest, 1),
    ]);
    expect(await p.findByClientRef(r.clientRef, {}, r)).toMatchObject({ jobId: next.jobId });
  });

  it('a real parameter error is not mistaken for a taken id', async () => {
    const p = provider();
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'http', status: 400, code: '1201', message: 'duration: bad' } }]);
    const err = await thrown(p.submit(request('param'), {}));
    expect([err.kind, err.providerCode]).toEqual(['invalid_request', '1201']);
    expect(posts()).toHaveLength(1);
    expect(mock.requests().filter((q) => q.method === 'GET')).toHaveLength(1); // one lookup: the id is free
  });
});

describe("Kling's codes in our taxonomy", () => {
  it.each([
    [401, '1000', 'auth', false],
    [401, '1002', 'auth', false],
    [401, '1003', 'auth', false],
    [429, '1100', 'auth', false],
    [429, '1101', 'quota_exhausted', false],
    [429, '1102', 'quota_exhausted', false],
    [403, '1103', 'model_unavailable', false],
    [400, '1200', 'invalid_request', false],
    [404, '1203', 'model_unavailable', false],
    [400, '1300', 'invalid_request', false],
    [400, '1301', 'content_policy', false],
    [429, '1302', 'rate_limited', true],
    [429, '1303', 'concurrency_limited', true],
    [429, '1304', 'auth', false],
    [500, '5000', 'ambiguous_submit', true],
    [503, '5001', 'ambiguous_submit', true],
    [504, '5002', 'ambiguous_submit', true],
    [502, undefined, 'ambiguous_submit', true],
  ] as const)('create answered %i %s → %s', async (status, code, kind, retryable) => {
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'http', status, ...(code ? { code } : {}), retryAfter: 2 } }]);
    const err = await thrown(provider().submit(request(`code-${code}`), {}));
    expect([err.kind, err.retryable, err.httpStatus]).toEqual([kind, retryable, status]);
    if (code) expect(err.providerCode).toBe(code);
    if (kind === 'rate_limited' || kind === 'concurrency_limited') expect(err.retryAfterMs).toBe(2000);
    if (kind === 'content_policy') expect(err.input).toBe('prompt');
    if (kind === 'quota_exhausted') expect(err.retryAfterMs).toBeUndefined();
    expect(err.requestId).toMatch(code ? /^[0-9a-f-]{36}$/ : /.*/);
    expect(posts()).toHaveLength(1);
  });

  it.each([
    [404, '1203', 'not_found'],
    [500, '5000', 'transient'],
    [429, '1302', 'rate_limited'],
  ] as const)('a query answered %i %s → %s', async (status, code, kind) => {
    const p = provider();
    const { jobId } = await p.submit(request(`q-${code}`), {});
    mock.setFaults([{ match: { method: 'GET' }, action: { type: 'http', status, code } }]);
    expect((await thrown(p.poll(jobId, {}))).kind).toBe(kind);
  });

  it('a failed task is a job failure carrying Kling’s reason', async () => {
    const p = provider();
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'job_failed', code: 'risk_control' } }]);
    const { jobId } = await p.submit(request('risk'), {});
    now += 200;
    expect(await p.poll(jobId, {})).toMatchObject({
      state: 'failed',
      failure: { kind: 'job_failed', code: 'failed', message: 'Failure to pass the risk control system' },
    });
  });

  it('a dropped or reset create is ambiguous_submit', async () => {
    for (const type of ['accept_then_drop', 'reset'] as const) {
      mock.setFaults([{ match: { method: 'POST' }, action: { type } }]);
      expect((await thrown(provider().submit(request(type), {}))).kind).toBe('ambiguous_submit');
    }
  });
});

describe('downloads and the billed units', () => {
  it('succeeded: seconds, expiry 30 days after the task ended, units (and USD with usdPerUnit)', async () => {
    const p = provider({ usdPerUnit: 0.5, mode: 'pro', sound: false });
    const { jobId } = await p.submit(request('billed', { size: { width: 1920, height: 1080 }, seconds: 5 }), {});
    now += 1000;
    const snap = await p.poll(jobId, {});
    expect(snap).toMatchObject({ state: 'succeeded', seconds: 5, billed: { units: 1.75, usd: 0.875 } });
    expect(Date.parse(snap.expiresAt!) - now).toBe(30 * 86_400_000 - 400);
  });

  it('an expired URL is output_expired; a truncated body output_corrupt', async () => {
    const p = provider();
    const { jobId } = await p.submit(request('dl'), {});
    now += 1000;
    const dir = await tempDir();
    mock.setFaults([{ match: { path: '/kcdn/*/*' }, action: { type: 'content_expired' } }]);
    expect((await thrown(p.download(jobId, join(dir, 'a.mp4'), {}))).kind).toBe('output_expired');
    mock.setFaults([{ match: { path: '/kcdn/*/*' }, action: { type: 'content_truncated' } }]);
    expect((await thrown(p.download(jobId, join(dir, 'b.mp4'), {}))).kind).toBe('output_corrupt');
  });
});

describe('validation and the planner', () => {
  it('refuses what Kling would refuse, before any request', () => {
    const p = provider();
    const img = { kind: 'file' as const, path: frame, mime: 'image/webp' as const };
    expect(p.validate(request('v', { model: 'kling-v2-6', seconds: 7, lastFrame: { ...img, mime: 'image/png' } }))).toEqual([
      'seconds: 7 is not allowed by kling/kling-v2-6; allowed: 5, 10',
      'lastFrame: kling/kling-v2-6 takes a last frame only in pro mode (sizes 1920x1080, 1080x1920, 1080x1080); use one of those sizes, or continuity "chain" or "anchor" (first frame only)',
    ]);
    expect(p.validate(request('v', { firstFrame: img, size: { width: 640, height: 360 } }))).toEqual([
      'size: 640x360 is not offered by kling/kling-v3; allowed: 1280x720, 720x1280, 720x720, 1920x1080, 1080x1920, 1080x1080',
      'firstFrame: Kling takes PNG or JPEG images, not image/webp; convert it',
    ]);
    expect(provider({ mode: 'pro' }).validate(request('v'))[0]).toMatch(/^size: 1280x720 is not offered by kling\/kling-v3 in pro mode/);
  });

  it('the plan sees mode and sound: sizes, last frame, price; apiKeyEnv is refused with where the keys go', async () => {
    expect(catalog.capabilitiesOf('kling', 'kling-v2-6', { mode: 'std' })).toMatchObject({ lastFrame: false, nativeAudio: false });
    expect(catalog.capabilitiesOf('kling', 'kling-v2-6', {})).toMatchObject({ lastFrame: true, nativeAudio: true });
    expect(catalog.capabilitiesOf('kling', 'kling-v2-6', { sound: false })!.pricing).toEqual([
      { sizes: ['1280x720', '720x1280', '720x720'], usdPerSecond: 0.042 },
      { sizes: ['1920x1080', '1080x1920', '1080x1080'], usdPerSecond: 0.07 },
    ]);
    const dir = await tempDir();
    const file = await writeStoryboard(dir, {
      title: 'Kling plan',
      defaults: { provider: 'kling', model: 'kling-v2-6', size: '1280x720', seconds: 5 },
      providers: { kling: { apiKeyEnv: 'KLING_KEY', mode: 'std' } },
      scenes: [{ id: 'a', prompt: 'x' }],
    });
    await expect(planFile(file, { catalog })).rejects.toThrow(
      /providers\.kling\.apiKeyEnv: Kling signs a token from two keys: name their variables with accessKeyEnv and secretKeyEnv/,
    );
  });
});
