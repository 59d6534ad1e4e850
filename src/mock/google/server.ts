/**
 * A standalone mock of Google's video APIs (see README.md): Veo on the Gemini API and on the Agent Platform (Vertex
 * AI), Gemini Omni through the Interactions API on both, the Gemini Files API downloads, and the Security Token
 * Service exchange behind `external_account` Application Default Credentials, with Google's error format, safety
 * filtering, fault injection and a request log (the kit). Point @google/genai (`httpOptions.baseUrl`) or storyreel
 * (`providers.google.baseURL`) at `url`: every surface is served on the one origin.
 *
 * Control endpoints beside the API (not logged, no key): GET /__mock/requests, GET|POST /__mock/faults[?replace=1],
 * POST /__mock/reset, GET /__mock/jobs (every operation and interaction with its state).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  json,
  startMockServer,
  type FaultRule,
  type HandlerResult,
  type MockKit,
  type MockProvider,
  type MockRequest,
  type RequestLogEntry,
  listenOptions,
} from '../kit/index.js';
import { errorInfo, errorReply, faultBody, googleError, invalidApiKey, notFound, unauthenticated, unregisteredCaller } from './errors.js';
import { InteractionsApi } from './interactions-api.js';
import { resolveRoute, type GoogleRoute } from './routes.js';
import { GoogleState, type GoogleMockSettings } from './state.js';
import { VeoApi } from './veo-api.js';

export type { FaultAction, FaultRule } from '../kit/index.js';

/** Codes a `job_failed` fault may carry: an operation error (INTERNAL, DEADLINE_EXCEEDED) or safety filtering of the prompt or of the video. */
export const GOOGLE_FAILURE_CODES = ['INTERNAL', 'DEADLINE_EXCEEDED', 'RAI_INPUT', 'RAI_OUTPUT'] as const;

export interface GoogleMockOptions {
  port?: number;
  host?: string;
  /** Gemini API key; when set, Gemini API requests need it (`x-goog-api-key` or `?key=`). */
  apiKey?: string;
  /** Agent Platform: express-mode key, the project paths must name, and how OAuth tokens are obtained. */
  vertex?: {
    apiKey?: string;
    project?: string;
    /** The subject token `POST /v1/token` accepts (external_account credentials); tokens it issues are then required. */
    subjectToken?: string;
    /** A bearer token accepted as is (besides issued ones); setting it also makes OAuth required. */
    accessToken?: string;
  };
  /** Queued ms before a job runs (default 100) and running ms per second of video (default 50). */
  timing?: { queuedMs?: number; msPerVideoSecond?: number };
  /** Jobs running at once; more wait. Default unlimited. */
  concurrency?: number;
  /** An interaction's video when the request names no delivery. Default inline. */
  omniDelivery?: 'inline' | 'uri';
  /** How long generated files stay downloadable, seconds. Default 2 days (the Gemini API's retention). */
  fileRetentionS?: number;
  /** Origin written into file uris. Default the live API's (`https://generativelanguage.googleapis.com`). */
  fileUriOrigin?: string;
  workDir?: string;
  recordBodies?: boolean;
  clock?: () => number;
}

export interface MockJobListing {
  id: string;
  api: 'veo' | 'interactions';
  surface: 'gemini' | 'vertex';
  model: string;
  state: string;
  failureCode: string | null;
  received: Record<string, string | number | boolean>;
}

export interface GoogleMock {
  url: string;
  /** Same as `url`: every surface is served here. */
  baseURL: string;
  /** `token_url` for external_account credentials. */
  tokenURL: string;
  port: number;
  requests(): RequestLogEntry[];
  setFaults(rules: FaultRule[]): void;
  addFaults(rules: FaultRule[]): void;
  reset(): void;
  /** Every operation and interaction: its state and what its create asked for (without image bytes). */
  jobs(): MockJobListing[];
  close(): Promise<void>;
}

export async function startGoogleMock(opts: GoogleMockOptions = {}): Promise<GoogleMock> {
  const server = await startMockServer(
    {
      name: 'google',
      faults: { jobFailureCodes: GOOGLE_FAILURE_CODES },
      credentialQueryParams: ['key'],
      requestIdHeader: 'x-goog-request-id',
      ...listenOptions(opts),
      ...(opts.clock ? { clock: opts.clock } : {}),
      renderConcurrency: 2,
    },
    (kit) => new GoogleProviderMock(opts, kit),
  );
  return {
    url: server.url,
    baseURL: server.url,
    tokenURL: `${server.url}/v1/token`,
    port: server.port,
    requests: () => server.requests(),
    setFaults: (rules) => server.faults.set(rules),
    addFaults: (rules) => server.faults.add(rules),
    reset: () => server.reset(),
    jobs: () => server.provider.listing(),
    close: () => server.close(),
  };
}

class GoogleProviderMock implements MockProvider<GoogleRoute> {
  private readonly st: GoogleState;
  private readonly veo: VeoApi;
  private readonly interactions: InteractionsApi;
  readonly listings = { jobs: () => this.listing() };

  constructor(
    private readonly opts: GoogleMockOptions,
    kit: MockKit,
  ) {
    const v = opts.vertex ?? {};
    const settings: GoogleMockSettings = {
      queuedMs: opts.timing?.queuedMs ?? 100,
      msPerVideoSecond: opts.timing?.msPerVideoSecond ?? 50,
      concurrency: opts.concurrency,
      fileRetentionMs: (opts.fileRetentionS ?? 2 * 86_400) * 1000,
      omniDelivery: opts.omniDelivery ?? 'inline',
      fileUriOrigin: (opts.fileUriOrigin ?? 'https://generativelanguage.googleapis.com').replace(/\/+$/, ''),
      apiKey: opts.apiKey,
      vertexApiKey: v.apiKey,
      project: v.project,
      subjectToken: v.subjectToken,
      accessToken: v.accessToken,
    };
    this.st = new GoogleState(settings, kit);
    this.veo = new VeoApi(this.st);
    this.interactions = new InteractionsApi(this.st);
  }

  route(method: string, path: string): GoogleRoute | undefined {
    const r = resolveRoute(method, path, (fileId) => this.st.files.get(fileId)?.jobId);
    // A finished interaction's GET carries the whole video inline: content faults apply to it then.
    if (r?.kind === 'omni_get' && this.interactions.servesInline(r.id!)) return { ...r, servesContent: true };
    return r;
  }

  async handle(req: MockRequest<GoogleRoute>): Promise<HandlerResult> {
    switch (req.route.kind) {
      case 'veo_create':
        return this.veo.create(req);
      case 'veo_get':
        return this.veo.get(req);
      case 'veo_fetch':
        return this.veo.fetch(req);
      case 'file_download':
        return this.veo.download(req);
      case 'omni_create':
        return this.interactions.create(req);
      case 'omni_get':
        return this.interactions.get(req);
      case 'omni_cancel':
        return this.interactions.cancel(req);
      case 'omni_delete':
        return this.interactions.delete(req);
      case 'sts_token':
        return { reply: this.exchange(req.body.fields) };
    }
  }

  errorReply = errorReply;
  faultBody = faultBody;
  notFound = notFound;

  /**
   * Credentials by surface: the Gemini API and express mode take a key (a missing key is 403, a wrong one 400
   * API_KEY_INVALID, as the live API answers); project paths on the Agent Platform take an OAuth bearer token.
   */
  authorize(req: IncomingMessage): void {
    const url = new URL(req.url ?? '/', 'http://mock.invalid');
    const route = this.route((req.method ?? 'GET').toUpperCase(), url.pathname);
    if (!route || route.kind === 'sts_token') return;
    const s = this.st.s;
    const key =
      (typeof req.headers['x-goog-api-key'] === 'string' ? req.headers['x-goog-api-key'] : undefined) ??
      url.searchParams.get('key') ??
      undefined;
    if (route.surface === 'gemini' || !route.project) {
      const expected = route.surface === 'gemini' ? s.apiKey : s.vertexApiKey;
      if (!expected) return;
      if (!key) throw unregisteredCaller();
      if (key !== expected)
        throw invalidApiKey(route.surface === 'gemini' ? 'generativelanguage.googleapis.com' : 'aiplatform.googleapis.com');
      return;
    }
    if (s.subjectToken || s.accessToken) {
      const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
      const expiry = bearer ? this.st.tokens.get(bearer) : undefined;
      const valid = !!bearer && ((expiry !== undefined && expiry > this.st.kit.clock()) || bearer === s.accessToken);
      if (!valid) throw unauthenticated();
    }
    if (s.project && route.project !== s.project) {
      throw googleError(403, `Permission denied on resource project ${route.project}.`, { details: [errorInfo('CONSUMER_INVALID')] });
    }
  }

  /** `POST /v1/token`: an RFC 8693 token exchange, answered in the OAuth error format on failure (not Google's). */
  private exchange(form: Record<string, unknown>) {
    if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:token-exchange')
      return json({ error: 'unsupported_grant_type', error_description: 'Only token exchange is supported.' }, 400);
    if (typeof form.subject_token !== 'string' || (this.st.s.subjectToken && form.subject_token !== this.st.s.subjectToken))
      return json({ error: 'invalid_grant', error_description: 'The subject token is invalid.' }, 400);
    const token = `ya29.mock-${randomBytes(24).toString('base64url')}`;
    this.st.tokens.set(token, this.st.kit.clock() + 3600_000);
    return json({
      access_token: token,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: 3600,
    });
  }

  listing(): MockJobListing[] {
    return this.st.jobs.all().map((j) => {
      const v = this.st.view(j);
      return {
        id: j.id,
        api: j.data.api,
        surface: j.data.surface,
        model: j.data.model,
        state: v.state,
        failureCode: v.failureCode,
        received: j.data.received,
      };
    });
  }

  reset(): void {
    this.st.reset();
  }

  close(): void {
    this.interactions.close();
  }
}
