/**
 * Pure: which events a new snapshot of a production run adds to its log. An event is one state change that matters
 * outside (a scene ready, waiting for review, failed or skipped; the production waiting for an operator or closed),
 * identified by what changed, so the same change always has the same id and is never logged twice.
 */
import { sha256Hex } from '../src/contracts/hash.js';
import type { ProductionEvent, ProductionEventType, ProductionSnapshot, ProductionState, SceneState } from './definitions.js';

const SCENE_EVENTS: Partial<Record<SceneState, ProductionEventType>> = {
  ready: 'scene.ready',
  awaiting_review: 'scene.needs_review',
  failed: 'scene.failed',
  skipped: 'scene.skipped',
};

const PRODUCTION_EVENTS: Partial<Record<ProductionState, ProductionEventType>> = {
  waiting_for_operator: 'production.waiting_for_operator',
  completed: 'production.completed',
  completed_with_placeholders: 'production.completed',
  failed: 'production.failed',
  budget_exhausted: 'production.failed',
  cancelled: 'production.cancelled',
};

/** What the follower remembers between snapshots (carried across continue-as-new). */
export interface EventCursor {
  /** Keys of the changes already logged. */
  seen: Set<string>;
  /** The production state in the previous snapshot (a state entered again is a new change). */
  lastState: ProductionState | undefined;
  /** How often each production state was entered so far. */
  entered: Map<ProductionState, number>;
  nextSeq: number;
}

export function newCursor(seen: readonly string[] = [], nextSeq = 1): EventCursor {
  const entered = new Map<ProductionState, number>();
  for (const key of seen) {
    const m = /\/production\/([a-z_]+)\/(\d+)$/.exec(key);
    if (m) entered.set(m[1] as ProductionState, Math.max(entered.get(m[1] as ProductionState) ?? 0, Number(m[2])));
  }
  return { seen: new Set(seen), lastState: undefined, entered, nextSeq };
}

export function eventId(key: string): string {
  return `evt_${sha256Hex(key).slice(0, 32)}`;
}

/** The events `snap` adds, in order: scene changes (story order), then the production's. Updates `cursor`. */
export function eventsFrom(productionId: string, snap: ProductionSnapshot, cursor: EventCursor, at: string): ProductionEvent[] {
  const out: ProductionEvent[] = [];
  const add = (key: string, ev: Omit<ProductionEvent, 'id' | 'seq' | 'productionId' | 'runId' | 'at'>) => {
    if (cursor.seen.has(key)) return;
    cursor.seen.add(key);
    out.push({ id: eventId(`${productionId}/${key}`), seq: cursor.nextSeq++, productionId, runId: snap.runId, at, ...ev });
  };
  for (const s of snap.scenes) {
    // A take that was awaiting review between two snapshots (approved or rejected before the follower looked) is
    // logged all the same: the production records every reviewed take.
    for (const take of s.reviewedTakes ?? []) {
      add(`${snap.runId}/scene/${s.id}/${take}/awaiting_review`, {
        type: 'scene.needs_review',
        state: 'awaiting_review',
        sceneId: s.id,
        take,
        costUsd: s.costUsd,
      });
    }
    const type = SCENE_EVENTS[s.state];
    if (!type) continue;
    add(`${snap.runId}/scene/${s.id}/${s.take}/${s.state}`, {
      type,
      state: s.state,
      sceneId: s.id,
      take: s.take,
      costUsd: s.costUsd,
      ...(s.reason ? { reason: s.reason } : {}),
    });
  }
  const type = PRODUCTION_EVENTS[snap.state];
  if (type && snap.state !== cursor.lastState) {
    const n = (cursor.entered.get(snap.state) ?? 0) + 1;
    cursor.entered.set(snap.state, n);
    add(`${snap.runId}/production/${snap.state}/${n}`, {
      type,
      state: snap.state,
      costUsd: snap.costUsd,
      ...(snap.outputPath ? { outputPath: snap.outputPath } : {}),
    });
  }
  cursor.lastState = snap.state;
  return out;
}

/** The JSON a webhook carries (Standard Webhooks' recommended envelope); the same bytes on every attempt. */
export function webhookBody(ev: ProductionEvent): string {
  const { id, seq: _seq, type, at, ...data } = ev;
  return JSON.stringify({ type, timestamp: at, data: { eventId: id, ...data } });
}
