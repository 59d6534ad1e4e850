/**
 * The job ledger (job-ledger.ts) in S3-compatible object storage, shared by workers on any host.
 *
 * Same layout as the directory ledger under <prefix>/jobs/. Writers on different hosts never lose each other's
 * entries: a claim is created once (If-None-Match: *, the first claimant stands), and the per-clip job list and
 * per-request create list are read-modify-written under If-Match on the ETag read, retried when another writer was
 * in between. The server must honour both conditions (assertConditionalWrites checks at worker start).
 */
import { createHash } from 'node:crypto';
import { assertCacheKey } from './clip-store.js';
import type { CreateAttempt, JobLedger, LedgerJob } from './job-ledger.js';
import type { S3Objects } from './s3.js';

const PROVIDER = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const hashed = (text: string) => createHash('sha256').update(text).digest('hex');

export class S3JobLedger implements JobLedger {
  constructor(readonly objects: S3Objects) {}

  private keyKey(cacheKey: string): string {
    assertCacheKey(cacheKey);
    return this.objects.key('jobs', 'by-key', cacheKey.slice(0, 2), `${cacheKey}.json`);
  }

  private claimKey(provider: string, jobId: string): string {
    if (!PROVIDER.test(provider)) throw new Error(`not a provider id: ${provider}`);
    return this.objects.key('jobs', 'by-job', provider, hashed(jobId));
  }

  private createsKey(provider: string, clientRef: string): string {
    if (!PROVIDER.test(provider)) throw new Error(`not a provider id: ${provider}`);
    return this.objects.key('jobs', 'creates', provider, hashed(clientRef));
  }

  private async readJson<T>(key: string): Promise<T | undefined> {
    const got = await this.objects.getText(key);
    return got ? (JSON.parse(got.text) as T) : undefined;
  }

  async record(job: LedgerJob): Promise<void> {
    // The claim first, as in the directory ledger: a crash in between leaves a claimed job no clip lists.
    await this.objects.create(this.claimKey(job.provider, job.jobId), JSON.stringify({ cacheKey: job.cacheKey, clientRef: job.clientRef }));
    await this.objects.update<LedgerJob[]>(this.keyKey(job.cacheKey), (current) => {
      const jobs = current ?? [];
      const i = jobs.findIndex((j) => j.provider === job.provider && j.jobId === job.jobId);
      if (i >= 0) jobs[i] = { ...jobs[i]!, ...job, createdAt: jobs[i]!.createdAt };
      else jobs.push(job);
      return jobs;
    });
  }

  async forClip(cacheKey: string): Promise<LedgerJob[]> {
    return (await this.readJson<LedgerJob[]>(this.keyKey(cacheKey))) ?? [];
  }

  async claimant(provider: string, jobId: string): Promise<{ cacheKey: string; clientRef: string } | undefined> {
    return this.readJson(this.claimKey(provider, jobId));
  }

  async markFailed(cacheKey: string, provider: string, jobId: string): Promise<void> {
    await this.objects.update<LedgerJob[]>(this.keyKey(cacheKey), (jobs) => {
      const job = jobs?.find((j) => j.provider === provider && j.jobId === jobId);
      if (!job || job.state === 'failed') return undefined;
      job.state = 'failed';
      return jobs;
    });
  }

  async recordCreate(provider: string, clientRef: string, create: CreateAttempt): Promise<void> {
    await this.objects.update<CreateAttempt[]>(this.createsKey(provider, clientRef), (current) => {
      const all = (current ?? []).filter((c) => c.attempt !== create.attempt);
      all.push(create);
      return all.sort((a, b) => a.attempt - b.attempt);
    });
  }

  async creates(provider: string, clientRef: string): Promise<CreateAttempt[]> {
    return (await this.readJson<CreateAttempt[]>(this.createsKey(provider, clientRef))) ?? [];
  }
}
