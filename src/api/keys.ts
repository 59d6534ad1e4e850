/**
 * API keys: `sr_<id>_<secret>` where `id` is 8 public hex characters (names the key in logs and rate limits) and
 * `secret` is 32 random bytes (base64url). Only sha256 of the whole key is stored (<workDir>/api/keys.json, mode
 * 0600); the key itself is shown once, when created. Scopes are ordered: admin ⊃ write ⊃ read.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeJsonAtomic } from '../store/files.js';
import type { Scope } from './schemas/common.js';

export interface StoredKey {
  id: string;
  name: string;
  scope: Scope;
  /** hex sha256 of the full key text. */
  sha256: string;
  /** Requests per minute allowed for this key; default: the server's. */
  rateLimitPerMinute?: number;
  createdAt: string;
}

export interface AuthenticatedKey {
  id: string;
  name: string;
  scope: Scope;
  rateLimitPerMinute?: number;
}

const SCOPE_RANK: Record<Scope, number> = { read: 1, write: 2, admin: 3 };
const KEY_SHAPE = /^sr_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;

export function scopeAllows(have: Scope, need: Scope): boolean {
  return SCOPE_RANK[have] >= SCOPE_RANK[need];
}

export function keysFile(workDir: string): string {
  return join(workDir, 'api', 'keys.json');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export class KeyStore {
  private cache: { at: number; keys: StoredKey[] } | undefined;

  constructor(readonly file: string) {}

  async list(): Promise<StoredKey[]> {
    try {
      return (JSON.parse(await readFile(this.file, 'utf8')) as { keys: StoredKey[] }).keys;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** Creates a key; returns the key text (shown once) and what is stored. */
  async create(opts: { name: string; scope: Scope; rateLimitPerMinute?: number }): Promise<{ key: string; stored: StoredKey }> {
    const id = randomBytes(4).toString('hex');
    const key = `sr_${id}_${randomBytes(32).toString('base64url')}`;
    const stored: StoredKey = {
      id,
      name: opts.name,
      scope: opts.scope,
      sha256: sha256(key),
      createdAt: new Date().toISOString(),
      ...(opts.rateLimitPerMinute ? { rateLimitPerMinute: opts.rateLimitPerMinute } : {}),
    };
    await this.save([...(await this.list()), stored]);
    return { key, stored };
  }

  async revoke(id: string): Promise<boolean> {
    const keys = await this.list();
    const left = keys.filter((k) => k.id !== id);
    if (left.length === keys.length) return false;
    await this.save(left);
    return true;
  }

  /** The key's record when `text` is a valid key; undefined otherwise (constant-time comparison of hashes). */
  async authenticate(text: string): Promise<AuthenticatedKey | undefined> {
    const m = KEY_SHAPE.exec(text);
    if (!m) return undefined;
    const found = (await this.cached()).find((k) => k.id === m[1]);
    if (!found) return undefined;
    const given = Buffer.from(sha256(text), 'hex');
    if (!timingSafeEqual(given, Buffer.from(found.sha256, 'hex'))) return undefined;
    return {
      id: found.id,
      name: found.name,
      scope: found.scope,
      ...(found.rateLimitPerMinute ? { rateLimitPerMinute: found.rateLimitPerMinute } : {}),
    };
  }

  /** Keys re-read at most once a second: `storyreel keys create/revoke` take effect on a running server. */
  async byId(id: string): Promise<StoredKey | undefined> {
    return (await this.cached()).find((k) => k.id === id);
  }

  private async cached(): Promise<StoredKey[]> {
    if (!this.cache || Date.now() - this.cache.at > 1000) this.cache = { at: Date.now(), keys: await this.list() };
    return this.cache.keys;
  }

  private async save(keys: StoredKey[]): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    await writeJsonAtomic(this.file, { keys }, { mode: 0o600 });
    this.cache = undefined;
  }
}
