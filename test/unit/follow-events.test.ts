/**
 * The follower's event log (workflows/follow-events.ts) from snapshots it takes now and then: a take that was awaiting
 * review only between two snapshots (a reviewer approved it within the follower's poll) is still logged, once, in
 * order, because the production records every reviewed take.
 */
import { describe, expect, it } from 'vitest';
import { eventsFrom, newCursor } from '../../workflows/follow-events.js';
import type { ProductionSnapshot } from '../../workflows/definitions.js';

const snap = (scenes: ProductionSnapshot['scenes'], state: ProductionSnapshot['state'] = 'running'): ProductionSnapshot => ({
  runId: 'r1',
  closed: false,
  state,
  costUsd: 0,
  scenes,
  digest: JSON.stringify([state, scenes]),
});

describe('the follower event log', () => {
  it('logs a needs_review the snapshots never showed, before the ready it led to, and never twice', () => {
    const cursor = newCursor();
    const at = '2026-12-02T00:00:00Z';
    const types = (s: ProductionSnapshot) => eventsFrom('p', s, cursor, at).map((e) => `${e.type} ${e.take ?? ''}`.trim());
    expect(types(snap([{ id: 'boat', take: 1, state: 'awaiting_review', costUsd: 0 }], 'waiting_for_operator'))).toEqual([
      'scene.needs_review 1',
      'production.waiting_for_operator',
    ]);
    // Rejected, re-made and approved between two looks: only `ready` of take 2 is in the next snapshot.
    expect(types(snap([{ id: 'boat', take: 2, state: 'ready', costUsd: 0, reviewedTakes: [1, 2] }]))).toEqual([
      'scene.needs_review 2',
      'scene.ready 2',
    ]);
    expect(types(snap([{ id: 'boat', take: 2, state: 'ready', costUsd: 0, reviewedTakes: [1, 2] }], 'completed'))).toEqual([
      'production.completed',
    ]);
  });
});
