/**
 * The job ledger: every paid provider job storyreel ever created, durable across runs and productions.
 *
 * Written the moment a create returns (or a reconciliation finds the job), before anything waits on it. Read before
 * any POST: a scene whose job was paid for but never downloaded (an outage past the retries, a full disk, a
 * terminated run) adopts that job on resume instead of paying again, as long as the provider still serves its
 * output. Reconciliation also reads it: a job another scene has claimed is never taken for this one.
 *
 * Layout under `root`: by-key/<k0k1>/<cacheKey>.json (the jobs created for one clip, oldest first) and
 * by-job/<provider>/<sha256(jobId)> (a marker: which clip claimed this job), creates/<provider>/<sha256(clientRef)>
 * (the creates each submit attempt sent for one job request, and whether the provider refused them). Writes are atomic renames; a job id
 * from a provider is never used as a path (it is hashed).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCacheKey } from './clip-store.js';
import { writeJsonAtomic } from './files.js';

export type LedgerJobState = 'created' | 'failed';

/**
 * One create sent for a client reference: written `sent` before the POST leaves, turned `refused` when the provider
 * answered it without creating anything (a 429, a 4xx: any ProviderError but ambiguous_submit). A retried submit
 * whose every earlier create was refused has nothing to reconcile and may post; one `sent` left over (a timeout, a
 * dropped connection, a crash mid-POST) means a job may exist.
 */
export interface CreateAttempt {
  attempt: number;
  state: 'sent' | 'refused';
  /** ISO time. */
  at: string;
}

export interface LedgerJob {
  /** The clip this job was created for. */
  cacheKey: string;
  provider: string;
  /** The provider endpoint (base URL) the job lives on, '' for the provider's default. */
  endpoint: string;
  jobId: string;
  /** sha256 over every request input that shapes the output (see requestFingerprint). */
  fingerprint: string;
  clientRef: string;
  productionId: string;
  sceneId: string;
  /** ISO times. */
  createdAt: string;
  /** After this the provider no longer serves the output; unknown when the provider does not say. */
  expiresAt?: string;
  state: LedgerJobState;
}

export interface JobLedger {
  /** Records a job (idempotent per provider + job id). */
  record(job: LedgerJob): Promise<void>;
  /** Jobs created for this clip, oldest first. */
  forClip(cacheKey: string): Promise<LedgerJob[]>;
  /** The clip that claimed this job, if any scene of any production did. */
  claimant(provider: string, jobId: string): Promise<{ cacheKey: string; clientRef: string } | undefined>;
  /** Marks a job failed on the provider's side: it is never adopted again. */
  markFailed(cacheKey: string, provider: string, jobId: string): Promise<void>;
  /** Records the state of the create an activity attempt sent for `clientRef` (see CreateAttempt). */
  recordCreate(provider: string, clientRef: string, create: CreateAttempt): Promise<void>;
  /** Every create recorded for `clientRef`, in attempt order. */
  creates(provider: string, clientRef: string): Promise<CreateAttempt[]>;
}

export class FileJobLedger implements JobLedger {
  constructor(readonly root: string) {}

  private keyPath(cacheKey: string): string {
    assertCacheKey(cacheKey);
    return join(this.root, 'by-key', cacheKey.slice(0, 2), `${cacheKey}.json`);
  }

  private claimPath(provider: string, jobId: string): string {
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(provider)) throw new Error(`not a provider id: ${provider}`);
    return join(this.root, 'by-job', provider, createHash('sha256').update(jobId).digest('hex'));
  }

  async record(job: LedgerJob): Promise<void> {
    const jobs = await this.forClip(job.cacheKey);
    const i = jobs.findIndex((j) => j.provider === job.provider && j.jobId === job.jobId);
    if (i >= 0) jobs[i] = { ...jobs[i]!, ...job, createdAt: jobs[i]!.createdAt };
    else jobs.push(job);
    // The claim first: a crash between the two writes leaves a claimed job that no clip lists, which only ever
    // makes reconciliation more careful, never less.
    await writeJsonAtomic(this.claimPath(job.provider, job.jobId), { cacheKey: job.cacheKey, clientRef: job.clientRef });
    await writeJsonAtomic(this.keyPath(job.cacheKey), jobs);
  }

  async forClip(cacheKey: string): Promise<LedgerJob[]> {
    try {
      return JSON.parse(await readFile(this.keyPath(cacheKey), 'utf8')) as LedgerJob[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async claimant(provider: string, jobId: string): Promise<{ cacheKey: string; clientRef: string } | undefined> {
    try {
      return JSON.parse(await readFile(this.claimPath(provider, jobId), 'utf8')) as { cacheKey: string; clientRef: string };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  private createsPath(provider: string, clientRef: string): string {
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(provider)) throw new Error(`not a provider id: ${provider}`);
    return join(this.root, 'creates', provider, createHash('sha256').update(clientRef).digest('hex'));
  }

  async recordCreate(provider: string, clientRef: string, create: CreateAttempt): Promise<void> {
    const all = (await this.creates(provider, clientRef)).filter((c) => c.attempt !== create.attempt);
    all.push(create);
    all.sort((a, b) => a.attempt - b.attempt);
    await writeJsonAtomic(this.createsPath(provider, clientRef), all);
  }

  async creates(provider: string, clientRef: string): Promise<CreateAttempt[]> {
    try {
      return JSON.parse(await readFile(this.createsPath(provider, clientRef), 'utf8')) as CreateAttempt[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async markFailed(cacheKey: string, provider: string, jobId: string): Promise<void> {
    const jobs = await this.forClip(cacheKey);
    const job = jobs.find((j) => j.provider === provider && j.jobId === jobId);
    if (!job || job.state === 'failed') return;
    job.state = 'failed';
    await writeJsonAtomic(this.keyPath(cacheKey), jobs);
  }
}
