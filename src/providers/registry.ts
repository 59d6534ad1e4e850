/**
 * Provider instances by name and settings, each behind a backoff gate: when a provider says "wait"
 * (Retry-After on a 429), every call to it from this worker waits, not only the scene that was told.
 */
import { canonicalJson } from '../contracts/hash.js';
import { ProviderError } from './errors.js';
import { ComfyUIProvider } from './comfyui/provider.js';
import { FalProvider } from './fal/provider.js';
import { GoogleProvider } from './google/provider.js';
import { KlingProvider } from './kling/provider.js';
import { LocalProvider, localProviderRoot } from './local/provider.js';
import { OpenAIVideosProvider } from './openai-videos/provider.js';
import { ReplicateProvider } from './replicate/provider.js';
import { RunwayProvider } from './runway/provider.js';
import type { VideoProvider } from './types.js';
import type { ProviderSettings } from '../contracts/provider-settings.js';

export type ProviderFactory = (
  settings: ProviderSettings,
  ctx: { workDir: string; env: Readonly<Record<string, string | undefined>> },
) => VideoProvider;

export interface RegistryOptions {
  workDir: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Extra or replacement factories by provider name (tests, plugins). */
  factories?: Record<string, ProviderFactory>;
}

const BUILT_IN: Record<string, ProviderFactory> = {
  local: (settings, ctx) => new LocalProvider(localProviderRoot(ctx.workDir), settings),
  'openai-videos': (settings, ctx) => new OpenAIVideosProvider({ settings, env: ctx.env }),
  fal: (settings, ctx) => new FalProvider({ settings, env: ctx.env }),
  replicate: (settings, ctx) => new ReplicateProvider({ settings, env: ctx.env }),
  kling: (settings, ctx) => new KlingProvider({ settings, env: ctx.env }),
  runway: (settings, ctx) => new RunwayProvider({ settings, env: ctx.env }),
  google: (settings, ctx) => new GoogleProvider({ settings, env: ctx.env }),
  comfyui: (settings, ctx) => new ComfyUIProvider({ settings, env: ctx.env }),
};

/** Serialises "not before" across all calls to one provider instance. */
export class BackoffGate {
  private notBefore = 0;
  constructor(private readonly now: () => number = Date.now) {}

  blockFor(ms: number): void {
    this.notBefore = Math.max(this.notBefore, this.now() + ms);
  }

  /** Milliseconds still to wait. */
  remaining(): number {
    return Math.max(0, this.notBefore - this.now());
  }

  async wait(signal?: AbortSignal): Promise<void> {
    for (let ms = this.remaining(); ms > 0; ms = this.remaining()) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => (clearTimeout(t), reject(signal!.reason as Error));
        const t = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }
}

function gated(provider: VideoProvider, gate: BackoffGate): VideoProvider {
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>, signalOf: (...args: A) => AbortSignal | undefined) =>
    async (...args: A): Promise<R> => {
      await gate.wait(signalOf(...args));
      try {
        return await fn(...args);
      } catch (err) {
        if (
          err instanceof ProviderError &&
          err.retryAfterMs !== undefined &&
          (err.kind === 'rate_limited' || err.kind === 'concurrency_limited')
        ) {
          gate.blockFor(err.retryAfterMs);
        }
        throw err;
      }
    };
  const findByClientRef = provider.findByClientRef?.bind(provider);
  const findCandidates = provider.findCandidates?.bind(provider);
  return {
    id: provider.id,
    capabilities: (m) => provider.capabilities(m),
    validate: (r) => provider.validate(r),
    assertAvailable: (m) => provider.assertAvailable(m),
    submit: wrap(provider.submit.bind(provider), (_r, ctx) => ctx.signal),
    poll: wrap(provider.poll.bind(provider), (_j, ctx) => ctx.signal),
    download: wrap(provider.download.bind(provider), (_j, _d, ctx) => ctx.signal),
    cancel: wrap(provider.cancel.bind(provider), (_j, ctx) => ctx.signal),
    ...(findByClientRef ? { findByClientRef: wrap(findByClientRef, (_r, ctx) => ctx.signal) } : {}),
    ...(findCandidates ? { findCandidates: wrap(findCandidates, (_r, _s, ctx) => ctx.signal) } : {}),
  };
}

export class ProviderRegistry {
  private readonly instances = new Map<string, VideoProvider>();
  /** One gate per endpoint: instances that differ only in settings share the provider's rate limits. */
  private readonly gates = new Map<string, BackoffGate>();
  private readonly factories: Record<string, ProviderFactory>;

  constructor(private readonly opts: RegistryOptions) {
    this.factories = { ...BUILT_IN, ...opts.factories };
  }

  /** Every provider this worker can serve. */
  names(): string[] {
    return Object.keys(this.factories);
  }

  get(name: string, settings: ProviderSettings = {}): VideoProvider {
    const key = `${name}:${canonicalJson(settings)}`;
    let p = this.instances.get(key);
    if (!p) {
      const factory = this.factories[name];
      if (!factory) {
        throw new ProviderError(
          'invalid_request',
          `this worker has no provider "${name}" (has: ${Object.keys(this.factories).join(', ')})`,
          { provider: name },
        );
      }
      const gateKey = `${name}|${settings.baseURL ?? ''}`;
      let gate = this.gates.get(gateKey);
      if (!gate) this.gates.set(gateKey, (gate = new BackoffGate()));
      p = gated(factory(settings, { workDir: this.opts.workDir, env: this.opts.env }), gate);
      this.instances.set(key, p);
    }
    return p;
  }
}
