/**
 * Where providers call back when a job ends: `<public base>/v1/hooks/<provider>?scene=<scene workflow id>`, served by
 * the API (src/api/routes/provider-hooks.ts), which verifies the provider's signature and signals the scene. The
 * public base is the workers' STORYREEL_PUBLIC_URL: the address at which the providers reach `storyreel serve` (a
 * tunnel or a reverse proxy in front of it). Unset: no callbacks are asked for and scenes poll, as always.
 */

export const PUBLIC_URL_ENV = 'STORYREEL_PUBLIC_URL';

/** Providers whose creates carry a callback URL and whose callbacks the API verifies. */
export const CALLBACK_PROVIDERS: ReadonlySet<string> = new Set(['replicate', 'fal']);

export class PublicUrlError extends Error {
  override readonly name = 'PublicUrlError';
}

/** The public base from the environment (an empty value counts as unset); throws naming the variable when unusable. */
export function publicBaseFrom(env: Readonly<Record<string, string | undefined>>): URL | undefined {
  const raw = env[PUBLIC_URL_ENV]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PublicUrlError(`${PUBLIC_URL_ENV} must be an absolute https:// URL such as https://storyreel.example.com`);
  }
  // Replicate takes only HTTPS webhook URLs (a create with another would be refused): plain http only on this machine.
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new PublicUrlError(`${PUBLIC_URL_ENV} must be an https:// URL (http:// only for localhost), got ${url.protocol}//${url.host}`);
  if (url.username || url.password || url.search || url.hash)
    throw new PublicUrlError(`${PUBLIC_URL_ENV} must not carry credentials, a query or a fragment: give the base address only`);
  return url;
}

/** The callback URL for one scene's job, or undefined when callbacks are off or the provider has none. */
export function providerCallbackUrl(
  env: Readonly<Record<string, string | undefined>>,
  provider: string,
  sceneWorkflowId: string,
): string | undefined {
  const base = publicBaseFrom(env);
  if (!base || !CALLBACK_PROVIDERS.has(provider)) return undefined;
  const url = new URL(`${base.pathname.replace(/\/+$/, '')}/v1/hooks/${provider}`, base);
  url.searchParams.set('scene', sceneWorkflowId);
  return url.toString();
}
