/**
 * The Runway mock from the command line: `storyreel mock runway …` (through ../index.ts), or run on its own until
 * SIGINT/SIGTERM:
 *
 *   npx tsx src/mock/runway/main.ts --port 4030 [--api-key K] [--queued-ms 100] [--ms-per-second 50] [--tier 1..5]
 *       [--concurrency N] [--daily-generations N] [--credits N] [--output-url-ttl-s 86400] [--task-retention-s N]
 *       [--work-dir DIR] [--host H]
 *
 * Prints `runway mock listening on http://127.0.0.1:N`; point storyreel at it with RUNWAYML_BASE_URL (or
 * providers.runway.baseURL).
 */
import { pathToFileURL } from 'node:url';
import { commonMockOptions, intOption, MockArgsError, parseMockArgs, runStandalone } from '../kit/index.js';
import { startRunwayMock, TIERS, type RunwayMock, type RunwayMockOptions } from './server.js';

export const usage =
  '--port N --api-key K --queued-ms N --ms-per-second N --tier 1..5 --concurrency N --daily-generations N --credits N --output-url-ttl-s N --task-retention-s N --work-dir DIR --host H';

export function parseRunwayMockArgs(argv: string[]): RunwayMockOptions {
  const v = parseMockArgs(argv, [
    'api-key',
    'queued-ms',
    'ms-per-second',
    'tier',
    'concurrency',
    'daily-generations',
    'credits',
    'output-url-ttl-s',
    'task-retention-s',
  ]);
  const tier = intOption('tier', v.tier, 1);
  if (tier !== undefined && !(tier in TIERS)) throw new MockArgsError(`--tier must be 1, 2, 3, 4 or 5, got '${v.tier}'`);
  const queuedMs = intOption('queued-ms', v['queued-ms']);
  const msPerVideoSecond = intOption('ms-per-second', v['ms-per-second']);
  const concurrency = intOption('concurrency', v.concurrency, 1);
  const dailyGenerations = intOption('daily-generations', v['daily-generations'], 1);
  const credits = intOption('credits', v.credits);
  const urlTtlS = intOption('output-url-ttl-s', v['output-url-ttl-s'], 1);
  const retentionS = intOption('task-retention-s', v['task-retention-s'], 1);
  return {
    ...commonMockOptions(v),
    timing: { ...(queuedMs !== undefined ? { queuedMs } : {}), ...(msPerVideoSecond !== undefined ? { msPerVideoSecond } : {}) },
    ...(v['api-key'] ? { apiKey: v['api-key'] } : {}),
    ...(tier !== undefined ? { tier: tier as keyof typeof TIERS } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(dailyGenerations !== undefined ? { dailyGenerations } : {}),
    ...(credits !== undefined ? { credits } : {}),
    ...(urlTtlS !== undefined ? { outputUrlTtlMs: urlTtlS * 1000 } : {}),
    ...(retentionS !== undefined ? { taskRetentionMs: retentionS * 1000 } : {}),
  };
}

export function start(argv: string[]): Promise<RunwayMock> {
  return startRunwayMock(parseRunwayMockArgs(argv));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runStandalone('runway', start);
