/**
 * Who is calling: an API key in `Authorization: Bearer sr_…` (or `X-API-Key`), or the studio's session cookie
 * (made from a key at /studio/login: `<key id>.<expiry>.<HMAC>` — the key itself never comes back). Every route needs
 * one unless its config says `public`; a route's `scope` (default read) must be covered by the key's scope.
 * A request that carries the cookie but changes something must also carry `X-Storyreel-Studio: 1`, which a
 * cross-site form cannot send (with SameSite=Strict, that is belt and braces against CSRF).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { writeFileAtomic } from '../store/files.js';
import { scopeAllows, type AuthenticatedKey, type KeyStore } from './keys.js';
import { ApiProblem } from './problem.js';
import type { Scope } from './schemas/common.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: AuthenticatedKey;
  }
  interface FastifyContextConfig {
    /** No key needed (health, the studio's static files and login). */
    public?: boolean;
    /** The least scope a key needs here. Default read. */
    scope?: Scope;
  }
}

export const SESSION_COOKIE = 'storyreel_session';
const SESSION_HOURS = 12;

/** The HMAC secret of studio sessions, made once per work dir (0600). */
export async function sessionSecret(workDir: string): Promise<Buffer> {
  const file = join(workDir, 'api', 'session-secret');
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
  } catch {
    const secret = randomBytes(32);
    await writeFileAtomic(file, secret.toString('base64'), { mode: 0o600 });
    return secret;
  }
}

export class Authenticator {
  constructor(
    private readonly keys: KeyStore,
    private readonly secret: Buffer,
  ) {}

  /** A session cookie value for a key (the key's id, an expiry, and their HMAC). */
  sessionFor(key: AuthenticatedKey, now = Date.now()): { value: string; maxAgeS: number } {
    const expires = Math.floor(now / 1000) + SESSION_HOURS * 3600;
    const body = `${key.id}.${expires}`;
    return { value: `${body}.${this.mac(body)}`, maxAgeS: SESSION_HOURS * 3600 };
  }

  async authenticate(req: FastifyRequest): Promise<AuthenticatedKey> {
    const header = req.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice(7).trim() : firstHeader(req.headers['x-api-key']);
    if (given) {
      const key = await this.keys.authenticate(given);
      if (!key) throw new ApiProblem(401, 'unauthorized', 'the API key is not valid (or was revoked)', 'authorization');
      return key;
    }
    const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (cookie) {
      const key = await this.fromSession(cookie);
      if (!key) throw new ApiProblem(401, 'unauthorized', 'the studio session expired; sign in again', 'cookie');
      if (req.method !== 'GET' && req.method !== 'HEAD' && req.headers['x-storyreel-studio'] !== '1')
        throw new ApiProblem(403, 'forbidden', 'studio requests that change something carry X-Storyreel-Studio: 1', 'x-storyreel-studio');
      return key;
    }
    throw new ApiProblem(
      401,
      'unauthorized',
      'an API key is required: send "Authorization: Bearer <key>" (create one with `storyreel keys create`)',
      'authorization',
    );
  }

  authorize(key: AuthenticatedKey, need: Scope): void {
    if (!scopeAllows(key.scope, need))
      throw new ApiProblem(403, 'forbidden', `this needs a key with scope "${need}"; this key has "${key.scope}"`, 'authorization');
  }

  private async fromSession(value: string): Promise<AuthenticatedKey | undefined> {
    const [id, expires, mac] = value.split('.');
    if (!id || !expires || !mac) return undefined;
    const want = Buffer.from(this.mac(`${id}.${expires}`));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
    if (Number(expires) * 1000 < Date.now()) return undefined;
    const stored = await this.keys.byId(id);
    if (!stored) return undefined;
    return {
      id: stored.id,
      name: stored.name,
      scope: stored.scope,
      ...(stored.rateLimitPerMinute ? { rateLimitPerMinute: stored.rateLimitPerMinute } : {}),
    };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}
