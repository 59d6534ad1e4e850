/**
 * `npm run stack` (and `npm run setup:deploy` with setupOnly): builds what is missing, starts the stack in
 * <work dir>/stack, prints how to use it, and stops everything on Ctrl-C (SIGINT) or SIGTERM.
 *
 * The object store's credentials are written to <work dir>/stack/s3-credentials.env (mode 0600, regenerated on
 * every run) rather than printed; STORYREEL_S3_ACCESS_KEY_ID / STORYREEL_S3_SECRET_ACCESS_KEY fix them instead.
 */
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { loadConfig } from '../config.js';
import { prepareStack, stackEnvironment, startStack } from './stack.js';

export async function runStackCommand(opts: { setupOnly: boolean; log: (msg: string) => void }): Promise<number> {
  const cfg = loadConfig();
  const started = Date.now();
  if (opts.setupOnly) {
    await prepareStack(cfg.cacheDir, opts.log);
    opts.log(`deploy setup done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  }
  const dir = join(cfg.workDir, 'stack');
  const keyId = process.env.STORYREEL_S3_ACCESS_KEY_ID;
  const secret = process.env.STORYREEL_S3_SECRET_ACCESS_KEY;
  if (Boolean(keyId) !== Boolean(secret)) {
    opts.log('set both STORYREEL_S3_ACCESS_KEY_ID and STORYREEL_S3_SECRET_ACCESS_KEY, or neither (then they are generated)');
    return 2;
  }
  const stack = await startStack({
    dir,
    cacheDir: cfg.cacheDir,
    log: opts.log,
    ...(keyId && secret ? { s3Credentials: { accessKeyId: keyId, secretAccessKey: secret } } : {}),
  });
  const env = stackEnvironment(stack);
  const credentialsFile = join(dir, 's3-credentials.env');
  await writeFile(
    credentialsFile,
    Object.entries(env.secret)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
    { mode: 0o600 },
  );
  const shown = relative(process.cwd(), credentialsFile) || credentialsFile;
  process.stdout.write(
    [
      '',
      `Stack up in ${((Date.now() - started) / 1000).toFixed(1)} s (data in ${dir}):`,
      `  PostgreSQL ${stack.postgres.version}   127.0.0.1:${stack.postgres.port}`,
      `  Temporal server    ${stack.temporal.address} (namespace ${stack.temporal.namespace})`,
      `  S3 (versitygw)     ${stack.objectStore.endpoint} (bucket ${stack.objectStore.bucket})`,
      '',
      'In another shell:',
      ...Object.entries(env.plain).map(([k, v]) => `  export ${k}=${v}`),
      `  set -a; . ${shown}; set +a    # the object store's credentials`,
      '',
      'Ctrl-C stops everything; the data stays for the next run.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  opts.log('stopping…');
  await stack.stop();
  opts.log('stopped');
  return 0;
}
