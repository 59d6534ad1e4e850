/**
 * Assembly and output activities: the final video (verified before it is put in place), the manifest.
 */
import { cancellationSignal, heartbeat } from '@temporalio/activity';
import { metrics } from './telemetry.js';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { requireFfmpeg } from '../src/media/check-ffmpeg.js';
import { assemble, type AssemblyClip, type AssemblyResult, type SceneTiming } from '../src/media/assemble.js';
import { verifyVideo, type Verification } from '../src/media/verify.js';
import { StoreError, type ClipStore } from '../src/store/clip-store.js';
import { writeJsonAtomic } from '../src/store/files.js';
import { localOutputs, type OutputStore } from '../src/store/outputs.js';
import { packageVersion } from '../src/store/package-version.js';
import type { ProductionPlan } from '../src/storyboard/plan.js';
import { CaptionStyle } from '../src/storyboard/schema.js';

export interface AssemblyDeps {
  tmpDir: string;
  /** Where the clips come from; without one, clip paths are read as given. */
  store?: ClipStore;
  /** Where outputs go beyond this worker's disk (object storage), if anywhere. */
  outputs?: OutputStore;
}

export interface AssembleInput {
  productionId: string;
  plan: Pick<ProductionPlan, 'title' | 'house' | 'output' | 'soundtrack'>;
  clips: AssemblyClip[];
  /** Absolute output directory; final.mp4 (or the storyboard's filename), sidecars and manifest go here. */
  outDir: string;
}

export interface AssembleOutput extends Omit<AssemblyResult, 'scenes'> {
  scenes: SceneTiming[];
  verification: Verification;
  /** Where the final video was published (s3://…) when outputs go to object storage. */
  uri?: string;
}

/**
 * Local copies of the clips to assemble. A clip's path names its cache key in every store (…/<cacheKey>.mp4); the
 * store supplies the bytes, fetched from object storage when the clip was rendered on another host.
 */
async function acquireClips(store: ClipStore, clips: AssemblyClip[]) {
  const records = [];
  for (const c of clips) {
    const key = /([0-9a-f]{64})\.mp4$/.exec(c.path)?.[1];
    const record = key ? await store.get(key) : undefined;
    if (!record) throw new StoreError(`scene ${c.sceneId}: its clip ${c.path} is not in the clip store`);
    records.push(record);
  }
  const held = await store.acquire(records);
  return { clips: clips.map((c, i) => ({ ...c, path: held.paths[i]! })), release: held.release };
}

let versions: Promise<Record<string, string>> | undefined;
/** storyreel, Node, ffmpeg and Temporal SDK versions (read once per process). */
function toolVersions(): Promise<Record<string, string>> {
  versions ??= (async () => {
    const sdk = JSON.parse(await readFile(createRequire(import.meta.url).resolve('@temporalio/workflow/package.json'), 'utf8')) as {
      version: string;
    };
    return { storyreel: packageVersion(), node: process.version, ffmpeg: (await requireFfmpeg()).version, temporalSdk: sdk.version };
  })();
  return versions;
}

const sidecars = (r: AssemblyResult) => [...r.sidecars, ...(r.poster ? [r.poster] : []), ...(r.contactSheet ? [r.contactSheet] : [])];

/** Publishes the files in order (the final video first, so a reader never sees sidecars without it); its URI. */
async function publishAll(outputs: OutputStore, productionId: string, files: string[]): Promise<string | undefined> {
  let first: string | undefined;
  for (const f of files) {
    const uri = await outputs.publish(productionId, f);
    first ??= uri;
  }
  return first;
}

export class VerificationError extends Error {
  override readonly name = 'VerificationError';
}

export function assemblyActivities(deps: AssemblyDeps) {
  return {
    /**
     * Assembles and verifies. The final file appears only after verification passed; a failed or cancelled run
     * leaves no partial final.mp4. Heartbeats carry `{ fraction, step }` and come from ffmpeg's own progress, so a
     * long normalization or decode keeps heartbeating. A stream-copied video is verified at its joins (its frames
     * are the clips' own bytes, decoded when they arrived); a re-encoded one is decoded in full.
     */
    async assembleVideo(input: AssembleInput): Promise<AssembleOutput> {
      const output = join(input.outDir, input.plan.output.filename);
      await mkdir(input.outDir, { recursive: true });
      let verification: Verification | undefined;
      const local = deps.store ? await acquireClips(deps.store, input.clips) : { clips: input.clips, release() {} };
      const started = performance.now();
      const result = await assemble({
        clips: local.clips,
        house: input.plan.house,
        fit: input.plan.output.fit,
        title: input.plan.title,
        chapters: input.plan.output.chapters,
        captions: input.plan.output.captions,
        burnCaptions: input.plan.output.burnCaptions === true ? CaptionStyle.parse({}) : input.plan.output.burnCaptions,
        loudness: input.plan.output.loudness,
        poster: input.plan.output.poster,
        contactSheet: input.plan.output.contactSheet,
        ...(input.plan.soundtrack
          ? {
              soundtrack: {
                path: input.plan.soundtrack.path,
                volumeDb: input.plan.soundtrack.volumeDb,
                duck: input.plan.soundtrack.duck,
                fadeInSeconds: input.plan.soundtrack.fadeInSeconds,
                fadeOutSeconds: input.plan.soundtrack.fadeOutSeconds,
              },
            }
          : {}),
        output,
        workDir: join(deps.tmpDir, 'assembly'),
        signal: cancellationSignal(),
        onProgress: (fraction, step) => heartbeat({ fraction, step }),
        verify: async (tmpPath, timing, onProgress) => {
          verification = await verifyVideo(tmpPath, timing.expectation, {
            signal: cancellationSignal(),
            onProgress,
            decode: timing.method === 'copy' ? 'joins' : 'full',
            scratchDir: join(deps.tmpDir, 'assembly'),
          });
          if (!verification.ok) throw new VerificationError(`the assembled video failed verification: ${verification.problems.join('; ')}`);
        },
      }).finally(local.release);
      metrics.assemblySeconds((performance.now() - started) / 1000);
      const uri = await publishAll(deps.outputs ?? localOutputs, input.productionId, [result.path, ...sidecars(result)]);
      return { ...result, verification: verification!, ...(uri ? { uri } : {}) };
    },

    async writeManifest(input: { outDir: string; manifest: unknown; productionId?: string }): Promise<string> {
      const path = join(input.outDir, 'manifest.json');
      await writeJsonAtomic(path, input.manifest);
      if (input.productionId) await deps.outputs?.publish(input.productionId, path);
      return path;
    },

    /** storyreel.lock.json: the run as it really happened, plus the versions of every tool involved. */
    async writeLockfile(input: { outDir: string; lock: Record<string, unknown>; productionId?: string }): Promise<string> {
      const path = join(input.outDir, 'storyreel.lock.json');
      await writeJsonAtomic(path, { ...input.lock, tools: await toolVersions() });
      if (input.productionId) await deps.outputs?.publish(input.productionId, path);
      return path;
    },

    /** Removes a production's scratch files (best effort). */
    async cleanupScratch(input: { productionId: string }): Promise<void> {
      if (!/^[a-z0-9][a-z0-9_-]*$/.test(input.productionId)) return;
      await rm(join(deps.tmpDir, 'productions', input.productionId), { recursive: true, force: true });
    },
  };
}
