// Runs in every test process before any test: the Temporal runtime must be installed before any Worker or
// NativeConnection exists, and must not install signal handlers inside the test runner. Every log entry (workflow,
// activity, worker, core) is also kept in memory so tests can search them (e.g. for leaked secrets).
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';

const entries: LogEntry[] = [];
(globalThis as { __storyreelLogs?: LogEntry[] }).__storyreelLogs = entries;

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
Runtime.install({
  logger: new DefaultLogger('DEBUG', (entry) => {
    entries.push(entry);
    if (entry.message.startsWith('No workflows registered')) return;
    if (LEVELS.indexOf(entry.level) >= LEVELS.indexOf('WARN') && process.env.STORYREEL_TEST_QUIET !== '1') {
      process.stderr.write(`[${entry.level}] ${entry.message} ${entry.meta ? JSON.stringify(entry.meta) : ''}\n`);
    }
  }),
  shutdownSignals: [],
});

export function capturedLogs(): LogEntry[] {
  return entries;
}
