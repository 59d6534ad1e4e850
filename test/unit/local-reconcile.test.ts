/**
 * The local provider's reconciliation reads its jobs from disk: a submit whose answer was lost is found again by its
 * client reference (by a new provider object, as a retried activity on another worker would), and nothing else is.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../../src/contracts/jobs.js';
import { LocalProvider, localJobs, localProviderRoot } from '../../src/providers/local/provider.js';
import { tempDir } from '../helpers/files.js';

const request = (clientRef: string): GenerateRequest => ({
  clientRef,
  model: 'local-v1',
  prompt: 'a quiet harbour',
  seconds: 1,
  size: { width: 160, height: 90 },
  fps: 12,
});

const providers: LocalProvider[] = [];
afterAll(async () => {
  await Promise.all(providers.map((p) => p.drain()));
});

describe('local reconciliation', () => {
  it('finds a job by its client reference from another provider object; an unknown reference finds nothing', async () => {
    const root = localProviderRoot(await tempDir());
    const make = () => {
      const p = new LocalProvider(root, { render: 'instant' });
      providers.push(p);
      return p;
    };
    const empty = make();
    expect(await empty.findByClientRef('p:s1:1')).toBeNull(); // no jobs folder yet

    const first = make();
    const a = await first.submit(request('p:s1:1'), {});
    const b = await first.submit(request('p:s2:1'), {});
    expect((await localJobs(root)).map((j) => j.jobId).sort()).toEqual([a.jobId, b.jobId].sort());

    const retried = make();
    expect((await retried.findByClientRef('p:s2:1'))?.jobId).toBe(b.jobId);
    expect((await retried.findByClientRef('p:s1:1'))?.jobId).toBe(a.jobId);
    expect(await retried.findByClientRef('p:s3:1')).toBeNull();
  });
});
