/**
 * The Kling mock from the command line: `storyreel mock kling …` (through ../index.ts), or run on its own until
 * SIGINT/SIGTERM:
 *
 *   npx tsx src/mock/kling/main.ts --port 4030 [--access-key AK --secret-key SK] [--queued-ms 100] [--ms-per-second 50]
 *       [--concurrency N] [--output-ttl-s N] [--retention-s N] [--blocked-words a,b] [--risk-words c,d] [--work-dir DIR] [--host H]
 *
 * Prints `kling mock listening on http://127.0.0.1:N` once it accepts requests.
 */
import { pathToFileURL } from 'node:url';
import { commonMockOptions, intOption, MockArgsError, parseMockArgs, runStandalone } from '../kit/index.js';
import { startKlingMock, type KlingMock, type KlingMockOptions } from './server.js';

export const usage =
  '--port N --access-key AK --secret-key SK --queued-ms N --ms-per-second N --concurrency N --output-ttl-s N --retention-s N ' +
  '--blocked-words a,b --risk-words c,d --work-dir DIR --host H';

const words = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((w) => w.trim())
        .filter(Boolean)
    : undefined;

export function parseKlingMockArgs(argv: string[]): KlingMockOptions {
  const values = parseMockArgs(argv, [
    'access-key',
    'secret-key',
    'queued-ms',
    'ms-per-second',
    'concurrency',
    'output-ttl-s',
    'retention-s',
    'blocked-words',
    'risk-words',
  ]);
  if (!!values['access-key'] !== !!values['secret-key'])
    throw new MockArgsError('--access-key and --secret-key go together (the mock then checks every token)');
  const queuedMs = intOption('queued-ms', values['queued-ms']);
  const msPerVideoSecond = intOption('ms-per-second', values['ms-per-second']);
  const concurrency = intOption('concurrency', values.concurrency, 1);
  const ttlS = intOption('output-ttl-s', values['output-ttl-s'], 1);
  const retentionS = intOption('retention-s', values['retention-s'], 1);
  const blocked = words(values['blocked-words']);
  const risk = words(values['risk-words']);
  return {
    ...commonMockOptions(values),
    timing: { ...(queuedMs !== undefined ? { queuedMs } : {}), ...(msPerVideoSecond !== undefined ? { msPerVideoSecond } : {}) },
    ...(values['access-key'] && values['secret-key'] ? { accessKey: values['access-key'], secretKey: values['secret-key'] } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(ttlS !== undefined ? { outputTtlMs: ttlS * 1000 } : {}),
    ...(retentionS !== undefined ? { retentionMs: retentionS * 1000 } : {}),
    ...(blocked ? { blockedWords: blocked } : {}),
    ...(risk ? { riskWords: risk } : {}),
  };
}

export function start(argv: string[]): Promise<KlingMock> {
  return startKlingMock(parseKlingMockArgs(argv));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runStandalone('kling', start);
