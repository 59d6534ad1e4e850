/**
 * The google adapter on its own, against the mock: what each create sends (counted in the mock's log: one POST per
 * call, whatever the fault), how Google's errors and safety filtering are classified, downloads that stream (inline
 * base64 never held in memory, truncation and expiry told apart, the key only ever sent to the configured origin),
 * and the planner's view of the catalog (options one surface refuses, shut-down models with their replacement).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GenerateRequest, JobSnapshot } from '../../src/contracts/jobs.js';
import { planFile } from '../../src/load/load-storyboard.js';
import { startGoogleMock, type GoogleMock } from '../../src/mock/google/server.js';
import { catalog } from '../../src/providers/catalog.js';
import { ProviderError } from '../../src/providers/errors.js';
import { classifyGoogleHttp } from '../../src/providers/google/errors.js';
import { readJsonWithMedia } from '../../src/providers/google/json-media-reader.js';
import { GoogleProvider } from '../../src/providers/google/provider.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { streamsOf } from '../helpers/media.js';

const KEY = 'unit-gemini-key';
let mock: GoogleMock;
let dir: string;
let frame: string;

beforeAll(async () => {
  mock = await startGoogleMock({ apiKey: KEY, vertex: { apiKey: KEY }, timing: { queuedMs: 20, msPerVideoSecond: 20 } });
  dir = await tempDir('google-unit-');
  frame = join(dir, 'frame.png');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=red:s=1280x720', '-frames:v', '1', frame]);
});
afterAll(async () => {
  await mock?.close();
});
beforeEach(() => mock.reset());

const provider = (settings: Record<string, unknown> = {}, m: GoogleMock = mock) =>
  new GoogleProvider({ settings: { baseURL: m.url, requestTimeoutMs: 20_000, ...settings }, env: { GEMINI_API_KEY: KEY } });
const image = () => ({ kind: 'file' as const, path: frame, mime: 'image/png' as const });
const request = (over: Partial<GenerateRequest> = {}): GenerateRequest => ({
  clientRef: 'p:s1:1.1',
  model: 'veo-3.1-generate-001',
  prompt: 'a lighthouse at dawn',
  seconds: 4,
  size: { width: 1280, height: 720 },
  fps: 24,
  ...over,
});
const creates = () => mock.requests().filter((r) => r.method === 'POST' && /predictLongRunning|\/interactions$/.test(r.path));

async function until(p: GoogleProvider, jobId: string): Promise<JobSnapshot> {
  for (;;) {
    const s = await p.poll(jobId, {});
    if (s.state === 'succeeded' || s.state === 'failed' || s.state === 'canceled') return s;
    await new Promise((r) => setTimeout(r, 30));
  }
}

async function thrown(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('what a create sends', () => {
  it('Veo on the Gemini API: first and last frame, negative prompt, no seed or audio switch; a first frame wins over references', async () => {
    const p = provider();
    await p.submit(request({ seconds: 8, firstFrame: image(), lastFrame: image(), negativePrompt: 'fog', referenceImages: [image()] }), {});
    await p.submit(request({ seconds: 8, referenceImages: [image(), image()] }), {});
    expect(mock.jobs().map((j) => j.received)).toEqual([
      {
        prompt: 'a lighthouse at dawn',
        aspectRatio: '16:9',
        resolution: '720p',
        durationSeconds: 8,
        image: true,
        lastFrame: true,
        referenceImages: 0,
        negativePrompt: 'fog',
      },
      {
        prompt: 'a lighthouse at dawn',
        aspectRatio: '16:9',
        resolution: '720p',
        durationSeconds: 8,
        image: false,
        lastFrame: false,
        referenceImages: 2,
      },
    ]);
    expect(creates().map((r) => r.path)).toEqual(Array(2).fill('/v1beta/models/veo-3.1-generate-001:predictLongRunning'));
  });

  it('Veo on the Agent Platform (express): seed and generateAudio go out; 1080x1920 is 9:16 1080p', async () => {
    await provider({ surface: 'vertex', audio: false }).submit(request({ seconds: 8, seed: 11, size: { width: 1080, height: 1920 } }), {});
    expect(mock.jobs()[0]!.received).toMatchObject({ seed: 11, generateAudio: false, aspectRatio: '9:16', resolution: '1080p' });
    expect(creates()[0]!.path).toBe('/v1beta1/publishers/google/models/veo-3.1-generate-001:predictLongRunning');
  });

  it('Omni: image_to_video with the first frame, reference_to_video with references, duration and seed; one POST', async () => {
    const p = provider();
    const a = await p.submit(
      request({ model: 'gemini-omni-1.1-flash', seconds: 5, firstFrame: image(), referenceImages: [image()], seed: 3 }),
      {},
    );
    await p.submit(request({ model: 'gemini-omni-1.1-flash', seconds: 10, referenceImages: [image(), image()] }), {});
    expect(a.jobId).toMatch(/^interactions\/v1_/);
    expect(mock.jobs().map((j) => j.received)).toMatchObject([
      { task: 'image_to_video', images: 1, duration: '5s', seed: 3, background: true },
      { task: 'reference_to_video', images: 2, duration: '10s' },
    ]);
    expect(creates()).toHaveLength(2);
  });

  it('Omni on the Agent Platform (express): /v1beta1/interactions with Api-Revision 2026-05-20 on every call, so the answer has steps[]', async () => {
    const p = provider({ surface: 'vertex' });
    const snap = await p.submit(request({ model: 'gemini-omni-1.2-flash', seconds: 12 }), {});
    expect((await until(p, snap.jobId)).state).toBe('succeeded');
    const calls = mock.requests().filter((r) => r.path.startsWith('/v1beta1/interactions'));
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.every((r) => r.headers['api-revision'] === '2026-05-20')).toBe(true);
  });

  it('validate: a seed for Veo on the Gemini API, or a 4 s 1080p clip, is refused before any request, naming what to do', async () => {
    const p = provider();
    expect(p.validate(request({ seed: 1 }))).toEqual([expect.stringMatching(/^seed: .*no seed on the Gemini API.*surface: vertex/)]);
    expect(p.validate(request({ size: { width: 1920, height: 1080 } }))).toEqual([
      expect.stringMatching(/^seconds: .*1080p clips only 8 s long/),
    ]);
    const err = await thrown(p.submit(request({ seed: 1 }), {}));
    expect(err.kind).toBe('invalid_request');
    expect(mock.requests()).toHaveLength(0);
  });

  it('a shut-down model is refused with its replacement; a model the surface does not serve too', () => {
    expect(() => provider().assertAvailable('veo-3.1-generate-preview')).toThrow(
      /shut down on the Gemini API on 2026-10-22; use gemini-omni-1\.1-flash instead/,
    );
    const err = (() => {
      try {
        provider({ surface: 'vertex' }).assertAvailable('gemini-omni-1.1-flash');
      } catch (e) {
        return e as ProviderError;
      }
    })();
    expect([err?.kind, err?.message]).toEqual(['model_unavailable', expect.stringMatching(/not offered on the Agent Platform/)]);
  });
});

describe('create faults: classified, each create sent once', () => {
  it.each([
    ['veo', { type: 'rate_limit', retryAfter: 3 }, 'rate_limited', 3000],
    ['omni', { type: 'rate_limit', retryAfter: 2 }, 'rate_limited', 2000],
    ['veo', { type: 'quota' }, 'quota_exhausted', undefined],
    ['omni', { type: 'quota' }, 'quota_exhausted', undefined],
    ['veo', { type: 'http', status: 403, code: 'BILLING_DISABLED' }, 'quota_exhausted', undefined],
    ['veo', { type: 'http', status: 400, code: 'API_KEY_INVALID' }, 'auth', undefined],
    ['veo', { type: 'http', status: 500 }, 'ambiguous_submit', undefined],
    ['omni', { type: 'http', status: 503 }, 'ambiguous_submit', undefined],
    ['veo', { type: 'http', status: 502, html: true }, 'ambiguous_submit', undefined],
    ['veo', { type: 'accept_then_drop' }, 'ambiguous_submit', undefined],
    ['omni', { type: 'accept_then_drop' }, 'ambiguous_submit', undefined],
    ['veo', { type: 'reset' }, 'ambiguous_submit', undefined],
    ['omni', { type: 'reset' }, 'ambiguous_submit', undefined],
  ] as const)('%s: %j → %s', async (api, action, kind, retryAfterMs) => {
    mock.setFaults([{ match: { method: 'POST' }, action }]);
    const model = api === 'veo' ? 'veo-3.1-generate-001' : 'gemini-omni-1.1-flash';
    const err = await thrown(provider().submit(request({ model }), {}));
    expect([err.kind, err.retryAfterMs]).toEqual([kind, retryAfterMs]);
    expect(creates()).toHaveLength(1);
    // a dropped answer really created the (paid) job: that is why it is never sent again
    if (action.type === 'accept_then_drop') expect(mock.jobs()).toHaveLength(1);
  });

  it('RetryInfo alone sets the wait; a per-day QuotaFailure is quota_exhausted whatever else it says', () => {
    const body = (details: unknown[]) => ({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'x', details } });
    const retry = classifyGoogleHttp('create', {
      status: 429,
      body: body([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '35s' }]),
    });
    expect([retry.kind, retry.retryAfterMs]).toEqual(['rate_limited', 35_000]);
    const daily = classifyGoogleHttp('read', {
      status: 429,
      body: body([
        {
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' }],
        },
      ]),
      retryAfterMs: 1000,
    });
    expect(daily.kind).toBe('quota_exhausted');
  });
});

describe('jobs that end badly', () => {
  it.each([
    [
      'veo-3.1-generate-001',
      'RAI_INPUT',
      { kind: 'content_policy', code: 'rai:90789179', message: expect.stringMatching(/Responsible AI.*\[sexual\] \(input: prompt\)$/) },
    ],
    [
      'veo-3.1-generate-001',
      'RAI_OUTPUT',
      { kind: 'content_policy', code: 'rai:43188360', message: expect.stringMatching(/\(input: output\)$/) },
    ],
    ['veo-3.1-generate-001', 'INTERNAL', { kind: 'job_failed', code: 'grpc:13' }],
    [
      'gemini-omni-1.1-flash',
      'RAI_INPUT',
      { kind: 'content_policy', code: 'PROHIBITED_CONTENT', message: expect.stringMatching(/input: prompt/) },
    ],
    ['gemini-omni-1.1-flash', 'INTERNAL', { kind: 'job_failed', code: 'INTERNAL' }],
  ])('%s with %s → %j', async (model, code, failure) => {
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'job_failed', code } }]);
    const p = provider();
    const snap = await p.submit(request({ model }), {});
    expect(await until(p, snap.jobId)).toMatchObject({ state: 'failed', failure });
  });

  it('an Omni job can be cancelled; a Veo operation cannot', async () => {
    const p = provider();
    const omni = await p.submit(request({ model: 'gemini-omni-1.1-flash', seconds: 10 }), {});
    expect(await p.cancel(omni.jobId, {})).toEqual({ supported: true });
    expect((await p.poll(omni.jobId, {})).state).toBe('canceled');
    expect(await p.cancel('models/veo-3.1-generate-001/operations/abc', {})).toEqual({ supported: false });
  });
});

describe('downloads', () => {
  const finished = async (p: GoogleProvider, over: Partial<GenerateRequest> = {}) => {
    const snap = await p.submit(request(over), {});
    expect((await until(p, snap.jobId)).state).toBe('succeeded');
    return snap.jobId;
  };

  it.each([
    ['a Gemini API file', {}, { seconds: 4 }],
    ['a Vertex operation, inline', { surface: 'vertex' }, { seconds: 4 }],
    ['an interaction, inline', {}, { model: 'gemini-omni-1.1-flash', seconds: 3 }],
    ['an interaction, by uri', { delivery: 'uri' }, { model: 'gemini-omni-1.1-flash', seconds: 3 }],
  ])('%s: streamed to disk, a playable clip of the asked length', async (_what, settings, over) => {
    const p = provider(settings);
    const jobId = await finished(p, over);
    const dest = join(dir, `${createHash('sha1').update(jobId).digest('hex')}.mp4`);
    const file = await p.download(jobId, dest, {});
    const s = await streamsOf(file.path);
    expect([s.width, s.height, Math.round(s.durationS)]).toEqual([1280, 720, over.seconds]);
    expect(file.sha256).toBe(
      createHash('sha256')
        .update(await readFile(dest))
        .digest('hex'),
    );
    // nothing but the clip is left beside it
    expect((await readdir(dirname(dest))).filter((f) => f.startsWith(`${dest.split('/').pop()!}.`))).toEqual([]);
  });

  it.each([
    ['the Gemini API file', {}, {}, { method: 'GET', path: '/v1beta/files/*' }],
    ['the Vertex operation', { surface: 'vertex' }, {}, { method: 'POST' }],
    ['the interaction', {}, { model: 'gemini-omni-1.1-flash', seconds: 3 }, { method: 'GET' }],
  ] as const)('%s cut short → output_corrupt; gone → output_expired', async (_what, settings, over, match) => {
    const p = provider(settings);
    const jobId = await finished(p, over);
    mock.setFaults([{ match, action: { type: 'content_truncated' } }]);
    expect((await thrown(p.download(jobId, join(dir, 'cut.mp4'), {}))).kind).toBe('output_corrupt');
    expect(mock.requests().filter((r) => r.fault === 'content_truncated')).toHaveLength(1);
    mock.setFaults([{ match, action: { type: 'content_expired' } }]);
    expect((await thrown(p.download(jobId, join(dir, 'gone.mp4'), {}))).kind).toBe('output_expired');
  });

  it('a file uri naming another host is fetched from there without the key; a googleapis uri from the configured origin with it', async () => {
    const seen: { path: string; key: unknown }[] = [];
    const spy = createServer((req, res) => {
      seen.push({ path: req.url ?? '', key: req.headers['x-goog-api-key'] });
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => spy.listen(0, '127.0.0.1', r));
    const other = await startGoogleMock({ apiKey: KEY, fileUriOrigin: `http://127.0.0.1:${(spy.address() as AddressInfo).port}` });
    try {
      const p = provider({}, other);
      const snap = await p.submit(request(), {});
      await until(p, snap.jobId);
      expect((await thrown(p.download(snap.jobId, join(dir, 'x.mp4'), {}))).kind).toBe('output_expired');
      expect(seen).toEqual([{ path: expect.stringMatching(/^\/v1beta\/files\/[a-z0-9]+:download\?alt=media$/), key: undefined }]);
      expect(other.requests().filter((r) => r.path.startsWith('/v1beta/files/'))).toHaveLength(0);
    } finally {
      await other.close();
      spy.close();
    }
  });
});

describe('reading a video-sized JSON answer', () => {
  it('decodes a 96 MiB base64 string to disk without holding it: heap growth stays below the size of the string', async () => {
    const BLOCK = 3 * 64 * 1024; // whole base64 quanta per chunk
    const blocks = 512; // 96 MiB of base64, 72 MiB of video
    const bytes = (i: number) => Buffer.alloc(BLOCK, i % 251);
    const expected = createHash('sha256');
    for (let i = 0; i < blocks; i++) expected.update(bytes(i));
    let i = -1;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (i === -1) c.enqueue(Buffer.from('{"done":true,"response":{"videos":[{"mimeType":"video/mp4","bytesBase64Encoded":"'));
        else if (i < blocks) c.enqueue(Buffer.from(bytes(i).toString('base64')));
        else {
          c.enqueue(Buffer.from('"}]}}'));
          c.close();
        }
        i++;
      },
    });
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = 0;
    const read = await readJsonWithMedia(body, {
      captureTo: join(dir, 'big'),
      idleTimeoutMs: 10_000,
      onBytes: () => (peak = Math.max(peak, process.memoryUsage().heapUsed - before)),
    });
    expect(read.value).toEqual({ done: true, response: { videos: [{ mimeType: 'video/mp4', bytesBase64Encoded: { $media: 0 } }] } });
    expect(read.media[0]!.bytes).toBe(BLOCK * blocks);
    expect(
      createHash('sha256')
        .update(await readFile(read.media[0]!.path!))
        .digest('hex'),
    ).toBe(expected.digest('hex'));
    // Holding the string once would add its 96 MiB on top of the garbage of chunks between collections (which is
    // 40-75 MiB here, depending on the Node version's collector); growth below the string's size means never held.
    expect(peak).toBeLessThan(96 * 1024 * 1024);
  });

  it('JSON escapes inside the base64 (\\/) are undone; a body shorter than its Content-Length is an error', async () => {
    const small = (text: string) => new Response(text).body!;
    const read = await readJsonWithMedia(small('{"data":"AAEC\\/w=="}'), { captureTo: join(dir, 'esc'), idleTimeoutMs: 1000 });
    expect([...(await readFile(read.media[0]!.path!))]).toEqual([0, 1, 2, 255]);
    await expect(readJsonWithMedia(small('{"data":"AAEC"}'), { idleTimeoutMs: 1000, expectedBytes: 99 })).rejects.toThrow(
      /ended at 15 of 99 bytes/,
    );
  });
});

describe('planning with the google catalog', () => {
  const plan = async (sb: Record<string, unknown>) => planFile(await writeStoryboard(await tempDir(), { title: 't', ...sb }), { catalog });

  it('a seed for Veo is refused on the Gemini API (naming the surface that takes it) and accepted on the Agent Platform', async () => {
    const sb = {
      defaults: { provider: 'google', model: 'veo-3.1-fast-generate-001', size: '1280x720', seconds: 6, seed: 5 },
      scenes: [{ id: 'a', prompt: 'x' }],
    };
    await expect(plan(sb)).rejects.toThrow(
      /defaults\.seed: google\/veo-3\.1-fast-generate-001 takes no seed on the Gemini API.*surface: vertex/,
    );
    const { plan: ok } = await plan({ ...sb, providers: { google: { surface: 'vertex', project: 'demo-project' } } });
    expect(ok.scenes[0]!.seed).toBe(5);
  });

  it('a shut-down model names its replacement; Omni 1.1 is not on the Agent Platform; 1080p needs 8 s; audio: false needs Vertex', async () => {
    const one = (model: string, extra: Record<string, unknown> = {}) => ({
      defaults: { provider: 'google', model, size: '1280x720', seconds: 8 },
      scenes: [{ id: 'a', prompt: 'x' }],
      ...extra,
    });
    await expect(plan(one('veo-3.1-generate-preview'))).rejects.toThrow(/was shut down on 2026-10-22; use gemini-omni-1\.1-flash instead/);
    await expect(plan(one('gemini-omni-1.1-flash', { providers: { google: { surface: 'vertex' } } }))).rejects.toThrow(
      /defaults\.model: google\/gemini-omni-1\.1-flash is not offered on the Agent Platform.*\(providers\.google\.surface: gemini\)/,
    );
    await expect(
      plan({
        ...one('veo-3.1-generate-001'),
        defaults: { provider: 'google', model: 'veo-3.1-generate-001', size: '1920x1080', seconds: 4 },
      }),
    ).rejects.toThrow(/defaults\.seconds: .*1080p clips only 8 s long/);
    await expect(plan(one('veo-3.1-generate-001', { providers: { google: { audio: false } } }))).rejects.toThrow(
      /providers\.google\.audio: the Gemini API always makes sound/,
    );
    const { plan: omni } = await plan(one('gemini-omni-1.1-flash', { defaults: { provider: 'google', size: '1280x720', seconds: 8 } }));
    expect([omni.scenes[0]!.model, omni.scenes[0]!.estimatedCostUsd]).toEqual(['gemini-omni-1.1-flash', 1.04]);
  });
});
