/**
 * Command-line pieces every mock shares: the common options (`--port`, `--host`, `--work-dir`), integer checks with
 * messages that name the option, and running a mock until SIGINT/SIGTERM when its file is executed directly.
 */
import { parseArgs } from 'node:util';

/** A bad command-line argument; the message names the option and what is allowed (the CLI exits 2). */
export class MockArgsError extends Error {
  override readonly name = 'MockArgsError';
}

/** Options every mock takes: `--port`, `--host`, `--work-dir`. */
export const COMMON_MOCK_OPTIONS = ['port', 'host', 'work-dir'] as const;

/**
 * `--name value` options (strictly: an unknown option, a missing value or a positional is a MockArgsError). Every
 * option takes a value; the common ones are always accepted.
 */
export function parseMockArgs<const K extends string>(
  argv: string[],
  names: readonly K[],
): Partial<Record<K | (typeof COMMON_MOCK_OPTIONS)[number], string>> {
  const options = Object.fromEntries([...COMMON_MOCK_OPTIONS, ...names].map((n) => [n, { type: 'string' as const }]));
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Partial<
      Record<K | (typeof COMMON_MOCK_OPTIONS)[number], string>
    >;
  } catch (err) {
    throw new MockArgsError((err as Error).message);
  }
}

/** An integer option ≥ `min`, or undefined when absent. */
export function intOption(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new MockArgsError(`--${name} must be an integer >= ${min}, got '${value}'`);
  return n;
}

/** `--port` (default 0: a free port), `--host`, `--work-dir`, as the kit server's options. */
export function commonMockOptions(values: { port?: string | undefined; host?: string | undefined; 'work-dir'?: string | undefined }): {
  port: number;
  host?: string;
  workDir?: string;
} {
  return {
    port: intOption('port', values.port) ?? 0,
    ...(values.host ? { host: values.host } : {}),
    ...(values['work-dir'] ? { workDir: values['work-dir'] } : {}),
  };
}

export interface StartedMock {
  /** What clients use as their base URL; printed as `<name> mock listening on <baseURL>`. */
  baseURL: string;
  close(): Promise<void>;
}

/**
 * For a mock's main.ts run directly (`npx tsx src/mock/<name>/main.ts …`): starts it, prints where it listens, and
 * closes it on SIGINT/SIGTERM (exit 0); a bad argument exits 2 with the message.
 */
export function runStandalone(name: string, start: (argv: string[]) => Promise<StartedMock>): void {
  start(process.argv.slice(2)).then(
    (mock) => {
      console.log(`${name} mock listening on ${mock.baseURL}`);
      const stop = () => void mock.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err: unknown) => {
      console.error(`${name} mock: ${(err as Error).message}`);
      process.exit(2);
    },
  );
}
