/**
 * createActivities(deps) returns every activity by name; nothing else gets registered with a worker.
 * Every activity leaves through toFailure (to-failure.ts), the one place errors become Temporal failures.
 */
import { assemblyActivities, type AssemblyDeps } from './assembly.js';
import { batchActivities, type BatchDeps } from './batch.js';
import { followActivities, type FollowDeps } from './follow.js';
import { sceneActivities, type SceneDeps } from './scene.js';
import { slotActivities } from './slots.js';
import { speechActivities, type SpeechDeps } from './speech.js';
import { submitActivities, type SubmitDeps } from './submit.js';
import { translated } from './to-failure.js';

export type ActivityDeps = SceneDeps & SubmitDeps & AssemblyDeps & BatchDeps & FollowDeps & SpeechDeps;

export function createActivities(deps: ActivityDeps) {
  const raw = {
    ...sceneActivities(deps),
    ...submitActivities(deps),
    ...assemblyActivities(deps),
    ...batchActivities(deps),
    ...slotActivities(),
    ...followActivities(deps),
    ...speechActivities(deps),
  };
  return Object.fromEntries(
    Object.entries(raw).map(([name, fn]) => [name, translated(fn as (...a: unknown[]) => Promise<unknown>)]),
  ) as typeof raw;
}

export type Activities = ReturnType<typeof createActivities>;
export type { AssembleInput, AssembleOutput } from './assembly.js';
export type { AwaitInput, DownloadInput, PollInput, PreparedInputs, PrepareInput } from './scene.js';
export type { SubmitInput, SubmitResult } from './submit.js';
export type { VoiceSceneInput } from './speech.js';
export type { PlannedItem } from './batch.js';
export type { DeliverInput, ObserveBatchInput, ObserveInput } from './follow.js';
export type { BatchItem } from '../src/storyboard/batch.js';
