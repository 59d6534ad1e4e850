/**
 * The runway adapter against the Runway mock, without Temporal: validation messages, what each model is sent (the
 * mock refuses unknown keys, as Runway does), every create refusal classified with exactly one POST, the organization
 * consulted to tell an empty balance or a spent daily limit, task states and failure codes, downloads that fetch a
 * fresh URL from the task before calling an output expired, cancel, and the key kept out of every error.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../../src/contracts/jobs.js';
import { startRunwayMock, type RunwayMock } from '../../src/mock/runway/server.js';
import { ProviderError } from '../../src/providers/errors.js';
import { RunwayProvider } from '../../src/providers/runway/provider.js';
import { catalog } from '../../src/providers/catalog.js';
import { tempDir } from '../helpers/files.js';
import { streamsOf } from '../helpers/media.js';

const run = promisify(execFile);
const KEY = 'key_adapter-DO-NOT-LEAK-77aa';
let mock: RunwayMock;
/** A fixed path (made in beforeAll) so the test tables below can name it when they are built. */
const frame = join(tmpdir(), `runway-provider-frame-${process.pid}.png`);

beforeAll(async () => {
  mock = await startRunwayMock({ apiKey: KEY, timing: { queuedMs: 20, msPerVideoSecond: 20 } });
  await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720', '-frames:v', '1', frame]);
});
afterEach(() => mock.reset());
afterAll(async () => {
  await mock?.close();
  await rm(frame, { force: true });
});

const provider = (settings: Record<string, unknown> = {}, env: Record<string, string> = { RUNWAYML_API_SECRET: KEY }) =>
  new RunwayProvider({ settings: { baseURL: mock.baseURL, ...settings }, env });

const request = (over: Partial<GenerateRequest> = {}): GenerateRequest => ({
  clientRef: 'p:s1:1',
  model: 'gen4.5',
  prompt: 'a lighthouse at dusk',
  seconds: 4,
  size: { width: 1280, height: 720 },
  fps: 24,
  ...over,
});
const png = () => ({ kind: 'file' as const, path: frame, mime: 'image/png' as const });

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

async function untilDone(p: RunwayProvider, jobId: string) {
  for (;;) {
    const snap = await p.poll(jobId, {});
    if (snap.state !== 'queued' && snap.state !== 'running') return snap;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const creates = () => mock.requests().filter((r) => r.method === 'POST');

describe('validate (pure) names the field and what to do', () => {
  it.each([
    ['seconds', { seconds: 12 }, 'seconds: 12 is not allowed by runway/gen4.5; allowed: 2 to 10 in steps of 1'],
    ['size', { size: { width: 960, height: 960 } }, 'size: 960x960 is not offered by runway/gen4.5; allowed: 1280x720, 720x1280'],
    ['image-only model', { model: 'gen4_turbo' }, 'firstFrame: runway/gen4_turbo is image-to-video only and needs a first frame'],
    [
      'last frame on gen4.5',
      { lastFrame: png(), firstFrame: png() },
      'lastFrame: runway/gen4.5 takes no last frame; models that do: veo3.1, veo3.1_fast, seedance2',
    ],
    ['last frame alone', { model: 'veo3.1', lastFrame: png() }, 'lastFrame: Runway takes a last frame only together with a first frame'],
    [
      'prompt length in UTF-16 units',
      { prompt: `${'a'.repeat(999)}🎬` },
      'prompt: 1001 UTF-16 code units; runway/gen4.5 takes at most 1000',
    ],
    ['negative prompt', { negativePrompt: 'rain' }, 'negativePrompt: runway/gen4.5 has none; models that do: veo3.1, veo3.1_fast'],
    ['extend', { extendJobId: 'x' }, 'extendJobId: Runway has no extension of an earlier task'],
  ] as const)('%s', (_name, over, message) => {
    expect(
      provider()
        .validate(request(over as Partial<GenerateRequest>))
        .join('\n'),
    ).toContain(message);
  });

  it('an unknown model, and a valid request, are told apart without the network', () => {
    expect(provider().validate(request({ model: 'gen2' }))).toEqual([
      expect.stringMatching(/^model: runway has no model "gen2"; known: gen4.5, gen4_turbo/),
    ]);
    expect(provider().validate(request({ model: 'seedance2', seconds: 15, size: { width: 3840, height: 2160 } }))).toEqual([]);
    expect(mock.requests()).toHaveLength(0);
  });

  it('capabilities: sound on Veo changes the price; settings can switch it off', () => {
    const on = catalog.capabilitiesOf('runway', 'veo3.1', catalog.parseSettings('runway', {}).data!)!;
    const off = catalog.capabilitiesOf('runway', 'veo3.1', catalog.parseSettings('runway', { audio: false }).data!)!;
    expect([on.pricing[0]!.usdPerSecond, on.nativeAudio, off.pricing[0]!.usdPerSecond, off.nativeAudio]).toEqual([0.4, true, 0.2, false]);
    expect(catalog.parseSettings('runway', { audio: 'yes' }).success).toBe(false);
    expect(catalog.parseSettings('runway', { colour: 'red' }).success).toBe(false);
  });
});

describe('what each model is sent (Runway refuses keys a model does not know)', () => {
  it.each([
    ['gen4.5 text', request({ seed: 7 }), settings({ publicFigureThreshold: 'low' }), ['text_to_video', 1280, 720, 4, false, false, false]],
    [
      'gen4_turbo from a first frame',
      request({ model: 'gen4_turbo', firstFrame: png(), seed: 7 }),
      {},
      ['image_to_video', 1280, 720, 4, false, true, false],
    ],
    [
      'veo3.1_fast keyframes with a negative prompt, sound on',
      request({ model: 'veo3.1_fast', firstFrame: png(), lastFrame: png(), negativePrompt: 'rain', seed: 7 }),
      {},
      ['image_to_video', 1280, 720, 4, true, true, true],
    ],
    [
      'veo3.1 silent by setting',
      request({ model: 'veo3.1', seconds: 6, size: { width: 1080, height: 1920 } }),
      settings({ audio: false }),
      ['text_to_video', 1080, 1920, 6, false, false, false],
    ],
    [
      'seedance2 text, 15 s',
      request({ model: 'seedance2', seconds: 15, seed: 3 }),
      {},
      ['text_to_video', 1280, 720, 15, true, false, false],
    ],
    [
      'gemini_omni_flash: the seed is not sent (it has none)',
      request({ model: 'gemini_omni_flash', seed: 7, seconds: 3 }),
      {},
      ['text_to_video', 1280, 720, 3, false, false, false],
    ],
  ] as const)('%s', async (_name, r, s, expected) => {
    const p = provider(s);
    const snap = await p.submit(r, {});
    expect(snap).toMatchObject({ provider: 'runway', state: 'queued', jobId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown });
    const [t] = mock.tasks();
    expect([t!.endpoint, t!.width, t!.height, t!.seconds, t!.audio, t!.firstFrame, t!.lastFrame]).toEqual(expected);
    expect(t!.promptText).toBe(r.prompt);
    expect(creates()).toHaveLength(1);
    expect(creates()[0]!.headers['x-runway-version']).toBe('2024-11-06');
  });

  it('a frame too large for a 5 MB data URI is sent as a JPEG that fits', async () => {
    const big = join(await tempDir(), 'big.png');
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=3840x2160,noise=alls=20:allf=t', '-frames:v', '1', big]);
    const snap = await provider().submit(
      request({ model: 'seedance2', size: { width: 3840, height: 2160 }, firstFrame: { kind: 'file', path: big, mime: 'image/png' } }),
      {},
    );
    expect(snap.state).toBe('queued');
    expect(mock.tasks()[0]!.firstFrame).toBe(true);
  });
});

function settings(s: Record<string, unknown>) {
  return s;
}

describe('a create is sent once; each refusal in the taxonomy', () => {
  const CREATE = '/v1/text_to_video';
  it.each([
    ['a 500', { type: 'http', status: 500 }],
    ['a 504', { type: 'http', status: 504 }],
    ['a dropped answer', { type: 'accept_then_drop' }],
    ['a reset', { type: 'reset' }],
  ] as const)('%s may have made a task: ambiguous_submit, NOT retryable, one POST', async (_name, action) => {
    mock.setFaults([{ match: { method: 'POST', path: CREATE }, action }]);
    const err = await failure(provider().submit(request(), {}));
    expect([err.kind, err.retryable]).toEqual(['ambiguous_submit', false]);
    expect(err.message).toMatch(/will not post again/);
    expect(creates()).toHaveLength(1);
  });

  it.each([
    [502, true],
    [503, false],
  ])('a %i (Runway shedding load, documented as safe to retry) is transient: nothing was created', async (status, html) => {
    mock.setFaults([{ match: { method: 'POST', path: CREATE }, action: { type: 'http', status, html } }]);
    const err = await failure(provider().submit(request(), {}));
    expect([err.kind, err.retryable, err.httpStatus]).toEqual(['transient', true, status]);
    expect(mock.tasks()).toHaveLength(0);
  });

  it('429 with Retry-After and daily usage below the limit: rate_limited with the wait', async () => {
    mock.setFaults([{ match: { method: 'POST', path: CREATE }, action: { type: 'rate_limit', retryAfter: 3 } }]);
    const err = await failure(provider().submit(request(), {}));
    expect([err.kind, err.retryAfterMs]).toEqual(['rate_limited', 3000]);
    expect(mock.requests().map((r) => [r.method, r.path])).toEqual([
      ['POST', CREATE],
      ['GET', '/v1/organization'],
    ]);
  });

  it('429 from a spent daily limit (told by the organization): quota_exhausted, never retried', async () => {
    const daily = await startRunwayMock({ dailyGenerations: 1, prerender: false });
    try {
      const p = new RunwayProvider({ settings: { baseURL: daily.baseURL }, env: { RUNWAYML_API_SECRET: 'k' } });
      await p.submit(request(), {});
      const err = await failure(p.submit(request(), {}));
      expect([err.kind, err.retryable, err.providerCode, err.httpStatus]).toEqual([
        'quota_exhausted',
        false,
        'daily_generation_limit',
        429,
      ]);
      expect(err.message).toMatch(/gen4.5 reached its daily limit of 1 generations/);
    } finally {
      await daily.close();
    }
  });

  it('out of credit (400, balance 0 in the organization): quota_exhausted naming the balance and the need', async () => {
    mock.setFaults([{ match: { method: 'POST', path: CREATE }, action: { type: 'quota' } }]);
    const err = await failure(provider().submit(request(), {}));
    expect([err.kind, err.scope, err.providerCode]).toEqual(['quota_exhausted', 'provider', 'insufficient_credits']);
    expect(err.message).toBe(
      "runway: the organization's credit balance (0 credits) cannot pay for this task (about 48 credits). Buy credits in the Runway developer portal, then resume the production",
    );
  });

  it("when the organization cannot be read, only Runway's exact out-of-credit answer counts as out of credit", async () => {
    mock.setFaults([
      { match: { method: 'GET', path: '/v1/organization', times: -1 }, action: { type: 'http', status: 500 } },
      { match: { method: 'POST', path: CREATE }, action: { type: 'quota' } },
      {
        match: { method: 'POST', path: CREATE, nth: 2 },
        action: { type: 'http', status: 400, message: 'You do not have enough credits to run this task, maybe' },
      },
    ]);
    expect((await failure(provider().submit(request(), {}))).kind).toBe('quota_exhausted');
    expect((await failure(provider().submit(request(), {}))).kind).toBe('invalid_request');
  });

  it('a 400 with issues while the balance is fine: invalid_request with the issue paths; 401 auth; 404 model_unavailable', async () => {
    mock.setFaults([
      { match: { method: 'POST', path: CREATE }, action: { type: 'http', status: 400, message: 'Validation of body failed' } },
    ]);
    const bad = await failure(provider().submit(request(), {}));
    expect([bad.kind, bad.message]).toEqual(['invalid_request', 'runway: Validation of body failed']);
    expect((await failure(provider({}, { RUNWAYML_API_SECRET: 'key_wrong' }).submit(request(), {}))).kind).toBe('auth');
    mock.setFaults([{ match: { method: 'POST', path: CREATE }, action: { type: 'http', status: 404 } }]);
    expect((await failure(provider().submit(request(), {}))).kind).toBe('model_unavailable');
  });

  it('no key: auth naming the variable to set; apiKeyEnv names another; the key is in no error', async () => {
    const none = await failure(provider({}, {}).submit(request(), {}));
    expect([none.kind, none.message]).toEqual([
      'auth',
      expect.stringContaining('set the environment variable RUNWAYML_API_SECRET') as unknown,
    ]);
    const own = provider({ apiKeyEnv: 'MY_RUNWAY_KEY' }, { MY_RUNWAY_KEY: KEY });
    expect((await own.submit(request(), {})).state).toBe('queued');
    mock.setFaults([{ match: { method: 'POST', times: -1 }, action: { type: 'http', status: 500 } }]);
    const err = await failure(own.submit(request(), {}));
    expect(JSON.stringify({ ...err.toJSON(), stack: err.stack, cause: String(err.cause) })).not.toContain(KEY);
  });
});

describe('task states and failure codes', () => {
  it('THROTTLED is queued; RUNNING carries progress; SUCCEEDED carries the billed credits', async () => {
    const slow = await startRunwayMock({ prerender: false, concurrency: 1, timing: { queuedMs: 0, msPerVideoSecond: 400 } });
    try {
      const p = new RunwayProvider({ settings: { baseURL: slow.baseURL }, env: { RUNWAYML_API_SECRET: 'k' } });
      const a = await p.submit(request({ seconds: 2 }), {});
      const b = await p.submit(request({ seconds: 2 }), {});
      await new Promise((r) => setTimeout(r, 300));
      const [sa, sb] = [await p.poll(a.jobId, {}), await p.poll(b.jobId, {})];
      expect([sa.state, sb.state, sb.progress]).toEqual(['running', 'queued', 0]);
      expect(sa.progress).toBeGreaterThan(0);
      const done = await untilDone(p, b.jobId);
      expect(done).toMatchObject({ state: 'succeeded', progress: 1, billed: { units: 24, usd: 0.24 } });
      expect(slow.requests().some((r) => r.path === `/v1/tasks/${b.jobId}`)).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it.each([
    ['SAFETY.INPUT.TEXT', 'content_policy', /the input prompt was refused by moderation \(SAFETY.INPUT.TEXT\)/],
    ['SAFETY.INPUT.IMAGE', 'content_policy', /the input image \(first or last frame\) was refused/],
    ['SAFETY.OUTPUT.VIDEO', 'content_policy', /the output was refused by moderation/],
    ['INPUT_PREPROCESSING.SAFETY.TEXT', 'content_policy', /the input prompt was refused/],
    ['INTERNAL.BAD_OUTPUT.CODE01', 'job_failed', /the task failed \(INTERNAL.BAD_OUTPUT.CODE01\)/],
    ['INTERNAL', 'job_failed', /the task failed \(INTERNAL\)/],
    ['ASSET.INVALID', 'job_failed', /ASSET.INVALID/],
  ] as const)('FAILED %s → %s', async (code, kind, message) => {
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'job_failed', code } }]);
    const p = provider();
    const snap = await untilDone(p, (await p.submit(request(), {})).jobId);
    expect(snap).toMatchObject({ state: 'failed', failure: { kind, code } });
    expect(snap.failure!.message).toMatch(message);
  });

  it('CANCELLED (a task kept after a DELETE) is canceled; a deleted task reads as not_found', async () => {
    const keep = await startRunwayMock({ prerender: false, deleteOnCancel: false, timing: { queuedMs: 0, msPerVideoSecond: 1000 } });
    try {
      const p = new RunwayProvider({ settings: { baseURL: keep.baseURL }, env: { RUNWAYML_API_SECRET: 'k' } });
      const t = await p.submit(request(), {});
      expect(await p.cancel(t.jobId, {})).toEqual({ supported: true });
      expect(await p.poll(t.jobId, {})).toMatchObject({ state: 'canceled', failure: { kind: 'job_failed', code: 'CANCELLED' } });
    } finally {
      await keep.close();
    }
    const p = provider();
    const t = await p.submit(request(), {});
    expect(await p.cancel(t.jobId, {})).toEqual({ supported: true });
    expect((await failure(p.poll(t.jobId, {}))).kind).toBe('not_found');
    expect(await p.cancel(t.jobId, {})).toEqual({ supported: true }); // already gone: nothing to cancel
    expect(
      mock
        .requests()
        .filter((r) => r.method === 'DELETE')
        .map((r) => r.status),
    ).toEqual([204, 404]);
  });
});

describe('downloads: a fresh URL from the task before an output counts as gone', () => {
  const FILES = '/files/*/*';
  async function finished(p: RunwayProvider) {
    const t = await p.submit(request({ seconds: 2 }), {});
    await untilDone(p, t.jobId);
    return t.jobId;
  }

  it('the URL seen by the poll is used, without the key; the clip is the requested one', async () => {
    const p = provider();
    const id = await finished(p);
    const before = mock.requests().length;
    const dest = join(await tempDir(), 'clip.mp4');
    const file = await p.download(id, dest, {});
    const after = mock.requests().slice(before);
    expect(after.map((r) => r.path)).toEqual([expect.stringMatching(/^\/files\//)]);
    expect(after[0]!.auth).toBeUndefined();
    const s = await streamsOf(file.path);
    expect([s.width, s.height, s.frames]).toEqual([1280, 720, 48]);
  });

  it('an expired URL → the task is read again and its fresh URL downloaded: no new task', async () => {
    const p = provider();
    const id = await finished(p);
    mock.setFaults([{ match: { method: 'GET', path: FILES }, action: { type: 'content_expired' } }]);
    const before = mock.requests().length;
    await p.download(id, join(await tempDir(), 'clip.mp4'), {});
    const paths = mock
      .requests()
      .slice(before)
      .map((r) => [r.path.replace(/\/files\/.*/, '/files/…'), r.status]);
    expect(paths).toEqual([
      ['/files/…', 404],
      [`/v1/tasks/${id}`, 200],
      ['/files/…', 200],
    ]);
  });

  it('a fresh URL that also fails, or a task that is gone → output_expired', async () => {
    const p = provider();
    const id = await finished(p);
    mock.setFaults([{ match: { method: 'GET', path: FILES, times: 2 }, action: { type: 'content_expired' } }]);
    expect((await failure(p.download(id, join(await tempDir(), 'a.mp4'), {}))).kind).toBe('output_expired');
    await p.cancel(id, {}); // deletes the finished task
    expect((await failure(p.download(id, join(await tempDir(), 'b.mp4'), {}))).message).toMatch(/no longer exists on Runway/);
  });

  it('a truncated body is output_corrupt (downloaded again by the workflow), not expired', async () => {
    const p = provider();
    const id = await finished(p);
    mock.setFaults([{ match: { method: 'GET', path: FILES }, action: { type: 'content_truncated' } }]);
    expect((await failure(p.download(id, join(await tempDir(), 'c.mp4'), {}))).kind).toBe('output_corrupt');
  });
});
