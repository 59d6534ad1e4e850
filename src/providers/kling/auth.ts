/**
 * Kling's API token: a JWT (HS256) signed with the secret key, `iss` = the access key, valid 30 minutes from 5 s
 * ago ("General Information" → API Authentication: `exp` = now + 1800, `nbf` = now − 5), sent as `Bearer`. Signed
 * with `jose`; one token is reused until it has less than REFRESH_BEFORE_S left, then a fresh one is signed, so no
 * request leaves with a token about to expire. The keys live only in this object (read from the environment by the
 * provider) and never appear in a message.
 */
import { SignJWT } from 'jose';

/** Token lifetime Kling's example uses (30 min). */
export const TOKEN_TTL_S = 1800;
/** `nbf` this far in the past, for clock skew (Kling's example: 5 s). */
export const NOT_BEFORE_SKEW_S = 5;
/** A token with less than this left is replaced before a request. */
export const REFRESH_BEFORE_S = 300;

export interface KlingKeys {
  accessKey: string;
  secretKey: string;
}

export class KlingTokenSource {
  private cached: { token: string; expiresAtS: number } | undefined;
  private readonly secret: Uint8Array;

  constructor(
    private readonly keys: KlingKeys,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.secret = new TextEncoder().encode(keys.secretKey);
  }

  /** A token with at least REFRESH_BEFORE_S of validity left. */
  async token(): Promise<string> {
    const now = Math.floor(this.nowMs() / 1000);
    if (this.cached && this.cached.expiresAtS - now > REFRESH_BEFORE_S) return this.cached.token;
    const expiresAtS = now + TOKEN_TTL_S;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(this.keys.accessKey)
      .setExpirationTime(expiresAtS)
      .setNotBefore(now - NOT_BEFORE_SKEW_S)
      .sign(this.secret);
    this.cached = { token, expiresAtS };
    return token;
  }

  /** Forgets the cached token (Kling said it expired: our clock and theirs disagree). */
  invalidate(): void {
    this.cached = undefined;
  }
}
