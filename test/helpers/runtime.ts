// Runs in every test process before any test. The Temporal runtime must be installed before any Worker or
// NativeConnection exists, and must not install signal handlers inside the test runner.
//
// Quiet output: every log entry (workflow, activity, worker, and Temporal core's own, forwarded instead of printed)
// and every process warning goes to this run's log file (test/helpers/global-setup.ts names it), not to the
// terminal. When a test fails, the entries logged while it ran are printed with its failure. Entries are also kept
// in memory so tests can search them (e.g. for leaked secrets).
import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import { createWriteStream } from 'node:fs';
import { relative } from 'node:path';
import { afterAll, beforeEach, expect, inject } from 'vitest';
import './log-file.js';

const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
/** At most this many entries are printed with a failing test (the log file has them all). */
const PRINTED_ON_FAILURE = 200;

const logFile = inject('workerLogFile');
const out = createWriteStream(logFile, { flags: 'a' });
const entries: LogEntry[] = [];
/** Which test (or, before the first one, which file) an entry was logged under. */
let running = relative(process.cwd(), expect.getState().testPath ?? '(setup)');

const format = (e: LogEntry) =>
  `${new Date(Number(e.timestampNanos / 1_000_000n)).toISOString()} ${e.level.padEnd(5)} ${e.message}${e.meta && Object.keys(e.meta).length ? ` ${JSON.stringify(e.meta)}` : ''}`;

Runtime.install({
  logger: new DefaultLogger('DEBUG', (entry) => {
    entries.push(entry);
    out.write(`[${process.pid} ${running}] ${format(entry)}\n`);
  }),
  // Core's own logs (gRPC retries, worker state) through the logger above instead of straight to stderr.
  telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'INFO', other: 'WARN' }) } },
  shutdownSignals: [],
});

/** Forwarded entries are buffered briefly (to interleave core's in order); hand them all to the logger now. */
const flush = () => (Runtime.instance().logger as { flush?: () => void }).flush?.();

// vitest.config.ts runs test processes with --no-warnings; warnings land in the log file instead.
process.on('warning', (w) =>
  out.write(`[${process.pid} ${running}] ${new Date().toISOString()} WARN  (process) ${w.name}: ${w.message}\n`),
);

beforeEach((ctx) => {
  flush();
  const from = entries.length;
  running = `${ctx.task.file.name} > ${ctx.task.name}`;
  ctx.onTestFailed(() => {
    flush();
    const during = entries.slice(from).filter((e) => LEVELS.indexOf(e.level) >= LEVELS.indexOf('INFO'));
    const shown = during.slice(-PRINTED_ON_FAILURE);
    console.error(
      [
        `worker logs while "${ctx.task.name}" ran: ${during.length} entries at INFO or above${during.length > shown.length ? `, the last ${shown.length} shown` : ''}; everything in ${logFile}`,
        ...shown.map(format),
      ].join('\n'),
    );
  });
});

afterAll(() => {
  flush();
});

/** Every entry this test process logged so far (flushed first). Also `globalThis.__storyreelLogs`. */
export function capturedLogs(): LogEntry[] {
  flush();
  return entries;
}
Object.defineProperty(globalThis, '__storyreelLogs', { get: capturedLogs });
