/**
 * Generated media served at a URL of the mock's own server, the way providers hand out CDN or pre-signed URLs
 * (fal `https://v3b.fal.media/files/…`, Replicate `https://replicate.delivery/…`, Runway's task `output[]`): an
 * unguessable token in the path, no API key needed, and an optional expiry after which the URL answers 404 (Replicate
 * removes outputs after an hour, Runway's URLs expire within 24–48 h).
 *
 * The kit's server routes `GET <pathPrefix>/<token>/<filename>` here before the provider sees the request; such
 * requests are logged like any other and content faults apply to them.
 */
import { randomBytes } from 'node:crypto';
import type { MediaRenderer, RenderSpec, Variant } from './media.js';
import type { Asset } from './respond.js';

/** What a URL serves: a rendering (made on first download unless prerendered), or a file that exists. */
export type MediaSource = { spec: RenderSpec; variant?: Variant } | { asset: Asset };

export interface PublishOptions {
  /** Last path segment of the URL, e.g. `output.mp4`. */
  filename: string;
  /** Lifetime from now, ms; undefined or null = never expires. */
  ttlMs?: number | null;
  /** The job it belongs to, for the request log. */
  jobId?: string;
}

export interface PublishedMedia {
  url: string;
  /** The URL's path on this server. */
  path: string;
  source: MediaSource;
  /** Epoch ms from which the URL answers 404; null = never. */
  expiresAtMs: number | null;
  jobId: string | undefined;
}

export interface MediaHostOptions {
  /** `http://127.0.0.1:PORT` of the mock. */
  baseUrl: string;
  /** Path under which media URLs live, e.g. `/files`. */
  pathPrefix: string;
  clock: () => number;
  renderer: MediaRenderer;
}

export class MediaHost {
  private readonly published = new Map<string, PublishedMedia>();

  constructor(private readonly opts: MediaHostOptions) {}

  /** A new URL for `source`. Each call makes a new URL (as providers sign every hand-out anew). */
  publish(source: MediaSource, opts: PublishOptions): PublishedMedia {
    const path = `${this.opts.pathPrefix}/${randomBytes(16).toString('hex')}/${encodeURIComponent(opts.filename)}`;
    const media: PublishedMedia = {
      url: `${this.opts.baseUrl}${path}`,
      path,
      source,
      expiresAtMs: opts.ttlMs === undefined || opts.ttlMs === null ? null : this.opts.clock() + opts.ttlMs,
      jobId: opts.jobId,
    };
    this.published.set(path, media);
    return media;
  }

  /** Whether a request path is under this host's prefix (then it is answered here, found or not). */
  owns(path: string): boolean {
    return path.startsWith(`${this.opts.pathPrefix}/`);
  }

  find(path: string): PublishedMedia | undefined {
    return this.published.get(path);
  }

  isExpired(media: PublishedMedia, nowMs = this.opts.clock()): boolean {
    return media.expiresAtMs !== null && nowMs >= media.expiresAtMs;
  }

  /** Expires every URL of a job now (a provider that deletes outputs on request). */
  expireJob(jobId: string): void {
    const now = this.opts.clock();
    for (const m of this.published.values()) if (m.jobId === jobId) m.expiresAtMs = Math.min(m.expiresAtMs ?? now, now);
  }

  async asset(media: PublishedMedia): Promise<Asset> {
    const s = media.source;
    return 'asset' in s ? s.asset : this.opts.renderer.asset(s.spec, s.variant ?? 'video');
  }

  clear(): void {
    this.published.clear();
  }
}
