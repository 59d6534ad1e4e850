/**
 * Re-planning a scene for an operator's retry on another provider or model (src/storyboard/replan.ts), with the real
 * provider catalog: capabilities, lifecycle and price are checked before a decision is sent.
 */
import { describe, expect, it } from 'vitest';
import { catalog } from '../../src/providers/catalog.js';
import { replanScene } from '../../src/storyboard/replan.js';
import { scenePlan } from '../helpers/scene-plans.js';

const hd = { ...scenePlan({ id: 's1', seconds: 4 }, 0), size: { width: 1280, height: 720 } };
const openai = { baseURL: 'http://127.0.0.1:9/v1' };

describe('replanScene', () => {
  it('prices and configures the scene for the new provider and model', () => {
    const r = replanScene({ scene: hd, provider: 'openai-videos', model: 'sora-2', catalog, settings: openai });
    expect(r).toMatchObject({ ok: true, change: { provider: 'openai-videos', model: 'sora-2', estimatedCostUsd: 0.4, settings: openai } });
  });

  it("takes the provider's default model when only the provider changes", () => {
    const r = replanScene({ scene: hd, provider: 'openai-videos', catalog, settings: openai });
    expect(r.ok && r.change.model).toBe(catalog.defaultModel('openai-videos'));
  });

  it('refuses what the new model cannot do, naming each reason', () => {
    const odd = { ...scenePlan({ id: 's2', seconds: 5 }, 0), size: { width: 320, height: 180 } };
    const r = replanScene({ scene: odd, provider: 'openai-videos', model: 'sora-2', catalog, settings: openai });
    expect(r.ok).toBe(false);
    const issues = r.ok ? [] : r.issues;
    expect(issues.some((i) => i.startsWith('5 s is not allowed by openai-videos/sora-2; allowed:'))).toBe(true);
    expect(issues.some((i) => i.startsWith('320x180 is not offered by openai-videos/sora-2'))).toBe(true);
  });

  it('refuses an unknown provider or model, and an extension that would leave its source provider', () => {
    expect(replanScene({ scene: hd, provider: 'nope', catalog })).toMatchObject({
      ok: false,
      issues: [expect.stringContaining('unknown provider "nope"')],
    });
    expect(replanScene({ scene: hd, model: 'nope', catalog })).toMatchObject({
      ok: false,
      issues: [expect.stringContaining('unknown model "nope" for local')],
    });
    const ext = { ...hd, continuity: { ...hd.continuity, mode: 'extend' as const, extendsSceneId: 's0' } };
    const r = replanScene({ scene: ext, provider: 'openai-videos', model: 'sora-2', catalog, settings: openai, extendedProvider: 'local' });
    expect(r.ok ? [] : r.issues).toContain('scene s1 extends scene s0 on local; an extension stays on that provider');
  });
});
