/**
 * The pure production core (src/production) without Temporal: scheduling, the budget ledger, takes, placeholders,
 * decisions and progress, driven the way produceStoryboard drives it. Property tests (fast-check) check the
 * scheduling and ledger invariants on random dependency graphs, caps, budgets and outcomes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Production, type Launch } from '../../src/production/production.js';
import { remainingPathSeconds, sceneOrder } from '../../src/production/schedule.js';
import type { SceneDecision } from '../../src/production/types.js';
import { clipFor, productionPlan, type SceneSpec } from '../helpers/scene-plans.js';

let tick = 0;
const now = () => new Date(Date.UTC(2026, 0, 1) + tick++ * 1000).toISOString();
const core = (
  specs: SceneSpec[],
  options: Parameters<typeof productionPlan>[1] = {},
  extra: { order?: 'plan' | 'critical-path'; release?: boolean; unblockOnSkip?: boolean } = {},
) =>
  new Production(productionPlan(specs, options), {
    now,
    order: extra.order ?? 'plan',
    releaseUnsubmitted: extra.release ?? true,
    unblockOnSkip: extra.unblockOnSkip ?? true,
  });

/** Finishes a launched take with a clip, as the child's result would. */
function finish(p: Production, l: Launch, jobId = `job-${l.sceneId}-${l.take}`): void {
  p.rendered(l.sceneId, l.take, {
    clip: { ...clipFor(l.scene, jobId), cacheKey: l.scene.cacheKey },
    cached: false,
    attempts: [],
    costUsd: 0,
  });
  p.closed(l.sceneId);
}

function fail(p: Production, l: Launch, kind = 'job_failed', message = 'the job failed'): void {
  p.failed(l.sceneId, l.take, { kind, message }, message);
  p.closed(l.sceneId);
}

const ids = (ls: Launch[]) => ls.map((l) => l.sceneId);

describe('scheduling', () => {
  it('starts independent scenes up to the parallel cap and a chained scene only after its predecessor has a clip', () => {
    const p = core([{ id: 'a' }, { id: 'b', chainFrom: 'a' }, { id: 'c' }, { id: 'd' }], { maxParallelScenes: 2 });
    const first = p.startable();
    expect(ids(first)).toEqual(['a', 'c']);
    expect(p.startable()).toEqual([]); // nothing twice, nothing above the cap
    finish(p, first[0]!);
    const second = p.startable();
    expect(ids(second)).toEqual(['b']);
    expect(second[0]!.predecessor?.sceneId).toBe('a');
    expect(p.next()).toEqual({ kind: 'wait_children' });
  });

  it('blocks the scenes after a failed one; a retry of it unblocks them and starts take 2 under its own child key', () => {
    const p = core([{ id: 'a' }, { id: 'b', chainFrom: 'a' }, { id: 'c', chainFrom: 'b' }], { operatorWaitSeconds: 60 });
    fail(p, p.startable()[0]!);
    expect(p.startable()).toEqual([]);
    expect(p.scenes().map((e) => e.status.state)).toEqual(['failed', 'blocked', 'blocked']);
    expect(p.next()).toMatchObject({ kind: 'wait_operator', waitS: 60 });
    p.decide({ sceneId: 'a', action: 'retry', prompt: 'Try again' });
    expect(p.scenes().map((e) => e.status.state)).toEqual(['planned', 'planned', 'planned']);
    const retry = p.startable();
    expect(retry).toMatchObject([{ sceneId: 'a', take: 2, childKey: 'a/take-2' }]);
    expect(retry[0]!.scene.prompt.startsWith('Try again.')).toBe(true);
    expect(retry[0]!.scene.cacheKey).not.toBe(p.plan.scenes[0]!.cacheKey);
    finish(p, retry[0]!);
    // b follows a clip that is not the planned one: its cache key changes with it.
    const b = p.startable()[0]!;
    expect(b.sceneId).toBe('b');
    expect(b.scene.cacheKey).not.toBe(p.plan.scenes[1]!.cacheKey);
  });

  it('critical-path order starts the long chain first where plan order starts the independent shot', () => {
    const specs: SceneSpec[] = [{ id: 'x' }, { id: 'a' }, { id: 'b', chainFrom: 'a' }, { id: 'c', chainFrom: 'b' }];
    expect(ids(core(specs, { maxParallelScenes: 1 }, { order: 'plan' }).startable())).toEqual(['x']);
    expect(ids(core(specs, { maxParallelScenes: 1 }, { order: 'critical-path' }).startable())).toEqual(['a']);
    expect(sceneOrder(productionPlan(specs).scenes, 'critical-path')).toEqual(['a', 'b', 'x', 'c']);
    expect(remainingPathSeconds(productionPlan(specs).scenes).get('a')).toBe(12);
  });

  it('an abort or an exhausted budget starts nothing more', () => {
    const p = core([{ id: 'a' }, { id: 'b' }], { maxParallelScenes: 1, operatorWaitSeconds: 60 });
    const a = p.startable()[0]!;
    p.decide({ sceneId: '', action: 'abort' });
    finish(p, a);
    expect(p.startable()).toEqual([]);
    expect(p.next()).toEqual({ kind: 'stop' });
    expect(p.verdict()).toMatchObject({ final: 'failed', reason: 'aborted by an operator' });
  });
});

describe('the budget ledger', () => {
  it('reserves while the cap holds, denies the first job over it and closes for good', () => {
    const p = core([{ id: 'a' }, { id: 'b' }, { id: 'c' }], { budgetUsd: 1 });
    const req = (sceneId: string, usd: number) => p.requestBudget({ sceneId, take: 1, jobAttempt: 1, estimatedUsd: usd });
    expect(req('a', 0.5)).toBe(true);
    expect(req('b', 0.6)).toBe(false);
    expect(req('c', 0.1)).toBe(false); // closed, even though it would fit
    expect(req('nope', 0.1)).toBeUndefined();
    expect(p.spentUsd()).toBe(0.5);
    expect(p.budgetExhausted).toBe(true);
    expect(p.ledger.lines.map((l) => l.outcome)).toEqual(['reserved', 'denied', 'denied']);
  });

  it('a reservation becomes the job it paid for; one whose submit failed before a job existed is released', () => {
    const p = core([{ id: 'a' }, { id: 'b' }], { budgetUsd: 1 });
    const [a, b] = p.startable();
    p.requestBudget({ sceneId: 'a', take: 1, jobAttempt: 1, estimatedUsd: 0.5 });
    p.applyUpdate({
      sceneId: 'a',
      take: 1,
      state: 'submitted',
      attempt: { jobId: 'j1', outcome: 'ready', estimatedCostUsd: 0.5, submittedAt: now(), reconciled: false },
    });
    p.requestBudget({ sceneId: 'b', take: 1, jobAttempt: 1, estimatedUsd: 0.5 });
    fail(p, b!, 'invalid_request', 'seconds: 7 is not allowed');
    finish(p, a!, 'j1');
    expect(p.ledger.lines.map((l) => [l.sceneId, l.jobId, l.outcome])).toEqual([
      ['a', 'j1', 'ready'],
      ['b', undefined, 'released'],
    ]);
    expect(p.spentUsd()).toBe(0.5);
    expect(p.ledger.remainingUsd()).toBe(0.5);
  });

  it('keeps the reservation when the job may exist (an ambiguous or transient failure) or without the patch', () => {
    for (const [kind, release] of [
      ['ambiguous_submit', true],
      ['transient', true],
      ['invalid_request', false],
    ] as const) {
      const p = core([{ id: 'a' }], { budgetUsd: 1 }, { release });
      const a = p.startable()[0]!;
      p.requestBudget({ sceneId: 'a', take: 1, jobAttempt: 1, estimatedUsd: 0.5 });
      fail(p, a, kind);
      expect(p.spentUsd(), `${kind}, release ${release}`).toBe(0.5);
    }
  });

  it('without a budget, records each job the scenes report', () => {
    const p = core([{ id: 'a' }]);
    p.startable();
    const attempt = { jobId: 'j1', outcome: 'ready' as const, estimatedCostUsd: 0.25, submittedAt: now(), reconciled: false };
    p.applyUpdate({ sceneId: 'a', take: 1, state: 'submitted', attempt });
    p.applyUpdate({ sceneId: 'a', take: 1, state: 'downloaded', attempt: { ...attempt, finishedAt: now() } });
    expect(p.ledger.lines).toMatchObject([{ sceneId: 'a', jobId: 'j1', jobAttempt: 1, estimatedUsd: 0.25 }]);
    expect(p.progress().costUsd).toBe(0.25);
  });

  it("the scene's result alone settles its job in the ledger, with the billed cost (no download report before it)", () => {
    for (const budgetUsd of [undefined, 1]) {
      const p = core([{ id: 'a' }], budgetUsd === undefined ? {} : { budgetUsd });
      const l = p.startable()[0]!;
      if (budgetUsd) p.requestBudget({ sceneId: 'a', take: 1, jobAttempt: 1, estimatedUsd: 0.25 });
      const attempt = { jobId: 'j1', outcome: 'ready' as const, estimatedCostUsd: 0.25, submittedAt: now(), reconciled: false };
      p.applyUpdate({ sceneId: 'a', take: 1, state: 'submitted', attempt });
      const billed = { ...attempt, finishedAt: now(), billed: { units: 4, usd: 0.2 } };
      p.rendered('a', 1, {
        clip: { ...clipFor(l.scene, 'j1'), cacheKey: l.scene.cacheKey },
        cached: false,
        attempts: [billed],
        costUsd: 0.2,
      });
      expect(p.ledger.lines, `budget ${budgetUsd}`).toMatchObject([{ sceneId: 'a', jobId: 'j1', outcome: 'ready', actualUsd: 0.2 }]);
      expect(p.spentUsd()).toBe(0.2);
    }
  });
});

describe('a halted run (its history at its bound)', () => {
  it('starts nothing more, lets the scenes in flight finish, then stops failed naming the scenes not started', () => {
    const p = core([{ id: 'a' }, { id: 'b' }, { id: 'c' }], { maxParallelScenes: 1 });
    const a = p.startable()[0]!;
    p.halt('the history reached 40000 events');
    expect(p.startable()).toEqual([]);
    expect(p.next()).toEqual({ kind: 'wait_children' });
    finish(p, a);
    expect(p.startable()).toEqual([]);
    expect(p.next()).toEqual({ kind: 'stop' });
    const v = p.verdict()!;
    expect(v.final).toBe('failed');
    expect(v.reason).toMatch(/^2 of 3 scenes did not finish: the history reached 40000 events; every finished clip is kept\. Resume/);
    expect(v.sceneLines).toEqual(['  b: not started', '  c: not started']);
  });
});

describe('takes, reviews and placeholders', () => {
  it('a rejection keeps the rejected take and remixes it where the provider can; a late result of the old take is ignored', () => {
    const p = core([{ id: 'a', review: true, remix: true }], { reviewWaitSeconds: 60 });
    const t1 = p.startable()[0]!;
    finish(p, t1, 'job-1');
    expect(p.scene('a')!.status.state).toBe('awaiting_review');
    expect(() => p.validateReview({ sceneId: 'a', decision: 'reject' })).toThrow(/needs a note/);
    p.review({ sceneId: 'a', decision: 'reject', note: 'brighter' });
    const t2 = p.startable()[0]!;
    expect(t2).toMatchObject({ take: 2, childKey: 'a/take-2', remixOfJobId: 'job-1' });
    expect(t2.scene.prompt).toMatch(/Revision: brighter\.$/);
    expect(p.scene('a')!.status.rejectedTakes).toMatchObject([{ take: 1, note: 'brighter', clip: { jobId: 'job-1' } }]);
    p.rendered('a', 1, { clip: clipFor(t1.scene, 'stale'), cached: false, attempts: [], costUsd: 0 });
    expect(p.scene('a')!.status.state).toBe('planned');
    finish(p, t2, 'job-2');
    p.review({ sceneId: 'a', decision: 'approve' });
    expect(p.verdict()).toBeUndefined();
    expect(p.clip('a').jobId).toBe('job-2');
  });

  it('a skipped scene asks for a placeholder (last frame of the scene before it when asked and possible)', () => {
    const p = core([{ id: 'a' }, { id: 'b' }, { id: 'c' }], { operatorWaitSeconds: 60 });
    const [a, b, c] = p.startable();
    finish(p, a!);
    fail(p, b!);
    fail(p, c!);
    p.decide({ sceneId: 'b', action: 'skip', placeholder: 'last-frame' });
    p.decide({ sceneId: 'c', action: 'skip' });
    expect(p.placeholderFor('a')).toBeUndefined();
    const pb = p.placeholderFor('b')!;
    expect(pb).toMatchObject({ kind: 'last-frame', still: { sceneId: 'a' } });
    p.placeholderMade('b', clipFor(pb.scene, 'placeholder'));
    expect(p.placeholderFor('c')).toMatchObject({ kind: 'slate' });
    p.placeholderMade('c', clipFor(p.placeholderFor('c')!.scene, 'placeholder'));
    expect(p.next()).toEqual({ kind: 'stop' });
    expect(p.verdict()).toBeUndefined();
    expect(p.countIn('skipped')).toBe(2);
  });

  it('a skip lets the scene chained to it start from the placeholder (only with the patch)', () => {
    for (const unblockOnSkip of [true, false]) {
      const p = core([{ id: 'a' }, { id: 'b', chainFrom: 'a' }], { operatorWaitSeconds: 60 }, { unblockOnSkip });
      fail(p, p.startable()[0]!);
      expect(p.startable()).toEqual([]);
      p.decide({ sceneId: 'a', action: 'skip' });
      p.placeholderMade('a', clipFor(p.placeholderFor('a')!.scene, 'placeholder'));
      const next = p.startable();
      if (unblockOnSkip) expect(next).toMatchObject([{ sceneId: 'b', predecessor: { jobId: 'placeholder' } }]);
      else expect(p.scene('b')!.status.state).toBe('blocked');
    }
  });

  it('a retry on another provider or model needs the re-planned scene, a matching one, and a price within the budget', () => {
    const p = core([{ id: 'a' }, { id: 'b' }], { operatorWaitSeconds: 60, budgetUsd: 1 });
    const [a, b] = p.startable();
    p.requestBudget({ sceneId: 'a', take: 1, jobAttempt: 1, estimatedUsd: 0.5 });
    finish(p, a!);
    fail(p, b!);
    const replanned = (provider: string, model: string, estimatedCostUsd: number) => ({
      provider,
      model,
      settings: {},
      estimatedCostUsd,
      jobDeadlineSeconds: 300,
      maxJobAttempts: 2,
      features: { remix: true, cancel: false },
    });
    const check = (d: Omit<SceneDecision, 'sceneId' | 'action'>) => () => p.validateDecision({ sceneId: 'b', action: 'retry', ...d });
    expect(check({ provider: 'openai-videos' })).toThrow(/needs the scene re-planned for it/);
    expect(check({ model: 'other' })).toThrow(/needs the scene re-planned for it/);
    expect(check({ provider: 'openai-videos', replanned: replanned('fal', 'x', 0.1) })).toThrow(
      'the re-planned scene is for fal/x, not openai-videos',
    );
    expect(check({ provider: 'openai-videos', replanned: replanned('openai-videos', 'sora-2', 0.8) })).toThrow(
      'scene b on openai-videos/sora-2 costs about $0.80 a job; $0.50 of the $1.00 budget is left',
    );
    expect(check({ provider: 'local' })).not.toThrow(); // no switch: nothing to re-plan
    const ok = { sceneId: 'b', action: 'retry' as const, provider: 'openai-videos', replanned: replanned('openai-videos', 'sora-2', 0.4) };
    expect(() => p.validateDecision(ok)).not.toThrow();
    p.decide(ok);
    const retry = p.startable()[0]!;
    expect(retry.scene).toMatchObject({ provider: 'openai-videos', model: 'sora-2', estimatedCostUsd: 0.4, maxJobAttempts: 2 });
    expect(retry.scene.features).toEqual({ remix: true, cancel: false });
    expect(p.scene('b')!.status).toMatchObject({ provider: 'openai-videos', model: 'sora-2', estimatedCostUsd: 0.4 });
  });

  it('validates decisions with a reason', () => {
    const p = core([{ id: 'a' }], { operatorWaitSeconds: 60 });
    const a = p.startable()[0]!;
    const bad = (d: SceneDecision) => () => p.validateDecision(d);
    expect(bad({ sceneId: 'a', action: 'retry' })).toThrow('scene a is planned; only a failed scene can be retried or skipped');
    fail(p, a);
    expect(bad({ sceneId: 'z', action: 'skip' })).toThrow('no scene "z" in this production');
    expect(bad({ sceneId: 'a', action: 'retry', prompt: '  ' })).toThrow('the edited prompt is empty');
    expect(bad({ sceneId: 'a', action: 'retry', prompt: 'again' })).not.toThrow();
    p.state = 'completed';
    expect(bad({ sceneId: 'a', action: 'abort' })).toThrow('the production is completed');
  });
});

describe('progress', () => {
  it('weighs each scene by how far it is and says what an operator wait is for', () => {
    const p = core([{ id: 'a' }, { id: 'b' }], { operatorWaitSeconds: 60 });
    const [a, b] = p.startable();
    p.applyUpdate({ sceneId: 'a', take: 1, state: 'rendering', progress: 0.5 });
    expect(p.progress().percent).toBe(22.5); // (0.1 + 0.8 × 0.5) / 2 × 90
    finish(p, a!);
    fail(p, b!);
    p.waitForOperator('2026-01-01T01:00:00.000Z', 'waiting');
    expect(p.progress()).toMatchObject({ percent: 45, state: 'waiting_for_operator', waitingFor: ['b'], message: 'waiting' });
    p.operatorWaitOver(false, 60);
    expect(p.progress()).toMatchObject({ state: 'running', message: 'no decision within 60 s' });
    expect(p.progress().waitingFor).toBeUndefined();
  });
});

/** A random plan: each scene may depend on earlier ones; random caps, costs, budget and child outcomes. */
const arbitraryRun = fc
  .record({
    deps: fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: 1, maxLength: 12 }),
    seconds: fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 12, maxLength: 12 }),
    costs: fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 12, maxLength: 12 }),
    cap: fc.integer({ min: 1, max: 5 }),
    budget: fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
    order: fc.constantFrom('plan' as const, 'critical-path' as const),
    outcomes: fc.array(fc.constantFrom('ready', 'job_failed', 'invalid_request', 'retry_ready'), { minLength: 64, maxLength: 64 }),
    picks: fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
  })
  .map((r) => ({
    ...r,
    specs: r.deps.map((d, i) => ({
      id: `s${i}`,
      seconds: r.seconds[i]!,
      estimatedCostUsd: r.costs[i]! / 100,
      dependsOn: i === 0 ? [] : [...new Set(d.map((x) => `s${x % i}`))],
    })),
  }));

describe('invariants (property tests)', () => {
  it('every scene starts once per take, never before its dependencies, never above the cap; the ledger never exceeds the budget', () => {
    fc.assert(
      fc.property(arbitraryRun, (r) => {
        const p = core(
          r.specs,
          { maxParallelScenes: r.cap, ...(r.budget !== undefined ? { budgetUsd: r.budget / 100 } : {}), operatorWaitSeconds: 60 },
          {
            order: r.order,
          },
        );
        const started = new Set<string>();
        const running: Launch[] = [];
        let step = 0;
        for (let guard = 0; guard < 500; guard++) {
          for (const l of p.startable()) {
            const key = `${l.sceneId}#${l.take}`;
            expect(started.has(key), `${key} started twice`).toBe(false);
            started.add(key);
            for (const d of l.scene.dependsOn) expect(['ready', 'skipped']).toContain(p.scene(d)!.status.state);
            running.push(l);
          }
          expect(running.length).toBeLessThanOrEqual(r.cap);
          expect(p.running).toBe(running.length);
          if (r.budget !== undefined) expect(p.spentUsd()).toBeLessThanOrEqual(r.budget / 100 + 1e-9);
          const next = p.next();
          if (next.kind === 'stop') break;
          if (next.kind === 'again') continue;
          if (next.kind === 'wait_operator') {
            // An operator retries the first failed scene (or gives up after a while).
            const failed = p.scenes().find((e) => e.status.state === 'failed');
            if (!failed || step++ > 40) break;
            p.decide({ sceneId: failed.plan.id, action: step % 3 === 0 ? 'skip' : 'retry' });
            for (let id: string | undefined; (id = p.scenes().find((e) => p.placeholderFor(e.plan.id))?.plan.id);)
              p.placeholderMade(id, clipFor(p.scene(id)!.plan, 'placeholder'));
            continue;
          }
          const i = r.picks[step % r.picks.length]! % running.length;
          const l = running.splice(i, 1)[0]!;
          const outcome = r.outcomes[step++ % r.outcomes.length]!;
          const granted = p.requestBudget({ sceneId: l.sceneId, take: l.take, jobAttempt: 1, estimatedUsd: l.scene.estimatedCostUsd });
          if (!granted) fail(p, l, 'budget_exhausted');
          else if (outcome === 'invalid_request') fail(p, l, 'invalid_request');
          else if (outcome === 'job_failed') {
            p.applyUpdate({
              sceneId: l.sceneId,
              take: l.take,
              state: 'submitted',
              attempt: {
                jobId: `j${step}`,
                outcome: 'job_failed',
                estimatedCostUsd: l.scene.estimatedCostUsd,
                submittedAt: now(),
                reconciled: false,
              },
            });
            fail(p, l, 'job_failed');
          } else finish(p, l);
          if (r.budget !== undefined) expect(p.spentUsd()).toBeLessThanOrEqual(r.budget / 100 + 1e-9);
        }
        // Whatever happened, the run ends in a state the shell can act on.
        const verdict = p.verdict();
        if (!verdict) for (const e of p.scenes()) expect(['ready', 'skipped']).toContain(e.status.state);
        if (p.budgetExhausted) expect(verdict?.final).toBe('budget_exhausted');
      }),
      { numRuns: 300 },
    );
  });

  it('in either order every scene of a successful run is rendered, within the longest path and the serial sum', () => {
    fc.assert(
      fc.property(arbitraryRun, (r) => {
        const makespan = (order: 'plan' | 'critical-path') => {
          const p = core(r.specs, { maxParallelScenes: r.cap }, { order });
          let t = 0;
          const running: { l: Launch; end: number }[] = [];
          for (;;) {
            for (const l of p.startable()) running.push({ l, end: t + l.scene.seconds });
            if (!running.length) {
              for (const e of p.scenes()) expect(e.status.state).toBe('ready');
              return t;
            }
            running.sort((a, b) => a.end - b.end);
            const done = running.shift()!;
            t = done.end;
            finish(p, done.l);
          }
        };
        const longest = Math.max(...remainingPathSeconds(productionPlan(r.specs).scenes).values());
        const serial = r.specs.reduce((t, s) => t + s.seconds, 0);
        for (const order of ['plan', 'critical-path'] as const) {
          const m = makespan(order);
          expect(m).toBeGreaterThanOrEqual(longest);
          expect(m).toBeLessThanOrEqual(serial);
        }
      }),
      { numRuns: 200 },
    );
  });
});
