/**
 * The Replicate mock (src/mock/replicate), driven through the official `replicate` SDK and plain HTTP: both create
 * routes, per-model validation, the lifecycle (starting → processing → succeeded / failed / canceled / aborted),
 * `Cancel-After`, `Prefer: wait`, list pages, data removal after the retention, error bodies, faults, the request log.
 * Also what the SDK itself does on a dropped create (why the adapter sends creates directly) and that the adapter's
 * fetch turns the SDK's retries into one request each.
 */
import Replicate, { parseProgressFromLogs, type Prediction } from 'replicate';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { credentialSha256 } from '../../src/mock/kit/index.js';
import { startReplicateMock, versionOf, type ReplicateMock } from '../../src/mock/replicate/server.js';
import { oncePerRequest } from '../../src/providers/replicate/http.js';
import { tempDir } from '../helpers/files.js';
import { frameByIndex, meanAbsDiff, streamsOf } from '../helpers/media.js';

const run = promisify(execFile);

const KEY = 'r8_test-key';
let now = Date.UTC(2026, 11, 1, 12, 0, 0);
const clock = () => now;
const advance = (ms: number) => (now += ms);

let mock: ReplicateMock;
beforeAll(async () => {
  mock = await startReplicateMock({
    apiKey: KEY,
    clock,
    prerender: false,
    timing: { queuedMs: 1000, msPerVideoSecond: 1000 },
    pageSize: 2,
  });
});
afterEach(() => mock.reset());
afterAll(async () => {
  await mock?.close();
});

const sdk = (m = mock, key = KEY) => new Replicate({ auth: key, baseUrl: m.baseURL, fetch: oncePerRequest(new URL(m.url).origin) });

/** The SDK's ApiError carries the response; its body, parsed. */
async function apiError(p: Promise<unknown>): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as { name?: string; message?: string } | undefined;
  expect(err?.name).toBe('ApiError');
  const message = err!.message!;
  const status = Number(/failed with status (\d+)/.exec(message)![1]);
  const body = JSON.parse(/: (\{.*\})\.$/s.exec(message)![1]!) as Record<string, unknown>;
  return { status, body, headers: (err as unknown as { response: Response }).response.headers };
}

describe('create, read, download', () => {
  it('an official model by name: 201 starting, then processing with progress logs, then succeeded with an mp4 URL', async () => {
    const created = await sdk().predictions.create({
      model: 'google/veo-3.1-fast',
      input: { prompt: 'a red kite', duration: 4, resolution: '720p', aspect_ratio: '16:9' },
    });
    expect(created).toMatchObject({
      status: 'starting',
      model: 'google/veo-3.1-fast',
      version: 'hidden',
      output: null,
      data_removed: false,
    });
    expect(created.input).toEqual({ prompt: 'a red kite', duration: 4, resolution: '720p', aspect_ratio: '16:9' });
    expect(created.id).toMatch(/^[a-z2-7]{26}$/);
    advance(1000 + 2100);
    const running = await sdk().predictions.get(created.id);
    expect(running.status).toBe('processing');
    expect(parseProgressFromLogs(running)?.percentage).toBe(0.5);
    advance(2000);
    const done = await sdk().predictions.get(created.id);
    expect(done).toMatchObject({ status: 'succeeded', error: null });
    expect(done.completed_at).toBe(new Date(now - 100).toISOString());
    const file = join(await tempDir(), 'out.mp4');
    const res = await fetch(done.output as string);
    expect(res.status).toBe(200);
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    const s = await streamsOf(file);
    expect([s.width, s.height, s.frames, s.audio.length]).toEqual([1280, 720, 96, 1]);
    const log = mock.requests();
    expect(log.map((r) => [r.method, r.path, r.status])).toEqual([
      ['POST', '/v1/models/google/veo-3.1-fast/predictions', 201],
      ['GET', `/v1/predictions/${created.id}`, 200],
      ['GET', `/v1/predictions/${created.id}`, 200],
      ['GET', new URL(done.output as string).pathname, 200],
    ]);
    expect(log[0]!.auth).toEqual({ header: 'authorization', scheme: 'Bearer', sha256: credentialSha256(KEY) });
    expect(JSON.stringify(log)).not.toContain(KEY);
  });

  it('a model without sound delivers a video-only mp4; a community model runs by version and answers a list', async () => {
    const silent = await sdk().predictions.create({
      model: 'bytedance/seedance-1-lite',
      input: { prompt: 'quiet', duration: 2, resolution: '480p' },
    });
    const ltxVersion = '8c47da666861d081eeb4d1261853087de23923a268a69b63febdf5dc1dee08e4';
    const ltx = await sdk().predictions.create({ version: ltxVersion, input: { prompt: 'ltx', aspect_ratio: '16:9', target_size: 1024 } });
    expect(ltx.version).toBe(ltxVersion);
    advance(20_000);
    const a = await sdk().predictions.get(silent.id);
    const b = await sdk().predictions.get(ltx.id);
    expect(Array.isArray(b.output)).toBe(true);
    const dir = await tempDir();
    const probe = async (url: string, name: string) => {
      await writeFile(join(dir, name), Buffer.from(await (await fetch(url)).arrayBuffer()));
      return streamsOf(join(dir, name));
    };
    const sa = await probe(a.output as string, 'a.mp4');
    expect([sa.width, sa.height, sa.frames, sa.audio.length]).toEqual([864, 480, 48, 0]);
    const sb = await probe((b.output as string[])[0]!, 'b.mp4');
    expect([sb.width, sb.height, sb.frames]).toEqual([1024, 576, 97]);
  });

  it('a first frame (data URL) becomes frame 0, and an image-to-video model takes the aspect of its image', async () => {
    const dir = await tempDir();
    const image = join(dir, 'first.png');
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720', '-frames:v', '1', image]);
    const png = await readFile(image);
    const p = await sdk().predictions.create({
      model: 'wan-video/wan-2.2-i2v-fast',
      input: { prompt: 'pan', image: `data:image/png;base64,${png.toString('base64')}`, resolution: '720p' },
    });
    advance(30_000);
    const done = await sdk().predictions.get(p.id);
    const file = join(dir, 'i2v.mp4');
    await writeFile(file, Buffer.from(await (await fetch(done.output as string)).arrayBuffer()));
    const s = await streamsOf(file);
    expect([s.width, s.height, s.frames]).toEqual([1280, 720, 81]);
    expect(meanAbsDiff((await frameByIndex(image, 0)).data, (await frameByIndex(file, 0)).data)).toBeLessThan(6);
  });
});

describe('validation (422 with invalid_fields), unknown models and versions', () => {
  it.each([
    [
      'an enum',
      'google/veo-3.1',
      { prompt: 'x', duration: 5 },
      [{ type: 'enum', field: 'input.duration', description: 'duration must be one of the following: 4, 6, 8' }],
    ],
    [
      'a required image',
      'kwaivgi/kling-v2.1',
      { prompt: 'x' },
      [{ type: 'required', field: 'input.start_image', description: 'start_image is required' }],
    ],
    [
      'a range',
      'bytedance/seedance-1-pro',
      { prompt: 'x', duration: 13 },
      [{ type: 'number_lte', field: 'input.duration', description: 'Must be less than or equal to 12' }],
    ],
    [
      'a type',
      'minimax/hailuo-02',
      { prompt: 'x', duration: '6' },
      [{ type: 'invalid_type', field: 'input.duration', description: 'Invalid type. Expected: integer, given: string' }],
    ],
    [
      'a rule across fields',
      'minimax/hailuo-02',
      { prompt: 'x', duration: 10, resolution: '1080p' },
      [{ type: 'invalid', field: 'input.duration', description: '10 second videos are not supported at 1080p' }],
    ],
  ])('%s', async (_name, model, input, fields) => {
    const { status, body } = await apiError(sdk().predictions.create({ model, input }));
    expect(status).toBe(422);
    expect(body).toMatchObject({ title: 'Input validation failed', status: 422, invalid_fields: fields });
    expect(mock.predictions()).toHaveLength(0);
  });

  it('an unknown model is 404, a community model by name is 404, an unknown version is 422', async () => {
    expect((await apiError(sdk().predictions.create({ model: 'acme/nothing', input: { prompt: 'x' } }))).status).toBe(404);
    const byName = await apiError(sdk().predictions.create({ model: 'lightricks/ltx-video', input: { prompt: 'x' } }));
    expect([byName.status, byName.body.detail]).toEqual([404, expect.stringContaining('run it by version')]);
    const version = await apiError(sdk().predictions.create({ version: versionOf('nope'), input: { prompt: 'x' } }));
    expect([version.status, version.body.title]).toEqual([422, 'Invalid version or not permitted']);
  });

  it('401 without a key and with a wrong one, in the problem format', async () => {
    const wrong = await apiError(sdk(mock, 'r8_wrong').predictions.get('x'));
    expect([wrong.status, wrong.body]).toEqual([
      401,
      { title: 'Unauthenticated', detail: 'You did not pass a valid authentication token', status: 401 },
    ]);
    const none = await fetch(`${mock.baseURL}/predictions`);
    expect([none.status, ((await none.json()) as { detail: string }).detail]).toEqual([401, 'You did not pass an authentication token']);
  });
});

describe('Cancel-After, cancel, Prefer: wait', () => {
  const create = (
    headers: Record<string, string>,
    input: Record<string, unknown> = { prompt: 'deadline', duration: 4, resolution: '720p' },
  ) =>
    fetch(`${mock.baseURL}/models/google/veo-3.1/predictions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ input }),
    });

  it('a deadline reached while starting → aborted (final); while processing → canceled; both show the deadline', async () => {
    const a = (await (await create({ 'cancel-after': '5s' })).json()) as Prediction;
    expect(a.deadline).toBe(new Date(now + 5000).toISOString());
    mock.reset();
    // A queue that never frees a slot keeps it starting: one slow prediction ahead holds the only slot.
    const slow = await startReplicateMock({
      apiKey: KEY,
      clock,
      prerender: false,
      concurrency: 1,
      timing: { queuedMs: 0, msPerVideoSecond: 60_000 },
    });
    try {
      const post = (headers: Record<string, string>) =>
        fetch(`${slow.baseURL}/models/google/veo-3.1/predictions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ input: { prompt: 'deadline', duration: 4 } }),
        }).then((r) => r.json() as Promise<Prediction>);
      const running = await post({ 'cancel-after': '1m' });
      const waiting = await post({ 'cancel-after': '30s' });
      advance(31_000);
      const c = new Replicate({ auth: KEY, baseUrl: slow.baseURL, fetch: oncePerRequest(new URL(slow.url).origin) });
      expect((await c.predictions.get(waiting.id)).status).toBe('aborted');
      expect((await c.predictions.get(running.id)).status).toBe('processing');
      advance(30_000);
      const ended = await c.predictions.get(running.id);
      expect([ended.status, ended.completed_at]).toEqual(['canceled', ended.deadline]);
      advance(600_000);
      expect((await c.predictions.get(waiting.id)).status).toBe('aborted');
    } finally {
      await slow.close();
    }
  });

  it('a malformed Cancel-After is 400 and creates nothing', async () => {
    const res = await create({ 'cancel-after': 'soon' });
    expect(res.status).toBe(400);
    expect(mock.predictions()).toHaveLength(0);
  });

  it('cancel: a running prediction ends canceled; a finished one stays as it was', async () => {
    const p = (await (await create({})).json()) as Prediction;
    advance(1500);
    const canceled = await sdk().predictions.cancel(p.id);
    expect(canceled.status).toBe('canceled');
    advance(60_000);
    expect((await sdk().predictions.cancel(p.id)).status).toBe('canceled');
    expect((await apiError(sdk().predictions.cancel('nosuchprediction'))).status).toBe(404);
  });

  it('Prefer: wait holds the create until the prediction ends; a server may also ignore it', async () => {
    const real = await startReplicateMock({ prerender: false, timing: { queuedMs: 50, msPerVideoSecond: 50 } });
    const ignoring = await startReplicateMock({
      prerender: false,
      honourPreferWait: false,
      timing: { queuedMs: 50, msPerVideoSecond: 50 },
    });
    try {
      const input = { prompt: 'sync', duration: 4, resolution: '720p' };
      const held = await new Replicate({ auth: 'k', baseUrl: real.baseURL }).predictions.create({
        model: 'google/veo-3.1',
        input,
        wait: 5,
      });
      expect(held.status).toBe('succeeded');
      expect(real.requests()[0]!.headers.prefer).toBe('wait=5');
      const quick = await new Replicate({ auth: 'k', baseUrl: ignoring.baseURL }).predictions.create({
        model: 'google/veo-3.1',
        input,
        wait: 5,
      });
      expect(quick.status).toBe('starting');
    } finally {
      await Promise.all([real.close(), ignoring.close()]);
    }
  });
});

describe('list pages and data removal', () => {
  it('newest first, `next` cursors, created_after honoured; the SDK paginates through it', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await sdk().predictions.create({ model: 'google/veo-3.1-fast', input: { prompt: `p${i}` } })).id);
      advance(1000);
    }
    const seen: string[] = [];
    for await (const page of sdk().paginate<Prediction>(() => sdk().predictions.list())) seen.push(...page.map((p) => p.id));
    expect(seen).toEqual([...ids].reverse());
    const recent = (await (
      await sdk().request('/predictions', { method: 'GET', params: { created_after: new Date(now - 2500).toISOString() } })
    ).json()) as { results: Prediction[]; next: string | null };
    expect(recent.results.map((p) => p.id)).toEqual([ids[4], ids[3]]);
    expect(recent.next).toBeNull();
  });

  it('after the retention: data_removed, output null, input gone, and the output URL answers 404', async () => {
    const short = await startReplicateMock({
      clock,
      prerender: false,
      dataRetentionMs: 60_000,
      timing: { queuedMs: 0, msPerVideoSecond: 100 },
    });
    try {
      const c = new Replicate({ auth: 'k', baseUrl: short.baseURL });
      const p = await c.predictions.create({ model: 'google/veo-3.1-fast', input: { prompt: 'gone', duration: 4, resolution: '720p' } });
      advance(1000);
      const done = await c.predictions.get(p.id);
      expect(done.status).toBe('succeeded');
      advance(60_000);
      const later = await c.predictions.get(p.id);
      expect(later).toMatchObject({ status: 'succeeded', data_removed: true, output: null, input: {} });
      expect((await fetch(done.output as string)).status).toBe(404);
    } finally {
      await short.close();
    }
  });
});

describe("faults in Replicate's format", () => {
  it('quota → 402 Insufficient credit; rate_limit → 429 with Retry-After and the throttle text', async () => {
    mock.setFaults([
      { match: { method: 'POST' }, action: { type: 'quota' } },
      { match: { method: 'GET' }, action: { type: 'rate_limit', retryAfter: 7 } },
    ]);
    const quota = await apiError(sdk().predictions.create({ model: 'google/veo-3.1', input: { prompt: 'x' } }));
    expect([quota.status, quota.body.title]).toEqual([402, 'Insufficient credit']);
    const limited = await apiError(sdk().predictions.get('x'));
    expect([limited.status, limited.body.detail, limited.headers.get('retry-after')]).toEqual([
      429,
      'Request was throttled. Expected available in 7 seconds.',
      '7',
    ]);
  });

  it('job_failed with E005 ends the prediction failed with the moderation text and its code', async () => {
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'job_failed', code: 'E005' } }]);
    const p = await sdk().predictions.create({ model: 'google/veo-3.1', input: { prompt: 'x' } });
    advance(1000);
    const failed = await sdk().predictions.get(p.id);
    expect([failed.status, failed.error]).toEqual([
      'failed',
      'The input or output was flagged as sensitive. Please try again with different inputs. (E005)',
    ]);
  });

  it("the adapter's fetch makes each SDK call one request: a 503 on a read is not repeated by the SDK", async () => {
    mock.setFaults([{ match: { method: 'GET', times: -1 }, action: { type: 'http', status: 503 } }]);
    expect((await apiError(sdk().predictions.get('x'))).status).toBe(503);
    expect(mock.requests()).toHaveLength(1);
    const plain = new Replicate({ auth: KEY, baseUrl: mock.baseURL });
    await apiError(plain.predictions.get('x'));
    expect(mock.requests().length).toBeGreaterThan(2); // the SDK alone repeats it
  });

  it('why creates bypass the SDK: on a create answered by a dropped connection, the SDK posts again (two predictions)', async () => {
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'accept_then_drop' } }]);
    const plain = new Replicate({ auth: KEY, baseUrl: mock.baseURL });
    await plain.predictions.create({ model: 'google/veo-3.1', input: { prompt: 'twice' } });
    expect(mock.predictions().filter((p) => p.input.prompt === 'twice')).toHaveLength(2);
  });

  it("the adapter's fetch never sends the key to another origin (a `next` URL elsewhere)", async () => {
    const f = oncePerRequest(new URL(mock.url).origin);
    await expect(f('http://127.0.0.2:9/v1/predictions', { headers: { authorization: `Bearer ${KEY}` } })).rejects.toThrow(
      /refused to send the API key/,
    );
  });
});
