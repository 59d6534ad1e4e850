/**
 * Chaos on the real dev server: worker processes killed with SIGKILL mid-production, and the Temporal server itself
 * stopped and restarted (persistent database). Productions complete; no paid job is created twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StoryreelClient } from '../../src/client/index.js';
import { freePort, startDevServer } from '../../src/temporal/dev-server.js';
import { createWorker } from '../../src/worker.js';
import { startOpenAIMock, type OpenAIMock } from '../../src/mock/openai-videos/server.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { startTestWorker } from '../helpers/temporal.js';

const ROOT = resolve(import.meta.dirname, '../..');
const KEY = 'sk-test-chaos';
let mock: OpenAIMock;
beforeAll(async () => {
  // Each 4 s clip takes ~1.4 s to "render": long enough to be killed in the middle of things.
  mock = await startOpenAIMock({ apiKey: KEY, timing: { queuedMs: 200, msPerVideoSecond: 300 }, pollAfterMs: 100 });
});
afterAll(async () => {
  await mock?.close();
});

/** A deterministic sequence in [0, 1). */
function seeded(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 2 ** 32;
}

function spawnWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/storyreel.js'), 'worker'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolvePromise, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('worker: task queue')) {
        clearTimeout(timer);
        resolvePromise(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}): ${err}`)));
  });
}

const storyboard = (tag: string) => ({
  title: `Chaos ${tag}`,
  defaults: { provider: 'openai-videos', size: '1280x720', seconds: 4, maxParallelScenes: 3 },
  output: { captions: false },
  providers: { 'openai-videos': { baseURL: mock.baseURL, pollIntervalMs: 100 } },
  scenes: Array.from({ length: 10 }, (_, i) => ({ id: `s${i + 1}`, prompt: `Storm over the bay, shot ${i + 1} (${tag})` })),
});

describe('the worker is killed (SIGKILL) three times during a 10-scene production', () => {
  it('completes with exactly one create per scene, and the same clips as an undisturbed run', async () => {
    const address = inject('temporalAddress');
    const taskQueue = `chaos-${randomUUID()}`;
    const workDir = await tempDir('storyreel-chaos-');
    const env = {
      TEMPORAL_ADDRESS: address,
      STORYREEL_TASK_QUEUE: taskQueue,
      STORYREEL_WORK_DIR: workDir,
      STORYREEL_OUT_DIR: join(workDir, 'out'),
      STORYREEL_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      OPENAI_API_KEY: KEY,
    };
    const client = await StoryreelClient.connect({ address, taskQueue, outDir: join(workDir, 'out') });
    const dir = await tempDir();
    const { plan } = await client.plan(await writeStoryboard(dir, storyboard('kill')), { productionId: 'chaos-kill' });
    const t0 = Date.now();
    let worker = await spawnWorker(env);
    await client.submit(plan, { timeouts: { submitS: 8, heartbeatS: 4, pollS: 10 } });
    const random = seeded(7);
    const kills: number[] = [];
    for (let k = 0; k < 3; k++) {
      await new Promise((r) => setTimeout(r, 1500 + random() * 3500));
      worker.kill('SIGKILL');
      kills.push(Date.now() - t0);
      await new Promise((r) => worker.once('exit', r));
      worker = await spawnWorker(env);
    }
    const result = await client.result('chaos-kill');
    worker.kill('SIGTERM');
    await client.close();
    expect(result.state).toBe('completed');

    const creates = mock.requests().filter((r) => r.time >= t0 && r.method === 'POST' && r.path === '/v1/videos');
    const jobs = mock.videos().filter((v) => v.prompt?.includes('(kill)'));
    expect(jobs).toHaveLength(10);
    expect(creates.filter((c) => c.status === 200 || c.jobId)).toHaveLength(10);
    for (const s of result.scenes) expect(s.attempts, s.id).toHaveLength(1);
    console.log(`killed at ${kills.join(', ')} ms; ${creates.length} creates for 10 scenes; done after ${Date.now() - t0} ms`);

    // An undisturbed run of the same storyboard (own work dir, nothing cached) gives the same clips.
    const calm = await startTestWorker({ env: { OPENAI_API_KEY: KEY } });
    try {
      const again = await calm.client.plan(await writeStoryboard(dir, storyboard('kill'), 'calm.yaml'), { productionId: 'chaos-calm' });
      await calm.client.submit(again.plan);
      const undisturbed = await calm.client.result('chaos-calm');
      expect(undisturbed.scenes.map((s) => s.clip?.sha256)).toEqual(result.scenes.map((s) => s.clip?.sha256));
    } finally {
      await calm.stop({ cleanup: true });
    }
  });
});

describe('the Temporal server is stopped and restarted in the middle of a production', () => {
  it('completes (persistent database)', async () => {
    const dir = await tempDir('storyreel-restart-');
    const port = await freePort();
    const dbFile = join(dir, 'temporal.db');
    const serverOpts = { cliPath: inject('temporalCliPath'), dbFile, port, logFile: join(dir, 'server.log') };
    let server = await startDevServer(serverOpts);
    const taskQueue = `restart-${randomUUID()}`;
    const native = await NativeConnection.connect({ address: server.address });
    const worker = await createWorker({
      connection: native,
      taskQueue,
      workDir: dir,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    const running = worker.run();
    const client = await StoryreelClient.connect({ address: server.address, taskQueue, outDir: join(dir, 'out') });
    try {
      const { plan } = await client.plan(
        await writeStoryboard(dir, {
          title: 'Restart',
          defaults: { provider: 'local', size: '320x180', seconds: 1, maxParallelScenes: 2 },
          providers: { local: { latencyMs: 1500, pollIntervalMs: 100 } },
          scenes: Array.from({ length: 6 }, (_, i) => ({ id: `s${i + 1}`, prompt: `restart shot ${i + 1}` })),
        }),
        { productionId: 'restart-1' },
      );
      await client.submit(plan, { timeouts: { heartbeatS: 5 } });
      for (;;) {
        const p = await client.status('restart-1');
        if (p.scenes.filter((s) => s.state === 'ready').length >= 2) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      await server.stop();
      await new Promise((r) => setTimeout(r, 3000));
      server = await startDevServer(serverOpts);
      let result;
      for (let tries = 0; !result; tries++) {
        try {
          result = await client.result('restart-1');
        } catch (err) {
          if (tries > 30) throw err;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
      expect(result.state).toBe('completed');
      expect(result.scenes.every((s) => s.state === 'ready')).toBe(true);
    } finally {
      worker.shutdown();
      await running.catch(() => undefined);
      await native.close();
      await client.close();
      await server.stop();
    }
  });
});
