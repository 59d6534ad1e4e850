/**
 * `storyreel batch run | status | resume` and `storyreel list`.
 */
import type { BatchProgress, BatchSummary } from '../../workflows/definitions.js';
import { config, connect, EXIT, formatUsd, installRuntime, localWorker, type Io } from './common.js';

export function printSummary(s: BatchSummary, io: Io): void {
  io.out(
    `batch ${s.batchId}: ${s.total} items · ${Object.entries(s.counts)
      .filter(([, n]) => n)
      .map(([k, n]) => `${n} ${k}`)
      .join(' · ')} · cost ${formatUsd(s.costUsd)}`,
  );
  const widths = [Math.max(4, ...s.rows.map((r) => r.key.length)), 26, 9, 14];
  io.out(
    `${'item'.padEnd(widths[0]!)}  ${'state'.padEnd(widths[1]!)}  ${'cost'.padEnd(widths[2]!)}  ${'stage/scene'.padEnd(widths[3]!)}  output or reason`,
  );
  for (const r of s.rows) {
    const where = r.stage ? `${r.stage}${r.sceneId ? `/${r.sceneId}` : ''}` : '';
    io.out(
      `${r.key.padEnd(widths[0]!)}  ${r.state.padEnd(widths[1]!)}  ${formatUsd(r.costUsd).padEnd(widths[2]!)}  ${where.padEnd(widths[3]!)}  ${r.outputPath ?? (r.reason ?? '').split('\n')[0]}`,
    );
  }
  io.out(`summary: ${s.summaryPath}`);
}

function printProgress(p: BatchProgress, io: Io): void {
  io.out(
    `batch ${p.batchId}: ${Object.entries(p.counts)
      .filter(([, n]) => n)
      .map(([k, n]) => `${n} ${k}`)
      .join(
        ' · ',
      )} · scenes ${p.scenes.ready}/${p.scenes.total} · ${formatUsd(p.costUsd)}${p.etaSeconds !== undefined ? ` · ETA ${p.etaSeconds} s` : ''}`,
  );
}

/** Runs a batch (or resumes it) with a worker in this process and follows it to the summary. */
export async function batchRunCommand(
  manifest: string,
  opts: { resume?: boolean; budget?: string; json?: boolean; detach?: boolean; allowOutsideAssets?: boolean },
  io: Io,
): Promise<number> {
  const cfg = config();
  installRuntime('WARN');
  const conn = await connect(cfg, { embedded: true, ui: true, io });
  const local = opts.detach ? undefined : await localWorker(cfg, conn, io);
  try {
    const b = await conn.client.submitBatch(manifest, {
      ...(opts.resume ? { resume: true } : {}),
      ...(opts.budget ? { budgetUsd: Number(opts.budget) } : {}),
      ...(opts.allowOutsideAssets ? { allowAssetsOutside: true } : {}),
    });
    io.err(`batch ${b.batchId}: ${b.attached ? 'already running or finished; attaching' : `started (${b.items} items)`} → ${b.outRoot}`);
    if (opts.detach) return EXIT.ok;
    let last = '';
    const done = conn.client.batchResult(b.batchId);
    let finished = false;
    void done.then(
      () => (finished = true),
      () => (finished = true),
    );
    while (!finished) {
      await Promise.race([done.catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
      if (finished) break;
      const p = (await conn.client.batchStatus(b.batchId).catch(() => undefined)) as BatchProgress | undefined;
      if (p && 'counts' in p && !opts.json) {
        const line = JSON.stringify(p.counts);
        if (line !== last) printProgress(p, io);
        last = line;
      }
    }
    const summary = await done;
    if (opts.json) io.out(JSON.stringify(summary, null, 2));
    else printSummary(summary, io);
    return summary.rows.every((r) => r.state === 'completed' || r.state === 'completed_with_placeholders') ? EXIT.ok : EXIT.failed;
  } finally {
    await local?.stop();
    await conn.close();
  }
}

export async function batchStatusCommand(batchId: string, opts: { json?: boolean }, io: Io): Promise<number> {
  const conn = await connect(config(), { embedded: true, ui: false, io });
  try {
    const s = await conn.client.batchStatus(batchId);
    if (opts.json) io.out(JSON.stringify(s, null, 2));
    else if ('rows' in s) printSummary(s, io);
    else printProgress(s, io);
    return EXIT.ok;
  } finally {
    await conn.close();
  }
}

export async function listCommand(opts: { batch?: string; state?: string; json?: boolean }, io: Io): Promise<number> {
  const conn = await connect(config(), { embedded: true, ui: false, io });
  try {
    if (!(await conn.client.searchAttributesRegistered())) {
      io.err(
        'this server has no storyreel search attributes; register them: temporal operator search-attribute create --name StoryreelProductionId --type Keyword (and StoryreelBatchId, StoryreelState, StoryreelProvider)',
      );
      return EXIT.failed;
    }
    const rows = await conn.client.list({ ...(opts.batch ? { batchId: opts.batch } : {}), ...(opts.state ? { state: opts.state } : {}) });
    if (opts.json) io.out(JSON.stringify(rows, null, 2));
    else
      for (const r of rows)
        io.out(`${r.productionId.padEnd(40)} ${r.state.padEnd(28)} ${r.status.padEnd(10)} ${r.startTime.toISOString()}`);
    return EXIT.ok;
  } finally {
    await conn.close();
  }
}
