/**
 * One log file per test run, named by a global setup and appended to by every test process (test/helpers/runtime.ts):
 * worker, Temporal core and process-warning logs stay out of the test output and are printed only with a failing
 * test. Files live in <tmp>/storyreel-test-logs/; the newest few runs are kept.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

declare module 'vitest' {
  export interface ProvidedContext {
    /** This run's log file (see test/helpers/log-file.ts). */
    workerLogFile: string;
  }
}

/** Logs of this many runs are kept (the oldest are removed). */
const KEEP_LOGS = 10;

/** Creates this run's log file and says where it is, once, on stderr. */
export async function newLogFile(): Promise<string> {
  const dir = join(tmpdir(), 'storyreel-test-logs');
  await mkdir(dir, { recursive: true });
  const old = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  for (const f of old.slice(0, Math.max(0, old.length - KEEP_LOGS + 1))) await rm(join(dir, f), { force: true });
  const file = join(dir, `${new Date().toISOString().replaceAll(':', '-')}-${process.pid}.log`);
  await writeFile(file, '');
  process.stderr.write(`worker logs: ${file} (printed only with a failing test)\n`);
  return file;
}
