/**
 * Runs the OpenAI Videos mock on its own until SIGINT/SIGTERM:
 *
 *   npx tsx src/mock/openai-videos/main.ts --port 4010 [--api-key K] [--profile spec-2026-08|guide-2026-03]
 *       [--queued-ms 100] [--ms-per-second 50] [--fps 24] [--expires-after-s 3600] [--work-dir DIR] [--host 127.0.0.1]
 *
 * Prints `openai-videos mock listening on http://127.0.0.1:N/v1` once it accepts requests.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startOpenAIMock, type OpenAIMock, type OpenAIMockOptions, type ProfileName } from './server.js';

const PROFILE_NAMES: readonly ProfileName[] = ['spec-2026-08', 'guide-2026-03'];

/** Turns command-line arguments (without node and script) into mock options; throws on bad values. */
export function parseMockArgs(argv: string[]): OpenAIMockOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'api-key': { type: 'string' },
      profile: { type: 'string' },
      'queued-ms': { type: 'string' },
      'ms-per-second': { type: 'string' },
      fps: { type: 'string' },
      'expires-after-s': { type: 'string' },
      'work-dir': { type: 'string' },
    },
  });
  const int = (name: string, v: string | undefined, min = 0): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${v}'`);
    return n;
  };
  const profile = values.profile;
  if (profile !== undefined && !PROFILE_NAMES.includes(profile as ProfileName))
    throw new Error(`--profile must be one of ${PROFILE_NAMES.join(', ')}`);
  const queuedMs = int('queued-ms', values['queued-ms']);
  const msPerVideoSecond = int('ms-per-second', values['ms-per-second']);
  const opts: OpenAIMockOptions = {
    port: int('port', values.port) ?? 0,
    timing: { ...(queuedMs !== undefined ? { queuedMs } : {}), ...(msPerVideoSecond !== undefined ? { msPerVideoSecond } : {}) },
  };
  if (values.host) opts.host = values.host;
  if (values['api-key']) opts.apiKey = values['api-key'];
  if (profile) opts.profile = profile as ProfileName;
  const fps = int('fps', values.fps, 1);
  if (fps !== undefined) opts.fps = fps;
  const expires = int('expires-after-s', values['expires-after-s']);
  if (expires !== undefined) opts.expiresAfterS = expires;
  if (values['work-dir']) opts.workDir = values['work-dir'];
  return opts;
}

/** Starts the mock from CLI arguments, prints where it listens, and closes it on SIGINT/SIGTERM. */
export async function runOpenAIMockCli(argv: string[], out: (line: string) => void = (l) => console.log(l)): Promise<OpenAIMock> {
  const mock = await startOpenAIMock(parseMockArgs(argv));
  out(`openai-videos mock listening on ${mock.baseURL}`);
  const stop = () => {
    void mock.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return mock;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runOpenAIMockCli(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`openai-videos mock: ${(err as Error).message}`);
    process.exit(2);
  });
}
