/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-signature` is `v1,<base64 HMAC-SHA256 of
 * "<id>.<timestamp>.<body>">` keyed with the base64 part of a `whsec_` secret. The `standardwebhooks` package does
 * the cryptography; this file only says where the secret comes from and what the headers are.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** The environment variable that holds storyreel's outbound signing secret (on the API server and the workers). */
export const WEBHOOK_SECRET_ENV = 'STORYREEL_WEBHOOK_SECRET';

const SECRET_SHAPE = /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/;

export class WebhookSecretError extends Error {
  override readonly name = 'WebhookSecretError';
}

/** A new secret: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The signing secret from the environment; throws naming the variable (never echoing its value) when unusable. */
export function webhookSecretFrom(env: Readonly<Record<string, string | undefined>>): string {
  const secret = env[WEBHOOK_SECRET_ENV];
  if (!secret) throw new WebhookSecretError(`${WEBHOOK_SECRET_ENV} is not set; create one with \`storyreel keys webhook-secret\``);
  if (!SECRET_SHAPE.test(secret))
    throw new WebhookSecretError(`${WEBHOOK_SECRET_ENV} must be "whsec_" followed by base64 of at least 24 random bytes`);
  return secret;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three Standard Webhooks headers for one delivery attempt of `body` (the exact bytes that are sent). */
export function signedHeaders(secret: string, id: string, at: Date, body: string): SignedHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

/** Verifies a Standard Webhooks request (signature and a timestamp within five minutes); throws when it does not hold. */
export function verifySignedRequest(secret: string, body: string, headers: Record<string, string | string[] | undefined>): void {
  const pick = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
  };
  new Webhook(secret).verify(body, {
    'webhook-id': pick('webhook-id'),
    'webhook-timestamp': pick('webhook-timestamp'),
    'webhook-signature': pick('webhook-signature'),
  });
}
