/**
 * Issue 11 item 6, no tight polling: when the next poll is further off than one await-job call may wait (a long
 * poll interval, a provider's hint, a deadline close by), the scene sleeps on a timer instead of polling back to
 * back. Status reads are counted in the gateway mock's request log. Real intervals (seconds) stand in for minutes:
 * each await-job call is capped at 1 s (timeouts.awaitS) where production caps it at 60 s, the same path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductionFailedError } from '../../src/client/index.js';
import { startOpenAIMock, type FaultRule, type MockRequestLogEntry, type OpenAIMock } from '../../src/mock/openai-videos/server.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

const KEY = 'sk-polling-test-7f3a';
let tw: TestWorker;
const mocks: OpenAIMock[] = [];

beforeAll(async () => {
  tw = await startTestWorker({ env: { OPENAI_API_KEY: KEY } });
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
  await Promise.all(mocks.map((m) => m.close()));
});

/** GET /v1/videos/{id}: the status reads (not the content download, not the list). */
const statusReads = (log: MockRequestLogEntry[]) => log.filter((r) => r.method === 'GET' && /^\/v1\/videos\/[^/]+$/.test(r.path));
const gapsMs = (reads: MockRequestLogEntry[]) => reads.slice(1).map((r, i) => r.time - reads[i]!.time);

async function produce(
  id: string,
  mockOpts: Parameters<typeof startOpenAIMock>[0] & { faults?: FaultRule[] },
  settings: Record<string, unknown>,
  awaitS?: number,
) {
  const { faults, ...opts } = mockOpts;
  const mock = await startOpenAIMock({ apiKey: KEY, ...opts });
  mocks.push(mock);
  if (faults) mock.setFaults(faults);
  const sb = {
    title: id,
    defaults: { provider: 'openai-videos', model: 'sora-2', size: '1280x720', seconds: 4 },
    output: { captions: false, poster: false, contactSheet: false },
    providers: { 'openai-videos': { baseURL: mock.baseURL, requestTimeoutMs: 3000, ...settings } },
    scenes: [{ id: 's1', prompt: `A lighthouse keeper winds the clock (${id})` }],
  };
  const { plan } = await tw.client.plan(await writeStoryboard(await tempDir(), sb), { productionId: id });
  await tw.client.submit(plan, { timeouts: { submitS: 20, heartbeatS: 10, ...(awaitS ? { awaitS } : {}) } });
  let state: string;
  try {
    state = (await tw.client.result(id)).state;
  } catch (err) {
    if (!(err instanceof ProductionFailedError)) throw err;
    state = 'failed';
  }
  return { mock, state, reads: statusReads(mock.requests()), progress: await tw.client.status(id) };
}

describe('no tight polling', () => {
  it('a poll interval longer than one await call: the scene sleeps between polls', async () => {
    // A 6 s job polled every 3 s: about 3 reads. Before the fix every await call returned at once and was repeated.
    const { state, reads } = await produce(
      'poll-interval',
      { timing: { queuedMs: 50, msPerVideoSecond: 1500 } },
      { pollIntervalMs: 3000 },
      1,
    );
    console.log(`pollIntervalMs 3000, 6 s job: ${reads.length} status reads, gaps ${gapsMs(reads).join(',')} ms`);
    expect(state).toBe('completed');
    expect(reads.length).toBeLessThanOrEqual(5);
    for (const gap of gapsMs(reads)) expect(gap).toBeGreaterThanOrEqual(2900);
  });

  it("a provider's hint longer than one await call is honoured the same way", async () => {
    const { state, reads } = await produce('poll-hint', { timing: { queuedMs: 50, msPerVideoSecond: 1500 }, pollAfterMs: 3000 }, {}, 1);
    console.log(`hint 3000 ms, 6 s job: ${reads.length} status reads, gaps ${gapsMs(reads).join(',')} ms`);
    expect(state).toBe('completed');
    expect(reads.length).toBeLessThanOrEqual(5);
    for (const gap of gapsMs(reads)) expect(gap).toBeGreaterThanOrEqual(2900);
  });

  it('a job near its deadline: the scene sleeps until the deadline, then gives up (job_stuck)', async () => {
    // Polled every 2 s with a 5 s deadline: reads at about 0, 2 and 4 s; then 1 s is left, less than an interval.
    // Before the fix the last second was spent polling back to back.
    const { state, reads, progress } = await produce(
      'poll-deadline',
      {
        timing: { queuedMs: 50, msPerVideoSecond: 1500 },
        faults: [{ match: { method: 'POST', path: '/v1/videos' }, action: { type: 'job_stuck' } }],
      },
      { pollIntervalMs: 2000, jobDeadlineSeconds: 5, maxJobAttempts: 1 },
    );
    console.log(`deadline 5 s, interval 2000 ms, stuck job: ${reads.length} status reads, gaps ${gapsMs(reads).join(',')} ms`);
    expect(state).toBe('failed');
    expect(progress.scenes[0]!.reason?.kind).toBe('job_stuck');
    expect(reads.length).toBeLessThanOrEqual(4);
    for (const gap of gapsMs(reads)) expect(gap).toBeGreaterThanOrEqual(1900);
  });
});
