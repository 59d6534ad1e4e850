/**
 * Issue 13, routing and failover, against two real provider mocks (A: the OpenAI-compatible gateway, B: fal), counting
 * requests in both mocks' logs:
 * - failover: A answers quota_exhausted to every create after the second scene; the production completes on B, one
 *   create per paid job across both logs, the manifest naming who made each scene and why it moved; the chained scene
 *   made by B starts from A's last frame fitted to B's size;
 * - circuit breaker: A answers 503 to everything; after the threshold no request reaches A from either of two
 *   workers for the cool-down; new scenes go straight to B; a scene whose create at A may have gone through (a 503
 *   to a create is ambiguous) never moves, it waits for A and pays once.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { breakerWorkflowId } from '../../src/contracts/names.js';
import type { RequestLogEntry } from '../../src/mock/kit/index.js';
import { startFalMock, type FalMock } from '../../src/mock/fal/server.js';
import { startOpenAIMock, type OpenAIMock } from '../../src/mock/openai-videos/server.js';
import { breakerStateQuery, type BreakerView } from '../../workflows/definitions.js';
import type { Manifest } from '../../workflows/manifest.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { frameByIndex, meanAbsDiff, streamsOf } from '../helpers/media.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

const run = promisify(execFile);

const A_KEY = 'sk-routing-a-7f3e';
const B_KEY = 'fal-routing-b-91d2';
const FAL_MODEL = 'fal-ai/kling-video/v4';
let a: OpenAIMock;
let b: FalMock;
const workers: TestWorker[] = [];

beforeAll(async () => {
  a = await startOpenAIMock({ apiKey: A_KEY, timing: { queuedMs: 50, msPerVideoSecond: 60 }, pollAfterMs: 100 });
  b = await startFalMock({ apiKey: B_KEY, timing: { queuedMs: 50, msPerVideoSecond: 60 }, concurrency: 8 });
});
afterAll(async () => {
  for (const w of workers) await w.stop({ cleanup: true });
  await a?.close();
  await b?.close();
});

const env = { OPENAI_API_KEY: A_KEY, FAL_KEY: B_KEY };

const storyboard = (title: string, scenes: object[], extra: object = {}) => ({
  title,
  defaults: { choices: ['openai-videos', { provider: 'fal', model: FAL_MODEL }], aspect: '16:9', seconds: 4, maxParallelScenes: 4 },
  output: { captions: false, poster: false, contactSheet: false },
  providers: {
    'openai-videos': { baseURL: a.baseURL, pollIntervalMs: 50, jobDeadlineSeconds: 60, requestTimeoutMs: 3000 },
    fal: { baseURL: b.url, pollIntervalMs: 50, jobDeadlineSeconds: 60, requestTimeoutMs: 20_000 },
  },
  scenes,
  ...extra,
});

const aCreates = (log: RequestLogEntry[]) => log.filter((r) => r.method === 'POST' && r.path === '/v1/videos');
const bCreates = (log: RequestLogEntry[]) => log.filter((r) => r.method === 'POST' && r.path.startsWith(`/${FAL_MODEL}`));
const ok = (r: RequestLogEntry) => r.status >= 200 && r.status < 300;

async function start(tw: TestWorker, id: string, sb: object) {
  const dir = await tempDir();
  const { plan } = await tw.client.plan(await writeStoryboard(dir, sb), { productionId: id });
  await tw.client.submit(plan, { timeouts: { submitS: 20, heartbeatS: 10 } });
  return plan;
}

describe('failover: provider A runs out of quota after the second scene', () => {
  it('completes on B, one create per paid job across both logs; the manifest names who made each scene and why', async () => {
    const tw = await startTestWorker({ env });
    workers.push(tw);
    const since = Date.now();
    // Every create after the second answers "insufficient_quota" (429, no Retry-After): nothing is created.
    a.setFaults([{ match: { method: 'POST', path: '/v1/videos', nth: 3, times: -1 }, action: { type: 'quota' } }]);
    const scenes = [
      { id: 's1', prompt: 'A red kite rises over the dunes' },
      { id: 's2', prompt: 'The kite string snaps', continuity: 'chain' },
      { id: 's3', prompt: 'The kite drifts over the sea', continuity: 'chain' },
      { id: 's4', prompt: 'The kite lands on a fishing boat', continuity: 'chain' },
    ];
    const plan = await start(tw, 'route-quota', storyboard('Quota failover', scenes, { budget: { maxUsd: 50 } }));
    expect(plan.scenes.map((s) => s.route!.map((r) => r.status))).toEqual(scenes.map(() => ['picked', 'fallback']));
    const result = await tw.client.result('route-quota');
    a.setFaults([]);
    expect(result.state).toBe('completed');

    const logA = a.requests().filter((r) => r.time >= since);
    const logB = b.requests().filter((r) => r.time >= since);
    const paidA = aCreates(logA).filter(ok);
    const paidB = bCreates(logB).filter(ok);
    console.log(
      `failover: A creates ${aCreates(logA).length} (${paidA.length} paid, ${aCreates(logA).length - paidA.length} refused: quota), B creates ${bCreates(logB).length} (${paidB.length} paid)`,
    );
    // s1, s2 paid at A; s3 and s4 each asked A once (refused, nothing made), then were made by B.
    expect(paidA).toHaveLength(2);
    expect(aCreates(logA).filter((r) => r.status === 429)).toHaveLength(2);
    expect(bCreates(logB)).toHaveLength(2);
    expect(paidB).toHaveLength(2);
    // Exactly one paid create per scene: every clip's job is a distinct job, found in its provider's log.
    const jobs = result.scenes.map((s) => s.clip!.jobId);
    expect(new Set(jobs).size).toBe(4);
    expect(jobs.slice(0, 2).every((j) => logA.some((r) => r.path.includes(j)))).toBe(true);
    // (a fal job id is `<endpoint>::<request id>`)
    expect(jobs.slice(2).every((j) => logB.some((r) => r.path.includes(j.split('::').at(-1)!)))).toBe(true);

    const manifest = JSON.parse(await readFile(result.manifestPath, 'utf8')) as Manifest;
    expect(manifest.scenes.map((s) => s.provider)).toEqual(['openai-videos', 'openai-videos', 'fal', 'fal']);
    expect(manifest.scenes[2]!.failovers).toEqual([
      expect.objectContaining({ from: 'openai-videos/sora-2', to: `fal/${FAL_MODEL}`, kind: 'quota_exhausted' }),
    ]);
    const lock = JSON.parse(await readFile(result.lockfilePath!, 'utf8')) as { scenes: { provider: string }[] };
    expect(lock.scenes.map((s) => s.provider)).toEqual(['openai-videos', 'openai-videos', 'fal', 'fal']);
    // The budget was asked again for each job at B; the refused reservations at A paid for nothing.
    const ledger = result.ledger.filter((l) => l.sceneId === 's3');
    expect(ledger.map((l) => l.outcome)).toEqual(['released', 'ready']);
    // What was paid: the jobs that ran (the provider's reported cost where it reports one), nothing for the refusals.
    const paid = result.scenes.flatMap((s) => s.attempts).reduce((t, x) => t + (x.billed?.usd ?? x.estimatedCostUsd), 0);
    expect(result.costUsd).toBeCloseTo(paid, 4);
    expect(result.costUsd).toBeCloseTo(2 * plan.scenes[0]!.estimatedCostUsd + 2 * plan.scenes[2]!.fallbacks![0]!.estimatedCostUsd, 2);

    // Continuity across the switch: s3 (B, 1920x1080) starts from s2's last frame (A, 1280x720) fitted to B's size.
    const s2 = result.scenes[1]!.clip!.path;
    const s3 = result.scenes[2]!.clip!.path;
    const s3Streams = await streamsOf(s3);
    expect([s3Streams.width, s3Streams.height]).toEqual([1920, 1080]);
    const first = await frameByIndex(s3, 0);
    const target = await lastFrameAt(s2, 1920, 1080);
    const unrelated = await lastFrameAt(result.scenes[0]!.clip!.path, 1920, 1080);
    const diff = meanAbsDiff(first.data, target);
    console.log(
      `continuity across providers: s3 first frame vs s2 last frame ${diff.toFixed(2)}, vs s1 last frame ${meanAbsDiff(first.data, unrelated).toFixed(2)}`,
    );
    expect(diff).toBeLessThan(6);
    expect(meanAbsDiff(first.data, unrelated)).toBeGreaterThan(diff * 2);

    const final = await streamsOf(result.outputPath!);
    expect([final.width, final.height, final.frames]).toEqual([1280, 720, 4 * 4 * 24]);
  }, 400_000);
});

describe('circuit breaker: provider A answers 503 to everything', () => {
  it('after the threshold no request reaches A from any worker for the cool-down; new scenes go to B; ambiguous creates wait and pay once', async () => {
    const coolDownMs = 20_000;
    const limits = { 'openai-videos': { breaker: { failures: 3, windowMs: 60_000, coolDownMs } } };
    const one = await startTestWorker({ env, providerLimits: limits });
    workers.push(one);
    const two = await startTestWorker({ env, providerLimits: limits, taskQueue: one.taskQueue, workDir: one.workDir });
    workers.push(two);
    const since = Date.now();
    a.setFaults([{ match: { times: -1 }, action: { type: 'http', status: 503 } }]);

    // First production: three creates at A, each answered 503 (it may have created a job: ambiguous), trip the breaker.
    const trip = [1, 2, 3].map((i) => ({ id: `t${i}`, prompt: `A lighthouse keeper's morning, part ${i}` }));
    await start(one, 'route-trip', storyboard('Trip', trip));
    const handle = one.temporal.workflow.getHandle(breakerWorkflowId(one.taskQueue, 'openai-videos'));
    let view: BreakerView | undefined;
    for (let i = 0; i < 300 && view?.state !== 'open'; i++) {
      view = await handle.query(breakerStateQuery).catch(() => undefined);
      if (view?.state !== 'open') await new Promise((r) => setTimeout(r, 100));
    }
    expect(view?.state).toBe('open');
    const opened = view!.openings[0]!;

    // Second production while the breaker is open: every scene goes to B without a request to A.
    const next = [1, 2, 3, 4].map((i) => ({ id: `n${i}`, prompt: `Gulls over the harbour, shot ${i}` }));
    await start(two, 'route-open', storyboard('Open', next));
    const routed = await two.client.result('route-open');
    expect(routed.state).toBe('completed');
    expect(routed.scenes.map((s) => s.attempts.map((x) => x.provider))).toEqual(next.map(() => ['fal']));
    const manifest = JSON.parse(await readFile(routed.manifestPath, 'utf8')) as Manifest;
    expect(manifest.scenes.map((s) => [s.provider, s.failovers?.[0]?.kind])).toEqual(next.map(() => ['fal', 'provider_outage']));

    // A recovers just before the cool-down ends; the tripping scenes then reconcile (nothing was made) and post once.
    await new Promise((r) => setTimeout(r, Math.max(0, opened.until - 2_000 - Date.now())));
    a.setFaults([]);
    const tripped = await one.client.result('route-trip');
    expect(tripped.state).toBe('completed');

    const logA = a.requests().filter((r) => r.time >= since);
    const inCoolDown = logA.filter((r) => r.time >= opened.at && r.time < opened.until);
    const beforeEnd = logA.filter((r) => r.time < opened.until);
    console.log(
      `breaker: opened at +${opened.at - since} ms for ${coolDownMs} ms; A requests before it ended ${beforeEnd.length} (all creates answered 503), during the cool-down ${inCoolDown.length}; B creates ${bCreates(b.requests().filter((r) => r.time >= since)).length}`,
    );
    expect(inCoolDown).toEqual([]);
    expect(beforeEnd.map((r) => [r.method, r.path, r.status])).toEqual(trip.map(() => ['POST', '/v1/videos', 503]));
    // Both workers served submits (the breaker is shared, not per worker): the open production's scenes all went to B.
    expect(bCreates(b.requests().filter((r) => r.time >= since)).filter(ok)).toHaveLength(4);
    // The tripping scenes stayed on A (their first creates may have made jobs) and paid exactly once each.
    expect(tripped.scenes.map((s) => s.attempts.at(-1)!.provider)).toEqual(trip.map(() => 'openai-videos'));
    expect(aCreates(logA).filter(ok)).toHaveLength(3);
  }, 400_000);
});

/** The exact last frame of a clip, scaled to w×h (RGB24), as prepareInputs fits it for a provider of that size. */
async function lastFrameAt(video: string, w: number, h: number): Promise<Buffer> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-sseof', '-1', '-i', video, '-vf', `scale=${w}:${h}:flags=area`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
  );
  return stdout.subarray(stdout.length - w * h * 3);
}
