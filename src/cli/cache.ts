/** `storyreel cache ls | gc | rm`: the content-addressed clip store of this work dir. */
import { DirectoryClipStore } from '../store/clip-store.js';
import { storePaths } from '../worker.js';
import { config, EXIT, UsageError, type Io } from './common.js';

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

/**
 * Removes clips from the store so the next run makes them again (paying for them): `target` is a cache key (or a
 * unique prefix of at least 8 characters, as `cache ls` prints them) or `<production id>/<scene id>` (every clip that
 * production made for that scene, every take).
 */
export async function cacheRmCommand(target: string, opts: { json?: boolean }, io: Io): Promise<number> {
  const store = new DirectoryClipStore(storePaths(config().workDir).store);
  const clips = await store.list();
  const slash = target.lastIndexOf('/');
  let matched;
  if (slash > 0) {
    const productionId = target.slice(0, slash);
    const sceneId = target.slice(slash + 1);
    matched = clips.filter((c) => c.productionId === productionId && c.sceneId === sceneId);
  } else if (/^[0-9a-f]{8,64}$/.test(target)) {
    matched = clips.filter((c) => c.cacheKey.startsWith(target));
    if (matched.length > 1)
      throw new UsageError(`cache key prefix ${target} matches ${matched.length} clips; give more of the key (storyreel cache ls)`);
  } else {
    throw new UsageError(
      `"${target}" is neither a cache key (8 to 64 hex characters, as storyreel cache ls prints) nor <production id>/<scene id>`,
    );
  }
  if (!matched.length) throw new UsageError(`no clip in the store matches ${target} (storyreel cache ls lists them)`);
  for (const c of matched) await store.remove(c.cacheKey);
  if (opts.json)
    io.out(JSON.stringify({ removed: matched.map((c) => ({ cacheKey: c.cacheKey, productionId: c.productionId, sceneId: c.sceneId })) }));
  else {
    for (const c of matched) io.out(`removed ${c.cacheKey.slice(0, 12)}  ${c.productionId}/${c.sceneId}  ${c.provider}/${c.model}`);
    io.out(
      `${matched.length} clip${matched.length === 1 ? '' : 's'} removed; the next run makes ${matched.length === 1 ? 'it' : 'them'} again`,
    );
  }
  return EXIT.ok;
}
