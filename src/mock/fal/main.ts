/**
 * The fal mock from the command line: `storyreel mock fal …` (through ../index.ts), or on its own until SIGINT:
 *
 *   npx tsx src/mock/fal/main.ts --port 4020 [--api-key K] [--queued-ms 100] [--ms-per-second 50] [--concurrency 2]
 *       [--result-retention-s 3600] [--work-dir DIR] [--host 127.0.0.1]
 *
 * Prints `fal mock listening on http://127.0.0.1:N`; point storyreel at it with FAL_BASE_URL (or providers.fal.baseURL).
 */
import { pathToFileURL } from 'node:url';
import { commonMockOptions, intOption, parseMockArgs, runStandalone } from '../kit/index.js';
import { startFalMock, type FalMock, type FalMockOptions } from './server.js';

export const usage = '--port N --api-key K --queued-ms N --ms-per-second N --concurrency N --result-retention-s N --work-dir DIR --host H';

export function parseFalMockArgs(argv: string[]): FalMockOptions {
  const values = parseMockArgs(argv, ['api-key', 'queued-ms', 'ms-per-second', 'concurrency', 'result-retention-s']);
  const queuedMs = intOption('queued-ms', values['queued-ms']);
  const msPerVideoSecond = intOption('ms-per-second', values['ms-per-second']);
  const concurrency = intOption('concurrency', values.concurrency, 1);
  const resultRetentionS = intOption('result-retention-s', values['result-retention-s'], 1);
  return {
    ...commonMockOptions(values),
    timing: { ...(queuedMs !== undefined ? { queuedMs } : {}), ...(msPerVideoSecond !== undefined ? { msPerVideoSecond } : {}) },
    ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(resultRetentionS !== undefined ? { resultRetentionS } : {}),
  };
}

export function start(argv: string[]): Promise<FalMock> {
  return startFalMock(parseFalMockArgs(argv));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runStandalone('fal', start);
