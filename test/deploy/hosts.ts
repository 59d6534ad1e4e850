/**
 * Worker "hosts" for deploy tests: `storyreel worker` processes, each with a work directory of its own, that share
 * nothing but the Temporal server and an object-store prefix (STORYREEL_STORE=s3://…), as on separate machines.
 */
import { Connection, Client } from '@temporalio/client';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inject } from 'vitest';
import { StoryreelClient } from '../../src/client/index.js';
import { parseS3Url, s3ClientFromEnv } from '../../src/store/s3.js';
import { startCliWorker, type CliWorker } from '../helpers/cli-worker.js';

export interface Cluster {
  taskQueue: string;
  /** s3://bucket/prefix shared by the hosts. */
  store: string;
  /** Environment every host gets (secrets included: pass to child processes only). */
  env: Record<string, string>;
  client: StoryreelClient;
  temporal: Client;
  /** Starts a worker host with its own work dir; `extra` overrides (roles, keys). */
  host(name: string, extra?: Record<string, string>): Promise<Host>;
  /** Downloads an s3:// URI to a local file. */
  download(uri: string, dest: string): Promise<void>;
  close(): Promise<void>;
}

export interface Host extends CliWorker {
  name: string;
  workDir: string;
}

export async function startCluster(
  opts: { address?: string; objectStore?: ReturnType<typeof inject<'stackObjectStore'>> } = {},
): Promise<Cluster> {
  const address = opts.address ?? inject('temporalAddress');
  const os = opts.objectStore ?? inject('stackObjectStore');
  const taskQueue = `hosts-${randomUUID().slice(0, 8)}`;
  const store = `s3://${os.bucket}/${taskQueue}`;
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: address,
    STORYREEL_TASK_QUEUE: taskQueue,
    STORYREEL_STORE: store,
    STORYREEL_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    AWS_ENDPOINT_URL_S3: os.endpoint,
    AWS_REGION: os.region,
    AWS_ACCESS_KEY_ID: os.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: os.credentials.secretAccessKey,
  };
  const clientDir = await mkdtemp(join(tmpdir(), 'storyreel-client-'));
  const client = await StoryreelClient.connect({ address, taskQueue, outDir: join(clientDir, 'out') });
  const connection = await Connection.connect({ address });
  const temporal = new Client({ connection });
  const hosts: Host[] = [];
  const s3 = s3ClientFromEnv(env);
  return {
    taskQueue,
    store,
    env,
    client,
    temporal,
    async host(name, extra = {}) {
      const workDir = await mkdtemp(join(tmpdir(), `storyreel-host-${name}-`));
      await mkdir(workDir, { recursive: true });
      const w = await startCliWorker({ ...env, STORYREEL_WORK_DIR: workDir, ...extra }, workDir);
      const host = { ...w, name, workDir };
      hosts.push(host);
      return host;
    },
    async download(uri, dest) {
      const { bucket, prefix } = parseS3Url(uri, 'uri');
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: prefix }));
      await pipeline(got.Body as Readable, createWriteStream(dest));
    },
    async close() {
      await Promise.allSettled(hosts.map((h) => h.stop()));
      s3.destroy();
      await client.close();
      await connection.close();
    },
  };
}

/** Which worker identity ran each activity type (from the workflow's history), e.g. { assembleVideo: ['123@host'] }. */
export async function activityRunners(temporal: Client, workflowId: string): Promise<Record<string, string[]>> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  const typeBySchedule = new Map<string, string>();
  const out: Record<string, string[]> = {};
  for (const e of history.events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) typeBySchedule.set(String(e.eventId), scheduled.activityType?.name ?? '?');
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const type = typeBySchedule.get(String(started.scheduledEventId)) ?? '?';
      (out[type] ??= []).push(started.identity ?? '');
    }
  }
  return out;
}
