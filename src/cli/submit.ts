/** `storyreel submit <storyboard>`: start (or attach to) a production on an existing server; `--wait` follows it. */
import { ProductionFailedError } from '../client/index.js';
import { config, connect, EXIT, planStoryboard, progressRenderer, type Io } from './common.js';

export async function submitCommand(
  file: string,
  opts: { id?: string; out?: string; wait?: boolean; json?: boolean },
  io: Io,
): Promise<number> {
  const cfg = config();
  const conn = await connect(cfg, { embedded: false, io });
  try {
    const { plan } = await planStoryboard(cfg, file, { id: opts.id });
    const s = await conn.client.submit(plan, opts.out ? { outDir: opts.out } : {});
    if (opts.json && !opts.wait) io.out(JSON.stringify(s));
    else
      io.err(
        `production ${s.productionId}: ${s.attached ? `already ${s.state.toLowerCase()}; nothing new started` : 'started'} → ${s.outDir}`,
      );
    if (!opts.wait) return EXIT.ok;
    const r = progressRenderer(io);
    try {
      const result = await conn.client.watch(s.productionId, (p) => r.update(p));
      r.stop();
      io.out(opts.json ? JSON.stringify(result) : `${result.state}: ${result.outputPath}`);
      return EXIT.ok;
    } catch (err) {
      r.stop();
      if (err instanceof ProductionFailedError) {
        io.err(`production failed: ${err.message}`);
        return EXIT.failed;
      }
      throw err;
    }
  } finally {
    await conn.close();
  }
}
