/** What every route handler shares: the Temporal-backed client, the stores, the authenticator and the limits. */
import type { StoryreelClient } from '../client/index.js';
import type { AssetStore } from './assets.js';
import type { Authenticator } from './auth.js';
import type { IdempotencyStore } from './idempotency.js';
import type { IntakeDeps } from './intake.js';
import type { KeyStore } from './keys.js';

export interface ApiOptions {
  workDir: string;
  outDir: string;
  /** Largest JSON/YAML request body (storyboards, actions). */
  bodyLimitBytes: number;
  /** Largest uploaded asset. */
  assetMaxBytes: number;
  /** Requests per minute per key unless the key says otherwise. */
  rateLimitPerMinute: number;
  /** Let callback URLs reach loopback/private addresses (receivers on this machine or network). */
  allowPrivateWebhooks: boolean;
  /** Whether this server can promise signed webhooks (STORYREEL_WEBHOOK_SECRET is set). */
  webhooksEnabled: boolean;
  /** The follower's poll interval and retry schedule (tests shorten them). */
  followPollMs?: number;
  webhookRetryScheduleS?: number[];
  /** Inbound provider webhooks: their verification secrets come from the environment. */
  env: Readonly<Record<string, string | undefined>>;
  version: string;
}

export interface ApiContext {
  client: StoryreelClient;
  opts: ApiOptions;
  keys: KeyStore;
  auth: Authenticator;
  assets: AssetStore;
  idempotency: IdempotencyStore;
  intake: IntakeDeps;
  /** Directories outputs may be served from: the output root and the clip store. */
  servedRoots: string[];
}
