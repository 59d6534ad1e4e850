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
import { writeJsonAtomic } from '../src/store/files.js';
import { packageVersion } from '../src/store/package-version.js';
import type { ProductionPlan } from '../src/storyboard/plan.js';
import { CaptionStyle } from '../src/storyboard/schema.js';

export interface AssemblyDeps {
  tmpDir: string;
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
      const started = performance.now();
      const result = await assemble({
        clips: input.clips,
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
      });
      metrics.assemblySeconds((performance.now() - started) / 1000);
      return { ...result, verification: verification! };
    },

    async writeManifest(input: { outDir: string; manifest: unknown }): Promise<string> {
      const path = join(input.outDir, 'manifest.json');
      await writeJsonAtomic(path, input.manifest);
      return path;
    },

    /** storyreel.lock.json: the run as it really happened, plus the versions of every tool involved. */
    async writeLockfile(input: { outDir: string; lock: Record<string, unknown> }): Promise<string> {
      const path = join(input.outDir, 'storyreel.lock.json');
      await writeJsonAtomic(path, { ...input.lock, tools: await toolVersions() });
      return path;
    },

    /** Removes a production's scratch files (best effort). */
    async cleanupScratch(input: { productionId: string }): Promise<void> {
      if (!/^[a-z0-9][a-z0-9_-]*$/.test(input.productionId)) return;
      await rm(join(deps.tmpDir, 'productions', input.productionId), { recursive: true, force: true });
    },
  };
}
