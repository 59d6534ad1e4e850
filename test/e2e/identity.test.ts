/**
 * A production's identity covers what it depends on (issue 11 item 11), from the command line a user meets:
 * an explicit --id reused after a file the storyboard names changed is refused; a completed production whose output
 * folder is gone is delivered again from the clip store, paying nothing, and no path that is not there is printed.
 * Also: --allow-outside-assets (item 16's flag) and `storyreel cache rm` (item 12).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { localJobs, localProviderRoot } from '../../src/providers/local/provider.js';
import { startCliWorker } from '../helpers/cli-worker.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/storyreel.js');

async function cli(args: string[], env: Record<string, string | undefined>, cwd: string) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, maxBuffer: 32 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const shared = (work: string) => ({
  TEMPORAL_ADDRESS: inject('temporalAddress'),
  STORYREEL_TASK_QUEUE: `e2e-${randomUUID()}`,
  STORYREEL_WORK_DIR: join(work, 'work'),
  STORYREEL_OUT_DIR: join(work, 'out'),
});

/** A one-scene storyboard anchored on an image file next to it. */
const anchored = (title: string, image: string) => ({
  title,
  defaults: { provider: 'local', size: '160x90', seconds: 1 },
  providers: { local: { pollIntervalMs: 50 } },
  output: { poster: false, contactSheet: false, captions: false },
  scenes: [{ id: 'a', prompt: `${title} shot`, continuity: 'anchor', anchor: image }],
});

async function png(path: string, color: string): Promise<void> {
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=c=${color}:s=160x90:d=1`, '-frames:v', '1', path]);
}

const localJobCount = async (work: string) => (await localJobs(localProviderRoot(join(work, 'work')))).length;

describe("a production's identity covers what it depends on", () => {
  it('an --id reused after a named image changed is refused; a deleted output folder is delivered again without paying', async () => {
    const work = await tempDir();
    const env = shared(work);
    await png(join(work, 'key.png'), 'red');
    const sb = await writeStoryboard(work, anchored('Identity', 'key.png'));
    const worker = await startCliWorker(env, work);
    try {
      const first = await cli(['run', sb, '--id', 'same-id'], env, work);
      expect(first.code, first.stderr).toBe(0);
      const final = join(work, 'out', 'same-id', 'final.mp4');
      expect(existsSync(final)).toBe(true);
      const jobsAfterFirst = await localJobCount(work);

      // The image the storyboard names changes; the storyboard's own bytes do not.
      await png(join(work, 'key.png'), 'blue');
      const reused = await cli(['run', sb, '--id', 'same-id'], env, work);
      console.log(`reused --id after the image changed: exit ${reused.code}: ${reused.stderr.trim().split('\n').pop()}`);
      expect(reused.code).toBe(2);
      expect(reused.stderr).toMatch(/production same-id already exists \(completed\) and was made from different content/);
      expect(reused.stderr).toMatch(/another --id/);

      // The image is back; the output folder is moved away: the video is delivered again, from the clip store.
      await png(join(work, 'key.png'), 'red');
      await rename(join(work, 'out', 'same-id'), join(work, 'moved-away'));
      const again = await cli(['run', sb, '--id', 'same-id'], env, work);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toMatch(/is gone \(deleted or moved\); delivering it again/);
      expect(again.stdout).toContain(`completed: ${final}`);
      expect(existsSync(final)).toBe(true);
      expect(again.stdout).toMatch(/1 of 1 scenes from cache · cost \$0\.00/);
      const newJobs = (await localJobCount(work)) - jobsAfterFirst;
      console.log(`re-delivery after the output folder moved: ${newJobs} new jobs, final.mp4 exists: ${existsSync(final)}`);
      expect(newJobs).toBe(0);
    } finally {
      await worker.stop();
    }
  });

  it('--allow-outside-assets lets plan/validate read a file outside the storyboard folder; without it the path is refused', async () => {
    const work = await tempDir();
    const env = shared(work);
    await mkdir(join(work, 'boards'));
    await png(join(work, 'outside.png'), 'green');
    const sb = await writeStoryboard(join(work, 'boards'), anchored('Outside', '../outside.png'));
    const refused = await cli(['validate', sb], env, work);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/outside/);
    for (const cmd of ['validate', 'plan']) {
      const allowed = await cli([cmd, sb, '--allow-outside-assets'], env, work);
      expect(allowed.code, `${cmd}: ${allowed.stderr}`).toBe(0);
    }
  });

  it(
    'cache rm removes a production/scene clip (the next run makes it again) and refuses what matches nothing',
    { timeout: 400_000 },
    async () => {
      const work = await tempDir();
      const env = shared(work);
      await png(join(work, 'key.png'), 'yellow');
      const sb = await writeStoryboard(work, anchored('Cache rm', 'key.png'));
      const worker = await startCliWorker(env, work);
      try {
        expect((await cli(['run', sb, '--id', 'rm-me'], env, work)).code).toBe(0);
        const listed = JSON.parse((await cli(['cache', 'ls', '--json'], env, work)).stdout) as { cacheKey: string; sceneId: string }[];
        expect(listed.map((c) => c.sceneId)).toEqual(['a']);

        const rm = await cli(['cache', 'rm', 'rm-me/a'], env, work);
        expect(rm.code, rm.stderr).toBe(0);
        expect(rm.stdout).toMatch(/1 clip removed/);
        expect(JSON.parse((await cli(['cache', 'ls', '--json'], env, work)).stdout)).toEqual([]);
        const none = await cli(['cache', 'rm', listed[0]!.cacheKey.slice(0, 12)], env, work);
        expect(none.code).toBe(2);
        expect(none.stderr).toMatch(/no clip in the store matches/);
        expect((await cli(['cache', 'rm', 'not a key'], env, work)).code).toBe(2);

        // The next run makes the clip again (from the provider job the ledger still knows, or a new one) and stores it.
        expect((await cli(['run', sb, '--id', 'rm-me-again'], env, work)).code).toBe(0);
        const back = JSON.parse((await cli(['cache', 'ls', '--json'], env, work)).stdout) as { cacheKey: string }[];
        expect(back.map((c) => c.cacheKey)).toEqual([listed[0]!.cacheKey]);
      } finally {
        await worker.stop();
      }
    },
  );
});
