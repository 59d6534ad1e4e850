/**
 * Scene activities: thin I/O steps around a provider and the clip store. Each takes and returns small JSON;
 * video bytes never travel through Temporal.
 */
import { cancellationSignal, heartbeat, log, sleep } from '@temporalio/activity';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { extractLastFrame, fitImage } from '../src/media/frames.js';
import { clipFacts } from '../src/media/fingerprint.js';
import { probe, ProbeError } from '../src/media/probe.js';
import { fitLength, trimHead } from '../src/media/trim.js';
import { renderSlate, renderStill } from '../src/media/placeholder.js';
import { MediaVerificationError, verifyClip, type VerifyClipExtras } from '../src/media/verify-clip.js';
import { capabilitiesOf } from '../src/providers/catalog.js';
import { hashOf } from '../src/contracts/hash.js';
import { ProviderError } from '../src/providers/errors.js';
import type { ProviderRegistry } from '../src/providers/registry.js';
import type { ClipRecord, ClipStore } from '../src/store/clip-store.js';
import { fileSize, sha256File, tempPathFor } from '../src/store/files.js';
import type { FrameSource, ScenePlan } from '../src/storyboard/plan.js';
import type { ImageInput, JobSnapshot } from '../src/contracts/jobs.js';
import type { ProviderSettings } from '../src/contracts/provider-settings.js';
import { metrics } from './telemetry.js';

export interface SceneDeps {
  store: ClipStore;
  providers: ProviderRegistry;
  /** Scratch space for downloads in progress. */
  tmpDir: string;
}

export interface PrepareInput {
  scene: ScenePlan;
  /** The predecessor's clip when the scene starts from its last frame. */
  predecessor?: ClipRecord;
}

export interface PreparedInputs {
  firstFrame?: ImageInput;
  lastFrame?: ImageInput;
  referenceImages?: ImageInput[];
}

export interface PollInput {
  provider: string;
  settings: ProviderSettings;
  jobId: string;
}

export interface AwaitInput extends PollInput {
  /** Return the latest snapshot after this long even if the job is still running (the workflow calls again). */
  maxWaitMs: number;
  /** Wait between polls unless the provider hints otherwise. */
  pollIntervalMs: number;
}

export interface DownloadInput {
  productionId: string;
  scene: Pick<ScenePlan, 'id' | 'cacheKey' | 'seconds' | 'fps' | 'size' | 'provider' | 'model' | 'prompt'> &
    Partial<Pick<ScenePlan, 'generateSeconds'>>;
  settings: ProviderSettings;
  jobId: string;
  costUsd: number;
  /** For provider extensions: seconds of the stitched result that belong to earlier scenes. */
  trimStartS?: number;
}

export function sceneActivities(deps: SceneDeps) {
  return {
    /** The stored clip for this cache key, when it is present and intact. Costs nothing. */
    async lookupClip(input: { cacheKey: string }): Promise<ClipRecord | null> {
      const clip = await deps.store.get(input.cacheKey);
      if (clip) await deps.store.touch(input.cacheKey);
      return clip ?? null;
    },

    /** Continuity inputs as files at the exact pixel size the scene is rendered at. */
    async prepareInputs(input: PrepareInput): Promise<PreparedInputs> {
      const { scene } = input;
      const out: PreparedInputs = {};
      const resolve = async (src: FrameSource, role: 'first' | 'last'): Promise<ImageInput> => {
        const size = scene.size;
        if (src.kind === 'previous-last-frame') {
          if (!input.predecessor) throw new Error(`scene ${scene.id}: predecessor clip for its first frame is missing`);
          // Named by the clip's bytes: a clip made again under the same key (after `cache rm`) has its own frame.
          const dest = deps.store.framePath(input.predecessor.sha256, `last-${size.width}x${size.height}`);
          // Taken when the clip arrived (same size, same host): nothing to decode.
          if (await fileSize(dest)) return { kind: 'file', path: dest, mime: 'image/png' };
          await mkdir(join(dest, '..'), { recursive: true });
          // The predecessor may have been rendered on another host: its bytes come through the store.
          const held = await deps.store.acquire([input.predecessor]);
          try {
            await extractLastFrame(held.paths[0]!, dest, size, cancellationSignal());
          } finally {
            held.release();
          }
          return { kind: 'file', path: dest, mime: 'image/png' };
        }
        const { sha256 } = await sha256File(src.path).catch((err: unknown) => {
          throw new ProviderError('invalid_request', `scene ${scene.id}: ${role}-frame image ${src.path} cannot be read`, {
            provider: scene.provider,
            cause: err,
          });
        });
        if (sha256 !== src.sha256) {
          throw new ProviderError(
            'invalid_request',
            `scene ${scene.id}: image ${src.path} changed after the plan was made; plan and submit again`,
            { provider: scene.provider },
          );
        }
        const dest = deps.store.framePath(src.sha256, `fit-${size.width}x${size.height}`);
        await mkdir(join(dest, '..'), { recursive: true });
        await fitImage(src.path, dest, size, cancellationSignal());
        return { kind: 'file', path: dest, mime: 'image/png' };
      };
      if (scene.continuity.firstFrame) out.firstFrame = await resolve(scene.continuity.firstFrame, 'first');
      if (scene.continuity.lastFrame) out.lastFrame = await resolve(scene.continuity.lastFrame, 'last');
      if (scene.continuity.references.length) {
        out.referenceImages = scene.continuity.references.map((r) => ({ kind: 'file', path: r.path, mime: r.mime }));
      }
      return out;
    },

    /**
     * Polls until the job is finished or `maxWaitMs` passed, whichever is first, and returns the last snapshot.
     * Never submits. Heartbeats carry `{ jobId, state, progress }`; short intervals happen here rather than as
     * workflow timers (which the server rounds up to about a second) so fast jobs finish fast. A job still running
     * comes back with `nextPollInMs`, when its next poll is due: the workflow sleeps that long rather than calling
     * again at once (an interval or a provider's hint longer than `maxWaitMs`, a deadline close by).
     */
    async awaitJob(input: AwaitInput): Promise<JobSnapshot & { nextPollInMs?: number }> {
      const provider = deps.providers.get(input.provider, input.settings);
      const signal = cancellationSignal();
      const until = Date.now() + input.maxWaitMs;
      for (;;) {
        const snap = await provider.poll(input.jobId, { signal });
        if (snap.state === 'failed') metrics.jobFailed(input.provider, snap.failure?.kind ?? 'job_failed');
        if (snap.state === 'succeeded' || snap.state === 'failed' || snap.state === 'canceled') return snap;
        heartbeat({ jobId: input.jobId, state: snap.state, progress: snap.progress ?? 0 });
        const interval = input.settings.pollIntervalMs ?? snap.pollAfterMs ?? input.pollIntervalMs;
        if (Date.now() + interval > until) return { ...snap, nextPollInMs: interval };
        await sleep(interval);
      }
    },

    /**
     * A placeholder clip for a skipped scene (a slate, or the previous scene's last frame held), stored under its
     * own key so it is never mistaken for the real clip.
     */
    async makePlaceholder(input: {
      productionId: string;
      scene: ScenePlan;
      kind: 'slate' | 'last-frame';
      reason: string;
      still?: ClipRecord;
    }): Promise<ClipRecord> {
      const { scene } = input;
      const cacheKey = hashOf({ placeholder: input.kind, of: scene.cacheKey, reason: input.reason, still: input.still?.sha256 ?? null });
      const existing = await deps.store.get(cacheKey);
      if (existing) return existing;
      await mkdir(deps.tmpDir, { recursive: true });
      const tmp = `${tempPathFor(join(deps.tmpDir, `${cacheKey}.mp4`))}.mp4`;
      try {
        const spec = {
          width: scene.size.width,
          height: scene.size.height,
          fps: scene.fps,
          seconds: scene.seconds,
          title: scene.title,
          reason: input.reason,
        };
        if (input.kind === 'last-frame' && input.still) {
          const held = await deps.store.acquire([input.still]);
          try {
            await renderStill(spec, held.paths[0]!, tmp, cancellationSignal());
          } finally {
            held.release();
          }
        } else await renderSlate(spec, tmp, cancellationSignal());
        const facts = clipFacts(await probe(tmp, { countPackets: true }));
        return await deps.store.put(tmp, {
          cacheKey,
          durationS: facts.videoSeconds,
          width: facts.width,
          height: facts.height,
          fps: facts.fps,
          hasAudio: facts.hasAudio,
          provider: 'placeholder',
          model: input.kind,
          jobId: `placeholder-${input.kind}`,
          prompt: input.reason,
          productionId: input.productionId,
          sceneId: scene.id,
          costUsd: 0,
          createdAt: new Date().toISOString(),
        });
      } finally {
        await rm(tmp, { force: true });
      }
    },

    /** Best effort; never fails the caller. */
    async cancelJob(input: PollInput): Promise<{ supported: boolean }> {
      try {
        return await deps.providers.get(input.provider, input.settings).cancel(input.jobId, { signal: cancellationSignal() });
      } catch (err) {
        log.warn('cancel failed', { jobId: input.jobId, error: (err as Error).message });
        return { supported: false };
      }
    },

    /**
     * Streams the output to a temp file, verifies it (a video of the expected length, sha256; then one full decode
     * compared with the request: size, frame rate, sound), and stores it under the scene's cache key. A truncated or
     * unreadable download is output_corrupt (retried); a complete clip that is not what was asked for, or does not
     * decode, is output_invalid (not retried, never stored); a gone output is output_expired (a new job).
     */
    async downloadClip(input: DownloadInput): Promise<ClipRecord> {
      const existing = await deps.store.get(input.scene.cacheKey);
      if (existing) return existing;
      const provider = deps.providers.get(input.scene.provider, input.settings);
      await mkdir(deps.tmpDir, { recursive: true });
      const tmp = `${tempPathFor(join(deps.tmpDir, `${input.scene.cacheKey}.mp4`))}.mp4`;
      const trimmed = `${tmp}.trim.mp4`;
      const fitted = `${tmp}.fit.mp4`;
      try {
        const downloaded = await provider.download(input.jobId, tmp, {
          signal: cancellationSignal(),
          onProgress: (fraction) => heartbeat({ fraction }),
        });
        let facts;
        let probed;
        try {
          // Counting packets reads the whole file (a truncated one comes up short) without decoding it.
          probed = await probe(tmp, { countPackets: true, signal: cancellationSignal() });
          facts = clipFacts(probed);
        } catch (err) {
          if (!(err instanceof ProbeError) && !(err instanceof Error && err.message === 'no video stream')) throw err;
          throw new ProviderError('output_corrupt', `scene ${input.scene.id}: the downloaded clip is not a readable video`, {
            provider: input.scene.provider,
            jobId: input.jobId,
            cause: err,
          });
        }
        const generated = input.scene.generateSeconds ?? input.scene.seconds;
        const expected = generated + (input.trimStartS ?? 0);
        // Providers round lengths to their own frame grid; more than half a second off means a truncated file.
        if (Math.abs(facts.videoSeconds - expected) > 0.5) {
          throw new ProviderError(
            'output_corrupt',
            `scene ${input.scene.id}: the clip is ${facts.videoSeconds.toFixed(3)} s, expected ${expected} s`,
            {
              provider: input.scene.provider,
              jobId: input.jobId,
            },
          );
        }
        // A clip stored as it came is the one a chained scene continues from: its last frame is taken in the check's
        // own decode, at this scene's size (the usual size of the next), so the next scene need not start ffmpeg.
        const asIs = !input.trimStartS && !needsFit(facts.videoSeconds, input.scene);
        const { width, height } = input.scene.size;
        const lastFrame = asIs
          ? { path: deps.store.framePath(downloaded.sha256, `last-${width}x${height}`), size: input.scene.size }
          : undefined;
        if (lastFrame) await mkdir(dirname(lastFrame.path), { recursive: true });
        await verifyArrival(tmp, input, expected, { probed, ...(lastFrame ? { lastFrame } : {}) });
        let source = tmp;
        if (input.trimStartS) {
          await trimHead(tmp, trimmed, input.trimStartS, input.scene.fps, cancellationSignal());
          facts = clipFacts(await probe(trimmed, { countPackets: true }));
          source = trimmed;
        }
        if (needsFit(facts.videoSeconds, input.scene)) {
          // The edit keeps the scene's length: a length generated longer or shorter, or a model's frame grid (4n+1
          // frames) that overshoots, is cut or held to exactly the planned frames.
          await fitLength(source, fitted, input.scene.seconds, input.scene.fps, {
            signal: cancellationSignal(),
            onProgress: (f) => heartbeat({ fit: f }),
          });
          facts = clipFacts(await probe(fitted, { countPackets: true }));
          source = fitted;
        }
        const stored = await deps.store.put(
          source,
          {
            cacheKey: input.scene.cacheKey,
            durationS: facts.videoSeconds,
            width: facts.width,
            height: facts.height,
            fps: facts.fps,
            hasAudio: facts.hasAudio,
            provider: input.scene.provider,
            model: input.scene.model,
            jobId: input.jobId,
            prompt: input.scene.prompt,
            productionId: input.productionId,
            sceneId: input.scene.id,
            costUsd: input.costUsd,
            createdAt: new Date().toISOString(),
          },
          source === tmp ? { sha256: downloaded.sha256, bytes: downloaded.bytes } : undefined,
        );
        metrics.clipCost(input.scene.provider, input.costUsd);
        return stored;
      } finally {
        await rm(tmp, { force: true });
        await rm(trimmed, { force: true });
        await rm(fitted, { force: true });
      }
    },
  };
}

/** A clip is fitted when its length was planned to differ, or when it is at least one whole frame too long. */
function needsFit(seconds: number, scene: DownloadInput['scene']): boolean {
  if (scene.generateSeconds !== undefined && scene.generateSeconds !== scene.seconds) return true;
  return Math.round(seconds * scene.fps) > Math.round(scene.seconds * scene.fps);
}

/**
 * Decodes the whole clip as it arrives and compares it with what was requested: the scene's exact pixel size, a frame
 * rate the provider renders at (or the scene's), an audio track when the model was asked for sound. Heartbeats follow
 * the decode. A clip that fails is output_invalid with every reason (the same bytes fail the same way: not retried).
 */
async function verifyArrival(path: string, input: DownloadInput, durationS: number, extras: VerifyClipExtras): Promise<void> {
  const { scene } = input;
  const caps = capabilitiesOf(scene.provider, scene.model, input.settings);
  try {
    await verifyClip(
      path,
      {
        width: scene.size.width,
        height: scene.size.height,
        fps: caps ? [...new Set([scene.fps, ...caps.fps])] : scene.fps,
        durationS,
        durationToleranceS: 0.5,
        ...(caps?.nativeAudio ? { audio: true } : {}),
      },
      cancellationSignal(),
      (fraction) => heartbeat({ step: 'verify', fraction }),
      extras,
    );
  } catch (err) {
    if (!(err instanceof MediaVerificationError)) throw err;
    throw new ProviderError(
      'output_invalid',
      `scene ${scene.id}: the clip of ${scene.provider} job ${input.jobId} is not what was requested: ${err.problems.join('; ')}. ` +
        'It was not stored; retry the scene (a new job) or choose another model.',
      { provider: scene.provider, jobId: input.jobId, cause: err },
    );
  }
}
