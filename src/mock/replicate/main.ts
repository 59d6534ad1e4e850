/**
 * The Replicate mock from the command line: `storyreel mock replicate …` (through ../index.ts), or run on its own
 * until SIGINT/SIGTERM:
 *
 *   npx tsx src/mock/replicate/main.ts --port 4020 [--api-key K] [--queued-ms 100] [--ms-per-second 50]
 *       [--data-retention-s 3600] [--concurrency N] [--page-size 100] [--list-order desc|asc] [--webhook-secret whsec_…]
 *       [--work-dir DIR] [--host H]
 *
 * Prints `replicate mock listening on http://127.0.0.1:N/v1` once it accepts requests.
 */
import { pathToFileURL } from 'node:url';
import { commonMockOptions, intOption, MockArgsError, parseMockArgs, runStandalone } from '../kit/index.js';
import { startReplicateMock, type ReplicateMock, type ReplicateMockOptions } from './server.js';

export const usage =
  '--port N --api-key K --queued-ms N --ms-per-second N --data-retention-s N --concurrency N --page-size N --list-order desc|asc --webhook-secret whsec_… --work-dir DIR --host H';

export function parseReplicateMockArgs(argv: string[]): ReplicateMockOptions {
  const values = parseMockArgs(argv, [
    'api-key',
    'queued-ms',
    'ms-per-second',
    'data-retention-s',
    'concurrency',
    'page-size',
    'list-order',
    'webhook-secret',
  ]);
  const order = values['list-order'];
  if (order !== undefined && order !== 'asc' && order !== 'desc')
    throw new MockArgsError(`--list-order must be desc or asc, got '${order}'`);
  const queuedMs = intOption('queued-ms', values['queued-ms']);
  const msPerVideoSecond = intOption('ms-per-second', values['ms-per-second']);
  const retentionS = intOption('data-retention-s', values['data-retention-s']);
  const concurrency = intOption('concurrency', values.concurrency, 1);
  const pageSize = intOption('page-size', values['page-size'], 1);
  return {
    ...commonMockOptions(values),
    timing: { ...(queuedMs !== undefined ? { queuedMs } : {}), ...(msPerVideoSecond !== undefined ? { msPerVideoSecond } : {}) },
    ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
    ...(retentionS !== undefined ? { dataRetentionMs: retentionS * 1000 } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(pageSize !== undefined ? { pageSize } : {}),
    ...(order ? { listOrder: order } : {}),
    ...(values['webhook-secret'] ? { webhookSecret: values['webhook-secret'] } : {}),
  };
}

export function start(argv: string[]): Promise<ReplicateMock> {
  return startReplicateMock(parseReplicateMockArgs(argv));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runStandalone('replicate', start);
