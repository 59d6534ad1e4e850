/**
 * The OpenAI Videos mock (src/mock/openai-videos), driven through the official `openai` SDK and plain
 * HTTP: API behaviour, validation texts, every fault type, the request log, the CLI, and conformance of every JSON
 * body the run recorded to the OpenAPI spec's schemas (ajv, JSON Schema 2020-12).
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  type AuthenticationError,
  BadRequestError,
  ConflictError,
  type InternalServerError,
  NotFoundError,
  RateLimitError,
  toFile,
} from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { tempDir } from '../helpers/files.js';
import { colorDistance, frameByIndex, meanAbsDiff, patchColor, streamsOf } from '../helpers/media.js';
import {
  SEEDED_FAULT_MIX,
  seededFaults,
  startOpenAIMock,
  type FaultAction,
  type MockRequestLogEntry,
  type OpenAIMock,
  type VideoResource,
} from '../../src/mock/openai-videos/server.js';

const run = promisify(execFile);
const MOCK_DIR = fileURLToPath(new URL('../../src/mock/openai-videos/', import.meta.url));
const SPEC_PATH = join(MOCK_DIR, 'openapi.yaml');

// Job timings under the fake clock: 1 s queued, then 1 s of progress per second of video.
const QUEUED_MS = 1000;
const MS_PER_S = 1000;
const FPS = 24;
const EXPIRES_AFTER_S = 3600;

/** Fake epoch-ms clock for job states; real timers still drive transport faults. */
let now = Date.UTC(2026, 10, 23, 12, 0, 0);
const clock = () => now;
const advance = (ms: number) => (now += ms);

let mock: OpenAIMock;
let work: string;
/** JSON responses of spec-profile mocks, harvested before each reset, for the conformance check. */
const recorded: MockRequestLogEntry[] = [];

const sdk = (m: OpenAIMock, opts: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) =>
  new OpenAI({ baseURL: m.baseURL, apiKey: 'test-key', maxRetries: 0, ...opts });

beforeAll(async () => {
  work = await tempDir('openai-mock-test-');
  // prerender off: only downloaded videos are rendered (the real-time test below covers prerendering).
  mock = await startOpenAIMock({
    clock,
    recordBodies: true,
    prerender: false,
    timing: { queuedMs: QUEUED_MS, msPerVideoSecond: MS_PER_S },
    fps: FPS,
    expiresAfterS: EXPIRES_AFTER_S,
  });
});

afterEach(() => {
  recorded.push(...mock.requests());
  mock.reset();
});

afterAll(async () => {
  await mock?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------------------------ helpers

async function image(w: number, h: number, color: string, codec: 'png' | 'mjpeg' | 'libwebp' = 'png'): Promise<Buffer> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-f', 'lavfi', '-i', `color=c=${color}:s=${w}x${h}`, '-frames:v', '1', '-c:v', codec, '-f', 'image2pipe', '-'],
    { encoding: 'buffer', maxBuffer: 32 << 20 },
  );
  return stdout;
}

/** Resolves the rejection of `p` (fails the test when `p` fulfils). */
async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => {
      throw new Error(`expected a failure, got ${JSON.stringify(v).slice(0, 200)}`);
    },
    (e: unknown) => e,
  );
}

/** Moves the fake clock past queue and render time of a video of `seconds`. */
const completeAfter = (seconds: number) => advance(QUEUED_MS + seconds * MS_PER_S + 1);

async function createCompleted(client: OpenAI, body: OpenAI.Videos.VideoCreateParams): Promise<VideoResource> {
  const v = await client.videos.create(body);
  completeAfter(Number(v.seconds));
  const done = await client.videos.retrieve(v.id);
  expect(done.status).toBe('completed');
  return done as VideoResource;
}

async function download(
  client: OpenAI,
  id: string,
  variant: 'video' | 'thumbnail' | 'spritesheet' = 'video',
): Promise<{ bytes: Buffer; type: string | null; path: string }> {
  const res = await client.videos.downloadContent(id, { variant });
  const bytes = Buffer.from(await res.arrayBuffer());
  const path = join(work, `${id}.${variant}`);
  await writeFile(path, bytes);
  return { bytes, type: res.headers.get('content-type'), path };
}

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${mock.url}${path}`, { ...init, headers: { authorization: 'Bearer test-key', ...(init.headers as Record<string, string>) } });

const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  api(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

/** A GET over node:http that reports how many body bytes arrived and whether the body completed. */
function rawGet(
  url: string,
  idleMs = 1000,
): Promise<{ status: number; contentLength: number; received: number; complete: boolean; idled: boolean }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { headers: { authorization: 'Bearer test-key' } }, (res) => {
      let received = 0;
      let idled = false;
      let timer = setTimeout(onIdle, idleMs);
      function onIdle() {
        idled = true;
        req.destroy();
      }
      res.on('data', (c: Buffer) => {
        received += c.length;
        clearTimeout(timer);
        timer = setTimeout(onIdle, idleMs);
      });
      res.on('error', () => undefined);
      res.on('close', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          contentLength: Number(res.headers['content-length']),
          received,
          complete: res.complete,
          idled,
        });
      });
    });
    req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
  });
}

function lastLog(path: string, method = 'GET'): MockRequestLogEntry {
  const hit = mock
    .requests()
    .filter((e) => e.path === path && e.method === method)
    .pop();
  if (!hit) throw new Error(`no ${method} ${path} in the request log`);
  return hit;
}

// ------------------------------------------------------------------------------------------------ API

describe('videos API through the official SDK', () => {
  const PROMPT = 'A lighthouse at dusk, waves rolling in';

  it('create (multipart, with input_reference) → completes → downloads an H.264+AAC mp4 of the requested size and length whose first frame is the reference', async () => {
    const client = sdk(mock);
    const red = '0xE01010';
    const ref = await toFile(await image(1280, 720, red), 'ref.png', { type: 'image/png' });
    const t0 = now;
    const { data: created, request_id } = await client.videos
      .create({ prompt: PROMPT, model: 'sora-2', seconds: '4', size: '1280x720', input_reference: ref })
      .withResponse();
    expect(created).toMatchObject({
      object: 'video',
      status: 'queued',
      progress: 0,
      model: 'sora-2',
      size: '1280x720',
      seconds: '4',
      prompt: PROMPT,
      completed_at: null,
      expires_at: null,
      error: null,
    });
    expect(created.created_at).toBe(Math.floor(now / 1000));
    expect(request_id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(lastLog('/v1/videos', 'POST').headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);

    completeAfter(4);
    const { data: done, response } = await client.videos.retrieve(created.id).withResponse();
    expect(Number(response.headers.get('openai-poll-after-ms'))).toBeGreaterThan(0);
    expect(done).toMatchObject({ status: 'completed', progress: 100 });
    expect(done.completed_at).toBe(Math.floor((t0 + QUEUED_MS + 4 * MS_PER_S) / 1000));
    expect(done.expires_at).toBe(done.completed_at! + EXPIRES_AFTER_S);

    const video = await download(client, created.id);
    expect(video.type).toBe('video/mp4');
    const s = await streamsOf(video.path);
    expect([s.video[0]?.codec_name, s.video[0]?.pix_fmt, s.width, s.height]).toEqual(['h264', 'yuv420p', 1280, 720]);
    expect([s.audio[0]?.codec_name, s.audio[0]?.sample_rate, s.audio[0]?.channels]).toEqual(['aac', 48000, 2]);
    expect(Math.abs(s.durationS - 4)).toBeLessThanOrEqual(1 / FPS);
    expect(Math.abs(s.frames - 4 * FPS)).toBeLessThanOrEqual(1);
    expect(s.fps).toBeCloseTo(FPS, 3);

    // The same prompt without a reference: same picture once the reference has faded, different first frame.
    const plainRes = await postJson('/v1/videos', { prompt: PROMPT, seconds: '4', size: '1280x720' });
    expect(plainRes.status).toBe(200);
    const plain = (await plainRes.json()) as VideoResource;
    completeAfter(4);
    const plainFile = await download(client, plain.id);
    const [refFirst, plainFirst] = await Promise.all([frameByIndex(video.path, 0), frameByIndex(plainFile.path, 0)]);
    expect(colorDistance(patchColor(refFirst, 600, 100, 16), [0xe0, 0x10, 0x10])).toBeLessThan(25);
    expect(meanAbsDiff(refFirst.data, plainFirst.data)).toBeGreaterThan(20);
    const [refLater, plainLater] = await Promise.all([frameByIndex(video.path, 2 * FPS), frameByIndex(plainFile.path, 2 * FPS)]);
    expect(meanAbsDiff(refLater.data, plainLater.data)).toBeLessThan(3);

    // Another prompt, another picture.
    const other = await createCompleted(client, { prompt: 'A desert road at noon', seconds: '4', size: '1280x720' });
    const otherFile = await download(client, other.id);
    expect(meanAbsDiff((await frameByIndex(otherFile.path, 2 * FPS)).data, plainLater.data)).toBeGreaterThan(20);

    const thumb = await download(client, created.id, 'thumbnail');
    expect(thumb.type).toBe('image/webp');
    expect([thumb.bytes.toString('latin1', 0, 4), thumb.bytes.toString('latin1', 8, 12)]).toEqual(['RIFF', 'WEBP']);
    const sprite = await download(client, created.id, 'spritesheet');
    expect(sprite.type).toBe('image/jpeg');
    expect([sprite.bytes[0], sprite.bytes[1]]).toEqual([0xff, 0xd8]);
    const sheet = await streamsOf(sprite.path);
    expect(sheet.width).toBeGreaterThan(0);

    // Range requests.
    const total = video.bytes.length;
    const part = await api(`/v1/videos/${created.id}/content`, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${total}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(video.bytes.subarray(100, 200))).toBe(true);
    const suffix = await api(`/v1/videos/${created.id}/content`, { headers: { range: 'bytes=-10' } });
    expect(suffix.status).toBe(206);
    expect(Buffer.from(await suffix.arrayBuffer()).equals(video.bytes.subarray(total - 10))).toBe(true);
    const beyond = await api(`/v1/videos/${created.id}/content`, { headers: { range: `bytes=${total}-` } });
    expect([beyond.status, beyond.headers.get('content-range')]).toEqual([416, `bytes */${total}`]);
    await beyond.body?.cancel();
  });

  it('progresses queued → in_progress (rising progress) → completed with real time; the prerendered video downloads', async () => {
    const fast = await startOpenAIMock({ timing: { queuedMs: 60, msPerVideoSecond: 40 }, recordBodies: true });
    try {
      const client = sdk(fast);
      const created = await client.videos.create({ prompt: 'timing check', seconds: '4' });
      const seen: { status: string; progress: number }[] = [{ status: created.status, progress: created.progress }];
      const deadline = Date.now() + 10_000;
      while (seen[seen.length - 1]!.status !== 'completed' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 15));
        const v = await client.videos.retrieve(created.id);
        seen.push({ status: v.status, progress: v.progress });
      }
      const order = ['queued', 'in_progress', 'completed'];
      const ranks = seen.map((x) => order.indexOf(x.status));
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      expect(seen[0]).toEqual({ status: 'queued', progress: 0 });
      expect(seen[seen.length - 1]).toEqual({ status: 'completed', progress: 100 });
      const progress = seen.map((x) => x.progress);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      const file = await download(client, created.id);
      expect((await streamsOf(file.path)).height).toBe(1280);
      recorded.push(...fast.requests());
    } finally {
      await fast.close();
    }
  });

  it('follows the fake clock exactly: queued until queuedMs, progress proportional, then completed', async () => {
    const client = sdk(mock);
    const v = await client.videos.create({ prompt: 'clock check', seconds: '8' });
    advance(QUEUED_MS - 1);
    expect(await client.videos.retrieve(v.id)).toMatchObject({ status: 'queued', progress: 0 });
    advance(1 + 8 * MS_PER_S * 0.25);
    expect(await client.videos.retrieve(v.id)).toMatchObject({ status: 'in_progress', progress: 25 });
    advance(8 * MS_PER_S * 0.75);
    expect(await client.videos.retrieve(v.id)).toMatchObject({ status: 'completed', progress: 100 });
    expect(mock.videos().map((x) => x.status)).toEqual(['completed']);
  });

  it('lists with cursor pagination (limit, order, after), also through SDK auto-pagination', async () => {
    const client = sdk(mock);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await client.videos.create({ prompt: `list item ${i}` })).id);
      advance(1000);
    }
    const newestFirst = [...ids].reverse();
    const page1 = await client.videos.list({ limit: 2 });
    expect(page1.data.map((v) => v.id)).toEqual(newestFirst.slice(0, 2));
    expect(page1.has_more).toBe(true);
    const page2 = await client.videos.list({ limit: 2, after: page1.data[1]!.id });
    expect(page2.data.map((v) => v.id)).toEqual(newestFirst.slice(2, 4));
    const page3 = await client.videos.list({ limit: 2, after: page2.data[1]!.id });
    expect([page3.data.map((v) => v.id), page3.has_more]).toEqual([newestFirst.slice(4), false]);

    const asc = (await (await api('/v1/videos?order=asc&limit=3')).json()) as {
      data: VideoResource[];
      first_id: string;
      last_id: string;
      has_more: boolean;
    };
    expect([asc.data.map((v) => v.id), asc.first_id, asc.last_id, asc.has_more]).toEqual([ids.slice(0, 3), ids[0], ids[2], true]);

    const all: string[] = [];
    for await (const v of client.videos.list({ limit: 2 })) all.push(v.id);
    expect(all).toEqual(newestFirst);

    const empty = (await (await api('/v1/videos?limit=0')).json()) as Record<string, unknown>;
    expect(empty).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: true });
    const bad = await api('/v1/videos?limit=101');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('limit');
    const badOrder = (await (await api('/v1/videos?order=sideways')).json()) as { error: { message: string } };
    expect(badOrder.error.message).toBe("Invalid value: 'sideways'. Supported values are: 'asc' and 'desc'.");
  });

  it('deletes only completed or failed videos; a deleted video is gone but still works as a list cursor', async () => {
    const client = sdk(mock);
    const v = await client.videos.create({ prompt: 'to delete' });
    const later = await client.videos.create({ prompt: 'created after' });
    const conflict = (await failure(client.videos.delete(v.id))) as ConflictError;
    expect(conflict).toBeInstanceOf(ConflictError);
    expect([conflict.status, conflict.type, conflict.code]).toEqual([409, 'invalid_request_error', 'video_not_finished']);

    const early = (await failure(client.videos.downloadContent(v.id))) as NotFoundError;
    expect([early.status, early.code]).toEqual([404, 'video_not_ready']);

    completeAfter(4);
    expect(await client.videos.delete(v.id)).toEqual({ id: v.id, object: 'video.deleted', deleted: true });
    expect(await failure(client.videos.retrieve(v.id))).toBeInstanceOf(NotFoundError);
    expect(await failure(client.videos.downloadContent(v.id))).toBeInstanceOf(NotFoundError);
    expect(await failure(client.videos.delete(v.id))).toBeInstanceOf(NotFoundError);
    const asc = await client.videos.list({ order: 'asc', after: v.id });
    expect(asc.data.map((x) => x.id)).toEqual([later.id]);
  });

  it('remixes: a new video with remixed_from_video_id, same size and length, different picture', async () => {
    const client = sdk(mock);
    const source = await createCompleted(client, { prompt: PROMPT, seconds: '4', size: '1280x720' });
    const remix = await client.videos.remix(source.id, { prompt: 'Same shot, but at night' });
    expect(lastLog(`/v1/videos/${source.id}/remix`, 'POST').headers['content-type']).toBe('application/json');
    expect(remix).toMatchObject({
      status: 'queued',
      remixed_from_video_id: source.id,
      size: source.size,
      seconds: source.seconds,
      prompt: 'Same shot, but at night',
    });
    completeAfter(4);
    expect((await client.videos.retrieve(remix.id)).status).toBe('completed');
    const [a, b] = await Promise.all([download(client, source.id), download(client, remix.id)]);
    const s = await streamsOf(b.path);
    expect([s.width, s.height, Math.abs(s.durationS - 4) <= 1 / FPS]).toEqual([1280, 720, true]);
    expect(meanAbsDiff((await frameByIndex(a.path, FPS)).data, (await frameByIndex(b.path, FPS)).data)).toBeGreaterThan(20);

    const queued = await client.videos.create({ prompt: 'not done yet' });
    const err = (await failure(client.videos.remix(queued.id, { prompt: 'x' }))) as BadRequestError;
    expect([err.status, err.code]).toEqual([400, 'invalid_state']);
  });

  it('extends: seconds is the stitched total and the content is the source followed by the new segment', async () => {
    const client = sdk(mock);
    const source = await createCompleted(client, { prompt: PROMPT, seconds: '4', size: '1280x720' });
    const ext = await client.videos.extend({ video: { id: source.id }, prompt: 'The lighthouse beam sweeps on', seconds: '4' });
    expect(lastLog('/v1/videos/extensions', 'POST').headers['content-type']).toMatch(/^multipart\/form-data/);
    expect(ext).toMatchObject({ status: 'queued', seconds: '8', size: '1280x720', model: source.model, remixed_from_video_id: null });
    advance(QUEUED_MS + 4 * MS_PER_S - 1); // render time covers only the new 4 s segment
    expect((await client.videos.retrieve(ext.id)).status).toBe('in_progress');
    advance(1);
    expect((await client.videos.retrieve(ext.id)).status).toBe('completed');

    const [src, out] = await Promise.all([download(client, source.id), download(client, ext.id)]);
    const s = await streamsOf(out.path);
    expect(Math.abs(s.durationS - 8)).toBeLessThanOrEqual(1 / FPS);
    expect(Math.abs(s.frames - 8 * FPS)).toBeLessThanOrEqual(1);
    expect([s.video[0]?.codec_name, s.audio[0]?.codec_name, s.width, s.height]).toEqual(['h264', 'aac', 1280, 720]);
    const [srcFirst, outFirst, srcMid, outMid, outLate] = await Promise.all([
      frameByIndex(src.path, 0),
      frameByIndex(out.path, 0),
      frameByIndex(src.path, 2 * FPS),
      frameByIndex(out.path, 2 * FPS),
      frameByIndex(out.path, 6 * FPS),
    ]);
    expect(meanAbsDiff(srcFirst.data, outFirst.data)).toBeLessThan(4);
    expect(meanAbsDiff(srcMid.data, outMid.data)).toBeLessThan(4);
    expect(meanAbsDiff(srcMid.data, outLate.data)).toBeGreaterThan(20);

    const missing = (await failure(client.videos.extend({ video: { id: 'video_nope' }, prompt: 'x', seconds: '4' }))) as NotFoundError;
    expect([missing.status, missing.param]).toEqual([404, 'video']);
  });

  it('edits by id, and creates and fetches characters', async () => {
    const client = sdk(mock);
    const source = await createCompleted(client, { prompt: PROMPT, seconds: '4', size: '1280x720' });
    const edit = await client.videos.edit({ video: { id: source.id }, prompt: 'Make it snow' });
    expect(edit).toMatchObject({ status: 'queued', seconds: '4', size: '1280x720', remixed_from_video_id: source.id });

    const clip = await download(client, source.id);
    const character = await client.videos.createCharacter({
      name: 'Keeper',
      video: await toFile(clip.bytes, 'keeper.mp4', { type: 'video/mp4' }),
    });
    expect(character).toMatchObject({ name: 'Keeper', created_at: Math.floor(now / 1000) });
    expect(character.id).toMatch(/^char_/);
    expect(await client.videos.getCharacter(character.id!)).toEqual(character);
    expect(await failure(client.videos.getCharacter('char_missing'))).toBeInstanceOf(NotFoundError);
    const long = (await failure(
      client.videos.createCharacter({ name: 'x'.repeat(81), video: await toFile(clip.bytes, 'k.mp4', { type: 'video/mp4' }) }),
    )) as BadRequestError;
    expect([long.param, long.code]).toEqual(['name', 'string_above_max_length']);
  });

  it('accepts uploaded MP4s: as the source of an edit or extension, and as input_reference (size checked)', async () => {
    const client = sdk(mock);
    const source = await createCompleted(client, { prompt: PROMPT, seconds: '4', size: '1280x720' });
    const clip = await download(client, source.id);
    const upload = () => toFile(clip.bytes, 'source.mp4', { type: 'video/mp4' });

    const edit = await client.videos.edit({ video: await upload(), prompt: 'Uploaded, then edited' });
    expect(edit).toMatchObject({ size: '1280x720', seconds: '4', remixed_from_video_id: null });
    const ext = await client.videos.extend({ video: await upload(), prompt: 'Uploaded, then extended', seconds: '4' });
    expect(ext).toMatchObject({ size: '1280x720', seconds: '8' });
    completeAfter(4);
    const edited = await download(client, edit.id);
    const s = await streamsOf(edited.path);
    expect([s.width, s.height, Math.abs(s.frames - 4 * FPS) <= 1, s.audio.length]).toEqual([1280, 720, true, 1]);

    expect((await client.videos.create({ prompt: 'clip ref', size: '1280x720', input_reference: await upload() })).status).toBe('queued');
    const mismatch = (await failure(
      client.videos.create({ prompt: 'clip ref', size: '720x1280', input_reference: await upload() }),
    )) as BadRequestError;
    expect([mismatch.message.endsWith('Inpaint image must match the requested width and height'), mismatch.param]).toEqual([
      true,
      'input_reference',
    ]);
    const odd = join(work, 'odd.mp4');
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=s=160x90:d=0.5',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      odd,
    ]);
    const oddSize = (await failure(
      client.videos.edit({ video: await toFile(readFileSync(odd), 'odd.mp4', { type: 'video/mp4' }), prompt: 'x' }),
    )) as BadRequestError;
    expect([oddSize.param, oddSize.code]).toEqual(['video', 'invalid_value']);
  });
});

// ------------------------------------------------------------------------------------------------ validation

describe('validation answers with the live API texts', () => {
  const errorOf = async (p: Promise<unknown>) => {
    const e = (await failure(p)) as BadRequestError;
    expect(e).toBeInstanceOf(BadRequestError);
    return e.error as { message: string; type: string; param: string | null; code: string | null };
  };

  it('seconds, size and model enums', async () => {
    const client = sdk(mock);
    expect(await errorOf(client.videos.create({ prompt: 'x', seconds: '10' as '4' }))).toEqual({
      message: "Invalid value: '10'. Supported values are: '4', '8', and '12'.",
      type: 'invalid_request_error',
      param: 'seconds',
      code: 'invalid_value',
    });
    expect(await errorOf(client.videos.create({ prompt: 'x', size: '1000x1000' as '1280x720' }))).toMatchObject({
      message: "Invalid value: '1000x1000'. Supported values are: '720x1280', '1280x720', '1024x1792', and '1792x1024'.",
      param: 'size',
      code: 'invalid_value',
    });
    expect(await errorOf(client.videos.create({ prompt: 'x', model: 'sora-3' }))).toMatchObject({
      message:
        "Invalid value: 'sora-3'. Supported values are: 'sora-2', 'sora-2-pro', 'sora-2-2025-10-06', 'sora-2-pro-2025-10-06', and 'sora-2-2025-12-08'.",
      param: 'model',
    });
  });

  it('prompt: missing, empty, too long; unknown parameters; bad JSON', async () => {
    const body = async (res: Response) => [res.status, ((await res.json()) as { error: unknown }).error];
    expect(await body(await postJson('/v1/videos', { size: '1280x720' }))).toEqual([
      400,
      {
        message: "Missing required parameter: 'prompt'.",
        type: 'invalid_request_error',
        param: 'prompt',
        code: 'missing_required_parameter',
      },
    ]);
    expect(await body(await postJson('/v1/videos', { prompt: '' }))).toMatchObject([400, { param: 'prompt', code: 'empty_string' }]);
    expect(await body(await postJson('/v1/videos', { prompt: 'p'.repeat(32_001) }))).toEqual([
      400,
      {
        message:
          "Invalid 'prompt': string too long. Expected a string with maximum length 32000, but got a string with length 32001 instead.",
        type: 'invalid_request_error',
        param: 'prompt',
        code: 'string_above_max_length',
      },
    ]);
    expect((await postJson('/v1/videos', { prompt: 'p'.repeat(32_000) })).status).toBe(200);
    expect(await body(await postJson('/v1/videos', { prompt: 'x', duration: 4 }))).toMatchObject([
      400,
      { message: "Unknown parameter: 'duration'.", param: 'duration' },
    ]);
    expect(await body(await postJson('/v1/videos', { prompt: 'x', seconds: 8 }))).toMatchObject([
      400,
      { message: "Invalid type for 'seconds': expected a string, but got an integer instead." },
    ]);
    const broken = await api('/v1/videos', { method: 'POST', body: '{"prompt":', headers: { 'content-type': 'application/json' } });
    expect(((await broken.json()) as { error: { message: string } }).error.message).toMatch(
      /^We could not parse the JSON body of your request\./,
    );
  });

  it('input_reference must match size exactly (PNG, JPEG and WebP headers are decoded)', async () => {
    const client = sdk(mock);
    const mismatch = {
      message: 'Inpaint image must match the requested width and height',
      type: 'invalid_request_error',
      param: 'input_reference',
    };
    const small = await toFile(await image(640, 360, 'blue'), 'small.png', { type: 'image/png' });
    expect(await errorOf(client.videos.create({ prompt: 'x', size: '1280x720', input_reference: small }))).toMatchObject(mismatch);
    const jpeg = await image(1280, 720, 'green', 'mjpeg');
    expect(
      await errorOf(
        client.videos.create({ prompt: 'x', size: '720x1280', input_reference: await toFile(jpeg, 'r.jpg', { type: 'image/jpeg' }) }),
      ),
    ).toMatchObject(mismatch);
    expect(
      (
        await client.videos.create({
          prompt: 'jpeg ok',
          size: '1280x720',
          input_reference: await toFile(jpeg, 'r.jpg', { type: 'image/jpeg' }),
        })
      ).status,
    ).toBe('queued');
    const webp = await image(720, 1280, 'yellow', 'libwebp');
    expect(
      (
        await client.videos.create({
          prompt: 'webp ok',
          size: '720x1280',
          input_reference: await toFile(webp, 'r.webp', { type: 'image/webp' }),
        })
      ).status,
    ).toBe('queued');

    // JSON body: a data URL in input_reference.image_url
    const dataUrl = (b: Buffer) => `data:image/png;base64,${b.toString('base64')}`;
    const wrong = await postJson('/v1/videos', {
      prompt: 'x',
      size: '1280x720',
      input_reference: { image_url: dataUrl(await image(720, 1280, 'red')) },
    });
    expect([wrong.status, ((await wrong.json()) as { error: { message: string } }).error.message]).toEqual([400, mismatch.message]);
    const right = await postJson('/v1/videos', {
      prompt: 'x',
      size: '1280x720',
      input_reference: { image_url: dataUrl(await image(1280, 720, 'red')) },
    });
    expect(right.status).toBe(200);
    // Multipart with bracketed keys: the SDK sends an object as input_reference[image_url] / input_reference[file_id].
    expect(
      await errorOf(
        client.videos.create({ prompt: 'x', size: '1280x720', input_reference: { image_url: dataUrl(await image(16, 16, 'red')) } }),
      ),
    ).toMatchObject(mismatch);
    expect((await client.videos.create({ prompt: 'x', input_reference: { file_id: 'file-123' } })).status).toBe('queued');
    expect(lastLog('/v1/videos', 'POST').headers['content-type']).toMatch(/^multipart\/form-data/);
    const both = await postJson('/v1/videos', {
      prompt: 'x',
      input_reference: { image_url: 'https://example.com/a.png', file_id: 'file-1' },
    });
    expect(both.status).toBe(400);
    const asString = (await (await postJson('/v1/videos', { prompt: 'x', input_reference: 'https://example.com/a.png' })).json()) as {
      error: { code: string };
    };
    expect(asString.error.code).toBe('invalid_type');
  });

  it('a multipart file part without Content-Type is an unsupported mimetype', async () => {
    const png = await image(1280, 720, 'red');
    const b = 'mockboundary42';
    const text = (name: string, value: string) => `--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const payload = Buffer.concat([
      Buffer.from(
        text('prompt', 'x') +
          text('size', '1280x720') +
          `--${b}\r\nContent-Disposition: form-data; name="input_reference"; filename="ref"\r\n\r\n`,
      ),
      png,
      Buffer.from(`\r\n--${b}--\r\n`),
    ]);
    const res = await api('/v1/videos', {
      method: 'POST',
      body: payload,
      headers: { 'content-type': `multipart/form-data; boundary=${b}` },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toEqual({
      message:
        "Invalid file 'input_reference': unsupported mimetype ('application/octet-stream'). Supported file formats are 'image/jpeg', 'image/png', 'image/webp', and 'video/mp4'.",
      type: 'invalid_request_error',
      param: 'input_reference',
      code: 'unsupported_file',
    });
  });

  it('unknown routes and ids answer 404 with the standard error body', async () => {
    const res = await api('/v1/nothing-here', { method: 'POST' });
    expect([res.status, res.headers.get('content-type'), ((await res.json()) as { error: { message: string } }).error.message]).toEqual([
      404,
      'application/json',
      'Invalid URL (POST /v1/nothing-here)',
    ]);
    const missing = (await failure(sdk(mock).videos.retrieve('video_missing'))) as NotFoundError;
    expect([missing.status, missing.type]).toEqual([404, 'invalid_request_error']);
    const v = await sdk(mock).videos.create({ prompt: 'variant check' });
    completeAfter(4);
    const variant = await api(`/v1/videos/${v.id}/content?variant=poster`);
    expect([variant.status, ((await variant.json()) as { error: { message: string } }).error.message]).toEqual([
      400,
      "Invalid value: 'poster'. Supported values are: 'video', 'thumbnail', and 'spritesheet'.",
    ]);
  });

  it('guide-2026-03 profile: 16/20 s and 1080p (sora-2-pro only); the spec profile rejects them', async () => {
    const guide = await startOpenAIMock({ profile: 'guide-2026-03', prerender: false, recordBodies: true });
    try {
      const client = sdk(guide);
      const pro = await client.videos.create({ prompt: 'x', model: 'sora-2-pro', seconds: '16' as '4', size: '1920x1080' as '1280x720' });
      expect([pro.seconds, pro.size]).toEqual(['16', '1920x1080']);
      expect(await errorOf(client.videos.create({ prompt: 'x', model: 'sora-2', size: '1080x1920' as '720x1280' }))).toMatchObject({
        param: 'size',
        code: 'invalid_value',
      });
      expect((await errorOf(client.videos.create({ prompt: 'x', seconds: '10' as '4' }))).message).toBe(
        "Invalid value: '10'. Supported values are: '4', '8', '12', '16', and '20'.",
      );
      // The guide's `characters: [{id}]` (multipart `characters[][id]`) is accepted here, unknown to the spec profile.
      const withCharacters = {
        prompt: 'Keeper walks',
        characters: [{ id: 'char_a' }, { id: 'char_b' }],
      } as OpenAI.Videos.VideoCreateParams;
      expect((await client.videos.create(withCharacters)).status).toBe('queued');
      expect((await errorOf(sdk(mock).videos.create(withCharacters))).message).toBe("Unknown parameter: 'characters'.");
      // Error bodies share the spec contract; guide-only Video values (1080p sizes) deliberately do not.
      recorded.push(...guide.requests().filter((e) => e.status >= 400));
    } finally {
      await guide.close();
    }
    expect((await errorOf(sdk(mock).videos.create({ prompt: 'x', seconds: '16' as '4' }))).message).toBe(
      "Invalid value: '16'. Supported values are: '4', '8', and '12'.",
    );
  });

  it('an API key, when configured, is required', async () => {
    const keyed = await startOpenAIMock({ apiKey: 'sk-mock-secret-0001', prerender: false, recordBodies: true });
    try {
      const wrong = (await failure(sdk(keyed, { apiKey: 'sk-wrong-key-9999' }).videos.list())) as AuthenticationError;
      expect([wrong.status, wrong.code, wrong.message.includes('sk-mock-secret')]).toEqual([401, 'invalid_api_key', false]);
      const none = await fetch(`${keyed.baseURL}/videos`);
      expect(none.status).toBe(401);
      expect((await sdk(keyed, { apiKey: 'sk-mock-secret-0001' }).videos.list()).data).toEqual([]);
      recorded.push(...keyed.requests());
    } finally {
      await keyed.close();
    }
  });
});

// ------------------------------------------------------------------------------------------------ faults

describe('fault injection', () => {
  const client = () => sdk(mock);

  it('rate_limit: 429 rate_limit_exceeded with Retry-After (or retry-after-ms), or without any hint', async () => {
    mock.setFaults([
      { match: { method: 'GET', path: '/v1/videos' }, action: { type: 'rate_limit', retryAfter: 3 } },
      { match: { method: 'GET', path: '/v1/videos', nth: 2 }, action: { type: 'rate_limit' } },
      { match: { method: 'GET', path: '/v1/videos', nth: 3 }, action: { type: 'rate_limit', retryAfterMs: 250 } },
    ]);
    const first = (await failure(client().videos.list())) as RateLimitError;
    expect(first).toBeInstanceOf(RateLimitError);
    expect([first.status, first.code, first.type, first.headers.get('retry-after')]).toEqual([429, 'rate_limit_exceeded', 'requests', '3']);
    expect(first.requestID).toMatch(/^req_/);
    const second = (await failure(client().videos.list())) as RateLimitError;
    expect([second.headers.get('retry-after'), second.headers.get('retry-after-ms')]).toEqual([null, null]);
    const third = (await failure(client().videos.list())) as RateLimitError;
    expect(third.headers.get('retry-after-ms')).toBe('250');
    expect(Array.isArray((await client().videos.list()).data)).toBe(true);
  });

  it('quota: 429 insufficient_quota / credit_balance_exhausted without Retry-After', async () => {
    mock.setFaults([{ match: { method: 'POST', path: '/v1/videos' }, action: { type: 'quota' } }]);
    const e = (await failure(client().videos.create({ prompt: 'x' }))) as RateLimitError;
    expect([e.status, e.code, e.type, e.headers.get('retry-after'), e.headers.get('retry-after-ms')]).toEqual([
      429,
      'credit_balance_exhausted',
      'insufficient_quota',
      null,
      null,
    ]);
    expect(mock.videos()).toEqual([]);
  });

  it('http: status, body, x-should-retry and HTML gateway pages', async () => {
    mock.setFaults([
      { match: { path: '/v1/videos/*' }, action: { type: 'http', status: 503, shouldRetry: false, retryAfter: 1 } },
      { match: { path: '/v1/videos/*', nth: 2 }, action: { type: 'http', status: 502, html: true } },
      {
        match: { path: '/v1/videos/*', nth: 3 },
        action: { type: 'http', status: 400, code: 'moderation_blocked', message: 'blocked', errorType: 'invalid_request_error' },
      },
    ]);
    const a = (await failure(client().videos.retrieve('video_x'))) as InternalServerError;
    expect([a.status, a.headers.get('x-should-retry'), a.headers.get('retry-after'), a.type]).toEqual([503, 'false', '1', 'server_error']);
    const b = (await failure(client().videos.retrieve('video_x'))) as InternalServerError;
    expect([b.status, b.headers.get('content-type'), b.error]).toEqual([502, 'text/html; charset=utf-8', undefined]);
    const c = (await failure(client().videos.retrieve('video_x'))) as BadRequestError;
    expect([c.status, c.code, (c.error as { message: string }).message]).toEqual([400, 'moderation_blocked', 'blocked']);
  });

  it('nth and times: the rule fires on the nth matching request and the following ones, `times` times', async () => {
    const v = await client().videos.create({ prompt: 'nth' });
    mock.setFaults([{ match: { method: 'GET', path: '/v1/videos/*', nth: 2, times: 2 }, action: { type: 'http', status: 500 } }]);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await api(`/v1/videos/${v.id}`)).status);
    expect(statuses).toEqual([200, 500, 500, 200, 200]);
  });

  it('the SDK retry count is captured: two 500s then success with maxRetries 2', async () => {
    const v = await client().videos.create({ prompt: 'retry' });
    mock.setFaults([
      { match: { method: 'GET', path: `/v1/videos/${v.id}`, times: 2 }, action: { type: 'http', status: 500, retryAfterMs: 5 } },
    ]);
    expect((await sdk(mock, { maxRetries: 2 }).videos.retrieve(v.id)).id).toBe(v.id);
    const gets = mock.requests().filter((e) => e.method === 'GET');
    expect(gets.map((e) => [e.status, e.retryCount, e.fault])).toEqual([
      [500, 0, 'http'],
      [500, 1, 'http'],
      [200, 2, undefined],
    ]);
  });

  it('reset: the connection is reset before any response → APIConnectionError', async () => {
    mock.setFaults([{ match: { method: 'GET', path: '/v1/videos' }, action: { type: 'reset' } }]);
    const e = await failure(client().videos.list());
    expect(e).toBeInstanceOf(APIConnectionError);
    expect(e).not.toBeInstanceOf(APIConnectionTimeoutError);
    expect(lastLog('/v1/videos')).toMatchObject({ status: 0, fault: 'reset' });
  });

  it('hang: no answer → the SDK times out; with ms the connection is reset after ms', async () => {
    mock.setFaults([{ match: { method: 'GET', path: '/v1/videos' }, action: { type: 'hang' } }]);
    const t0 = Date.now();
    const e = await failure(client().videos.list({}, { timeout: 500 }));
    const waited = Date.now() - t0;
    expect(e).toBeInstanceOf(APIConnectionTimeoutError);
    expect(waited).toBeGreaterThanOrEqual(450);
    expect(waited).toBeLessThan(5000);

    mock.setFaults([{ match: { method: 'GET', path: '/v1/videos' }, action: { type: 'hang', ms: 200 } }]);
    const t1 = Date.now();
    await expect(api('/v1/videos')).rejects.toThrow();
    expect(Date.now() - t1).toBeGreaterThanOrEqual(180);
  });

  it('accept_then_drop: the job is created but the client gets no answer; the list shows it', async () => {
    mock.setFaults([{ match: { method: 'POST', path: '/v1/videos' }, action: { type: 'accept_then_drop' } }]);
    const e = await failure(client().videos.create({ prompt: 'lost response', seconds: '8' }));
    expect(e).toBeInstanceOf(APIConnectionError);
    const listed = await client().videos.list();
    expect(listed.data.map((v) => [v.prompt, v.seconds])).toEqual([['lost response', '8']]);
    expect(lastLog('/v1/videos', 'POST')).toMatchObject({ status: 0, fault: 'accept_then_drop', jobId: listed.data[0]!.id });
  });

  it('job_failed: immediately, or late at N% progress, with the code and moderation text', async () => {
    mock.setFaults([
      { match: { method: 'POST', path: '/v1/videos' }, action: { type: 'job_failed', code: 'processing_error' } },
      { match: { method: 'POST', path: '/v1/videos', nth: 2 }, action: { type: 'job_failed', code: 'moderation_blocked', atProgress: 50 } },
    ]);
    const early = await client().videos.create({ prompt: 'fails early', seconds: '4' });
    const late = await client().videos.create({ prompt: 'fails late', seconds: '4' });
    advance(QUEUED_MS);
    expect(await client().videos.retrieve(early.id)).toMatchObject({
      status: 'failed',
      progress: 0,
      completed_at: null,
      error: { code: 'processing_error' },
    });
    advance(4 * MS_PER_S * 0.4);
    expect(await client().videos.retrieve(late.id)).toMatchObject({ status: 'in_progress', progress: 40, error: null });
    advance(4 * MS_PER_S * 0.2);
    expect(await client().videos.retrieve(late.id)).toMatchObject({
      status: 'failed',
      progress: 50,
      error: { code: 'moderation_blocked', message: 'Your request was blocked by our moderation system.' },
    });
    expect((await failure(client().videos.downloadContent(late.id))) as NotFoundError).toBeInstanceOf(NotFoundError);
    expect(await client().videos.delete(late.id)).toMatchObject({ deleted: true });
  });

  it('job faults skip requests that create no job, and apply to remixes too', async () => {
    const source = await createCompleted(client(), { prompt: 'job fault source' });
    mock.setFaults([{ match: {}, action: { type: 'job_stuck', atProgress: 70 } }]);
    expect((await client().videos.retrieve(source.id)).status).toBe('completed');
    const remix = await client().videos.remix(source.id, { prompt: 'stuck remix' });
    advance(24 * 3600 * 1000);
    expect(await client().videos.retrieve(remix.id)).toMatchObject({ status: 'in_progress', progress: 70 });
  });

  it('job_stuck: stays in_progress at 99% forever by default', async () => {
    mock.setFaults([{ match: { method: 'POST', path: '/v1/videos' }, action: { type: 'job_stuck' } }]);
    const v = await client().videos.create({ prompt: 'stuck' });
    advance(7 * 24 * 3600 * 1000);
    expect(await client().videos.retrieve(v.id)).toMatchObject({ status: 'in_progress', progress: 99, completed_at: null });
  });

  it('content_expired, and real expiry after expires_at', async () => {
    const v = await createCompleted(client(), { prompt: 'expiring' });
    mock.setFaults([{ match: { method: 'GET', path: '/v1/videos/*/content' }, action: { type: 'content_expired' } }]);
    const e = (await failure(client().videos.downloadContent(v.id))) as NotFoundError;
    expect([e.status, e.code]).toEqual([404, 'video_content_expired']);
    expect((await client().videos.downloadContent(v.id)).status).toBe(200);
    now = (v.expires_at! + 1) * 1000;
    const expired = (await failure(client().videos.downloadContent(v.id))) as NotFoundError;
    expect([expired.status, expired.code]).toEqual([404, 'video_content_expired']);
    expect((await client().videos.retrieve(v.id)).status).toBe('completed');
  });

  it('content_truncated / content_corrupt / content_stall break the download as described', async () => {
    const v = await createCompleted(client(), { prompt: 'A lighthouse at dusk, waves rolling in', size: '1280x720' });
    const url = `${mock.baseURL}/videos/${v.id}/content`;
    const whole = await rawGet(url);
    expect([whole.status, whole.complete, whole.received]).toEqual([200, true, whole.contentLength]);

    mock.setFaults([{ match: { path: '/v1/videos/*/content' }, action: { type: 'content_truncated' } }]);
    const cut = await rawGet(url);
    expect([cut.status, cut.contentLength, cut.complete]).toEqual([200, whole.contentLength, false]);
    expect(cut.received).toBe(Math.floor(whole.contentLength / 2));

    mock.setFaults([{ match: { path: '/v1/videos/*/content' }, action: { type: 'content_corrupt' } }]);
    const corrupt = await download(client(), v.id);
    expect(corrupt.type).toBe('video/mp4');
    expect(corrupt.bytes.toString('latin1', 4, 8)).not.toBe('ftyp');
    await expect(streamsOf(corrupt.path)).rejects.toThrow();

    mock.setFaults([{ match: { path: '/v1/videos/*/content' }, action: { type: 'content_stall', afterBytes: 1000 } }]);
    const stalled = await rawGet(url, 300);
    expect([stalled.status, stalled.contentLength, stalled.received, stalled.idled, stalled.complete]).toEqual([
      200,
      whole.contentLength,
      1000,
      true,
      false,
    ]);
  });

  it('x-mock-fault header overrides rules and is stripped from the log', async () => {
    const action: FaultAction = { type: 'http', status: 504 };
    const res = await api('/v1/videos', { headers: { 'x-mock-fault': JSON.stringify(action) } });
    expect(res.status).toBe(504);
    const bare = await api('/v1/videos', { headers: { 'x-mock-fault': 'quota' } });
    expect(bare.status).toBe(429);
    const bad = await api('/v1/videos', { headers: { 'x-mock-fault': '{"type":"explode"}' } });
    expect(bad.status).toBe(400);
    const log = mock.requests();
    expect(log.map((e) => e.fault)).toEqual(['http', 'quota', undefined]);
    expect(log.every((e) => !('x-mock-fault' in e.headers))).toBe(true);
  });

  it('control endpoints: POST /__mock/faults (append / replace), GET /__mock/requests, POST /__mock/reset', async () => {
    const rules = [{ match: { method: 'GET', path: '/v1/videos', times: -1 }, action: { type: 'rate_limit', retryAfter: 2 } }];
    const added = await fetch(`${mock.url}/__mock/faults`, { method: 'POST', body: JSON.stringify(rules) });
    expect(await added.json()).toEqual({ ok: true, added: 1, total: 1 });
    expect((await api('/v1/videos')).status).toBe(429);
    expect((await api('/v1/videos')).status).toBe(429);
    const invalid = await fetch(`${mock.url}/__mock/faults`, {
      method: 'POST',
      body: JSON.stringify([{ match: {}, action: { type: 'nope' } }]),
    });
    expect(invalid.status).toBe(400);
    await fetch(`${mock.url}/__mock/faults?replace=1`, { method: 'POST', body: '[]' });
    expect((await api('/v1/videos')).status).toBe(200);

    await sdk(mock).videos.list();
    const log = (await (await fetch(`${mock.url}/__mock/requests`)).json()) as MockRequestLogEntry[];
    expect(log.map((e) => [e.method, e.path, e.status])).toEqual([
      ['GET', '/v1/videos', 429],
      ['GET', '/v1/videos', 429],
      ['GET', '/v1/videos', 200],
      ['GET', '/v1/videos', 200],
    ]);
    expect(log.some((e) => e.path.startsWith('/__mock'))).toBe(false);
    const sdkEntry = log[3]!;
    expect([sdkEntry.headers.authorization, sdkEntry.retryCount, sdkEntry.headers['x-stainless-retry-count']]).toEqual([
      'REDACTED',
      0,
      '0',
    ]);
    expect(JSON.stringify(log)).not.toContain('test-key');
    expect(sdkEntry.requestId).toMatch(/^req_[0-9a-f]{32}$/);
    expect(sdkEntry.time).toBe(now);

    recorded.push(...mock.requests());
    await fetch(`${mock.url}/__mock/reset`, { method: 'POST' });
    expect(mock.requests()).toEqual([]);
  });

  it('every response carries x-request-id (matching the log) and x-ratelimit-* headers', async () => {
    const { response, request_id } = await sdk(mock).videos.list().withResponse();
    expect(lastLog('/v1/videos').requestId).toBe(request_id);
    expect(Number(response.headers.get('x-ratelimit-limit-requests'))).toBeGreaterThan(0);
    expect(Number(response.headers.get('x-ratelimit-remaining-requests'))).toBeLessThan(
      Number(response.headers.get('x-ratelimit-limit-requests')),
    );
    expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+m)?[\d.]+m?s$/);
  });
});

describe('seededFaults', () => {
  it('is deterministic per seed, hits about `rate` of the covered requests, and uses only the documented mix', () => {
    const opts = { seed: 7, rate: 0.2, requestsPerRoute: 1000 };
    const plan = seededFaults(opts);
    expect(seededFaults(opts)).toEqual(plan);
    expect(seededFaults({ ...opts, seed: 8 })).not.toEqual(plan);
    for (const [path, method] of [
      ['/v1/videos', 'POST'],
      ['/v1/videos/*', 'GET'],
      ['/v1/videos/*/content', 'GET'],
    ] as const) {
      const rules = plan.filter((r) => r.match.path === path && r.match.method === method);
      expect(rules.length).toBeGreaterThan(150);
      expect(rules.length).toBeLessThan(250);
      expect(new Set(rules.map((r) => r.match.nth)).size).toBe(rules.length);
    }
    const types = new Set(plan.map((r) => r.action.type));
    expect([...types].sort()).toEqual(['accept_then_drop', 'content_truncated', 'http', 'job_failed', 'rate_limit', 'reset']);
    expect(Object.keys(SEEDED_FAULT_MIX.create)).toContain('accept_then_drop');
    expect(
      seededFaults({ seed: 1, rate: 1, requestsPerRoute: 10, routes: ['content'], kinds: ['content_truncated'] }).map((r) => r.action.type),
    ).toEqual(Array(10).fill('content_truncated'));
  });

  it('a seeded plan drives the mock: faulted requests are logged with their fault', async () => {
    mock.setFaults(seededFaults({ seed: 3, rate: 0.5, requestsPerRoute: 20, routes: ['list'], kinds: ['http_500', 'http_503'] }));
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await api('/v1/videos')).status);
    const planned = seededFaults({ seed: 3, rate: 0.5, requestsPerRoute: 20, routes: ['list'], kinds: ['http_500', 'http_503'] });
    const expected = Array.from({ length: 20 }, (_, i) => {
      const rule = planned.find((r) => r.match.nth === i + 1);
      return rule?.action.type === 'http' ? rule.action.status : 200;
    });
    expect(statuses).toEqual(expected);
    expect(mock.requests().filter((e) => e.fault).length).toBe(planned.length);
  });
});

describe('standalone CLI', () => {
  it('main.ts starts on --port, prints where it listens, serves the API, and exits on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(MOCK_DIR, 'main.ts'), '--port', '0', '--queued-ms', '0', '--ms-per-second', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /openai-videos mock listening on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${out}`)));
      });
      const v = await new OpenAI({ baseURL: line, apiKey: 'k', maxRetries: 0 }).videos.create({ prompt: 'cli' });
      expect(v.status).toBe('queued');
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

// ------------------------------------------------------------------------------------------------ conformance

describe('conformance to openapi.yaml', () => {
  interface Spec {
    paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> }>>;
    components: { schemas: Record<string, unknown> };
  }
  const spec = parseYaml(readFileSync(SPEC_PATH, 'utf8')) as Spec;
  const SPEC_ID = 'https://storyreel.local/openai-videos-openapi.json';

  function compiler() {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    ajv.addVocabulary(['components', 'example', 'x-stainless-const']); // OpenAPI containers/annotations, not validation keywords
    ajv.addFormat('unixtime', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
    ajv.addFormat('binary', true);
    ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:/i);
    ajv.addSchema({ $id: SPEC_ID, components: spec.components });
    const cache = new Map<string, ValidateFunction>();
    return (ref: string) => {
      let v = cache.get(ref);
      if (!v) {
        v = ajv.getSchema(`${SPEC_ID}${ref}`);
        if (!v) throw new Error(`no schema ${ref}`);
        cache.set(ref, v);
      }
      return v;
    };
  }

  /** The schema the spec declares for a JSON answer: the operation's 200 schema, or ErrorResponse for errors. */
  function schemaFor(method: string, path: string, status: number): string | undefined {
    if (status >= 400) return '#/components/schemas/ErrorResponse';
    const templates = Object.keys(spec.paths).sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
    for (const t of templates) {
      if (!new RegExp(`^/v1${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path)) continue;
      const op = spec.paths[t]![method.toLowerCase()];
      if (!op) continue;
      return op.responses?.['200']?.content?.['application/json']?.schema?.$ref;
    }
    return undefined;
  }

  // A short tour so every response schema is exercised even when this block runs alone (`-t conformance`).
  beforeAll(async () => {
    const client = sdk(mock);
    const v = await client.videos.create({ prompt: 'conformance tour' });
    completeAfter(4);
    await client.videos.retrieve(v.id);
    await client.videos.list({ limit: 1 });
    await client.videos.delete(v.id);
    await failure(client.videos.retrieve(v.id));
    const clip = join(work, 'tour.mp4');
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=s=160x90:d=0.5',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      clip,
    ]);
    const c = await client.videos.createCharacter({
      name: 'Tour',
      video: await toFile(readFileSync(clip), 'tour.mp4', { type: 'video/mp4' }),
    });
    await client.videos.getCharacter(c.id!);
  });

  it('every JSON body the mock sent in this run validates against its schema', () => {
    const validatorFor = compiler();
    const entries = [...recorded, ...mock.requests()].filter((e) => e.responseBody !== undefined && e.path.startsWith('/v1'));
    const failures: string[] = [];
    const covered = new Map<string, number>();
    for (const e of entries) {
      expect(e.responseHeaders?.['content-type'], `${e.method} ${e.path}`).toBe('application/json');
      expect(e.responseHeaders?.['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
      const ref = schemaFor(e.method, e.path, e.status);
      if (!ref) {
        failures.push(`${e.method} ${e.path} ${e.status}: no JSON schema in the spec for this answer`);
        continue;
      }
      const validate = validatorFor(ref);
      covered.set(ref, (covered.get(ref) ?? 0) + 1);
      if (!validate(e.responseBody)) failures.push(`${e.method} ${e.path} ${e.status} vs ${ref}: ${JSON.stringify(validate.errors)}`);
    }
    expect(failures).toEqual([]);
    const names = [...covered.keys()].map((r) => r.split('/').pop()).sort();
    expect(names).toEqual(['DeletedVideoResource', 'ErrorResponse', 'VideoCharacterResource', 'VideoListResource', 'VideoResource']);
  });

  it('the validator is not vacuous: drifted bodies fail', () => {
    const validatorFor = compiler();
    const video = [...recorded].reverse().find((e) => schemaFor(e.method, e.path, e.status)?.endsWith('/VideoResource'))
      ?.responseBody as Record<string, unknown>;
    const v = validatorFor('#/components/schemas/VideoResource');
    expect(v(video)).toBe(true);
    const { expires_at: _dropped, ...missingField } = video;
    expect(v(missingField)).toBe(false);
    expect(v({ ...video, status: 'cancelled' })).toBe(false);
    expect(v({ ...video, created_at: 1.5 })).toBe(false);
    expect(v({ ...video, seconds: 4 })).toBe(false);
    const err = validatorFor('#/components/schemas/ErrorResponse');
    expect(err({ error: { message: 'm', type: 't', param: null } })).toBe(false);
    expect(err({ error: { message: 'm', type: 't', param: null, code: null } })).toBe(true);
  });
});
