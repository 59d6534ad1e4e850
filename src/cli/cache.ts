/** `storyreel cache ls` and `storyreel cache gc`: the content-addressed clip store of this work dir. */
import { DirectoryClipStore } from '../store/clip-store.js';
import { storePaths } from '../worker.js';
import { config, EXIT, type Io } from './common.js';

export async function cacheLsCommand(opts: { json?: boolean }, io: Io): Promise<number> {
  const store = new DirectoryClipStore(storePaths(config().workDir).store);
  const clips = await store.list();
  if (opts.json) {
    io.out(JSON.stringify(clips, null, 2));
    return EXIT.ok;
  }
  for (const c of clips) {
    io.out(
      `${c.cacheKey.slice(0, 12)}  ${c.productionId}/${c.sceneId}  ${c.provider}/${c.model}  ${c.durationS.toFixed(2)} s  ${(c.bytes / 1e6).toFixed(1)} MB  ${c.createdAt}`,
    );
  }
  io.out(`${clips.length} clips, ${(clips.reduce((t, c) => t + c.bytes, 0) / 1e6).toFixed(1)} MB`);
  return EXIT.ok;
}

export async function cacheGcCommand(opts: { olderThanDays?: string; dryRun?: boolean }, io: Io): Promise<number> {
  const store = new DirectoryClipStore(storePaths(config().workDir).store);
  const days = Number(opts.olderThanDays ?? '30');
  const { removed, bytes } = await store.gc({ unusedForMs: days * 86_400_000, ...(opts.dryRun ? { dryRun: true } : {}) });
  io.out(`${opts.dryRun ? 'would remove' : 'removed'} ${removed.length} files (${(bytes / 1e6).toFixed(1)} MB) unused for ${days} days`);
  return EXIT.ok;
}
