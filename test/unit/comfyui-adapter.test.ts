/**
 * The comfyui adapter against the ComfyUI mock, without Temporal: what it sends (the graph filled from the mapping,
 * uploads under content names, a per-prompt save prefix, the prompt id), how poll snapshots carry the WebSocket's
 * progress, reconciliation by prompt id across generations, cancel, and downloads.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequest, JobSnapshot } from '../../src/contracts/jobs.js';
import { startComfyMock, type ComfyMock, type HistoryEntry } from '../../src/mock/comfyui/server.js';
import { ProviderError } from '../../src/providers/errors.js';
import { ComfyUIProvider, promptIdFor } from '../../src/providers/comfyui/provider.js';
import { tempDir } from '../helpers/files.js';
import { streamsOf } from '../helpers/media.js';

const MARA = resolve(import.meta.dirname, '../../examples/refs/mara.png');
const HARBOUR = resolve(import.meta.dirname, '../../examples/refs/harbour-dawn.png');
let mock: ComfyMock;
let provider: ComfyUIProvider;

beforeAll(async () => {
  mock = await startComfyMock({ timing: { msPerStep: 40, loadMs: 30, msPerNode: 5 }, recordBodies: true });
  provider = new ComfyUIProvider({ settings: { baseURL: mock.url, requestTimeoutMs: 5000 }, env: {} });
});
afterAll(async () => {
  await mock?.close();
});

const request = (ref: string, extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  clientRef: ref,
  model: 'wan2.2-flf2v',
  prompt: `the harbour at dawn (${ref})`,
  negativePrompt: 'blurry',
  seconds: 2,
  size: { width: 832, height: 480 },
  fps: 24,
  seed: 1234,
  firstFrame: { kind: 'file', path: MARA, mime: 'image/png' },
  lastFrame: { kind: 'file', path: HARBOUR, mime: 'image/png' },
  ...extra,
});

async function until(jobId: string, done: (s: JobSnapshot) => boolean, each?: (s: JobSnapshot) => void): Promise<JobSnapshot> {
  for (;;) {
    const s = await provider.poll(jobId, {});
    each?.(s);
    if (done(s)) return s;
    await new Promise((r) => setTimeout(r, 25));
  }
}
const promptOf = (id: string) => (mock.history()[id] as HistoryEntry).prompt[2];

describe('submit', () => {
  it('fills the workflow from the request, uploads both frames under content names, saves under its prompt id', async () => {
    const snap = await provider.submit(request('p:a:1.1'), {});
    expect(snap).toMatchObject({ provider: 'comfyui', state: 'queued', jobId: promptIdFor('p:a:1.1', 0) });
    const seen: number[] = [];
    const end = await until(
      snap.jobId,
      (s) => s.state === 'succeeded',
      (s) => s.state === 'running' && seen.push(s.progress ?? 0),
    );
    expect(end.progress).toBe(1);
    // progress from the socket: it moves, stays within (0, 1) while running, and never goes back
    expect(seen.some((p) => p > 0.1 && p < 0.95)).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));

    const g = promptOf(snap.jobId);
    expect(g['6']!.inputs.text).toBe('the harbour at dawn (p:a:1.1)');
    expect(g['7']!.inputs.text).toBe('blurry');
    expect(g['57']!.inputs.noise_seed).toBe(1234);
    expect(g['67']!.inputs).toMatchObject({ width: 832, height: 480, length: 33 });
    expect(g['60']!.inputs.fps).toBe(16);
    expect(g['62']!.inputs.image).toMatch(/^storyreel\/storyreel-[0-9a-f]{24}\.png$/);
    expect(g['68']!.inputs.image).toMatch(/^storyreel\/storyreel-[0-9a-f]{24}\.png$/);
    expect(g['62']!.inputs.image).not.toBe(g['68']!.inputs.image);
    expect(g['59']!.inputs.filename_prefix).toBe(`storyreel/${snap.jobId}`);
    const posted = mock.requests().filter((r) => r.path === '/prompt' && r.method === 'POST');
    expect(posted.at(-1)!.responseBody).toEqual({ prompt_id: snap.jobId, number: expect.any(Number) as unknown, node_errors: {} });

    const dir = await tempDir();
    const file = await provider.download(snap.jobId, join(dir, 'clip.mp4'), {});
    const s = await streamsOf(file.path);
    expect([s.width, s.height, s.frames, s.audio.length]).toEqual([832, 480, 33, 0]);
    expect((await readFile(file.path)).length).toBe(file.bytes);
    const view = mock
      .requests()
      .filter((r) => r.path === '/view')
      .at(-1)!;
    expect(new URLSearchParams(view.query).get('subfolder')).toBe('storyreel');
    expect(new URLSearchParams(view.query).get('filename')).toBe(`${snap.jobId}_00001_.mp4`);
  });

  it('an image uploaded again keeps its name (one file on the server); no last frame removes its loader', async () => {
    const before = mock.requests().filter((r) => r.path === '/upload/image').length;
    const snap = await provider.submit(request('p:b:1.1', { lastFrame: undefined }), {});
    const uploads = mock
      .requests()
      .filter((r) => r.path === '/upload/image')
      .slice(before);
    expect(uploads.map((r) => (r.responseBody as { name: string }).name)).toHaveLength(1);
    await until(snap.jobId, (s) => s.state === 'succeeded');
    const g = promptOf(snap.jobId);
    expect(g['68']).toBeUndefined();
    expect(g['67']!.inputs.end_image).toBeUndefined();
  });

  it('refuses what the model cannot do before any request', async () => {
    const before = mock.requests().length;
    const err = (await provider
      .submit(request('p:c:1.1', { seconds: 2.1, size: { width: 640, height: 640 }, firstFrame: undefined }), {})
      .catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.kind).toBe('invalid_request');
    expect(err.message).toMatch(
      /seconds: 2\.1 is not allowed.*size: 640x640 is not one of.*firstFrame: wan2\.2-flf2v needs a first-frame image/,
    );
    expect(mock.requests().length).toBe(before);
  });
});

describe('reconciliation by prompt id', () => {
  it('finds the prompt of a clientRef, moves past ids the server has, and skips a newest one that failed', async () => {
    const ref = 'p:r:1.1';
    expect(await provider.findByClientRef(ref, {})).toBeNull();
    const first = await provider.submit(request(ref, { model: 'wan2.2-t2v', firstFrame: undefined, lastFrame: undefined }), {});
    expect(await provider.findByClientRef(ref, {})).toMatchObject({ jobId: first.jobId });
    await until(first.jobId, (s) => s.state === 'succeeded');
    // the same clientRef submitted again (a re-run of the production): the next generation, never the same id
    mock.setFaults([{ match: { method: 'POST', path: '/prompt' }, action: { type: 'job_failed', code: 'RuntimeError' } }]);
    const second = await provider.submit(request(ref, { model: 'wan2.2-t2v', firstFrame: undefined, lastFrame: undefined }), {});
    expect(second.jobId).toBe(promptIdFor(ref, 1));
    const failed = await until(second.jobId, (s) => s.state === 'failed');
    expect(failed.failure).toMatchObject({ kind: 'job_failed', code: 'RuntimeError' });
    expect(await provider.findByClientRef(ref, {})).toBeNull();
    expect(mock.runs().filter((r) => r.promptId === first.jobId || r.promptId === second.jobId)).toHaveLength(2);
  });
});

describe('cancel', () => {
  it('deletes a pending prompt from the queue and interrupts the running one', async () => {
    // the first job holds the GPU (stuck half way) so the second stays pending
    mock.setFaults([{ match: { method: 'POST', path: '/prompt' }, action: { type: 'job_stuck', atProgress: 50 } }]);
    const running = await provider.submit(request('p:x:1.1'), {});
    mock.setFaults([]);
    const pending = await provider.submit(request('p:y:1.1'), {});
    await until(running.jobId, (s) => s.state === 'running');
    expect((await provider.poll(pending.jobId, {})).state).toBe('queued');
    expect(await provider.cancel(pending.jobId, {})).toEqual({ supported: true });
    expect(await provider.cancel(running.jobId, {})).toEqual({ supported: true });
    expect((await until(running.jobId, (s) => s.state !== 'running')).state).toBe('canceled');
    const gone = await provider.poll(pending.jobId, {});
    expect(gone).toMatchObject({ state: 'failed', failure: { code: 'prompt_lost' } });
    const cancels = mock.requests().filter((r) => r.method === 'POST' && (r.path === '/queue' || r.path === '/interrupt'));
    expect(cancels.map((r) => [r.path, r.jobId ?? null])).toEqual([
      ['/queue', null],
      ['/interrupt', running.jobId],
    ]);
  });
});
