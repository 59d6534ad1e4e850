/**
 * The contract between the kit's server and one provider mock: what the provider supplies (routes, handlers, its
 * error format, optional auth and state listings) and what it gets (the request, already classified, with its
 * fault and parsed body). See ../README.md for a walk-through.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ParsedBody } from './body.js';
import type { MockHttpError } from './errors.js';
import type { ErrorFault, FaultAction } from './faults.js';
import type { MediaHost } from './media-host.js';
import type { MediaRenderer } from './media.js';
import type { JsonReply, Reply } from './respond.js';

/** A request classified by the provider. */
export interface MockRoute {
  /** The operation (`create`, `status`, `result`, …): for the provider's dispatch. */
  kind: string;
  /** The request creates a job: job_failed / job_stuck faults apply to it. */
  createsJob?: boolean;
  /** The request downloads an output: content_* faults apply to it. */
  servesContent?: boolean;
  /** The job the path names, logged as `jobId` even when the request fails. */
  jobId?: string;
}

export interface MockRequest<R extends MockRoute> {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  route: R;
  body: ParsedBody;
  /** The fault chosen for this request (by a rule or `x-mock-fault`); error and transport faults never get here. */
  fault: FaultAction | undefined;
  /** The `Range` header, for an AssetReply. */
  range: string | undefined;
}

export interface HandlerResult {
  reply: Reply;
  /** The job the request created or addressed, for the request log. */
  jobId?: string;
}

/** What the kit hands the provider when the server is listening. */
export interface MockKit {
  /** `http://HOST:PORT` */
  url: string;
  /** Epoch ms; drives jobs, expiry and log times. */
  clock: () => number;
  /** ffmpeg renderings, cached in `workDir`. */
  renderer: MediaRenderer;
  /** Media URLs on this server (CDN-like, optionally expiring). */
  media: MediaHost;
  workDir: string;
}

export interface MockProvider<R extends MockRoute> {
  /** Classifies a request; undefined = no such route (answered with `notFound` after faults and auth). */
  route(method: string, path: string): R | undefined;
  /** Answers a request of a known route; throws MockHttpError for an error answer. */
  handle(req: MockRequest<R>): Promise<HandlerResult>;
  /** Any MockHttpError (the provider's own and the kit's) as a body in the provider's error format. */
  errorReply(err: MockHttpError): JsonReply;
  /** The provider's answer to an `http`, `rate_limit` or `quota` fault (the kit adds the retry hint headers). */
  faultBody(action: ErrorFault): JsonReply;
  /** The provider's answer to a path it does not serve. */
  notFound(method: string, path: string): MockHttpError;
  /** Throws MockHttpError (401/403) when the request's credentials are missing or wrong. Media URLs skip it. */
  authorize?(req: IncomingMessage): void;
  /** Replaces the kit's `parseBody` (e.g. to use the live API's error texts). */
  parseBody?(raw: Buffer, contentType: string | undefined): Promise<ParsedBody>;
  /** Headers on every API answer (e.g. rate-limit information). */
  responseHeaders?(nowMs: number): Record<string, string>;
  /** Forgets jobs and other state (`POST /__mock/reset`). */
  reset(): void;
  /** Extra state listings: `GET /__mock/<name>` answers the JSON of `listings[name]()`. */
  listings?: Record<string, () => unknown>;
  /** An HTTP upgrade (WebSocket, e.g. ComfyUI's `/ws`); without it upgrades are refused. Sockets close with the server. */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Stops the provider's own work (timers, sockets) when the server closes. */
  close?(): void;
}
