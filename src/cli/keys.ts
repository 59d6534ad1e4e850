/**
 * `storyreel keys`: API keys for `storyreel serve` (create shows the key once; only its sha256 is stored), and
 * a webhook signing secret for STORYREEL_WEBHOOK_SECRET.
 */
import { KeyStore, keysFile } from '../api/keys.js';
import { Scope } from '../api/schemas/common.js';
import { newWebhookSecret, WEBHOOK_SECRET_ENV } from '../webhooks/signing.js';
import { config, EXIT, UsageError, type Io } from './common.js';

const store = () => new KeyStore(keysFile(config().workDir));

export async function keysCreateCommand(
  opts: { name?: string; scope?: string; rateLimit?: string; json?: boolean },
  io: Io,
): Promise<number> {
  const scope = Scope.safeParse(opts.scope ?? 'read');
  if (!scope.success) throw new UsageError('--scope must be read, write or admin');
  const rate = opts.rateLimit !== undefined ? Number(opts.rateLimit) : undefined;
  if (rate !== undefined && (!Number.isInteger(rate) || rate < 1))
    throw new UsageError('--rate-limit must be a whole number of requests per minute');
  const { key, stored } = await store().create({
    name: opts.name ?? 'api',
    scope: scope.data,
    ...(rate ? { rateLimitPerMinute: rate } : {}),
  });
  if (opts.json) io.out(JSON.stringify({ key, id: stored.id, name: stored.name, scope: stored.scope }));
  else {
    io.out(key);
    io.err(
      `key ${stored.id} (${stored.name}, scope ${stored.scope}) created; it is shown only now. Use it as "Authorization: Bearer <key>".`,
    );
  }
  return EXIT.ok;
}

export async function keysListCommand(opts: { json?: boolean }, io: Io): Promise<number> {
  const keys = (await store().list()).map(({ sha256: _hash, ...k }) => k);
  if (opts.json) io.out(JSON.stringify(keys, null, 2));
  else
    for (const k of keys)
      io.out(
        `${k.id}  ${k.scope.padEnd(5)}  ${k.name}  created ${k.createdAt}${k.rateLimitPerMinute ? `  ${k.rateLimitPerMinute}/min` : ''}`,
      );
  return EXIT.ok;
}

export async function keysRevokeCommand(id: string, io: Io): Promise<number> {
  if (!(await store().revoke(id))) throw new UsageError(`no key with id ${id} (storyreel keys list shows them)`);
  io.out(`key ${id} revoked`);
  return EXIT.ok;
}

export function webhookSecretCommand(io: Io): number {
  io.out(newWebhookSecret());
  io.err(`set it as ${WEBHOOK_SECRET_ENV} for storyreel serve and every worker; give it to your webhook receivers`);
  return EXIT.ok;
}
