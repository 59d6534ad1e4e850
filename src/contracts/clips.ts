/**
 * A stored clip as every room sees it: the clip store writes it, workflows carry it (paths and hashes, never bytes),
 * the production core keeps it per scene, assembly reads it. Plain JSON.
 */
export interface ClipRecord {
  cacheKey: string;
  /** Absolute path of the stored clip. */
  path: string;
  sha256: string;
  bytes: number;
  durationS: number;
  width: number;
  height: number;
  fps: number;
  hasAudio: boolean;
  provider: string;
  model: string;
  jobId: string;
  prompt: string;
  productionId: string;
  sceneId: string;
  costUsd: number;
  createdAt: string;
}
