/**
 * `storyreel resume <production id | storyboard>`: a new run that takes every finished clip from the store and
 * generates only what is missing. By id, the new run carries the last run's effective plan (edited prompts,
 * provider/model switches, approved takes), and a production that completed with placeholders fills them. With a storyboard (possibly edited), only scenes whose cache key changed, and
 * the scenes chained after them, are generated.
 */
import { existsSync } from 'node:fs';
import { config, planStoryboard, type Io } from './common.js';
import { withEmbeddedWorker } from './run.js';

export async function resumeCommand(
  target: string,
  opts: { budget?: string; id?: string; json?: boolean; operatorWait?: string },
  io: Io,
): Promise<number> {
  const cfg = config();
  const budgetUsd = opts.budget !== undefined ? Number(opts.budget) : undefined;
  const operatorWaitSeconds = opts.operatorWait !== undefined ? Number(opts.operatorWait) : undefined;
  if (existsSync(target)) {
    const { plan } = await planStoryboard(cfg, target, { id: opts.id });
    if (budgetUsd !== undefined) plan.budgetUsd = budgetUsd;
    if (operatorWaitSeconds !== undefined) plan.operatorWaitSeconds = operatorWaitSeconds;
    return withEmbeddedWorker(cfg, io, opts, async (client) => {
      const s = await client.submit(plan);
      io.err(`production ${s.productionId}: ${s.attached ? `already ${s.state.toLowerCase()}` : 'resumed from the storyboard'}`);
      return s.productionId;
    });
  }
  return withEmbeddedWorker(cfg, io, opts, async (client) => {
    const s = await client.resume(target, {
      ...(budgetUsd !== undefined ? { budgetUsd } : {}),
      ...(operatorWaitSeconds !== undefined ? { operatorWaitSeconds } : {}),
    });
    io.err(`production ${s.productionId}: resumed (new run ${s.runId})`);
    for (const note of s.carried ?? []) io.err(`  carried from the last run: ${note}`);
    return s.productionId;
  });
}
