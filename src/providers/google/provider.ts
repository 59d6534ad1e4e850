/**
 * `google`: Veo 3.1 (long-running `predictLongRunning` operations) and Gemini Omni (the Interactions API), on the
 * Gemini API (API key) and on the Agent Platform / Vertex AI (OAuth through Application Default Credentials, or an
 * API key in express mode). Which parts go through @google/genai (pinned to 2.32.0, see docs/providers.md#google):
 *
 * - Veo creates: `models.generateVideos`, which builds the exact `predictLongRunning` body for either surface and
 *   sends it once (the SDK retries only with `retryOptions`, never set here). A fetch of our own underneath sees the
 *   answer first, so a 429's Retry-After and Google's error details are classified here, and a create whose answer
 *   was lost is ambiguous_submit.
 * - Everything that may carry a whole clip is read by this adapter, streaming: a Vertex operation holds the video as
 *   base64 (`bytesBase64Encoded`), an interaction as inline `data`; the SDK would hold it in memory several times.
 *   Gemini API files are downloaded with our own streaming fetch too (the SDK's `files.download` crashes the process
 *   on a truncated body and ignores the host of `video.uri`; here the key only ever goes to the configured origin).
 * - Omni creates go out as one direct POST: the SDK's Interactions client retries a create up to 4 times.
 *
 * Job ids: a Veo job is its operation name (`models/…/operations/…`, `projects/…/operations/…`); an Omni job is
 * `interactions/<id>`. Neither API lets the client name a job or list recent ones, so an ambiguous create cannot be
 * looked up: a retried submit fails closed for an operator (activities/submit.ts), and a refused create (429, 4xx)
 * is simply retried.
 */
import { GoogleGenAI } from '@google/genai';
import type { GoogleAuth } from 'google-auth-library';
import { readFile, rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ProviderCapabilities } from '../../contracts/capabilities.js';
import { describeSeconds, secondsAllowed, sizeText } from '../../contracts/capabilities.js';
import type { GenerateRequest, ImageInput, JobSnapshot } from '../../contracts/jobs.js';
import type { ProviderSettings } from '../../contracts/provider-settings.js';
import { sha256File, streamToFile } from '../../store/files.js';
import { ProviderError } from '../errors.js';
import type { CallContext, DownloadedFile, VideoProvider } from '../types.js';
import { capabilitiesFor, GOOGLE_PROVIDER, googleSceneIssues, retentionSeconds, surfaceOf, type GoogleSettings } from './catalog.js';
import { adcFor, apiKeyFrom, credentialHeaders, endpointsFor, VERTEX_API_REVISION, type Endpoints } from './connection.js';
import { noAnswer } from './errors.js';
import { readJsonWithMedia, type JsonMediaRead } from './json-media-reader.js';
import { GOOGLE_MODELS, SURFACE_NAMES, type GoogleModelSpec } from './models.js';
import { interactionBody, interactionIdOf, interactionJobId, interactionSnapshot } from './omni.js';
import { httpError, plainLength, readJson, send } from './transport.js';
import { isVeoJobId, operationResource, veoParameters, veoSnapshot, type InlineImage, type VideoLocation } from './veo.js';

export interface GoogleOptions {
  settings: ProviderSettings;
  env: Readonly<Record<string, string | undefined>>;
}

interface JobRead {
  snapshot: JobSnapshot;
  video?: VideoLocation;
  read: JsonMediaRead;
}

export class GoogleProvider implements VideoProvider {
  readonly id = GOOGLE_PROVIDER;
  private readonly settings: GoogleSettings;
  private endpointsMemo: Endpoints | undefined;
  private auth: GoogleAuth | undefined;
  private genai: Promise<GoogleGenAI> | undefined;
  /** Whether a job's request carried images (for the safety message), for jobs this instance created. */
  private readonly imagesSent = new Map<string, boolean>();

  constructor(private readonly opts: GoogleOptions) {
    this.settings = opts.settings as GoogleSettings;
  }

  private spec(model: string): GoogleModelSpec {
    const spec = GOOGLE_MODELS[model];
    if (!spec) {
      throw new ProviderError(
        'invalid_request',
        `${GOOGLE_PROVIDER} has no model "${model}"; known: ${Object.keys(GOOGLE_MODELS).join(', ')}`,
        { provider: GOOGLE_PROVIDER },
      );
    }
    return spec;
  }

  capabilities(model: string): ProviderCapabilities {
    return capabilitiesFor(model, this.spec(model), this.settings);
  }

  assertAvailable(model: string): void {
    const surface = surfaceOf(this.settings);
    const offer = this.spec(model).offers[surface];
    if (!offer) {
      throw new ProviderError('model_unavailable', `${GOOGLE_PROVIDER}/${model} is not offered on ${SURFACE_NAMES[surface]}`, {
        provider: GOOGLE_PROVIDER,
      });
    }
    if (offer.status === 'shutdown') {
      throw new ProviderError(
        'model_unavailable',
        `${GOOGLE_PROVIDER}/${model} was shut down on ${SURFACE_NAMES[surface]}${offer.shutdownAt ? ` on ${offer.shutdownAt}` : ''}` +
          (offer.replacement ? `; use ${offer.replacement} instead` : ''),
        { provider: GOOGLE_PROVIDER },
      );
    }
  }

  validate(request: GenerateRequest): string[] {
    const spec = GOOGLE_MODELS[request.model];
    if (!spec) return [`model: ${GOOGLE_PROVIDER} has no model "${request.model}"; known: ${Object.keys(GOOGLE_MODELS).join(', ')}`];
    const caps = capabilitiesFor(request.model, spec, this.settings);
    const id = `${GOOGLE_PROVIDER}/${request.model}`;
    const problems: string[] = [];
    const seconds = request.extendJobId && caps.extend ? caps.extend.seconds : caps.seconds;
    if (!secondsAllowed(seconds, request.seconds))
      problems.push(`seconds: ${request.seconds} is not allowed by ${id}; allowed: ${describeSeconds(seconds)}`);
    if (!caps.sizes.some((s) => s.width === request.size.width && s.height === request.size.height)) {
      problems.push(`size: ${sizeText(request.size)} is not offered by ${id}; allowed: ${caps.sizes.map(sizeText).join(', ')}`);
    }
    if (request.prompt.length > caps.promptLimit) problems.push(`prompt: ${request.prompt.length} characters, at most ${caps.promptLimit}`);
    if (request.lastFrame && !caps.lastFrame)
      problems.push(`lastFrame: ${id} takes no last frame; use continuity "chain" or a Veo 3.1 model`);
    if (request.lastFrame && !request.firstFrame) problems.push('lastFrame: Veo takes a last frame only together with a first frame');
    if (request.extendJobId && !caps.extend)
      problems.push(`extend: ${id} cannot extend a clip on ${SURFACE_NAMES[surfaceOf(this.settings)]}`);
    if (request.remixJobId) problems.push(`remix: ${id} has no remix`);
    const ask = {
      model: request.model,
      seconds: request.seconds,
      size: request.size,
      firstFrame: !!request.firstFrame,
      lastFrame: !!request.lastFrame,
      referenceImages: Math.min(request.referenceImages?.length ?? 0, caps.maxReferenceImages),
      extend: !!request.extendJobId,
      seed: request.seed !== undefined,
    };
    problems.push(...googleSceneIssues(this.settings, ask).map((i) => `${i.field}: ${i.message}`));
    return problems;
  }

  private endpoints(): Endpoints {
    return (this.endpointsMemo ??= endpointsFor(this.settings, this.opts.env));
  }

  private adc(): GoogleAuth {
    return (this.auth ??= adcFor(this.opts.env));
  }

  private credentials(): Promise<Record<string, string>> {
    return credentialHeaders(
      this.endpoints(),
      () => apiKeyFrom(this.settings, this.opts.env),
      () => this.adc(),
    );
  }

  /** Headers of every Interactions call (the Agent Platform needs the revision that answers with `steps[]`). */
  private async interactionHeaders(): Promise<Record<string, string>> {
    return {
      ...(await this.credentials()),
      ...(this.endpoints().surface === 'vertex' ? { 'api-revision': VERTEX_API_REVISION } : {}),
    };
  }

  /** The SDK for Veo creates, built on first use (a missing key or project fails that request, not the worker). */
  private sdk(): Promise<GoogleGenAI> {
    return (this.genai ??= (async () => {
      const e = this.endpoints();
      const httpOptions = { baseUrl: `${e.veoOrigin}/`, apiVersion: e.apiVersion };
      if (e.surface === 'gemini') return new GoogleGenAI({ apiKey: apiKeyFrom(this.settings, this.opts.env), httpOptions });
      if (e.auth === 'key') return new GoogleGenAI({ vertexai: true, apiKey: apiKeyFrom(this.settings, this.opts.env), httpOptions });
      return new GoogleGenAI({
        vertexai: true,
        project: e.project!,
        location: e.location,
        googleAuthOptions: { authClient: await this.adc().getClient() },
        httpOptions,
      });
    })().catch((err: unknown) => {
      this.genai = undefined;
      throw err;
    }));
  }

  private timeoutMs(): number {
    return this.settings.requestTimeoutMs ?? 60_000;
  }

  private idleMs(): number {
    return Math.min(30_000, this.timeoutMs());
  }

  async submit(request: GenerateRequest, ctx: CallContext): Promise<JobSnapshot> {
    const problems = this.validate(request);
    if (problems.length)
      throw new ProviderError('invalid_request', `${GOOGLE_PROVIDER}: ${problems.join('; ')}`, { provider: GOOGLE_PROVIDER });
    this.assertAvailable(request.model);
    const spec = this.spec(request.model);
    const caps = capabilitiesFor(request.model, spec, this.settings);
    const first = request.firstFrame ? await inline(request.firstFrame) : undefined;
    const references = await Promise.all((request.referenceImages ?? []).slice(0, caps.maxReferenceImages).map(inline));
    const snap =
      spec.api === 'veo'
        ? await this.submitVeo(
            request,
            spec,
            {
              ...(first ? { first } : {}),
              ...(request.lastFrame ? { last: await inline(request.lastFrame) } : {}),
              references,
            },
            ctx,
          )
        : await this.submitInteraction(request, { ...(first ? { first } : {}), references }, ctx);
    this.imagesSent.set(snap.jobId, !!first || references.length > 0);
    return snap;
  }

  private async submitVeo(
    request: GenerateRequest,
    spec: GoogleModelSpec,
    images: { first?: InlineImage; last?: InlineImage; references: InlineImage[] },
    ctx: CallContext,
  ): Promise<JobSnapshot> {
    const extendUri = request.extendJobId ? await this.extensionSource(request.extendJobId, ctx) : undefined;
    const params = veoParameters(request, spec, this.settings, images, extendUri);
    let sent = false;
    // Sees every answer before the SDK does: errors are classified here (with Retry-After), never retried.
    const once: typeof fetch = async (input, init) => {
      sent = true;
      let res: Response;
      try {
        res = await fetch(input, init);
      } catch (err) {
        if (ctx.signal?.aborted) throw err;
        throw noAnswer('create', err);
      }
      if (res.ok) return res;
      const error = await httpError('create', res);
      // An extension whose source video is gone answers 404 (or says the input is invalid): the source expired.
      if (extendUri && (error.kind === 'model_unavailable' || error.httpStatus === 404)) {
        throw new ProviderError('source_expired', `${GOOGLE_PROVIDER}: the video to extend is no longer kept (${error.message})`, {
          provider: GOOGLE_PROVIDER,
          cause: error,
        });
      }
      throw error;
    };
    let op;
    try {
      const ai = await this.sdk();
      op = await ai.models.generateVideos({
        ...params,
        config: { ...params.config, abortSignal: this.signal(ctx), httpOptions: { fetch: once } },
      });
    } catch (err) {
      if (err instanceof ProviderError || ctx.signal?.aborted) throw err;
      if (sent) {
        throw new ProviderError(
          'ambiguous_submit',
          `${GOOGLE_PROVIDER}: the create's answer could not be read; it may have started a paid job`,
          {
            provider: GOOGLE_PROVIDER,
            cause: err,
          },
        );
      }
      throw new ProviderError(
        'invalid_request',
        `${GOOGLE_PROVIDER}: @google/genai refused the request before sending it: ${(err as Error).message}`,
        {
          provider: GOOGLE_PROVIDER,
          cause: err,
        },
      );
    }
    if (!op.name) {
      throw new ProviderError('ambiguous_submit', `${GOOGLE_PROVIDER}: the create answered without an operation name; a job may exist`, {
        provider: GOOGLE_PROVIDER,
      });
    }
    return { provider: GOOGLE_PROVIDER, jobId: op.name, state: 'queued', progress: 0 };
  }

  /** The Gemini API file uri of the clip an extension continues; source_expired when it is no longer kept. */
  private async extensionSource(jobId: string, ctx: CallContext): Promise<string> {
    let found: JobRead;
    try {
      found = await this.readJob(jobId, ctx, { op: 'read' });
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'not_found') {
        throw new ProviderError('source_expired', `${GOOGLE_PROVIDER}: the operation ${jobId} to extend is gone`, {
          provider: GOOGLE_PROVIDER,
          jobId,
        });
      }
      throw err;
    }
    if (found.snapshot.state !== 'succeeded' || !found.video || !('uri' in found.video)) {
      throw new ProviderError('source_expired', `${GOOGLE_PROVIDER}: the operation ${jobId} has no video file to extend`, {
        provider: GOOGLE_PROVIDER,
        jobId,
      });
    }
    return found.video.uri;
  }

  private async submitInteraction(
    request: GenerateRequest,
    images: { first?: InlineImage; references: InlineImage[] },
    ctx: CallContext,
  ): Promise<JobSnapshot> {
    const body = interactionBody(request, this.settings, images);
    const res = await send(
      this.endpoints().interactions,
      { method: 'POST', headers: { ...(await this.interactionHeaders()), 'content-type': 'application/json' }, body: JSON.stringify(body) },
      { op: 'create', timeoutMs: this.timeoutMs(), timeoutCovers: 'total', signal: ctx.signal },
    );
    const doc = (await readJson(res)) as { id?: unknown; status?: unknown } | undefined;
    if (typeof doc?.id !== 'string' || !doc.id) {
      throw new ProviderError(
        'ambiguous_submit',
        `${GOOGLE_PROVIDER}: the create answered ${res.status} without an interaction id; a job may exist`,
        {
          provider: GOOGLE_PROVIDER,
          httpStatus: res.status,
        },
      );
    }
    return {
      provider: GOOGLE_PROVIDER,
      jobId: interactionJobId(doc.id),
      state: doc.status === 'in_progress' ? 'running' : 'queued',
      progress: 0,
    };
  }

  private signal(ctx: CallContext): AbortSignal {
    const timeout = AbortSignal.timeout(this.timeoutMs());
    return ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  }

  async poll(jobId: string, ctx: CallContext): Promise<JobSnapshot> {
    return (await this.readJob(jobId, ctx, { op: 'read' })).snapshot;
  }

  /**
   * Reads a job's document, streaming: media strings are written beside `captureTo` (download) or only counted
   * (poll). A body that breaks off is transient on a poll and output_corrupt on a download.
   */
  private async readJob(jobId: string, ctx: CallContext, how: { op: 'read' | 'download'; captureTo?: string }): Promise<JobRead> {
    const e = this.endpoints();
    const interaction = interactionIdOf(jobId);
    if (!interaction && !isVeoJobId(jobId)) {
      throw new ProviderError('not_found', `${GOOGLE_PROVIDER}: "${jobId}" is not a Veo operation name or an interactions/<id> job id`, {
        provider: GOOGLE_PROVIDER,
        jobId,
      });
    }
    let url: string;
    let init: RequestInit;
    if (interaction) {
      url = `${e.interactions}/${encodeURIComponent(interaction)}`;
      init = { method: 'GET', headers: await this.interactionHeaders() };
    } else if (e.surface === 'gemini') {
      url = `${e.veoOrigin}/${e.apiVersion}/${jobId}`;
      init = { method: 'GET', headers: await this.credentials() };
    } else {
      url = `${e.veoOrigin}/${e.apiVersion}/${operationResource(jobId)}:fetchPredictOperation`;
      init = {
        method: 'POST',
        headers: { ...(await this.credentials()), 'content-type': 'application/json' },
        body: JSON.stringify({ operationName: jobId }),
      };
    }
    const res = await send(url, init, { op: how.op, timeoutMs: this.timeoutMs(), timeoutCovers: 'headers', signal: ctx.signal, jobId });
    let read: JsonMediaRead;
    try {
      const expected = plainLength(res);
      read = await readJsonWithMedia(res.body!, {
        idleTimeoutMs: this.idleMs(),
        ...(how.captureTo ? { captureTo: how.captureTo } : {}),
        ...(expected !== undefined ? { expectedBytes: expected } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(how.op === 'download' && expected ? { onBytes: (n: number) => ctx.onProgress?.(Math.min(1, n / expected)) } : {}),
      });
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      const kind = how.op === 'download' ? 'output_corrupt' : 'transient';
      throw new ProviderError(kind, `${GOOGLE_PROVIDER}: the answer for ${jobId} broke off (${(err as Error).message})`, {
        provider: GOOGLE_PROVIDER,
        jobId,
        cause: err,
      });
    }
    const imagesSent = this.imagesSent.get(jobId) ?? true;
    const retentionS = retentionSeconds(interaction ? 'interactions' : 'veo', e.surface);
    const found = interaction
      ? interactionSnapshot(jobId, read.value, { retentionS, imagesSent })
      : veoSnapshot(jobId, read.value, { retentionS, imagesSent });
    return { ...found, read };
  }

  async download(jobId: string, dest: string, ctx: CallContext): Promise<DownloadedFile> {
    let found: JobRead;
    try {
      found = await this.readJob(jobId, ctx, { op: 'download', captureTo: dest });
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'not_found') {
        throw new ProviderError('output_expired', `${GOOGLE_PROVIDER}: ${jobId} is no longer kept`, {
          provider: GOOGLE_PROVIDER,
          jobId,
          cause: err,
        });
      }
      throw err;
    }
    const parts = found.read.media.filter((m) => m.path).map((m) => m.path!);
    try {
      const video = found.video;
      if (found.snapshot.state !== 'succeeded' || !video) {
        throw new ProviderError(
          'output_expired',
          found.snapshot.failure?.message ?? `${GOOGLE_PROVIDER}: ${jobId} has no video to download`,
          {
            provider: GOOGLE_PROVIDER,
            jobId,
          },
        );
      }
      if ('media' in video) {
        const part = found.read.media[video.media]!;
        await rename(part.path!, dest);
        return { path: dest, ...(await sha256File(dest)) };
      }
      if ('gcsUri' in video) {
        throw new ProviderError(
          'invalid_request',
          `${GOOGLE_PROVIDER}: the video of ${jobId} was written to Cloud Storage (${video.gcsUri}), which storyreel does not read`,
          {
            provider: GOOGLE_PROVIDER,
            jobId,
          },
        );
      }
      return await this.downloadFile(video.uri, dest, jobId, ctx);
    } finally {
      await Promise.all(parts.map((p) => rm(p, { force: true })));
    }
  }

  /**
   * A file uri from an answer, as a URL to fetch: a Gemini API file (`…/files/{id}…`) is fetched from the configured
   * origin with the key, whatever host the uri names (as @google/genai does); any other URL is fetched as it is,
   * without a credential.
   */
  private fileUrl(uri: string): { url: string; withKey: boolean } {
    const e = this.endpoints();
    const id = /\/files\/([a-z0-9]+)/i.exec(uri)?.[1];
    let where: URL | undefined;
    try {
      where = new URL(uri);
    } catch {
      where = undefined;
    }
    const ours = !!where && (where.hostname.endsWith('.googleapis.com') || where.origin === new URL(e.veoOrigin).origin);
    if (e.files && id && ours) return { url: `${e.files}/${id}:download?alt=media`, withKey: true };
    return { url: uri, withKey: false };
  }

  private async downloadFile(uri: string, dest: string, jobId: string, ctx: CallContext): Promise<DownloadedFile> {
    const { url, withKey } = this.fileUrl(uri);
    let res: Response;
    try {
      res = await send(
        url,
        { method: 'GET', headers: withKey ? await this.credentials() : {} },
        {
          op: 'download',
          timeoutMs: this.timeoutMs(),
          timeoutCovers: 'headers',
          signal: ctx.signal,
          jobId,
        },
      );
    } catch (err) {
      const gone =
        err instanceof ProviderError && (err.httpStatus === 404 || err.httpStatus === 410 || (!withKey && err.httpStatus === 403));
      if (!gone) throw err;
      throw new ProviderError('output_expired', `${GOOGLE_PROVIDER}: the video of ${jobId} is no longer kept (HTTP ${err.httpStatus})`, {
        provider: GOOGLE_PROVIDER,
        jobId,
        httpStatus: err.httpStatus,
      });
    }
    const expected = plainLength(res);
    let result: { sha256: string; bytes: number };
    try {
      result = await streamToFile(Readable.from(res.body! as unknown as AsyncIterable<Uint8Array>), dest, {
        idleTimeoutMs: this.idleMs(),
        ...(expected !== undefined ? { expectedBytes: expected } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onProgress: (f) => ctx.onProgress?.(f),
      });
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      throw new ProviderError('output_corrupt', `${GOOGLE_PROVIDER}: the download of ${jobId} broke off (${(err as Error).message})`, {
        provider: GOOGLE_PROVIDER,
        jobId,
        cause: err,
      });
    }
    if (expected !== undefined && result.bytes !== expected) {
      throw new ProviderError(
        'output_corrupt',
        `${GOOGLE_PROVIDER}: the download of ${jobId} ended at ${result.bytes} of ${expected} bytes`,
        {
          provider: GOOGLE_PROVIDER,
          jobId,
        },
      );
    }
    return { path: dest, ...result };
  }

  /** Interactions can be cancelled (`POST …/{id}/cancel`, background jobs only); Veo operations cannot. */
  async cancel(jobId: string, ctx: CallContext): Promise<{ supported: boolean }> {
    const id = interactionIdOf(jobId);
    if (!id) return { supported: false };
    try {
      await send(
        `${this.endpoints().interactions}/${encodeURIComponent(id)}/cancel`,
        { method: 'POST', headers: await this.interactionHeaders() },
        {
          op: 'cancel',
          timeoutMs: this.timeoutMs(),
          timeoutCovers: 'total',
          signal: ctx.signal,
          jobId,
        },
      );
    } catch (err) {
      // Already over (400/409) or gone (404): nothing left to cancel.
      if (err instanceof ProviderError && [400, 404, 409].includes(err.httpStatus ?? 0)) return { supported: true };
      throw err;
    }
    return { supported: true };
  }
}

/** An image file as base64 bytes (images are small; videos never take this path). */
async function inline(image: ImageInput): Promise<InlineImage> {
  return { imageBytes: (await readFile(image.path)).toString('base64'), mimeType: image.mime };
}
