/**
 * Records the workflow histories the determinism guard replays (test/workflows/replay.test.ts).
 *
 *   node --import tsx scripts/record-histories.ts [scenario ...]
 *
 * A recorded history is NEVER overwritten: a scenario whose history exists is skipped, and files are written with
 * O_EXCL. Add a scenario (a new name) to cover a new path; a workflow change that breaks an existing history is
 * fixed with patched(), never by recording again. With names, only those scenarios run.
 */
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { openBench } from '../bench/harness.js';
import { breakerWorkflowId, slotsWorkflowId } from '../src/contracts/names.js';
import { startOpenAIMock } from '../src/mock/openai-videos/server.js';

const OUT = new URL('../test/fixtures/histories/', import.meta.url);
const wanted = process.argv.slice(2);
/** Runs a scenario unless its production's history exists already (or it was not asked for). */
const shouldRecord = (name: string) =>
  (wanted.length === 0 || wanted.includes(name)) && !existsSync(new URL(`${name.replaceAll('/', '__')}.json`, OUT));
const save = (id: string, json: string) => writeFile(new URL(`${id.replaceAll('/', '__')}.json`, OUT), json, { flag: 'wx' });

// The budget scenario prices its jobs: sora-2 on the OpenAI-compatible mock ($0.10 per second).
const OPENAI_KEY = 'sk-record-histories';
process.env.OPENAI_API_KEY = OPENAI_KEY;
const openai = await startOpenAIMock({ apiKey: OPENAI_KEY, timing: { queuedMs: 30, msPerVideoSecond: 40 }, pollAfterMs: 50 });
const bench = await openBench();
const { stop } = await bench.startWorker();

async function produce(
  name: string,
  sb: Record<string, unknown>,
  steer?: (id: string) => Promise<void>,
  /** Runs after the production ended, before its histories are saved (records histories of other workflows). */
  after?: (id: string) => Promise<void>,
  submitOptions: Parameters<typeof bench.client.submit>[1] = {},
) {
  if (!shouldRecord(name)) return console.log(`${name}: not asked for, or recorded already: skipped`);
  const dir = join(bench.workDir, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'sb.yaml'), stringify(sb));
  const { plan } = await bench.client.plan(join(dir, 'sb.yaml'), { productionId: name });
  await bench.client.submit(plan, submitOptions);
  await steer?.(name);
  await bench.client.result(name).catch(() => undefined);
  await after?.(name);
  const ids = [name];
  for await (const w of bench.temporal.workflow.list({ query: `WorkflowId STARTS_WITH '${name}/'` })) ids.push(w.workflowId);
  for (const id of ids) {
    const history = await bench.temporal.workflow.getHandle(id).fetchHistory();
    await save(id, historyToJSON(history));
  }
  console.log(`${name}: ${ids.length} histories`);
}

const until = async (id: string, pred: (p: Awaited<ReturnType<typeof bench.client.status>>) => boolean) => {
  for (;;) {
    const p = await bench.client.status(id);
    if (pred(p)) return p;
    await new Promise((r) => setTimeout(r, 200));
  }
};

await mkdir(OUT, { recursive: true });
await produce('replay-chain', {
  title: 'Replay chain',
  defaults: { provider: 'local', size: '320x180', seconds: 1 },
  providers: { local: { pollIntervalMs: 50, latencyMs: 300, faults: [{ scene: 'b', on: 'job', kind: 'job_failed', times: 1 }] } },
  scenes: [
    { id: 'a', prompt: 'first' },
    { id: 'b', prompt: 'second', continuity: 'chain', transition: 'crossfade' },
    { id: 'c', prompt: 'third' },
  ],
});
await produce(
  'replay-operator',
  {
    title: 'Replay operator',
    defaults: { provider: 'local', size: '320x180', seconds: 1 },
    operator: { waitSeconds: 300 },
    review: { scenes: ['c'] },
    budget: { maxUsd: 5 },
    providers: {
      local: {
        pollIntervalMs: 50,
        faults: [
          { scene: 'a', on: 'job', kind: 'content_policy', times: 1 },
          { scene: 'b', on: 'submit', kind: 'invalid_request', times: 0 },
        ],
      },
    },
    scenes: [
      { id: 'a', prompt: 'retry me' },
      { id: 'b', prompt: 'skip me' },
      { id: 'c', prompt: 'review me' },
    ],
  },
  async (id) => {
    await until(id, (p) => p.scenes[0]!.state === 'failed' && p.scenes[1]!.state === 'failed' && p.scenes[2]!.state === 'awaiting_review');
    await bench.client.decide(id, { sceneId: 'a', action: 'retry', prompt: 'retried' });
    await bench.client.decide(id, { sceneId: 'b', action: 'skip' });
    await bench.client.review(id, { sceneId: 'c', decision: 'reject', note: 'brighter' });
    await until(id, (p) => p.scenes[2]!.state === 'awaiting_review' && p.scenes[2]!.take === 2);
    await bench.client.review(id, { sceneId: 'c', decision: 'approve' });
  },
);
// A small batch: one good item, one invalid item.
if (shouldRecord('batch-replay-batch')) {
  const dir = join(bench.workDir, 'replay-batch');
  await mkdir(join(dir, 'stories'), { recursive: true });
  await writeFile(
    join(dir, 'stories', 'good.yaml'),
    stringify({
      title: 'Good',
      defaults: { provider: 'local', size: '160x90', seconds: 1 },
      providers: { local: { pollIntervalMs: 50 } },
      scenes: [{ id: 'a', prompt: 'batch good' }],
    }),
  );
  await writeFile(join(dir, 'stories', 'bad.yaml'), stringify({ title: 'Bad', scenes: [{ id: 'a', prompt: 'x', secnds: 1 }] }));
  await writeFile(join(dir, 'batch.yaml'), stringify({ batch: 'replay-batch', maxParallelProductions: 2, items: [{ dir: 'stories' }] }));
  await bench.client.submitBatch(join(dir, 'batch.yaml'));
  await bench.client.batchResult('replay-batch');
  for (const id of ['batch-replay-batch', 'replay-batch--good']) {
    const history = await bench.temporal.workflow.getHandle(id).fetchHistory();
    await save(id, historyToJSON(history));
  }
  console.log('replay-batch: 2 histories');
}

// A budgeted production on a priced provider: one scene's create is refused (its reservation is released, so the
// next scene still fits), the last scene is denied and the production ends budget_exhausted. Serial, so the order
// of the ledger is fixed. (patch release-unsubmitted-reservation)
openai.setFaults([
  {
    match: { method: 'POST', path: '/v1/videos', nth: 2 },
    action: { type: 'http', status: 400, code: 'invalid_value', message: 'Invalid prompt.' },
  },
]);
await produce('replay-budget', {
  title: 'Replay budget',
  defaults: { provider: 'openai-videos', size: '1280x720', seconds: 4, maxParallelScenes: 1 },
  output: { captions: false },
  budget: { maxUsd: 1 },
  providers: { 'openai-videos': { baseURL: openai.baseURL, pollIntervalMs: 30 } },
  scenes: [
    { id: 'a', prompt: 'Paid and kept' },
    { id: 'b', prompt: 'Refused at create' },
    { id: 'c', prompt: 'Fits after the release' },
    { id: 'd', prompt: 'Over the cap' },
  ],
});

// Cancelled while a submit is in flight (it fails transiently and is retried): with patch cancel-job-from-submit the
// cancellation waits for the submit and cancels the job it created before the production closes as cancelled.
await produce(
  'replay-cancel',
  {
    title: 'Replay cancel',
    defaults: { provider: 'local', size: '320x180', seconds: 1 },
    providers: { local: { pollIntervalMs: 50, latencyMs: 20_000, faults: [{ scene: 'b', on: 'submit', kind: 'transient', times: 2 }] } },
    scenes: [
      { id: 'a', prompt: 'rendering when cancelled' },
      { id: 'b', prompt: 'submitting when cancelled' },
    ],
  },
  async (id) => {
    // a's job exists; b's first submit attempt has failed and its retry waits 2 s: cancel now.
    await until(id, (p) => p.scenes[0]!.jobId !== undefined && p.scenes[1]!.startedAt !== undefined && p.scenes[1]!.state === 'planned');
    await bench.temporal.workflow.getHandle(id).cancel();
  },
);

// A failed scene skipped with the last frame of the scene before it. Scheduled by the critical path (x waits behind
// the chain). Recorded before patch skip-unblocks-dependents: the scene chained to the skipped one stays blocked
// and the production fails (replay-skip-chain records the same story after the patch).
await produce(
  'replay-placeholder',
  {
    title: 'Replay placeholder',
    defaults: { provider: 'local', size: '320x180', seconds: 1, maxParallelScenes: 1 },
    operator: { waitSeconds: 300 },
    providers: { local: { pollIntervalMs: 50, faults: [{ scene: 'b', on: 'job', kind: 'job_failed', times: 0 }] } },
    scenes: [
      { id: 'x', prompt: 'independent shot' },
      { id: 'a', prompt: 'first of the chain' },
      { id: 'b', prompt: 'fails, skipped', continuity: 'chain' },
      { id: 'c', prompt: 'after the placeholder', continuity: 'chain' },
    ],
  },
  async (id) => {
    await until(id, (p) => p.state === 'waiting_for_operator');
    await bench.client.decide(id, { sceneId: 'b', action: 'skip', placeholder: 'last-frame' });
  },
);

// After patch skip-unblocks-dependents: the scene chained to the skipped one starts from its last-frame placeholder
// and the production ends completed_with_placeholders.
await produce(
  'replay-skip-chain',
  {
    title: 'Replay skip chain',
    defaults: { provider: 'local', size: '320x180', seconds: 1, maxParallelScenes: 1 },
    operator: { waitSeconds: 300 },
    providers: { local: { pollIntervalMs: 50, faults: [{ scene: 'b', on: 'job', kind: 'job_failed', times: 0 }] } },
    scenes: [
      { id: 'a', prompt: 'first of the chain' },
      { id: 'b', prompt: 'fails, skipped', continuity: 'chain' },
      { id: 'c', prompt: 'after the placeholder', continuity: 'chain' },
    ],
  },
  async (id) => {
    await until(id, (p) => p.state === 'waiting_for_operator');
    await bench.client.decide(id, { sceneId: 'b', action: 'skip', placeholder: 'last-frame' });
  },
);

// Cancelled with two budgeted, slot-holding scenes in flight (patches bounded-grant-waits: the budget and slot waits
// carry timers; cancel-awaits-children: the production waits for both scenes to cancel their jobs before it closes).
await produce(
  'replay-cleanup-cancel',
  {
    title: 'Replay cleanup cancel',
    defaults: { provider: 'local', size: '160x90', seconds: 1, maxParallelScenes: 2 },
    budget: { maxUsd: 5 },
    providers: { local: { pollIntervalMs: 50, latencyMs: 600_000, maxInFlight: 2 } },
    scenes: [
      { id: 'a', prompt: 'in flight when cancelled' },
      { id: 'b', prompt: 'also in flight when cancelled' },
    ],
  },
  async (id) => {
    await until(id, (p) => p.scenes.every((s) => s.jobId !== undefined));
    await bench.temporal.workflow.getHandle(id).cancel();
  },
);

// An operator's abort while a scene renders (patch cancel-awaits-children: the scene and its job are cancelled).
await produce(
  'replay-cleanup-abort',
  {
    title: 'Replay cleanup abort',
    defaults: { provider: 'local', size: '160x90', seconds: 1, maxParallelScenes: 2 },
    operator: { waitSeconds: 300 },
    providers: {
      local: { pollIntervalMs: 50, latencyMs: 600_000, faults: [{ scene: 'broken', on: 'submit', kind: 'invalid_request', times: 0 }] },
    },
    scenes: [
      { id: 'broken', prompt: 'fails at once' },
      { id: 'long', prompt: 'rendering when aborted' },
    ],
  },
  async (id) => {
    await until(id, (p) => p.scenes[0]!.state === 'failed' && p.scenes[1]!.jobId !== undefined);
    await bench.client.decide(id, { sceneId: 'broken', action: 'abort' });
  },
);

// A batch whose second item is terminated mid-render (patch batch-observes-children: the batch records it from the
// child's result and completes).
if (shouldRecord('batch-replay-observed')) {
  const dir = join(bench.workDir, 'replay-observed');
  await mkdir(join(dir, 'stories'), { recursive: true });
  const story = (title: string, local: Record<string, unknown>) =>
    stringify({
      title,
      defaults: { provider: 'local', size: '160x90', seconds: 1 },
      providers: { local: { pollIntervalMs: 50, ...local } },
      scenes: [{ id: 'a', prompt: `observed ${title}` }],
    });
  await writeFile(join(dir, 'stories', 'good.yaml'), story('Good', {}));
  await writeFile(join(dir, 'stories', 'stuck.yaml'), story('Stuck', { latencyMs: 600_000 }));
  await writeFile(join(dir, 'batch.yaml'), stringify({ batch: 'replay-observed', maxParallelProductions: 2, items: [{ dir: 'stories' }] }));
  await bench.client.submitBatch(join(dir, 'batch.yaml'));
  // The item's production starts when the batch gets to it: wait for it to exist and have its job.
  for (;;) {
    const p = await bench.client.status('replay-observed--stuck').catch(() => undefined);
    if (p?.scenes[0]?.jobId !== undefined) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await bench.temporal.workflow.getHandle('replay-observed--stuck').terminate('recording a terminated batch item');
  await bench.client.batchResult('replay-observed');
  for (const id of ['batch-replay-observed', 'replay-observed--good']) {
    const history = await bench.temporal.workflow.getHandle(id).fetchHistory();
    await save(id, historyToJSON(history));
  }
  console.log('replay-observed: 2 histories');
}

// Routing: the first scene is made by its first choice; every later create there answers quota_exhausted, so the
// chained scene moves to its next choice (budget asked again, the refused reservation released, its first frame
// prepared again at the new choice's size).
openai.setFaults([{ match: { method: 'POST', path: '/v1/videos', nth: 2, times: -1 }, action: { type: 'quota' } }]);
await produce('replay-failover', {
  title: 'Replay failover',
  defaults: { choices: ['openai-videos', 'local'], aspect: '16:9', seconds: 4, maxParallelScenes: 1 },
  output: { captions: false },
  budget: { maxUsd: 5 },
  providers: { 'openai-videos': { baseURL: openai.baseURL, pollIntervalMs: 30 }, local: { pollIntervalMs: 50 } },
  scenes: [
    { id: 'a', prompt: 'Made by the first choice' },
    { id: 'b', prompt: 'Moved to the next choice', continuity: 'chain' },
  ],
});
openai.setFaults([]);

// After patch voice-scenes: the scenes are voiced (espeak-ng) before any clip is requested, and the plan (made with
// estimated speech lengths) is refitted to the measured ones; the chained scene follows its lengthened predecessor.
await produce('replay-speech', {
  title: 'Replay speech',
  defaults: { provider: 'local', size: '320x180', seconds: 1, voice: 'en-us' },
  providers: { local: { pollIntervalMs: 50 } },
  scenes: [
    { id: 'a', prompt: 'first', narration: 'The storm came in at dusk.' },
    { id: 'b', prompt: 'second', continuity: 'chain', narration: 'One hundred and twelve steps.' },
  ],
});

// An extension: the second scene is the provider's own extension of the first scene's clip (trimmed so nothing
// repeats), on the OpenAI-compatible mock's POST /v1/videos/extensions.
await produce('replay-extend', {
  title: 'Replay extend',
  defaults: { provider: 'openai-videos', size: '1280x720', seconds: 4, maxParallelScenes: 1 },
  output: { captions: false },
  providers: { 'openai-videos': { baseURL: openai.baseURL, pollIntervalMs: 30 } },
  scenes: [
    { id: 'a', prompt: 'The source clip' },
    { id: 'b', prompt: 'Carries on from the source', continuity: 'extend' },
  ],
});

// A review rejection on a provider with remix: take 2 is a remix of the rejected take's job, steered by the note.
await produce(
  'replay-remix',
  {
    title: 'Replay remix',
    defaults: { provider: 'openai-videos', size: '1280x720', seconds: 4 },
    output: { captions: false },
    operator: { waitSeconds: 300 },
    review: { scenes: ['a'] },
    providers: { 'openai-videos': { baseURL: openai.baseURL, pollIntervalMs: 30 } },
    scenes: [{ id: 'a', prompt: 'Reviewed, rejected, remixed' }],
  },
  async (id) => {
    await until(id, (p) => p.scenes[0]!.state === 'awaiting_review');
    await bench.client.review(id, { sceneId: 'a', decision: 'reject', note: 'warmer light' });
    await until(id, (p) => p.scenes[0]!.state === 'awaiting_review' && p.scenes[0]!.take === 2);
    await bench.client.review(id, { sceneId: 'a', decision: 'approve' });
  },
);

/** Saves the history of a provider-wide workflow (semaphore, breaker) as it stands; it may still be running. */
const saveShared = async (id: string) => {
  await save(id, historyToJSON(await bench.temporal.workflow.getHandle(id).fetchHistory()));
  console.log(`${id}: 1 history`);
};

// A provider with a cluster-wide cap (maxInFlight): every job takes a slot from providerSlots, the provider's
// semaphore, and gives it back. The semaphore's own history is recorded too (it keeps running).
await produce(
  'replay-slots',
  {
    title: 'Replay slots',
    defaults: { provider: 'local', size: '320x180', seconds: 1 },
    output: { captions: false },
    providers: { local: { pollIntervalMs: 50, latencyMs: 300, maxInFlight: 1 } },
    scenes: [
      { id: 'a', prompt: 'first slot' },
      { id: 'b', prompt: 'second slot' },
    ],
  },
  undefined,
  () => saveShared(slotsWorkflowId(bench.taskQueue, 'local')),
);

// A create that fails as an outage does (503): the submit signal-with-starts the provider's circuit breaker
// (providerBreaker) with the failure, the retried create succeeds and tells it so. The breaker's history is recorded.
openai.setFaults([{ match: { method: 'POST', path: '/v1/videos', nth: 1 }, action: { type: 'http', status: 503 } }]);
await produce(
  'replay-breaker',
  {
    title: 'Replay breaker',
    defaults: { provider: 'openai-videos', size: '1280x720', seconds: 4 },
    output: { captions: false },
    providers: { 'openai-videos': { baseURL: openai.baseURL, pollIntervalMs: 30 } },
    scenes: [{ id: 'a', prompt: 'Made after an outage' }],
  },
  undefined,
  () => saveShared(breakerWorkflowId(bench.taskQueue, 'openai-videos')),
);
openai.setFaults([]);

let followedRun = '';
// A followed run: the client starts followProduction (id `<production>/follow/<run>`), which keeps the run's event
// log until the production ends. Its history is saved once it has finished.
await produce(
  'replay-follow',
  {
    title: 'Replay follow',
    defaults: { provider: 'local', size: '320x180', seconds: 1 },
    providers: { local: { pollIntervalMs: 50, latencyMs: 300 } },
    scenes: [{ id: 'a', prompt: 'followed' }],
  },
  async (id) => void (followedRun = await bench.client.follow(id, { pollMs: 100 })),
  async (id) => void (await bench.temporal.workflow.getHandle(`${id}/follow/${followedRun}`).result()),
);

// The chain hand-off (patch result-reports-download): a budgeted, priced chain whose scenes report their finished
// jobs by their results alone, so the parent's ledger settles them without a 'downloaded' signal.
await produce('replay-handoff', {
  title: 'Replay hand-off',
  defaults: { provider: 'openai-videos', size: '1280x720', seconds: 4 },
  output: { captions: false },
  budget: { maxUsd: 5 },
  providers: { 'openai-videos': { baseURL: openai.baseURL, pollIntervalMs: 30 } },
  scenes: [
    { id: 'a', prompt: 'The first shot of a chain' },
    { id: 'b', prompt: 'The shot it hands off to', continuity: 'chain' },
  ],
});

// A run that reaches its history bound (patch history-bound): it starts no more scenes and ends failed; its plan
// passed by file.
await produce(
  'replay-bounded',
  {
    title: 'Replay bounded',
    defaults: { provider: 'local', size: '160x90', seconds: 1, maxParallelScenes: 1 },
    output: { captions: false },
    providers: { local: { pollIntervalMs: 30 } },
    scenes: [1, 2, 3, 4].map((n) => ({ id: `s${n}`, prompt: `bounded ${n}` })),
  },
  undefined,
  undefined,
  { historyEventLimit: 40, planBy: 'file' },
);

// A chained scene that prepares its first frame while its cache is looked up (patch prepare-with-lookup), then a
// second run of the same storyboard that finds both clips cached.
const overlap = {
  title: 'Replay overlap',
  defaults: { provider: 'local', size: '160x90', seconds: 1 },
  output: { captions: false },
  providers: { local: { pollIntervalMs: 30 } },
  scenes: [
    { id: 'a', prompt: 'overlap first' },
    { id: 'b', prompt: 'overlap second', continuity: 'chain' },
  ],
};
await produce('replay-overlap', overlap);
await produce('replay-overlap-cached', overlap);

await stop();
await bench.close();
await openai.close();
process.exit(0);
