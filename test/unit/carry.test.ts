/**
 * What a resumed run carries from the last one (src/production/carry.ts): approved takes by their stored key,
 * edited prompts and switches with keys of their own, and new keys for what continues from a changed scene.
 */
import { describe, expect, it } from 'vitest';
import { carryLastRun, type LastScene, type Replan } from '../../src/production/carry.js';
import { productionPlan } from '../helpers/scene-plans.js';

const plan = productionPlan([{ id: 'a', review: true }, { id: 'b' }, { id: 'c', chainFrom: 'b' }, { id: 'd' }]);
const [a, b, c, d] = plan.scenes;
const same = (id: string, extra: Partial<LastScene> = {}): LastScene => {
  const s = plan.scenes.find((x) => x.id === id)!;
  return { id, state: 'ready', prompt: s.prompt, provider: s.provider, model: s.model, take: 1, clip: { cacheKey: s.cacheKey }, ...extra };
};
const replan: Replan = (_scene, provider, model) =>
  provider === 'nope'
    ? { ok: false, issues: ['unknown provider'] }
    : {
        ok: true,
        change: {
          provider,
          model,
          settings: {},
          estimatedCostUsd: 0.4,
          jobDeadlineSeconds: 60,
          maxJobAttempts: 3,
          features: { remix: false, cancel: false },
        },
      };

describe('carryLastRun', () => {
  it('changes nothing when the last run did what was planned', () => {
    const r = carryLastRun(
      plan,
      plan.scenes.map((s) => same(s.id)),
      replan,
    );
    expect(r.plan.scenes.map((s) => s.cacheKey)).toEqual(plan.scenes.map((s) => s.cacheKey));
    expect(r.notes).toEqual([]);
  });

  it('keeps an approved take by its stored key, without another review', () => {
    const r = carryLastRun(
      plan,
      [same('a', { take: 2, prompt: `${a!.prompt} Revision: brighter.`, clip: { cacheKey: 'k-a-take-2' } })],
      replan,
    );
    expect(r.plan.scenes[0]).toMatchObject({ cacheKey: 'k-a-take-2', review: false, prompt: `${a!.prompt} Revision: brighter.` });
    expect(r.notes).toEqual(['a: the edited prompt, take 2 (approved)']);
  });

  it('re-keys an edited failed scene and every scene that continues from it, and re-plans a switch', () => {
    const r = carryLastRun(
      plan,
      [
        same('b', { state: 'failed', take: 2, prompt: 'Edited.', provider: 'openai-videos', model: 'sora-2', clip: null }),
        same('c', { state: 'blocked', clip: null }),
      ],
      replan,
    );
    const [, b2, c2, d2] = r.plan.scenes;
    expect(b2).toMatchObject({ prompt: 'Edited.', provider: 'openai-videos', model: 'sora-2', estimatedCostUsd: 0.4 });
    expect(b2!.cacheKey).not.toBe(b!.cacheKey);
    expect(c2!.cacheKey).not.toBe(c!.cacheKey);
    expect(d2!.cacheKey).toBe(d!.cacheKey);
    expect(r.plan.totals.estimatedCostUsd).toBe(0.5 * 3 + 0.4);
    expect(r.notes).toEqual(['b: on openai-videos/sora-2, the edited prompt', 'c: a new key after its changed predecessor']);
  });

  it('a switch that no longer re-plans stays on the planned provider and says why', () => {
    const r = carryLastRun(plan, [same('d', { state: 'failed', provider: 'nope', model: 'x', clip: null })], replan);
    expect(r.plan.scenes[3]).toMatchObject({ provider: 'local', cacheKey: d!.cacheKey });
    expect(r.notes).toEqual(['d: stays on local/local-1; nope/x no longer fits: unknown provider']);
  });
});
