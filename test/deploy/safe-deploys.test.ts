/**
 * Safe deploys with Worker Versioning on the PostgreSQL-backed server: a production starts on build A; build B,
 * whose produceStoryboard changed (a new first command), is deployed and made current; A's production finishes on A
 * (every workflow task of it completed by A, no nondeterminism), while a production started afterwards runs on B.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bundleWorkflowCode } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoryreelClient } from '../../src/client/index.js';
import { setCurrentVersion } from '../../src/temporal/deployments.js';
import { createWorker, type StoryreelWorker } from '../../src/worker.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { within } from './within.js';

const address = inject('temporalAddress');
const taskQueue = `deploys-${randomUUID().slice(0, 8)}`;
const deploymentName = `storyreel-${taskQueue}`;
let connection: Connection;
let temporal: Client;
let client: StoryreelClient;
const running: { worker: StoryreelWorker; done: Promise<void>; native: NativeConnection; workDir: string }[] = [];

async function startBuild(buildId: string, workflowBundle: { codePath: string } | { code: string }, workDir: string) {
  const native = await NativeConnection.connect({ address });
  const worker = await createWorker({ connection: native, taskQueue, workDir, workflowBundle, deployment: { deploymentName, buildId } });
  const entry = { worker, done: worker.run(), native, workDir };
  running.push(entry);
  return entry;
}

beforeAll(async () => {
  connection = await Connection.connect({ address });
  temporal = new Client({ connection });
  client = await StoryreelClient.connect({ address, taskQueue, outDir: await mkdtemp(join(tmpdir(), 'storyreel-deploys-out-')) });
});
afterAll(async () => {
  for (const r of running) {
    r.worker.shutdown();
    await r.done.catch(() => undefined);
    await r.native.close();
    await rm(r.workDir, { recursive: true, force: true });
  }
  await client?.close();
  await connection?.close();
});

const storyboard = (title: string) => ({
  title,
  defaults: { provider: 'local', size: '320x180', fps: 24, seconds: 2, maxParallelScenes: 1 },
  output: { poster: false, contactSheet: false },
  // Slow jobs: the production on A is still running when B is deployed.
  providers: { local: { latencyMs: 4000, pollIntervalMs: 200 } },
  scenes: [
    { id: 'one', prompt: `${title}: a lantern on a table` },
    { id: 'two', prompt: `${title}: the lantern is lit` },
    { id: 'three', prompt: `${title}: the room glows` },
  ],
});

/** Build ids of the workers that completed each workflow task of a workflow, in order. */
async function buildsOf(workflowId: string): Promise<string[]> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowTaskCompletedEventAttributes)
    .filter((a) => a !== null && a !== undefined)
    .map((a) => a.deploymentVersion?.buildId ?? '(none)');
}

describe('Worker Versioning: productions pinned to the build that started them', () => {
  it("keeps A's production on A while new productions run on B", async () => {
    const dir = await tempDir();
    const workDir = await mkdtemp(join(tmpdir(), 'storyreel-deploys-'));
    await startBuild('build-a', { codePath: inject('workflowBundlePath') }, workDir);
    await setCurrentVersion(connection, 'default', { deploymentName, buildId: 'build-a' });

    const first = await client.plan(await writeStoryboard(dir, storyboard('On A'), 'a.yaml'), { productionId: `on-a-${Date.now()}` });
    await client.submit(first.plan);
    // Running on A: its first scene has a job out.
    for (let i = 0; ; i++) {
      const p = await client.status(first.plan.productionId).catch(() => undefined);
      if (p?.scenes.some((s) => s.jobId)) break;
      if (i > 600) throw new Error('the production on A never started a job');
      await new Promise((r) => setTimeout(r, 100));
    }

    // Deploy B (same work dir: the same host upgraded in place) and make it current.
    const bundleB = await bundleWorkflowCode({
      workflowsPath: join(import.meta.dirname, '..', 'fixtures', 'build-b', 'workflows.ts'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
    });
    await startBuild('build-b', { code: bundleB.code }, workDir);
    await setCurrentVersion(connection, 'default', { deploymentName, buildId: 'build-b' });

    const second = await client.plan(await writeStoryboard(dir, storyboard('On B'), 'b.yaml'), { productionId: `on-b-${Date.now()}` });
    await client.submit(second.plan);
    const [a, b] = await within(
      300_000,
      'both productions',
      Promise.all([client.watch(first.plan.productionId, () => {}, 500), client.watch(second.plan.productionId, () => {}, 500)]),
    );
    expect(a.state).toBe('completed');
    expect(b.state).toBe('completed');

    const onA = await buildsOf(first.plan.productionId);
    const onB = await buildsOf(second.plan.productionId);
    expect(new Set(onA)).toEqual(new Set(['build-a']));
    expect(new Set(onB)).toEqual(new Set(['build-b']));
    // B's changed code really ran for the new production, and never for A's.
    const memo = async (id: string) => (await temporal.workflow.getHandle(id).describe()).memo?.storyreelBuild;
    expect(await memo(second.plan.productionId)).toBe('B');
    expect(await memo(first.plan.productionId)).toBeUndefined();
    // Its scenes (child workflows) followed their parent's build.
    expect(new Set(await buildsOf(`${first.plan.productionId}/scene/three`))).toEqual(new Set(['build-a']));
    expect(new Set(await buildsOf(`${second.plan.productionId}/scene/one`))).toEqual(new Set(['build-b']));
    process.stderr.write(`safe deploys: A's production ${onA.length} workflow tasks all on build-a; B's ${onB.length} all on build-b\n`);
  });
});
