/**
 * Workers on different hosts: two `storyreel worker` processes with separate work directories that share nothing
 * but Temporal and the object store — one renders scenes (role scenes), the other assembles (role assembly). A
 * production that needs both completes; its final video is fetched from the object store; its clips are byte for
 * byte those of the same storyboard run by one worker with a directory store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { streamsOf } from '../helpers/media.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';
import { activityRunners, startCluster, type Cluster, type Host } from './hosts.js';
import { within } from './within.js';

const storyboard = {
  title: 'Two hosts',
  defaults: { provider: 'local', size: '320x180', fps: 24, seconds: 2, maxParallelScenes: 3 },
  output: { poster: false, contactSheet: false },
  scenes: [
    { id: 'dawn', prompt: 'Dawn over a quiet fjord' },
    { id: 'ferry', prompt: 'A red ferry crosses the fjord', continuity: 'chain' },
    { id: 'village', prompt: 'Wooden houses along the shore' },
  ],
};

let cluster: Cluster;
let scenesHost: Host;
let assemblyHost: Host;
let single: TestWorker;

beforeAll(async () => {
  cluster = await startCluster();
  [scenesHost, assemblyHost] = await Promise.all([
    cluster.host('scenes', { STORYREEL_WORKER_ROLES: 'scenes' }),
    cluster.host('assembly', { STORYREEL_WORKER_ROLES: 'assembly' }),
  ]);
});
afterAll(async () => {
  await cluster?.close();
  await single?.stop({ cleanup: true });
});

describe('two worker hosts sharing only Temporal and the object store', () => {
  it('render scenes on one and assemble on the other; the clips equal a single-worker run', async () => {
    const dir = await tempDir();
    const file = await writeStoryboard(dir, storyboard);
    const productionId = `two-hosts-${Date.now()}`;
    const { plan } = await cluster.client.plan(file, { productionId });
    await cluster.client.submit(plan);
    const result = await within(
      300_000,
      'the two-host production',
      cluster.client.watch(productionId, () => {}, 500),
    );
    expect(result.state).toBe('completed');

    // Who ran what, from the histories: every scene activity on the scenes host, assembly and outputs on the other.
    const scenePid = `${scenesHost.pid}@`;
    const assemblyPid = `${assemblyHost.pid}@`;
    const production = await activityRunners(cluster.temporal, productionId);
    for (const type of ['assembleVideo', 'writeManifest', 'writeLockfile']) {
      expect(production[type]?.length, type).toBeGreaterThan(0);
      for (const id of production[type]!) expect(id.startsWith(assemblyPid), `${type} ran on ${id}`).toBe(true);
    }
    for (const s of plan.scenes) {
      const runners = await activityRunners(cluster.temporal, `${productionId}/scene/${s.id}`);
      expect(runners.submitScene?.length, `scene ${s.id} submitted`).toBe(1);
      for (const id of Object.values(runners).flat()) expect(id.startsWith(scenePid), `scene ${s.id} ran on ${id}`).toBe(true);
    }

    // The final video from the object store (the URI the production returned).
    const status = await cluster.client.status(productionId);
    const finalUri = `${cluster.store}/outputs/${productionId}/final.mp4`;
    const local = join(dir, 'fetched.mp4');
    await cluster.download(finalUri, local);
    const streams = await streamsOf(local);
    expect([streams.width, streams.height]).toEqual([320, 180]);
    expect(streams.frames).toBe(3 * 2 * 24);
    expect(streams.audio).toHaveLength(1);

    // Separate disks: rendering only on one, the clips reached the assembler through its cache.
    expect(existsSync(join(assemblyHost.workDir, 'local-provider'))).toBe(false);
    expect(existsSync(join(scenesHost.workDir, 'tmp', 'assembly'))).toBe(false);
    const cached = (await readdir(join(assemblyHost.workDir, 'cache'), { recursive: true })).filter((f) => f.endsWith('.mp4'));
    expect(cached).toHaveLength(3);

    // The same storyboard on one worker with a directory store: the same clips, byte for byte.
    single = await startTestWorker();
    const again = await single.client.plan(file, { productionId: `one-host-${Date.now()}` });
    await single.client.submit(again.plan);
    const one = await within(
      300_000,
      'the single-worker production',
      single.client.watch(again.plan.productionId, () => {}, 500),
    );
    expect(one.state).toBe('completed');
    const hashes = (scenes: typeof status.scenes) => Object.fromEntries(scenes.map((s) => [s.id, s.clip?.sha256]));
    const twoHostHashes = hashes(status.scenes);
    expect(Object.values(twoHostHashes).every((h) => /^[0-9a-f]{64}$/.test(h ?? ''))).toBe(true);
    expect(hashes((await single.client.status(again.plan.productionId)).scenes)).toEqual(twoHostHashes);
    process.stderr.write(`two hosts: clips ${JSON.stringify(twoHostHashes)}\n`);
  });
});
