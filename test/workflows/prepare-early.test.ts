/**
 * A chained scene prepares its continuity inputs while its cache is looked up (patch prepare-with-lookup). The early
 * preparation must never hurt a cache hit: when it fails (the predecessor's frame cannot be made) and the clip is in
 * the store, the scene returns the stored clip; when the clip is not there, the scene fails with the preparation's
 * error. Real workflow code on the suite's server, with activities that do only that.
 */
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { ClipRecord } from '../../src/contracts/clips.js';
import type { RenderSceneInput, SceneResult } from '../../workflows/render-scene.js';
import { clipFor, scenePlan } from '../helpers/scene-plans.js';

const predecessor = scenePlan({ id: 'a' }, 0);
const chained = scenePlan({ id: 'b', chainFrom: 'a' }, 1);
const stored = new Map<string, ClipRecord>();
let prepares = 0;

const taskQueue = `prepare-early-${randomUUID()}`;
let native: NativeConnection;
let connection: Connection;
let client: Client;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  native = await NativeConnection.connect({ address: inject('temporalAddress') });
  worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: {
      lookupClip: async ({ cacheKey }: { cacheKey: string }) => stored.get(cacheKey) ?? null,
      prepareInputs: async () => {
        prepares++;
        throw ApplicationFailure.create({ type: 'input_missing', nonRetryable: true, message: "the predecessor's clip is gone" });
      },
    },
  });
  running = worker.run();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});

afterAll(async () => {
  worker?.shutdown();
  await running?.catch(() => undefined);
  await native?.close();
  await connection?.close();
});

const render = (id: string) =>
  client.workflow.execute('renderScene', {
    taskQueue,
    workflowId: `prepare-early-${id}-${randomUUID()}`,
    args: [{ productionId: 'prepare-early', scene: chained, predecessor: clipFor(predecessor) } satisfies RenderSceneInput],
    // An unhandled rejection in workflow code fails its task again and again: the run would hang, not fail.
    workflowExecutionTimeout: '20s',
  }) as Promise<SceneResult>;

describe('a chained scene preparing while it looks up its clip', () => {
  it('returns the stored clip although its early preparation failed', async () => {
    stored.set(chained.cacheKey, clipFor(chained));
    prepares = 0;
    const result = await render('hit');
    expect(result.cached).toBe(true);
    expect(result.clip.sceneId).toBe('b');
    expect(prepares).toBe(1); // it did start early
  });

  it('fails with the preparation error when the clip is not stored', async () => {
    stored.clear();
    const err = await render('miss').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String(((err as WorkflowFailedError).cause?.cause as Error | undefined)?.message)).toMatch(/predecessor's clip is gone/);
  });
});
