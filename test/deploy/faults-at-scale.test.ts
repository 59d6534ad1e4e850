/**
 * Faults at deployment scale, each in the middle of a production that renders on the OpenAI Videos mock (paid
 * jobs, counted in the mock's request log) with workers on two "hosts" sharing only Temporal and the object store:
 * PostgreSQL stopped for 10 s, the object store unreachable for 10 s during downloads, and the worker holding an
 * assembly killed. Each production completes with exactly one create per scene and every clip and output present.
 *
 * This file runs its own PostgreSQL, Temporal server and object store, so stopping them disturbs no other file.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployBinaryPaths } from '../../src/deploy/binaries.js';
import { startObjectStore, type ObjectStore } from '../../src/deploy/object-store.js';
import { startPostgres, type Postgres } from '../../src/deploy/postgres.js';
import { startTemporalServer, type TemporalServer } from '../../src/deploy/temporal-server.js';
import { startOpenAIMock, type OpenAIMock } from '../../src/mock/openai-videos/server.js';
import type { ProductionProgress, ProductionResult } from '../../workflows/definitions.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { streamsOf } from '../helpers/media.js';
import { activityRunners, startCluster, type Cluster, type Host } from './hosts.js';
import { within } from './within.js';

const KEY = 'sk-faults-at-scale-7d2e';
let dir: string;
let postgres: Postgres;
let server: TemporalServer;
let objectStore: ObjectStore;
let mock: OpenAIMock;
let cluster: Cluster;
let scenesHost: Host;
let assemblyHost: Host;
const figures: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'storyreel-faults-'));
  await chmod(dir, 0o755);
  const binaries = deployBinaryPaths(inject('stackCacheDir'));
  [postgres, objectStore, mock] = await Promise.all([
    startPostgres({ dir: join(dir, 'postgres') }),
    startObjectStore({ dir: join(dir, 'object-store'), binaries }),
    // Each job takes about 2.5 s at the provider, so a fault lands while jobs are out.
    startOpenAIMock({ apiKey: KEY, timing: { queuedMs: 500, msPerVideoSecond: 500 }, pollAfterMs: 200 }),
  ]);
  server = await startTemporalServer({ dir: join(dir, 'temporal'), binaries, postgres });
  const { endpoint, region, bucket, credentials } = objectStore;
  cluster = await startCluster({ address: server.address, objectStore: { endpoint, region, bucket, credentials } });
  [scenesHost, assemblyHost] = await Promise.all([
    cluster.host('scenes', { STORYREEL_WORKER_ROLES: 'scenes', OPENAI_API_KEY: KEY }),
    cluster.host('assembly', { STORYREEL_WORKER_ROLES: 'assembly' }),
  ]);
});
afterAll(async () => {
  process.stderr.write(`faults at scale:\n${figures.join('\n')}\n`);
  await cluster?.close();
  await mock?.close();
  await server?.stop();
  await objectStore?.stop();
  await postgres?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const creates = (productionId: string) =>
  mock
    .requests()
    .filter((r) => r.method === 'POST' && r.path === '/v1/videos' && r.status === 200 && r.time >= (startedAt.get(productionId) ?? 0));
const startedAt = new Map<string, number>();

function storyboard(title: string, extra: Record<string, unknown> = {}) {
  return {
    title,
    defaults: { provider: 'openai-videos', model: 'sora-2', size: '1280x720', seconds: 4, maxParallelScenes: 3 },
    output: { captions: false, poster: false, contactSheet: false },
    providers: { 'openai-videos': { baseURL: mock.baseURL, pollIntervalMs: 200, requestTimeoutMs: 5000 } },
    scenes: [
      { id: 'pier', prompt: `${title}: a wooden pier at low tide` },
      { id: 'boat', prompt: `${title}: a rowing boat drifts past the pier` },
      { id: 'storm', prompt: `${title}: storm clouds gather over the bay` },
    ],
    ...extra,
  };
}

async function submit(title: string, extra: Record<string, unknown> = {}): Promise<string> {
  const d = await tempDir();
  const productionId = `${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${Date.now()}`;
  const { plan } = await cluster.client.plan(await writeStoryboard(d, storyboard(title, extra)), { productionId });
  startedAt.set(productionId, Date.now());
  await cluster.client.submit(plan, { timeouts: { heartbeatS: 10 } });
  return productionId;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`never saw: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const progressWhen = (productionId: string, ready: (p: ProductionProgress) => boolean) =>
  until(`${productionId} in the awaited state`, async () => {
    const p = await cluster.client.status(productionId);
    return ready(p) ? p : undefined;
  });

/** The production completed, one create per scene, each scene's clip and the final video whole in the object store. */
async function expectWhole(productionId: string, result: ProductionResult): Promise<number> {
  expect(result.state).toBe('completed');
  const made = creates(productionId);
  expect(made).toHaveLength(3);
  const status = await cluster.client.status(productionId);
  expect(new Set(status.scenes.map((s) => s.jobId))).toEqual(new Set(made.map((r) => r.jobId)));
  for (const s of status.scenes) expect(s.attempts, `scene ${s.id}`).toHaveLength(1);
  const local = join(dir, `${productionId}.mp4`);
  await cluster.download(`${cluster.store}/outputs/${productionId}/final.mp4`, local);
  const streams = await streamsOf(local);
  expect([streams.width, streams.height]).toEqual([1280, 720]);
  expect(streams.frames).toBe(3 * 4 * 24);
  return made.length;
}

describe('faults at deployment scale', () => {
  it('PostgreSQL stopped for 10 s while jobs are out: completes, one create per scene', async () => {
    const productionId = await submit('Postgres outage');
    await progressWhen(productionId, (p) => p.scenes.some((s) => s.jobId !== undefined));
    const t0 = Date.now();
    await postgres.stop();
    const stopped = Date.now();
    await new Promise((r) => setTimeout(r, 10_000));
    await postgres.start();
    const down = (Date.now() - stopped) / 1000;
    const result = await within(
      300_000,
      'the production after the database outage',
      cluster.client.watch(productionId, () => {}, 500),
    );
    const n = await expectWhole(productionId, result);
    figures.push(
      `  PostgreSQL down ${down.toFixed(1)} s: completed, ${n} creates for 3 scenes, ${(Date.now() - t0) / 1000} s from the stop to the end`,
    );
  });

  it('the object store unreachable for 10 s during downloads: completes, one create per scene, downloads retried', async () => {
    const productionId = await submit('Store outage');
    // The first clip is being downloaded from the provider: it (and the others, seconds behind) must be stored while
    // the object store is down.
    const contentGets = () =>
      mock.requests().filter((r) => r.method === 'GET' && /\/content$/.test(r.path) && r.time >= startedAt.get(productionId)!);
    await until('a download', async () => (contentGets().length ? true : undefined));
    await objectStore.stop();
    const stopped = Date.now();
    await new Promise((r) => setTimeout(r, 10_000));
    await objectStore.start();
    const down = (Date.now() - stopped) / 1000;
    const result = await within(
      300_000,
      'the production after the store outage',
      cluster.client.watch(productionId, () => {}, 500),
    );
    const n = await expectWhole(productionId, result);
    // Downloads that completed at the provider but could not be stored were fetched again.
    const downloads = contentGets().length;
    expect(downloads).toBeGreaterThan(3);
    figures.push(
      `  object store down ${down.toFixed(1)} s: completed, ${n} creates for 3 scenes, ${downloads} content downloads for 3 clips`,
    );
  });

  it('the worker holding an assembly killed: another assembly host finishes it, one create per scene', async () => {
    // Crossfades and burnt captions: a full re-encode and decode, so the assembly is in progress long enough to kill.
    const productionId = await submit('Assembly crash', {
      defaults: {
        provider: 'openai-videos',
        model: 'sora-2',
        size: '1280x720',
        seconds: 4,
        maxParallelScenes: 3,
        transition: { type: 'crossfade', seconds: 0.5 },
      },
      output: { captions: true, burnCaptions: true, poster: false, contactSheet: false },
    });
    const handle = cluster.temporal.workflow.getHandle(productionId);
    const holder = await until(
      'assembleVideo started on a worker',
      async () => {
        const d = await handle.describe();
        const a = d.raw.pendingActivities?.find((p) => p.activityType?.name === 'assembleVideo' && p.lastWorkerIdentity);
        return a?.lastWorkerIdentity ?? undefined;
      },
      300_000,
    );
    expect(holder.startsWith(`${assemblyHost.pid}@`)).toBe(true);
    process.kill(assemblyHost.pid, 'SIGKILL');
    const t0 = Date.now();
    const second = await cluster.host('assembly-2', { STORYREEL_WORKER_ROLES: 'assembly' });
    const result = await within(
      300_000,
      'the production after the kill',
      cluster.client.watch(productionId, () => {}, 500),
    );
    const n = creates(productionId).length;
    expect(result.state).toBe('completed');
    const runners = await activityRunners(cluster.temporal, productionId);
    expect(runners.assembleVideo).toHaveLength(1);
    expect(runners.assembleVideo![0]!.startsWith(`${second.pid}@`)).toBe(true);
    const local = join(dir, `${productionId}.mp4`);
    await cluster.download(`${cluster.store}/outputs/${productionId}/final.mp4`, local);
    const streams = await streamsOf(local);
    expect([streams.width, streams.height]).toEqual([1280, 720]);
    expect(Math.abs(streams.durationS - (12 - 1))).toBeLessThan(0.2);
    expect(n).toBe(3);
    figures.push(
      `  assembly worker killed: completed on the second assembly host ${((Date.now() - t0) / 1000).toFixed(1)} s after the kill, ${n} creates for 3 scenes`,
    );
    void scenesHost;
  });
});
