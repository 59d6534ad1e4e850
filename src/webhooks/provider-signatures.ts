/**
 * Verifying providers' webhooks before anything acts on them.
 * - Replicate signs per Standard Webhooks with the account's signing secret (whsec_…, from
 *   GET /v1/webhooks/default/secret), given to storyreel as REPLICATE_WEBHOOK_SECRET.
 * - fal signs with ED25519: `X-Fal-Webhook-Signature` (hex) over
 *   "<request id>\n<user id>\n<timestamp>\n<hex sha256 of the body>", with keys published as a JWKS
 *   (FAL_JWKS_URL, default fal's). Timestamps older or newer than five minutes are refused.
 */
import { createHash, createPublicKey, verify as verifySignature, type JsonWebKey } from 'node:crypto';
import { verifySignedRequest } from './signing.js';

export class SignatureError extends Error {
  override readonly name = 'SignatureError';
}

type Headers = Record<string, string | string[] | undefined>;
const one = (h: Headers, name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export const TOLERANCE_S = 300;

export function verifyReplicate(secret: string | undefined, body: string, headers: Headers): void {
  if (!secret) throw new SignatureError('REPLICATE_WEBHOOK_SECRET is not set on this server; it cannot verify Replicate webhooks');
  try {
    verifySignedRequest(secret, body, headers);
  } catch (err) {
    throw new SignatureError(`Replicate signature does not verify: ${(err as Error).message}`);
  }
}

export const DEFAULT_FAL_JWKS_URL = 'https://rest.alpha.fal.ai/.well-known/jwks.json';

/** Keys fetched from a JWKS URL, kept for a day (fal rotates rarely; a failed verify refetches once). */
export class JwksCache {
  private keys: { at: number; keys: JsonWebKey[] } | undefined;
  constructor(
    readonly url: string,
    private readonly fetchJson: (url: string) => Promise<unknown> = async (u) =>
      (await fetch(u, { signal: AbortSignal.timeout(10_000) })).json(),
  ) {}

  async get(refresh = false): Promise<JsonWebKey[]> {
    if (refresh || !this.keys || Date.now() - this.keys.at > 86_400_000) {
      const doc = (await this.fetchJson(this.url)) as { keys?: JsonWebKey[] };
      this.keys = { at: Date.now(), keys: doc.keys ?? [] };
    }
    return this.keys.keys;
  }
}

export async function verifyFal(jwks: JwksCache, body: string, headers: Headers, now = Date.now()): Promise<void> {
  const requestId = one(headers, 'x-fal-webhook-request-id');
  const userId = one(headers, 'x-fal-webhook-user-id');
  const timestamp = one(headers, 'x-fal-webhook-timestamp');
  const signature = one(headers, 'x-fal-webhook-signature');
  if (!requestId || !userId || !timestamp || !signature) throw new SignatureError('fal webhook headers are missing');
  if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > TOLERANCE_S)
    throw new SignatureError('fal webhook timestamp is outside five minutes');
  const message = Buffer.from(`${requestId}\n${userId}\n${timestamp}\n${createHash('sha256').update(body).digest('hex')}`);
  const sig = Buffer.from(signature, 'hex');
  for (const refresh of [false, true]) {
    for (const jwk of await jwks.get(refresh)) {
      try {
        if (verifySignature(null, message, createPublicKey({ key: jwk, format: 'jwk' }), sig)) return;
      } catch {
        // a key of another type in the set
      }
    }
  }
  throw new SignatureError('fal signature does not verify against any published key');
}
