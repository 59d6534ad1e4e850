/**
 * The Google mock from the command line: `storyreel mock google …` (through ../index.ts), or on its own until SIGINT:
 *
 *   npx tsx src/mock/google/main.ts --port 4030 [--api-key K] [--vertex-api-key K] [--project P] [--subject-token T]
 *       [--access-token T] [--queued-ms 100] [--ms-per-second 50] [--concurrency N] [--omni-delivery inline|uri]
 *       [--file-retention-s 172800] [--file-uri-origin URL] [--work-dir DIR] [--host 127.0.0.1]
 *
 * Prints `google mock listening on http://127.0.0.1:N`; point storyreel at it with providers.google.baseURL (or
 * GOOGLE_GEMINI_BASE_URL / GOOGLE_VERTEX_BASE_URL).
 */
import { pathToFileURL } from 'node:url';
import { commonMockOptions, intOption, MockArgsError, parseMockArgs, runStandalone } from '../kit/index.js';
import { startGoogleMock, type GoogleMock, type GoogleMockOptions } from './server.js';

export const usage =
  '--port N --api-key K --vertex-api-key K --project P --subject-token T --access-token T --queued-ms N --ms-per-second N ' +
  '--concurrency N --omni-delivery inline|uri --file-retention-s N --file-uri-origin URL --work-dir DIR --host H';

export function parseGoogleMockArgs(argv: string[]): GoogleMockOptions {
  const v = parseMockArgs(argv, [
    'api-key',
    'vertex-api-key',
    'project',
    'subject-token',
    'access-token',
    'queued-ms',
    'ms-per-second',
    'concurrency',
    'omni-delivery',
    'file-retention-s',
    'file-uri-origin',
  ]);
  const queuedMs = intOption('queued-ms', v['queued-ms']);
  const msPerVideoSecond = intOption('ms-per-second', v['ms-per-second']);
  const concurrency = intOption('concurrency', v.concurrency, 1);
  const fileRetentionS = intOption('file-retention-s', v['file-retention-s'], 1);
  const delivery = v['omni-delivery'];
  if (delivery !== undefined && delivery !== 'inline' && delivery !== 'uri')
    throw new MockArgsError(`--omni-delivery must be inline or uri, got '${delivery}'`);
  if (v['file-uri-origin'] !== undefined && !/^https?:\/\/[^/]+$/.test(v['file-uri-origin']))
    throw new MockArgsError(
      `--file-uri-origin must be an origin like https://generativelanguage.googleapis.com, got '${v['file-uri-origin']}'`,
    );
  const vertex = {
    ...(v['vertex-api-key'] ? { apiKey: v['vertex-api-key'] } : {}),
    ...(v.project ? { project: v.project } : {}),
    ...(v['subject-token'] ? { subjectToken: v['subject-token'] } : {}),
    ...(v['access-token'] ? { accessToken: v['access-token'] } : {}),
  };
  return {
    ...commonMockOptions(v),
    timing: { ...(queuedMs !== undefined ? { queuedMs } : {}), ...(msPerVideoSecond !== undefined ? { msPerVideoSecond } : {}) },
    ...(v['api-key'] ? { apiKey: v['api-key'] } : {}),
    ...(Object.keys(vertex).length ? { vertex } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(delivery ? { omniDelivery: delivery } : {}),
    ...(fileRetentionS !== undefined ? { fileRetentionS } : {}),
    ...(v['file-uri-origin'] ? { fileUriOrigin: v['file-uri-origin'] } : {}),
  };
}

export function start(argv: string[]): Promise<GoogleMock> {
  return startGoogleMock(parseGoogleMockArgs(argv));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runStandalone('google', start);
