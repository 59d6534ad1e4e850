/**
 * How a storyboard configures one provider. Read by the planner (plan-time checks), carried in every scene's plan,
 * and handed to the adapter on the worker. Secrets never live here: `apiKeyEnv` names an environment variable.
 */
import { z } from 'zod';
import { Id } from './ids.js';

/**
 * An http(s) base URL with no credentials, query or fragment: a key in a URL ends up in logs, manifests and
 * histories, so it is refused with the place a key belongs.
 */
export const BaseURL = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .refine((u) => !new URL(u).username && !new URL(u).password, {
    error: 'must not contain credentials (user:password@); put the key in an environment variable and name it in apiKeyEnv',
  })
  .refine((u) => !new URL(u).search && !new URL(u).hash, {
    error: 'must not contain a query string or fragment (keys in URLs leak into logs); use apiKeyEnv for the key',
  });

/** Per-provider settings. Secrets never live in a storyboard: `apiKeyEnv` names the environment variable. */
export const ProviderSettings = z.strictObject({
  baseURL: BaseURL.optional(),
  apiKeyEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable (e.g. MY_GATEWAY_KEY), not a key')
    .optional(),
  /** Local provider only: simulated latency per job in milliseconds (for demos and tests). */
  latencyMs: z.number().int().min(0).optional(),
  /** Local provider only: "instant" reuses one rendered clip per size and length (benchmarks). */
  render: z.enum(['full', 'instant']).optional(),
  /** Local provider only: injected failures (for demos and tests). `times: 0` fails every time. */
  faults: z
    .array(
      z.strictObject({
        scene: Id.optional(),
        on: z.enum(['submit', 'job', 'download']),
        kind: z.enum(['transient', 'rate_limited', 'quota_exhausted', 'invalid_request', 'content_policy', 'job_failed', 'output_corrupt']),
        times: z.number().int().min(0).default(1),
      }),
    )
    .optional(),
  /** At most this many jobs of this provider in flight at once, across every production on the cluster. */
  maxInFlight: z.number().int().min(1).max(10_000).optional(),
  /** Give up on one HTTP request after this long without response headers (it is then retried). */
  requestTimeoutMs: z.number().int().min(100).max(600_000).optional(),
  /** Time between status polls; default: the provider's hint, else its capability default. */
  pollIntervalMs: z.number().int().min(10).max(600_000).optional(),
  /** Abandon a job still queued/running after this long and submit a new one (default from capabilities). */
  jobDeadlineSeconds: z.number().positive().max(86_400).optional(),
  /** Jobs per scene before the scene fails: 1 + resubmissions after job failures, stuck jobs, expiries. */
  maxJobAttempts: z.number().int().min(1).max(10).optional(),
});
export type ProviderSettings = z.infer<typeof ProviderSettings>;
