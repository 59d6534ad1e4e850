/**
 * A stored clip as every room sees it: the clip store writes it, workflows carry it (paths and hashes, never bytes),
 * the production core keeps it per scene, assembly reads it. Plain JSON.
 */
export interface ClipRecord {
  cacheKey: string;
  /**
   * Absolute path of the clip on the host that stored or last opened it. Another host must not read it directly:
   * code that reads a clip's bytes gets a local path from ClipStore.acquire().
   */
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
