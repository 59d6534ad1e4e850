/** storyreel's own version, from its package.json (read once, synchronously: the CLI prints it, lockfiles record it). */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The package.json sits two levels above this file in the sources (src/store/), three in dist/ (dist/src/store/). */
export function packageVersion(): string {
  if (cached) return cached;
  for (const candidate of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'storyreel' && pkg.version) return (cached = pkg.version);
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}
