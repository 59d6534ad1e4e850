/**
 * `storyreel run <storyboard>`: the embedded default. Plans (bad input exits 2 before anything starts), connects
 * to TEMPORAL_ADDRESS or starts this work dir's dev server (SQLite, Web UI), runs a worker in-process, submits,
 * shows live progress and prints where the video is.
 */
import { existsSync } from 'node:fs';
import { connect, config, EXIT, installRuntime, localWorker, planStoryboard, progressRenderer, type Io } from './common.js';
import { ProductionFailedError, type StoryreelClient } from '../client/index.js';
import type { Config } from '../config.js';
import { lintStoryboard } from '../storyboard/lint.js';
import { reportLint } from './plan.js';

export interface RunOptions {
  id?: string;
  out?: string;
  json?: boolean;
  keepServer?: boolean;
  strict?: boolean;
  allowOutsideAssets?: boolean;
}

export async function runCommand(file: string, opts: RunOptions, io: Io): Promise<number> {
  const cfg = config();
  // Bad input exits 2 before any server, worker or workflow exists.
  const { plan, loaded } = await planStoryboard(cfg, file, { id: opts.id, allowOutsideAssets: opts.allowOutsideAssets });
  reportLint(file, lintStoryboard(loaded.storyboard, plan), opts.strict, io);
  return withEmbeddedWorker(cfg, io, opts, async (client) => {
    const submitted = await client.submit(plan, { ...(opts.out ? { outDir: opts.out } : {}), redeliverMissingOutput: true });
    if (submitted.redelivered) {
      io.err(
        `production ${submitted.productionId}: completed before, but its video ${submitted.redelivered.missingPath} is gone (deleted or moved); ` +
          `delivering it again into ${submitted.outDir} from the clip store, with a $0 budget: nothing is paid`,
      );
      return submitted.productionId;
    }
    io.err(
      `production ${submitted.productionId}: ${submitted.attached ? `already ${submitted.state.toLowerCase()}, attaching` : 'started'} (${plan.scenes.length} scenes, ${plan.totals.seconds} s, est. $${plan.totals.estimatedCostUsd.toFixed(2)})`,
    );
    return submitted.productionId;
  });
}

/**
 * Connects (TEMPORAL_ADDRESS, or the work dir's dev server, with a worker in this process), calls `start` to
 * submit, follows the production with live progress, and prints where the video is. Exit 0, or 1 when it failed.
 */
export async function withEmbeddedWorker(
  cfg: Config,
  io: Io,
  opts: { json?: boolean; keepServer?: boolean },
  start: (client: StoryreelClient) => Promise<string>,
): Promise<number> {
  installRuntime('WARN');
  const conn = await connect(cfg, { embedded: true, ui: true, io, ...(opts.keepServer ? { keepServer: true } : {}) });
  const worker = await localWorker(cfg, conn, io);
  const renderer = progressRenderer(opts.json ? { ...io, out: () => {}, isTTY: false } : io);
  let code: number = EXIT.ok;
  try {
    const productionId = await start(conn.client);
    try {
      const result = await conn.client.watch(productionId, (p) => renderer.update(p));
      renderer.stop();
      if (opts.json) io.out(JSON.stringify(result, null, 2));
      else {
        // Never a path that is not there: a worker on another machine wrote it where this one cannot see it.
        const where =
          result.outputPath && existsSync(result.outputPath)
            ? result.outputPath
            : `${result.outputPath} (written by a worker; not visible from this machine)`;
        io.out(`\n${result.state}: ${where}`);
        io.out(`manifest: ${result.manifestPath}`);
        io.out(
          `duration ${result.durationS?.toFixed(3)} s · ${result.scenes.filter((s) => s.cached).length} of ${result.scenes.length} scenes from cache · cost $${result.costUsd.toFixed(2)}`,
        );
      }
    } catch (err) {
      renderer.stop();
      if (!(err instanceof ProductionFailedError)) throw err;
      if (opts.json)
        io.out(JSON.stringify({ state: err.progress?.state ?? 'failed', error: err.message, progress: err.progress }, null, 2));
      io.err(`\nproduction ${err.progress?.state ?? 'failed'}: ${err.message}`);
      code = EXIT.failed;
    }
  } finally {
    await worker.stop();
    await conn.close();
  }
  return code;
}
