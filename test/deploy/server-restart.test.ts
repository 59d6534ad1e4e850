/**
 * The Temporal server process is stopped in the middle of a production and started again on the same PostgreSQL
 * databases and port: the production completes, and no scene's job was submitted twice (creates counted in the
 * OpenAI Videos mock's request log, the provider's own record).
 *
 * This file runs its own server (a second cluster in its own databases on the stack's PostgreSQL), so stopping it
 * disturbs no other file.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployBinaryPaths } from '../../src/deploy/binaries.js';
import { portIsFree } from '../../src/deploy/ports.js';
import { startTemporalServer, type TemporalServer } from '../../src/deploy/temporal-server.js';
import { startOpenAIMock, type OpenAIMock } from '../../src/mock/openai-videos/server.js';
import type { ProductionProgress } from '../../workflows/definitions.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { streamsOf } from '../helpers/media.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';
import { within } from './within.js';

let server: TemporalServer;
let serverDir: string;
let tw: TestWorker;
let mock: OpenAIMock;
const KEY = 'sk-restart-test-51f0';

beforeAll(async () => {
  // Each job takes about 2.5 s at the provider, so the restart lands while jobs are in flight.
  mock = await startOpenAIMock({ apiKey: KEY, timing: { queuedMs: 500, msPerVideoSecond: 500 }, pollAfterMs: 200 });
  serverDir = await mkdtemp(join(tmpdir(), 'storyreel-deploy-restart-'));
  server = await startTemporalServer({
    dir: serverDir,
    binaries: deployBinaryPaths(inject('stackCacheDir')),
    postgres: inject('stackPostgres'),
    databases: { persistence: 'temporal_restart', visibility: 'temporal_restart_visibility' },
  });
  tw = await startTestWorker({ address: server.address, env: { ...process.env, OPENAI_API_KEY: KEY } });
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
  await mock?.close();
  await server?.stop();
  if (serverDir) await rm(serverDir, { recursive: true, force: true });
});

const storyboard = () => ({
  title: 'Restart',
  defaults: { provider: 'openai-videos', model: 'sora-2', size: '1280x720', seconds: 4, maxParallelScenes: 2 },
  output: { captions: false, poster: false, contactSheet: false },
  providers: { 'openai-videos': { baseURL: mock.baseURL, pollIntervalMs: 200, requestTimeoutMs: 5000 } },
  scenes: [
    { id: 'harbour', prompt: 'Fishing boats rock in a grey harbour' },
    { id: 'quay', prompt: 'A woman in a yellow coat walks along the quay', continuity: 'chain' },
    { id: 'gulls', prompt: 'Gulls wheel above the breakwater' },
    { id: 'lamp', prompt: 'The harbour lamp flickers on at dusk' },
  ],
});

async function progressWhen(productionId: string, ready: (p: ProductionProgress) => boolean): Promise<ProductionProgress> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const p = await tw.client.status(productionId).catch(() => undefined);
    if (p && ready(p)) return p;
    if (Date.now() > deadline) throw new Error(`production ${productionId} never reached the awaited state`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a Temporal server restart in the middle of a production', () => {
  it('loses nothing: the production completes, every scene with the one job it first submitted', async () => {
    const dir = await tempDir();
    const { plan } = await tw.client.plan(await writeStoryboard(dir, storyboard()), { productionId: `restart-${Date.now()}` });
    const { productionId } = await tw.client.submit(plan);

    // A job is out at the provider (its id is in the workflow's history) and has not finished yet.
    const before = await progressWhen(productionId, (p) => p.scenes.some((s) => s.state === 'submitted' && s.jobId !== undefined));
    const jobsBefore = new Map(before.scenes.filter((s) => s.jobId).map((s) => [s.id, s.jobId]));
    const pidBefore = server.pid();
    await server.stop();
    expect(server.pid()).toBeUndefined();
    expect(await portIsFree(Number(server.address.split(':')[1]))).toBe(true);
    await new Promise((r) => setTimeout(r, 3000));
    await server.start();
    expect(server.pid()).not.toBe(pidBefore);

    const result = await within(
      180_000,
      'the production after the restart',
      tw.client.watch(productionId, () => {}, 500),
    );
    expect(result.state).toBe('completed');
    expect(before.scenes.filter((s) => s.state === 'ready').length).toBeLessThan(plan.scenes.length);

    const after = await tw.client.status(productionId);
    for (const s of after.scenes) {
      expect(s.attempts, `scene ${s.id}`).toHaveLength(1);
      if (jobsBefore.has(s.id)) expect(s.jobId, `scene ${s.id} kept its job`).toBe(jobsBefore.get(s.id));
    }
    expect(new Set(after.scenes.map((s) => s.jobId)).size).toBe(plan.scenes.length);
    // The provider's own record: one job created per scene, none resubmitted because of the restart.
    const creates = mock.requests().filter((r) => r.method === 'POST' && r.path === '/v1/videos' && r.status === 200);
    expect(creates).toHaveLength(plan.scenes.length);
    expect(new Set(creates.map((r) => r.jobId))).toEqual(new Set(after.scenes.map((s) => s.jobId)));
    process.stderr.write(`server restart: completed, ${creates.length} creates for ${plan.scenes.length} scenes\n`);

    const streams = await streamsOf(result.outputPath!);
    expect([streams.width, streams.height]).toEqual([1280, 720]);
    expect(streams.frames).toBe(4 * 4 * 24);
    expect(streams.audio).toHaveLength(1);
  });
});
