/**
 * Structured JSON logs (pino), one object per line, for a worker or server process; also the Temporal Runtime's
 * logger, so the SDK's entries (worker state, workflow and activity logs with their ids) come out the same way.
 *
 * Secrets never reach the output: values under secret-looking keys are replaced, and any string that contains the
 * value of a secret-looking environment variable (an API key, a password) has it masked, wherever it appears
 * (a message, an error's text, a nested field).
 */
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACTED = '[redacted]';
/** Keys whose values are never logged, wherever they are nested (case-insensitive, ignoring `-` and `_`). */
const SECRET_KEY = /(apikey|secret|password|passwd|token|authorization|credential|cookie|privatekey|signature)/i;
/** Environment variables whose values are secrets (OPENAI_API_KEY, AWS_SECRET_ACCESS_KEY, TEMPORAL_API_KEY, …). */
const SECRET_ENV = /(KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL)/i;
/** Shorter values are not masked inside strings (too likely to be ordinary text). */
const MIN_MASKED_LENGTH = 8;

export interface LoggerOptions {
  level?: string;
  /** The environment whose secret-looking values are masked; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where lines go; default stderr (stdout stays free for a command's own output). */
  destination?: DestinationStream;
  /** Fields on every line (e.g. { service: 'worker' }). */
  base?: Record<string, unknown>;
}

/** The values to mask: every non-trivial value of a secret-looking environment variable, longest first. */
export function secretValues(env: Readonly<Record<string, string | undefined>>): string[] {
  const values = Object.entries(env)
    .filter(([k, v]) => SECRET_ENV.test(k) && v !== undefined && v.length >= MIN_MASKED_LENGTH)
    .map(([, v]) => v!);
  return [...new Set(values)].sort((a, b) => b.length - a.length);
}

/** A deep copy of `value` with secret keys replaced and secret values masked inside strings. */
export function scrub(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return maskString(value, secrets);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) {
    return scrub({ type: value.name, message: value.message, stack: value.stack, ...(value as object) }, secrets, depth + 1);
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k.replace(/[-_]/g, '')) && v !== undefined && v !== null && v !== '' ? REDACTED : scrub(v, secrets, depth + 1);
  }
  return out;
}

function maskString(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  // Bearer tokens and basic credentials in a URL, whether or not they come from this environment.
  return out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, `$1${REDACTED}`).replace(/(\/\/[^/\s:@]+:)[^@\s/]+@/g, `$1${REDACTED}@`);
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const secrets = secretValues(opts.env ?? process.env);
  return pino(
    {
      level: (opts.level ?? 'info').toLowerCase(),
      base: { pid: process.pid, ...opts.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => scrub(obj, secrets) as Record<string, unknown>,
      },
      hooks: {
        // The message itself may quote an error that quotes a key.
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? maskString(a, secrets) : a)) as Parameters<typeof method>);
        },
      },
    },
    opts.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Temporal's Logger interface over pino: what Runtime.install({ logger }) takes. */
export function temporalLogger(logger: Logger, drop: (message: string) => boolean = () => false): TemporalLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => {
    if (drop(message)) return;
    const fields = meta ? { ...meta } : {};
    // The SDK's meta names the log's origin (sdkComponent) and carries workflow and activity ids; keep them flat.
    logger[PINO_LEVEL[level]](fields, message);
  };
  return {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}
