/** The API's JSON, as the studio reads it (see /openapi.json for the full shapes). */
export interface Scene {
  id: string;
  index: number;
  title: string;
  state: string;
  take: number;
  prompt: string;
  provider: string;
  model: string;
  costUsd: number;
  estimatedCostUsd: number;
  cached: boolean;
  reason?: { kind: string; message: string };
  clip?: { url: string; firstFrameUrl: string; lastFrameUrl: string; sha256: string; durationS: number };
  rejectedTakes: { take: number; note: string; clipUrl: string }[];
  attempts: unknown[];
}

export interface Production {
  productionId: string;
  title: string;
  state: string;
  percent: number;
  costUsd: number;
  estimatedCostUsd: number;
  startedAt: string;
  updatedAt: string;
  message?: string;
  waitingFor?: string[];
  scenes: Scene[];
  outputs: { video?: string; poster?: string; captionsVtt?: string; contactSheet?: string };
}

export interface Listed {
  productionId: string;
  state: string;
  status: string;
  startTime: string;
  url: string;
}

export interface Batch {
  batchId: string;
  state: string;
  total: number;
  counts: Record<string, number>;
  costUsd: number;
  startedAt: string;
  inFlight: string[];
}

export interface BatchItem {
  key: string;
  productionId: string;
  state: string;
  costUsd: number;
  scenes: { ready: number; total: number };
}
