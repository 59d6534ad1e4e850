/**
 * Steering a running production: scenes, retry, skip, abort, review, cancel (Temporal Updates and cancellation).
 */
import { config, connect, EXIT, formatUsd, UsageError, type Io } from './common.js';
import type { SceneDecision, ReviewDecision } from '../../workflows/definitions.js';
import { DecisionRejectedError } from '../client/index.js';

async function withClient<T>(io: Io, fn: (c: Awaited<ReturnType<typeof connect>>['client']) => Promise<T>): Promise<T> {
  const conn = await connect(config(), { embedded: true, ui: false, io });
  try {
    return await fn(conn.client);
  } finally {
    await conn.close();
  }
}

export async function scenesCommand(id: string, opts: { json?: boolean }, io: Io): Promise<number> {
  return withClient(io, async (client) => {
    const p = await client.status(id);
    if (opts.json) {
      io.out(JSON.stringify(p.scenes, null, 2));
      return EXIT.ok;
    }
    io.out(
      `${p.productionId}: ${p.state}${p.waitingUntil ? ` until ${p.waitingUntil}` : ''} · spent ${formatUsd(p.costUsd)}${p.budgetUsd !== undefined ? ` of ${formatUsd(p.budgetUsd)}` : ''}`,
    );
    if (p.message) io.out(`  ${p.message}`);
    for (const s of p.scenes) {
      const extra = s.reason ? `${s.reason.kind}: ${s.reason.message}` : s.cached ? 'from the clip store' : (s.jobId ?? '');
      io.out(`  ${s.id.padEnd(24)} ${s.state.padEnd(16)} take ${s.take}  ${extra}`);
    }
    if (p.waitingFor?.length) {
      io.out('');
      io.out(`decide with: storyreel retry ${id} <scene> [--prompt "…"] | storyreel skip ${id} <scene> | storyreel abort ${id}`);
    }
    return EXIT.ok;
  });
}

export async function decideCommand(id: string, decision: SceneDecision, io: Io): Promise<number> {
  return withClient(io, async (client) => {
    try {
      const s = await client.decide(id, decision);
      io.out(decision.action === 'abort' ? `production ${id}: abort requested` : `scene ${s.id}: ${s.state} (take ${s.take})`);
      return EXIT.ok;
    } catch (err) {
      throw new UsageError(`cannot ${decision.action} ${decision.sceneId} in ${id}: ${rejection(err)}`);
    }
  });
}

export async function reviewCommand(id: string, scene: string, opts: { approve?: boolean; reject?: string }, io: Io): Promise<number> {
  if (!!opts.approve === (opts.reject !== undefined)) throw new UsageError('give exactly one of --approve or --reject "<what to change>"');
  const decision: ReviewDecision = opts.approve
    ? { sceneId: scene, decision: 'approve' }
    : { sceneId: scene, decision: 'reject', note: opts.reject! };
  return withClient(io, async (client) => {
    try {
      const s = await client.review(id, decision);
      io.out(`scene ${s.id}: ${s.state} (take ${s.take})`);
      return EXIT.ok;
    } catch (err) {
      throw new UsageError(`cannot review ${scene} in ${id}: ${rejection(err)}`);
    }
  });
}

export async function cancelCommand(id: string, io: Io): Promise<number> {
  return withClient(io, async (client) => {
    await client.cancel(id);
    io.out(`production ${id}: cancellation requested (finished clips are kept; resume with storyreel resume ${id})`);
    return EXIT.ok;
  });
}

function rejection(err: unknown): string {
  if (err instanceof DecisionRejectedError) return err.message;
  throw err;
}
