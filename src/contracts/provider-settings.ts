/**
 * How a storyboard configures one provider. Read by the planner (plan-time checks), carried in every scene's plan,
 * and handed to the adapter on the worker. Secrets never live here: `apiKeyEnv` names an environment variable.
 */
import { z } from 'zod';

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

/** The submit activity's start-to-close timeout unless a production sets Timeouts.submitS (workflows/render-scene.ts). */
export const SUBMIT_TIMEOUT_DEFAULT_S = 120;
/** A request ends this long before its submit activity times out (the activity itself abandons 5 s before). */
export const SUBMIT_MARGIN_S = 10;

/** The longest requestTimeoutMs a submit activity of `submitS` seconds leaves room for. */
export function maxRequestTimeoutMs(submitS: number = SUBMIT_TIMEOUT_DEFAULT_S): number {
  return Math.max(0, (submitS - SUBMIT_MARGIN_S) * 1000);
}

/**
 * The settings every provider understands. A provider adds its own fields with `providerSettings({...})` (in its
 * catalog file); the planner validates each `providers.<name>` block of a storyboard with that provider's schema,
 * so an unknown key is still an error naming its path.
 */
export const COMMON_SETTINGS = {
  baseURL: BaseURL.optional(),
  apiKeyEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable (e.g. MY_GATEWAY_KEY), not a key')
    .optional(),
  /** At most this many jobs of this provider in flight at once, across every production on the cluster. */
  maxInFlight: z.number().int().min(1).max(10_000).optional(),
  /**
   * Give up on one HTTP request after this long without response headers (it is then retried). At most the submit
   * activity's timeout minus SUBMIT_MARGIN_S: a create still waiting when its activity times out could start a job
   * that the retry, not knowing of it, pays for again.
   */
  requestTimeoutMs: z
    .number()
    .int()
    .min(100)
    .max(maxRequestTimeoutMs(), {
      message: `must be at most ${maxRequestTimeoutMs()} ms: a request has to end inside the submit's ${SUBMIT_TIMEOUT_DEFAULT_S} s timeout, with ${SUBMIT_MARGIN_S} s to spare`,
    })
    .optional(),
  /** Time between status polls; default: the provider's hint, else its capability default. */
  pollIntervalMs: z.number().int().min(10).max(600_000).optional(),
  /** Abandon a job still queued/running after this long and submit a new one (default from capabilities). */
  jobDeadlineSeconds: z.number().positive().max(86_400).optional(),
  /** Jobs per scene before the scene fails: 1 + resubmissions after job failures, stuck jobs, expiries. */
  maxJobAttempts: z.number().int().min(1).max(10).optional(),
};

export const CommonProviderSettings = z.strictObject(COMMON_SETTINGS);

/** A provider's settings schema: the common fields plus its own, strict (unknown keys are errors). */
export function providerSettings<T extends z.ZodRawShape>(own: T) {
  return z.strictObject({ ...COMMON_SETTINGS, ...own });
}

/**
 * A file a provider setting names (a ComfyUI workflow, say), as src/load read it: the path as the storyboard wrote it
 * (relative to the storyboard's folder, confined to it like images), the sha256 of its bytes, and its text. It travels
 * in the plan, so a worker needs no access to the user's disk; its hash is part of every clip's cache key.
 */
export interface SettingsFile {
  path: string;
  sha256: string;
  text: string;
}

/** The files a provider's settings name, keyed by the setting's path inside its block (e.g. `workflows.wan.file`). */
export type SettingsFiles = Readonly<Record<string, SettingsFile>>;

/**
 * Settings as they travel in a plan: the common fields, typed, plus whatever the provider's own schema accepted.
 * Plain JSON. The adapter parses its own fields again with its schema (without `files`).
 *
 * `files` is never written by the user (the strict schemas refuse it): the planner attaches the files the provider's
 * catalog says its settings name (`ProviderCatalog.settingsFiles`), as src/load read them.
 */
export type ProviderSettings = z.infer<typeof CommonProviderSettings> & {
  readonly files?: SettingsFiles;
  readonly [field: string]: unknown;
};

/** The settings without `files`, for a provider's own (strict) schema. */
export function withoutFiles(settings: ProviderSettings): Record<string, unknown> {
  const { files: _files, ...own } = settings;
  return own;
}
