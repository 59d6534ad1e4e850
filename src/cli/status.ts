/** `storyreel status <production id>`: scene by scene, from the workflow's progress query. */
import { config, connect, EXIT, formatUsd, type Io } from './common.js';

export async function statusCommand(id: string, opts: { json?: boolean }, io: Io): Promise<number> {
  const cfg = config();
  const conn = await connect(cfg, { embedded: true, ui: false, io });
  try {
    const p = await conn.client.status(id);
    if (opts.json) {
      io.out(JSON.stringify(p, null, 2));
    } else {
      io.out(
        `${p.productionId} "${p.title}": ${p.state} ${p.percent}% · cost ${formatUsd(p.costUsd)} of est. ${formatUsd(p.estimatedCostUsd)}`,
      );
      if (p.message) io.out(`  ${p.message}`);
      for (const s of p.scenes) {
        io.out(
          `  ${String(s.index + 1).padStart(3)}. ${s.id.padEnd(24)} ${s.state.padEnd(10)} ${s.cached ? 'cache ' : ''}${s.jobId ?? ''}${s.reason ? `  ${s.reason.kind}: ${s.reason.message}` : ''}`,
        );
      }
      if (p.outputPath) io.out(`  output: ${p.outputPath}`);
    }
    return p.state === 'failed' ? EXIT.failed : EXIT.ok;
  } finally {
    await conn.close();
  }
}
