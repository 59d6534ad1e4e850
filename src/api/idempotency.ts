/**
 * Idempotency-Key for creating productions and batches: the first request with a key records the hash of what it
 * asked for (method, path, query, body); a repeat with the same hash proceeds, and since submission is idempotent
 * by production id (the same body plans the same id), it attaches to the same production. A different request
 * with the same key is refused (409). Keys are per API key, stored under <workDir>/api/idempotency/.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiProblem } from './problem.js';

const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

export class IdempotencyStore {
  constructor(readonly root: string) {}

  /** Claims `key` for this request, or confirms an earlier claim of the same request; throws 409 otherwise. */
  async claim(apiKeyId: string, key: string, request: string): Promise<{ repeated: boolean }> {
    if (!KEY_SHAPE.test(key))
      throw new ApiProblem(400, 'bad_request', 'Idempotency-Key must be 1-255 visible ASCII characters', 'idempotency-key');
    const hash = createHash('sha256').update(request).digest('hex');
    const file = join(this.root, `${createHash('sha256').update(`${apiKeyId}\n${key}`).digest('hex')}.json`);
    await mkdir(this.root, { recursive: true });
    try {
      await writeFile(file, JSON.stringify({ request: hash, at: new Date().toISOString() }), { flag: 'wx' });
      return { repeated: false };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const first = await readClaim(file);
    if (first.request !== hash)
      throw new ApiProblem(
        409,
        'conflict',
        'this Idempotency-Key was used with a different request; use a new key for a new request',
        'idempotency-key',
      );
    return { repeated: true };
  }
}

/** The earlier claim; a concurrent claimer may still be writing it, so an unreadable one is read again shortly. */
async function readClaim(file: string): Promise<{ request: string }> {
  for (let i = 0; ; i++) {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as { request: string };
    } catch (err) {
      if (i >= 20) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
