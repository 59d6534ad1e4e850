/**
 * What the mock remembers: jobs (Veo operations and interactions, one clock-driven JobStore), the Files API's
 * generated files, OAuth tokens issued by the token exchange, and the JSON documents that carry a whole video inline
 * (written to disk once and sent as files, so content faults can cut them like any download).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JobStore, type Asset, type Job, type JobView, type MockKit, type RenderSpec } from '../kit/index.js';
import type { Surface } from './routes.js';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** What a create asked for, without its bytes (for `GET /__mock/jobs` and tests). */
export type Received = Record<string, string | number | boolean>;

export interface VeoJob {
  api: 'veo';
  surface: Surface;
  model: string;
  received: Received;
  render: RenderSpec;
  samples: number;
  /** Gemini API: the Files API ids of the samples, made on the first read after success. */
  fileIds?: string[];
}

export interface InteractionJob {
  api: 'interactions';
  surface: Surface;
  model: string;
  received: Received;
  render: RenderSpec;
  delivery: 'inline' | 'uri';
  createdIso: string;
  fileId?: string;
}

export type GoogleJob = VeoJob | InteractionJob;

export interface GoogleMockSettings {
  queuedMs: number;
  msPerVideoSecond: number;
  concurrency: number | undefined;
  /** How long a generated file stays downloadable after its job ends, ms (Gemini API: 2 days). */
  fileRetentionMs: number;
  /** Delivery of an interaction's video when the request names none. */
  omniDelivery: 'inline' | 'uri';
  /** Origin written into file uris (the live API's own host by default; clients fetch from their configured origin). */
  fileUriOrigin: string;
  apiKey: string | undefined;
  vertexApiKey: string | undefined;
  project: string | undefined;
  subjectToken: string | undefined;
  accessToken: string | undefined;
}

export class GoogleState {
  readonly jobs: JobStore<GoogleJob, JobState>;
  /** Files API id → the job and sample it holds. */
  readonly files = new Map<string, { jobId: string; render: RenderSpec }>();
  /** OAuth access tokens issued by `POST /v1/token` → expiry (epoch ms). */
  readonly tokens = new Map<string, number>();
  private readonly docs = new Map<string, Promise<Asset>>();

  constructor(
    readonly s: GoogleMockSettings,
    readonly kit: MockKit,
  ) {
    this.jobs = new JobStore<GoogleJob, JobState>({
      states: {
        queued: 'queued',
        throttled: 'queued',
        running: 'running',
        succeeded: 'succeeded',
        failed: 'failed',
        canceled: 'cancelled',
      },
      clock: kit.clock,
      newId: () => randomBytes(9).toString('hex'),
      ...(s.concurrency ? { concurrency: s.concurrency } : {}),
    });
  }

  reset(): void {
    this.jobs.clear();
    this.files.clear();
    this.tokens.clear();
    this.docs.clear();
  }

  view(job: Job<GoogleJob>): JobView<JobState> {
    return this.jobs.view(job);
  }

  isDone(job: Job<GoogleJob>): boolean {
    const phase = this.view(job).phase;
    return phase === 'succeeded' || phase === 'failed' || phase === 'canceled';
  }

  /** A new Files API file for a rendering; its uri as the live API writes it. */
  publishFile(jobId: string, render: RenderSpec): { id: string; uri: string } {
    const id = randomBytes(6).toString('hex');
    this.files.set(id, { jobId, render });
    return { id, uri: `${this.s.fileUriOrigin}/v1beta/files/${id}:download?alt=media` };
  }

  /** Whether a file's retention passed (counted from its job's end). */
  fileExpired(jobId: string): boolean {
    const job = this.jobs.get(jobId);
    const end = job ? this.view(job).finishedAtMs : null;
    return !job || end === null || this.kit.clock() - end >= this.s.fileRetentionMs;
  }

  /** base64 of a rendering (videos of the mock are small). */
  async base64Of(render: RenderSpec): Promise<string> {
    return (await readFile((await this.kit.renderer.asset(render, 'video')).path)).toString('base64');
  }

  /** A JSON document written to disk once per key and sent as a file (`build` returns the document). */
  inlineDocument(key: string, build: () => Promise<unknown>): Promise<Asset> {
    let doc = this.docs.get(key);
    if (!doc) {
      doc = (async () => {
        const dir = join(this.kit.workDir, 'documents');
        await mkdir(dir, { recursive: true });
        const path = join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);
        await writeFile(path, JSON.stringify(await build()));
        return { path, contentType: 'application/json; charset=UTF-8', size: (await stat(path)).size };
      })();
      doc.catch(() => this.docs.delete(key));
      this.docs.set(key, doc);
    }
    return doc;
  }
}
