/**
 * Graceful shutdown of `storyreel worker` (a real process), SIGTERMed while its downloadClip activity is in flight,
 * against the OpenAI mock (one job, one clip), and the worker's /healthz and /readyz:
 *
 *  - with a long grace, the in-flight download finishes on the stopping worker (attempt 1, its identity), readiness
 *    turns 503 at once while liveness stays 200, and the process exits 0 once drained;
 *  - with a 1 s grace, a download stalled half-way (a half-written temp file on disk) is cancelled, its temp file
 *    removed, and the attempt handed back: a second worker downloads it again (attempt 2, its identity).
 * Either way the production completes with one create at the provider and nothing half-written in the work dir.
 */
import { Client, Connection } from '@temporalio/client';
import type { temporal as proto } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StoryreelClient } from '../../src/client/index.js';
import { startOpenAIMock, type FaultRule, type OpenAIMock } from '../../src/mock/openai-videos/server.js';
import { startCliWorker, type CliWorker } from '../helpers/cli-worker.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { streamsOf } from '../helpers/media.js';

const KEY = 'sk-test-shutdown-4d1c9e7a';
let mock: OpenAIMock;
let connection: Connection;
let temporal: Client;
const workers: CliWorker[] = [];

beforeAll(async () => {
  mock = await startOpenAIMock({ apiKey: KEY, timing: { queuedMs: 50, msPerVideoSecond: 40 }, pollAfterMs: 100 });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  temporal = new Client({ connection });
});
afterAll(async () => {
  for (const w of workers) await w.stop();
  await connection?.close();
  await mock?.close();
});

interface Setup {
  workDir: string;
  outDir: string;
  taskQueue: string;
  env: (graceS: number) => Record<string, string>;
}

async function setup(): Promise<Setup> {
  const workDir = await tempDir();
  const taskQueue = `shutdown-${randomUUID()}`;
  return {
    workDir,
    outDir: join(workDir, 'out'),
    taskQueue,
    env: (graceS) => ({
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      STORYREEL_TASK_QUEUE: taskQueue,
      STORYREEL_WORK_DIR: workDir,
      STORYREEL_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      STORYREEL_SHUTDOWN_GRACE_S: String(graceS),
      STORYREEL_HEALTH_ADDRESS: '127.0.0.1:0',
      OPENAI_API_KEY: KEY,
    }),
  };
}

async function worker(env: Record<string, string>): Promise<CliWorker & { health: string }> {
  const w = await startCliWorker(env);
  workers.push(w);
  const health = /health (http:\/\/\S+)/.exec(w.stderr())?.[1];
  if (!health) throw new Error(`no health URL in:\n${w.stderr()}`);
  return Object.assign(w, { health });
}

async function submit(s: Setup, tag: string, faults: FaultRule[]) {
  mock.reset();
  mock.setFaults(faults);
  const client = await StoryreelClient.connect({ address: inject('temporalAddress'), taskQueue: s.taskQueue, outDir: s.outDir });
  const dir = await tempDir();
  const file = await writeStoryboard(dir, {
    title: `Shutdown ${tag}`,
    defaults: { provider: 'openai-videos', model: 'sora-2', size: '1280x720', seconds: 4 },
    output: { captions: false },
    // A long idle timeout: the stalled download waits for the shutdown, not for the provider's timeout.
    providers: { 'openai-videos': { baseURL: mock.baseURL, pollIntervalMs: 50, requestTimeoutMs: 110_000 } },
    scenes: [{ id: 'pier', prompt: `The pier at dusk, ${tag}` }],
  });
  const { plan } = await client.plan(file, { productionId: `shutdown-${tag}-${randomUUID().slice(0, 8)}` });
  await client.submit(plan);
  return { client, productionId: plan.productionId };
}

const contentRequests = () => mock.requests().filter((r) => r.method === 'GET' && r.path.endsWith('/content'));
const creates = () => mock.requests().filter((r) => r.method === 'POST' && r.path === '/v1/videos');

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function get(url: string): Promise<number> {
  return (await fetch(url)).status;
}

/** The downloadClip attempt recorded in the scene's child workflow: which attempt completed, on which worker. */
async function downloadAttempt(productionId: string): Promise<{ attempt: number; identity: string; completed: boolean }> {
  const events = async (workflowId: string) => (await temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const children = (await events(productionId))
    .map((e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId)
    .filter((id): id is string => !!id);
  for (const child of children) {
    const history: proto.api.history.v1.IHistoryEvent[] = await events(child);
    const scheduled = history.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'downloadClip');
    if (!scheduled) continue;
    const started = history.find(
      (e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId?.toString(),
    );
    const completed = history.some(
      (e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId?.toString(),
    );
    return {
      attempt: started?.activityTaskStartedEventAttributes?.attempt ?? 0,
      identity: started?.activityTaskStartedEventAttributes?.identity ?? '',
      completed,
    };
  }
  throw new Error(`no downloadClip in the children of ${productionId}`);
}

/** Every file under dir whose name marks a write in progress (temp + rename leaves none behind). */
async function tempFiles(dir: string): Promise<string[]> {
  const all = await readdir(dir, { recursive: true });
  return all.filter((f) => /\.tmp(\.|$)|\.part$/.test(f));
}

describe('storyreel worker on SIGTERM', () => {
  it('drains: the in-flight download finishes on the stopping worker; /readyz turns 503, /healthz stays 200', async () => {
    const s = await setup();
    const a = await worker(s.env(120));
    expect(await get(`${a.health}/healthz`)).toBe(200);
    expect(await get(`${a.health}/readyz`)).toBe(200);
    expect(await get(`${a.health}/metrics`)).toBe(404);

    // The download's answer is held 8 s: the activity is in flight while the worker is told to stop.
    const { client, productionId } = await submit(s, 'drain', [
      { match: { method: 'GET', path: '/v1/videos/*/content' }, action: { type: 'delay', ms: 8000, stage: 'after' } },
    ]);
    await until('the download request', () => contentRequests().length > 0 || undefined);
    a.kill('SIGTERM');
    const readiness = await until('readiness to turn 503', async () => ((await get(`${a.health}/readyz`)) === 503 ? 503 : undefined), 5000);
    expect(readiness).toBe(503);
    expect(a.alive()).toBe(true);
    expect(await get(`${a.health}/healthz`)).toBe(200);
    expect(await a.exited).toBe(0);
    expect(a.stderr()).toContain('draining');

    const b = await worker(s.env(120));
    const result = await client.result(productionId);
    await b.stop();
    expect(result.state).toBe('completed');
    const download = await downloadAttempt(productionId);
    console.log(
      `drain: downloadClip attempt ${download.attempt} on ${download.identity}; creates ${creates().length}, downloads ${contentRequests().length}`,
    );
    expect(download).toEqual({ attempt: 1, identity: `${a.pid}@${hostname()}`, completed: true });
    expect(creates()).toHaveLength(1);
    expect(contentRequests()).toHaveLength(1);
    expect((await streamsOf(result.outputPath!)).width).toBe(1280);
    expect(await tempFiles(s.workDir)).toEqual([]);
    await client.close();
  });

  it('hands back: a half-written download is cancelled after the grace, removed, and downloaded again by another worker', async () => {
    const s = await setup();
    const a = await worker(s.env(1));
    const { client, productionId } = await submit(s, 'handback', [
      { match: { method: 'GET', path: '/v1/videos/*/content' }, action: { type: 'content_stall', afterBytes: 200_000 } },
    ]);
    // The download's temp file in the worker's scratch dir, with bytes in it (not some other atomic write).
    const partial = await until('a half-written download', async () => {
      const t = (await tempFiles(s.workDir).catch(() => [])).filter((f) => f.startsWith('tmp/'));
      const sizes = await Promise.all(
        t.map((f) =>
          stat(join(s.workDir, f)).then(
            (st) => st.size,
            () => 0,
          ),
        ),
      );
      return sizes.some((n) => n > 0) ? t.map((f, i) => `${f} (${sizes[i]} bytes)`) : undefined;
    });
    a.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await tempFiles(s.workDir)).toEqual([]);

    const b = await worker(s.env(1));
    const result = await client.result(productionId);
    await b.stop();
    expect(result.state).toBe('completed');
    const download = await downloadAttempt(productionId);
    console.log(
      `hand-back: partial ${partial.join(', ')} removed; downloadClip attempt ${download.attempt} on ${download.identity}; creates ${creates().length}, downloads ${contentRequests().length}`,
    );
    expect(download).toEqual({ attempt: 2, identity: `${b.pid}@${hostname()}`, completed: true });
    expect(creates()).toHaveLength(1);
    expect(contentRequests()).toHaveLength(2);
    expect((await streamsOf(result.outputPath!)).width).toBe(1280);
    expect(await tempFiles(s.workDir)).toEqual([]);
    await client.close();
  });
});
