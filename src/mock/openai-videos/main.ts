/**
 * The OpenAI Videos mock from the command line: `storyreel mock openai-videos …` (through ../index.ts), or run on its
 * own until SIGINT/SIGTERM:
 *
 *   npx tsx src/mock/openai-videos/main.ts --port 4010 [--api-key K] [--profile spec-2026-08|guide-2026-03]
 *       [--queued-ms 100] [--ms-per-second 50] [--fps 24] [--expires-after-s 3600] [--work-dir DIR] [--host 127.0.0.1]
 *
 * Prints `openai-videos mock listening on http://127.0.0.1:N/v1` once it accepts requests.
 */
import { pathToFileURL } from 'node:url';
import { commonMockOptions, intOption, MockArgsError, parseMockArgs, runStandalone } from '../kit/index.js';
import { startOpenAIMock, type OpenAIMock, type OpenAIMockOptions, type ProfileName } from './server.js';

const PROFILE_NAMES: readonly ProfileName[] = ['spec-2026-08', 'guide-2026-03'];

export const usage =
  '--port N --api-key K --profile spec-2026-08|guide-2026-03 --queued-ms N --ms-per-second N --fps N --expires-after-s N --work-dir DIR --host H';

/** Turns command-line arguments (without node and script) into mock options; throws MockArgsError on bad values. */
export function parseOpenAIMockArgs(argv: string[]): OpenAIMockOptions {
  const values = parseMockArgs(argv, ['api-key', 'profile', 'queued-ms', 'ms-per-second', 'fps', 'expires-after-s']);
  const profile = values.profile;
  if (profile !== undefined && !PROFILE_NAMES.includes(profile as ProfileName))
    throw new MockArgsError(`--profile must be one of ${PROFILE_NAMES.join(', ')}, got '${profile}'`);
  const queuedMs = intOption('queued-ms', values['queued-ms']);
  const msPerVideoSecond = intOption('ms-per-second', values['ms-per-second']);
  const fps = intOption('fps', values.fps, 1);
  const expiresAfterS = intOption('expires-after-s', values['expires-after-s']);
  return {
    ...commonMockOptions(values),
    timing: { ...(queuedMs !== undefined ? { queuedMs } : {}), ...(msPerVideoSecond !== undefined ? { msPerVideoSecond } : {}) },
    ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
    ...(profile ? { profile: profile as ProfileName } : {}),
    ...(fps !== undefined ? { fps } : {}),
    ...(expiresAfterS !== undefined ? { expiresAfterS } : {}),
  };
}

/** Starts the mock from command-line arguments. */
export function start(argv: string[]): Promise<OpenAIMock> {
  return startOpenAIMock(parseOpenAIMockArgs(argv));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runStandalone('openai-videos', start);
