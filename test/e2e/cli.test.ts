import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { MARKER_PATCH } from '../../src/media/render-card.js';
import type { Manifest } from '../../workflows/manifest.js';
import { startCliWorker } from '../helpers/cli-worker.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { colorDistance, frameRgb, patchColor, streamsOf } from '../helpers/media.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/storyreel.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string | undefined>, cwd = ROOT): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, ...env },
      maxBuffer: 32 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let temporal: Client;
let connection: Connection;
beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  temporal = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
});

async function workflowsOn(taskQueue: string): Promise<number> {
  let n = 0;
  for await (const _ of temporal.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) n++;
  return n;
}

describe('storyreel run (CLI) on the example storyboard', () => {
  it("produces final.mp4 with the storyboard's size, duration and every scene in place", async () => {
    const work = await tempDir();
    const env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      STORYREEL_TASK_QUEUE: `e2e-${randomUUID()}`,
      STORYREEL_WORK_DIR: join(work, 'work'),
      STORYREEL_OUT_DIR: join(work, 'out'),
    };
    // Against a shared server `run` only submits and follows; the work happens on a worker, as a user runs it.
    const worker = await startCliWorker(env, ROOT);
    const r = await cli(['run', 'examples/lighthouse.yaml', '--id', 'lighthouse-e2e'], env).finally(() => worker.stop());
    expect(r.stderr + r.stdout).toContain('completed');
    expect(r.code).toBe(0);
    const final = join(work, 'out', 'lighthouse-e2e', 'final.mp4');
    expect(r.stdout).toContain(final);

    const plan = JSON.parse((await cli(['plan', 'examples/lighthouse.yaml', '--json', '--id', 'lighthouse-e2e'], env)).stdout) as {
      scenes: { seconds: number; transition: { seconds: number } }[];
    };
    const sumOfScenes = plan.scenes.reduce((t, s) => t + s.seconds, 0);
    const overlaps = plan.scenes.reduce((t, s) => t + s.transition.seconds, 0);

    const s = await streamsOf(final);
    expect(s.video).toHaveLength(1);
    expect(s.audio).toHaveLength(1);
    expect([s.width, s.height]).toEqual([1280, 720]);
    expect(Math.abs(s.durationS - (sumOfScenes - overlaps))).toBeLessThanOrEqual(plan.scenes.length / 24);
    expect(s.frames).toBe(Math.round((sumOfScenes - overlaps) * 24));

    const manifest = JSON.parse(await readFile(join(work, 'out', 'lighthouse-e2e', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.scenes).toHaveLength(6);
    for (const m of manifest.scenes) {
      // The final video's marker patch at the scene's midpoint equals the scene's own clip at its midpoint.
      const mid = (m.startS! + m.endS!) / 2;
      const inFinal = patchColor(await frameRgb(final, mid), MARKER_PATCH.x + 4, MARKER_PATCH.y + 4, MARKER_PATCH.size - 8);
      const inClip = patchColor(
        await frameRgb(m.clip!.path, mid - m.startS!),
        MARKER_PATCH.x + 4,
        MARKER_PATCH.y + 4,
        MARKER_PATCH.size - 8,
      );
      expect(colorDistance(inFinal, inClip), `scene ${m.id} at ${mid}s`).toBeLessThan(6);
    }
    // a swapped or dropped clip would be caught: neighbours whose own clips differ must differ in the final too
    const at = async (video: string, t: number) => patchColor(await frameRgb(video, t), 8, 8, 32);
    let compared = 0;
    for (let i = 1; i < manifest.scenes.length; i++) {
      const a = manifest.scenes[i - 1]!;
      const b = manifest.scenes[i]!;
      const own = colorDistance(await at(a.clip!.path, (a.endS! - a.startS!) / 2), await at(b.clip!.path, (b.endS! - b.startS!) / 2));
      if (own < 40) continue;
      compared++;
      expect(colorDistance(await at(final, (a.startS! + a.endS!) / 2), await at(final, (b.startS! + b.endS!) / 2))).toBeGreaterThan(
        own / 2,
      );
    }
    expect(compared).toBeGreaterThan(0);
  });
});

describe('invalid storyboards exit 2, name the path, and start nothing', () => {
  const good = {
    title: 'Bad',
    defaults: { provider: 'local', size: '320x180', seconds: 1 },
    characters: [{ id: 'ana', name: 'Ana', description: 'a woman' }],
    scenes: [
      { id: 'a', prompt: 'x' },
      { id: 'b', prompt: 'y' },
    ],
  };
  const cases: [string, unknown, RegExp][] = [
    ['bad YAML', 'title: [unclosed', /not valid YAML/],
    ['an unknown key', { ...good, scenes: [{ id: 'a', prompt: 'x', colour: 'red' }] }, /scenes\[0\]: unknown key "colour"/],
    [
      'a duplicate scene id',
      {
        ...good,
        scenes: [
          { id: 'a', prompt: 'x' },
          { id: 'a', prompt: 'y' },
        ],
      },
      /scenes\[1\]\.id: duplicate scene id "a"/,
    ],
    ['an id with /', { ...good, scenes: [{ id: 'a/b', prompt: 'x' }] }, /scenes\[0\]\.id: must be/],
    ['an id with ..', { ...good, scenes: [{ id: '..', prompt: 'x' }] }, /scenes\[0\]\.id: must be/],
    ['seconds <= 0', { ...good, scenes: [{ id: 'a', prompt: 'x', seconds: 0 }] }, /scenes\[0\]\.seconds: must be greater than 0/],
    [
      'a missing character',
      { ...good, scenes: [{ id: 'a', prompt: 'x', characters: ['zed'] }] },
      /scenes\[0\]\.characters\[0\]: "zed" is not defined in characters/,
    ],
    ['no scenes', { ...good, scenes: [] }, /scenes: a storyboard needs at least one scene/],
  ];

  it.each(cases)('%s', async (_name, content, message) => {
    const dir = await tempDir();
    const file =
      typeof content === 'string'
        ? await (async () => {
            const p = join(dir, 'sb.yaml');
            await (await import('node:fs/promises')).writeFile(p, content);
            return p;
          })()
        : await writeStoryboard(dir, content);
    const taskQueue = `bad-${randomUUID()}`;
    const env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      STORYREEL_TASK_QUEUE: taskQueue,
      STORYREEL_WORK_DIR: join(dir, 'work'),
      STORYREEL_OUT_DIR: join(dir, 'out'),
    };
    for (const command of ['validate', 'run']) {
      const r = await cli([command, file], env);
      expect(r.code, `${command}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(await workflowsOn(taskQueue)).toBe(0);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});

describe('the other commands', () => {
  it('schema prints a JSON Schema covering scenes and continuity', async () => {
    const r = await cli(['schema'], {});
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as { properties: Record<string, { items?: { properties?: Record<string, { enum?: string[] }> } }> };
    expect(schema.properties.scenes?.items?.properties?.continuity?.enum).toEqual([
      'independent',
      'chain',
      'anchor',
      'extend',
      'keyframes',
    ]);
  });

  it('plan prints the plan and generates nothing', async () => {
    const dir = await tempDir();
    const env = { STORYREEL_WORK_DIR: join(dir, 'work'), STORYREEL_OUT_DIR: join(dir, 'out') };
    const r = await cli(['plan', 'examples/lighthouse.yaml'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/would generate 6 of 6 scenes/);
    expect(r.stdout).toMatch(/the-lamp\s+local\/local-v1\s+3s→3\.5s\s+\d\.\d\ds\s+chain\s+the-climb/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('run with no TEMPORAL_ADDRESS starts its own dev server (persistent, with the Web UI) and stops it after', async () => {
    const dir = await tempDir();
    const sb = await writeStoryboard(dir, {
      title: 'Embedded',
      defaults: { provider: 'local', size: '320x180', seconds: 1 },
      providers: { local: { pollIntervalMs: 50 } },
      scenes: [
        { id: 'a', prompt: 'one' },
        { id: 'b', prompt: 'two', continuity: 'chain' },
      ],
    });
    const r = await cli(['run', sb], { TEMPORAL_ADDRESS: undefined, TEMPORAL_CLI_PATH: inject('temporalCliPath') }, dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/started a dev server at 127\.0\.0\.1:\d+ \(Web UI: http:\/\/127\.0\.0\.1:\d+\)/);
    expect(existsSync(join(dir, '.storyreel', 'temporal', 'dev.db'))).toBe(true);
    expect(existsSync(join(dir, '.storyreel', 'temporal', 'server.json'))).toBe(false);
    const outs = await readdir(join(dir, 'out'));
    expect(outs).toHaveLength(1);
    expect((await streamsOf(join(dir, 'out', outs[0]!, 'final.mp4'))).frames).toBe(48);
  });
});

describe('the CLI a user meets first', () => {
  const tiny = (title: string) => ({
    title,
    defaults: { provider: 'local', size: '320x180', seconds: 1 },
    providers: { local: { pollIntervalMs: 50 } },
    output: { poster: false, contactSheet: false },
    scenes: [{ id: 'a', prompt: `${title} one` }],
  });
  const shared = (work: string) => ({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    STORYREEL_TASK_QUEUE: `e2e-${randomUUID()}`,
    STORYREEL_WORK_DIR: join(work, 'work'),
    STORYREEL_OUT_DIR: join(work, 'out'),
  });

  it('with TEMPORAL_ADDRESS, run never polls the shared task queue: every task of the production ran on the worker', async () => {
    const work = await tempDir();
    const env = shared(work);
    const sb = await writeStoryboard(work, tiny('Shared'));
    const worker = await startCliWorker(env, work);
    const r = await cli(['run', sb, '--id', 'shared-queue'], env, work).finally(() => worker.stop());
    expect(r.code, r.stderr).toBe(0);
    const identities = new Set<string>();
    for await (const w of temporal.workflow.list({ query: `TaskQueue = '${env.STORYREEL_TASK_QUEUE}'` })) {
      const history = await temporal.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
      for (const e of history.events ?? []) {
        const id = e.workflowTaskStartedEventAttributes?.identity ?? e.activityTaskStartedEventAttributes?.identity;
        if (id) identities.add(id);
      }
    }
    expect(identities.size).toBeGreaterThan(0);
    expect(
      [...identities].every((id) => id.startsWith(`${worker.pid}@`)),
      [...identities].join(', '),
    ).toBe(true);
  });

  it('with TEMPORAL_ADDRESS and no worker, run says so and polls nothing itself', async () => {
    const work = await tempDir();
    const env = shared(work);
    const sb = await writeStoryboard(work, tiny('Lonely'));
    const child = (await import('node:child_process')).spawn(process.execPath, [BIN, 'run', sb], {
      cwd: work,
      env: { ...process.env, ...env },
    });
    let err = '';
    await new Promise<void>((ok) =>
      child.stderr.on('data', (d: Buffer) => ((err += d.toString()), err.includes('no worker polls') && ok())),
    );
    child.kill('SIGTERM');
    expect(err).toMatch(/no worker polls task queue "e2e-[^"]+" on [\d.:]+; start one there with `storyreel worker`/);
    const q = await connection.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: env.STORYREEL_TASK_QUEUE },
      taskQueueType: 1,
    });
    expect(q.pollers ?? []).toHaveLength(0);
  });

  it('a control command in embedded mode leaves no dev server running', async () => {
    const dir = await tempDir();
    const r = await cli(
      ['status', 'no-such-production'],
      { TEMPORAL_ADDRESS: undefined, TEMPORAL_CLI_PATH: inject('temporalCliPath') },
      dir,
    );
    expect(r.stderr).toMatch(/started a dev server/);
    expect(r.stderr).toMatch(/no production "no-such-production"/);
    expect(existsSync(join(dir, '.storyreel', 'temporal', 'server.json'))).toBe(false);
  });

  it('a configuration error exits 2 and names the variable; an empty variable counts as unset', async () => {
    const dir = await tempDir();
    const sb = await writeStoryboard(dir, tiny('Config'));
    const bad = await cli(['validate', sb], { STORYREEL_MAX_ACTIVITIES: 'many' }, dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/configuration: STORYREEL_MAX_ACTIVITIES/);
    const empty = await cli(['validate', sb], { STORYREEL_MAX_ACTIVITIES: '', STORYREEL_TASK_QUEUE: '', TEMPORAL_ADDRESS: '' }, dir);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toMatch(/valid \(1 scenes/);
    expect(empty.stdout.endsWith('\n')).toBe(true);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await cli(['--version'], {});
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('batch run <directory> produces every storyboard in it', async () => {
    const work = await tempDir();
    const env = shared(work);
    const stories = join(work, 'stories');
    await (await import('node:fs/promises')).mkdir(stories);
    await writeStoryboard(stories, tiny('First'), 'first.yaml');
    await writeStoryboard(stories, tiny('Second'), 'second.yaml');
    const worker = await startCliWorker(env, work);
    const r = await cli(['batch', 'run', stories], env, work).finally(() => worker.stop());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 items · 2 completed/);
  });

  it('attaching to a running batch with a different item list is refused (exit 2); the running list is untouched', async () => {
    const work = await tempDir();
    const env = shared(work);
    await writeStoryboard(work, tiny('One'), 'one.yaml');
    await writeStoryboard(work, tiny('Two'), 'two.yaml');
    const manifest = join(work, 'batch.yaml');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(manifest, 'batch: fixed-name\nitems:\n  - storyboard: one.yaml\n');
    const first = await cli(['batch', 'run', manifest, '--detach'], env, work);
    expect(first.code, first.stderr).toBe(0);
    await writeFile(manifest, 'batch: fixed-name\nitems:\n  - storyboard: one.yaml\n  - storyboard: two.yaml\n');
    const second = await cli(['batch', 'run', manifest, '--detach'], env, work);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/batch fixed-name is running with a different item list/);
    const lists = await readdir(join(work, 'work', 'batches', 'fixed-name'));
    expect(lists.filter((f) => f.startsWith('items-'))).toHaveLength(2);
    await temporal.workflow.getHandle('batch-fixed-name').terminate('test cleanup');
  });
});
