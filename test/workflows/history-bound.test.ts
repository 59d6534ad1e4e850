/**
 * Size ceilings of one production (issue 11 item 15): its plan can pass by file, so the start event holds a path and
 * a hash instead of the plan, and the worker refuses a file whose bytes changed; its history is bounded: measured
 * per scene here, and a run that reaches its bound starts no more scenes, ends failed with its clips kept, and a
 * resume goes on without paying again for what was made.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductionFailedError } from '../../src/client/index.js';
import { productionWorkflowId } from '../../src/contracts/names.js';
import { planBytes } from '../../src/load/plan-file.js';
import { localJobs, localProviderRoot } from '../../src/providers/local/provider.js';
import type { ProduceInput } from '../../workflows/definitions.js';
import { probe } from '../../src/media/probe.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

let tw: TestWorker;
beforeAll(async () => {
  tw = await startTestWorker();
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
});

const storyboard = (tag: string, n: number) => ({
  title: `History ${tag}`,
  defaults: { provider: 'local', size: '160x90', fps: 24, seconds: 1, maxParallelScenes: 1 },
  output: { captions: false },
  providers: { local: { render: 'instant', pollIntervalMs: 20 } },
  scenes: Array.from({ length: n }, (_, i) => ({ id: `s${i + 1}`, prompt: `${tag} shot ${i + 1}` })),
});

async function planned(tag: string, n: number) {
  const dir = await tempDir();
  return (await tw.client.plan(await writeStoryboard(dir, storyboard(tag, n)), { productionId: tag })).plan;
}

/** Jobs the local provider created for a production. */
const creates = async (productionId: string) =>
  (await localJobs(localProviderRoot(tw.workDir))).filter((j) => j.clientRef.startsWith(`${productionId}:`)).length;

async function startEvent(productionId: string) {
  const history = await tw.temporal.workflow.getHandle(productionWorkflowId(productionId)).fetchHistory();
  const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
  const payload = started.input!.payloads![0]!;
  return {
    input: JSON.parse(Buffer.from(payload.data!).toString('utf8')) as ProduceInput,
    bytes: payload.data!.length,
    events: history.events!.length,
  };
}

describe('a plan passed by file', () => {
  it('the start event carries the file and its hash, not the plan; the production reads it and completes', async () => {
    const plan = await planned('by-file', 4);
    await tw.client.submit(plan, { planBy: 'file' });
    const result = await tw.client.result('by-file');
    const { input, bytes, events } = await startEvent('by-file');
    expect(input.plan).toBeUndefined();
    // In the client's work dir (here the same machine as the worker), named by its hash.
    expect(input.planFile).toMatch(new RegExp(`/plans/${input.planSha256}\\.json$`));
    expect(input.planSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(bytes).toBeLessThan(planBytes(plan).length / 2);
    const video = await probe(result.outputPath!);
    expect(Number(video.format!.duration)).toBeCloseTo(4, 1);
    // The measurement the bound rests on: the production's own history per scene.
    const perScene = events / 4;
    console.log(`history: ${events} events for 4 scenes = ${perScene.toFixed(1)} per scene`);
    expect(perScene).toBeLessThanOrEqual(45);
  });

  it('a small plan goes inline by default', async () => {
    await tw.client.submit(await planned('inline-default', 1));
    await tw.client.result('inline-default');
    expect((await startEvent('inline-default')).input.plan?.scenes).toHaveLength(1);
  });

  it('a plan file whose bytes changed after submission fails the production at once, naming the file; nothing is created', async () => {
    const plan = await planned('tampered', 2);
    const planFile = join(await tempDir(), 'plan.json');
    await writeFile(planFile, JSON.stringify({ ...plan, scenes: plan.scenes.slice(0, 1) }));
    const input: ProduceInput = { planFile, planSha256: 'ab'.repeat(32), outDir: join(tw.outDir, 'tampered') };
    const handle = await tw.temporal.workflow.start('produceStoryboard', {
      taskQueue: tw.taskQueue,
      workflowId: productionWorkflowId('tampered'),
      args: [input],
    });
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(
      JSON.stringify(err, Object.getOwnPropertyNames(err)) + String((err as { cause?: { cause?: Error } }).cause?.cause?.message),
    ).toMatch(/plan file .*plan\.json changed after it was submitted/);
    expect(await creates('tampered')).toBe(0);
  });
});

describe('a production whose history reaches its bound', () => {
  it('starts no more scenes, fails with its clips kept and says why; a resume makes only the rest', async () => {
    const plan = await planned('bounded', 6);
    const limit = 60;
    await tw.client.submit(plan, { historyEventLimit: limit });
    const err = await tw.client.result('bounded').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProductionFailedError);
    expect((err as Error).message).toMatch(/history reached \d+ events \(its bound is 60/);
    const { events } = await startEvent('bounded');
    const states = (err as ProductionFailedError).progress!.scenes.map((s) => s.state);
    const made = states.filter((s) => s === 'ready').length;
    console.log(`bounded run: ${events} events, ${made} of 6 scenes made before the bound of ${limit}`);
    expect(made).toBeGreaterThan(0);
    expect(made).toBeLessThan(6);
    expect(states.slice(made).every((s) => s === 'planned')).toBe(true);
    // The run stopped starting scenes at the bound: what is over it is the one scene in flight and the ending.
    expect(events).toBeLessThan(limit + 45);
    expect(await creates('bounded')).toBe(made);

    await tw.client.resume('bounded');
    const result = await tw.client.result('bounded');
    expect(result.state).toBe('completed');
    expect(await creates('bounded')).toBe(6);
  });

  it('the same in bytes of history', async () => {
    const plan = await planned('bounded-bytes', 6);
    await tw.client.submit(plan, { historyBytesLimit: 20_000 });
    const err = await tw.client.result('bounded-bytes').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProductionFailedError);
    expect((err as Error).message).toMatch(/history reached \d+ bytes \(its bound is 20000;/);
    const made = (err as ProductionFailedError).progress!.scenes.filter((s) => s.state === 'ready').length;
    expect(made).toBeGreaterThan(0);
    expect(made).toBeLessThan(6);
    expect(await creates('bounded-bytes')).toBe(made);
  });
});
