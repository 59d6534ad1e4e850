/**
 * Routing in the planner (issue 13 item 4) and lengths fitted to the model (issue 12): a scene names ordered
 * provider/model choices; the first that can make it is picked, later usable ones are its fallbacks, every choice is
 * listed with its cost or why it cannot; a length the model cannot make is generated at the nearest allowed length
 * and trimmed or padded to the asked one.
 */
import { describe, expect, it } from 'vitest';
import { catalog } from '../../src/providers/catalog.js';
import { StoryboardError } from '../../src/storyboard/errors.js';
import { validateStoryboard } from '../../src/storyboard/parse.js';
import { routeLines } from '../../src/cli/plan.js';
import { fitSeconds, planProduction } from '../../src/storyboard/plan.js';
import type { StoryboardInput } from '../../src/storyboard/schema.js';

const GATEWAY = { baseURL: 'http://gateway.local/v1' };

const planOf = (sb: StoryboardInput) =>
  planProduction({
    storyboard: validateStoryboard(sb, 'sb.yaml'),
    storyboardSha256: 'a'.repeat(64),
    fileName: 'sb.yaml',
    assets: {},
    catalog,
  });

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoryboardError);
    return [...(err as StoryboardError).issues];
  }
  throw new Error('expected a StoryboardError');
}

describe('fitting a length to what a model makes', () => {
  it.each([
    [{ kind: 'enum', values: [5, 10] } as const, 6, { generate: 5, action: 'pad' }],
    [{ kind: 'enum', values: [5, 10] } as const, 8, { generate: 10, action: 'trim' }],
    [{ kind: 'enum', values: [5, 10] } as const, 7.5, { generate: 10, action: 'trim' }],
    [{ kind: 'enum', values: [5, 10] } as const, 5, { generate: 5, action: 'exact' }],
    [{ kind: 'enum', values: [4, 8, 12] } as const, 10, { generate: 12, action: 'trim' }],
    [{ kind: 'range', min: 2, max: 10, step: 1 } as const, 12, { generate: 10, action: 'pad' }],
    [{ kind: 'range', min: 2, max: 10, step: 1 } as const, 4.5, { generate: 5, action: 'trim' }],
    [{ kind: 'range', min: 3, max: 30, step: 1 } as const, 1, { generate: 3, action: 'trim' }],
  ])('%j, %d s → %j', (spec, seconds, fit) => {
    expect(fitSeconds(spec, seconds)).toEqual(fit);
  });

  it('refuses to hold a clip still for more than a quarter of the scene', () => {
    expect(fitSeconds({ kind: 'enum', values: [4, 8, 12] }, 20)).toBeUndefined();
    expect(fitSeconds({ kind: 'enum', values: [5, 10] }, 14)).toBeUndefined();
  });

  it('a fitted scene keeps its edit length and is priced and keyed by what is generated', () => {
    const sb: StoryboardInput = {
      title: 'fit',
      defaults: { provider: 'fal', model: 'fal-ai/kling-video/v2.6/pro', aspect: '16:9', seconds: 6 },
      scenes: [{ id: 'a', prompt: 'a gull' }],
    };
    const s = planOf(sb).scenes[0]!;
    expect([s.seconds, s.generateSeconds, s.frames]).toEqual([6, 5, 6 * 24]);
    expect(s.estimatedCostUsd).toBeCloseTo(0.14 * 5, 6); // with audio, for the 5 s generated
    const exact = planOf({ ...sb, defaults: { ...sb.defaults, seconds: 5 } }).scenes[0]!;
    expect(exact.generateSeconds).toBeUndefined();
    expect(exact.cacheKey).not.toBe(s.cacheKey);
  });
});

describe('routing: ordered provider/model choices', () => {
  const routed = (choices: unknown, extra: Partial<StoryboardInput> = {}): StoryboardInput => ({
    title: 'routed',
    defaults: { choices, aspect: '16:9', seconds: 4 } as StoryboardInput['defaults'],
    providers: { 'openai-videos': GATEWAY },
    scenes: [
      { id: 'a', prompt: 'the harbour at dawn' },
      { id: 'b', prompt: 'a boat leaves', continuity: 'chain' },
    ],
    ...extra,
  });

  it('picks the first choice that can make each scene; the rest that can are fallbacks, each with its cost', () => {
    const plan = planOf(routed(['openai-videos', { provider: 'fal', model: 'fal-ai/kling-video/v2.6/pro' }, 'local']));
    for (const s of plan.scenes) {
      expect(`${s.provider}/${s.model}`).toBe('openai-videos/sora-2');
      expect(s.route!.map((r) => [r.provider, r.status])).toEqual([
        ['openai-videos', 'picked'],
        ['fal', 'fallback'],
        ['local', 'fallback'],
      ]);
      expect(s.route![1]!.seconds).toEqual({ asked: 4, generated: 5, fit: 'trim' });
      expect(s.route![1]!.estimatedCostUsd).toBeCloseTo(0.7, 6);
      expect(s.fallbacks!.map((f) => `${f.provider}/${f.model}`)).toEqual(['fal/fal-ai/kling-video/v2.6/pro', 'local/local-v1']);
      expect(s.fallbacks![0]!.generateSeconds).toBe(5);
      expect(new Set([s.cacheKey, ...s.fallbacks!.map((f) => f.cacheKey)]).size).toBe(3);
    }
    // The chained scene starts from the previous last frame whichever choice makes it.
    expect(plan.scenes[1]!.fallbacks!.every((f) => f.continuity.firstFrame?.kind === 'previous-last-frame')).toBe(true);
  });

  it('skips a choice that cannot make the scene, saying why, and picks the next', () => {
    // 20 s: sora-2 makes at most 12 s, too far to pad; the local renderer makes 20 s.
    const sb = routed(['openai-videos', 'local']);
    sb.scenes[0]!.seconds = 20;
    const s = planOf(sb).scenes[0]!;
    expect(s.provider).toBe('local');
    expect(s.route![0]).toMatchObject({ provider: 'openai-videos', status: 'unusable' });
    expect(s.route![0]!.reasons!.join(' ')).toMatch(/20 is not allowed by openai-videos\/sora-2/);
    expect(s.fallbacks).toBeUndefined();
  });

  it('a scene no choice can make is an error listing every choice', () => {
    const sb = routed(['openai-videos', { provider: 'fal', model: 'fal-ai/kling-video/v2.6/pro' }]);
    sb.scenes[0]!.seconds = 30;
    const issues = issuesOf(() => planOf(sb));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('defaults.choices');
    expect(issues[0]!.message).toMatch(
      /no choice can make this scene: 1\. openai-videos\/sora-2: .*2\. fal\/fal-ai\/kling-video\/v2\.6\/pro: /,
    );
  });

  it("a scene's own choices win over the defaults; the single-provider forms keep working", () => {
    const sb = routed(['openai-videos', 'local']);
    sb.scenes[0] = { ...sb.scenes[0]!, choices: [{ provider: 'local' }, 'openai-videos'] };
    sb.scenes[1] = { ...sb.scenes[1]!, provider: 'local' };
    const plan = planOf(sb);
    expect(plan.scenes.map((s) => s.provider)).toEqual(['local', 'local']);
    expect(plan.scenes[0]!.fallbacks!.map((f) => f.provider)).toEqual(['openai-videos']);
    expect(plan.scenes[1]!.route).toBeUndefined();
  });

  it('refuses choices together with provider/model', () => {
    const sb = routed(['local']);
    sb.scenes[0] = { ...sb.scenes[0]!, provider: 'local', choices: ['local'] };
    expect(issuesOf(() => validateStoryboard(sb, 'sb.yaml'))).toContainEqual({
      path: 'scenes[0].choices',
      message: expect.stringMatching(/either `choices` or `provider`\/`model`/),
    });
  });

  it('storyreel plan shows every choice with its mapping and cost, and why a choice cannot', () => {
    const sb = routed(['openai-videos', { provider: 'fal', model: 'fal-ai/kling-video/v2.6/pro' }, 'local']);
    sb.scenes[1]!.seconds = 6;
    sb.scenes.push({ id: 'c', prompt: 'the quiet after', seconds: 20 });
    const lines = routeLines(planOf(sb));
    expect(lines).toContain('    1. openai-videos/sora-2  picked  1280x720  seconds 6 → 8 (trim 2 s)  $0.80');
    expect(lines).toContain('    2. fal/fal-ai/kling-video/v2.6/pro  fallback  1920x1080  seconds 6 → 5 (pad 1 s, last frame held)  $0.70');
    expect(lines.find((l) => l.startsWith('    1. openai-videos/sora-2  cannot: scenes[2].seconds: 20 is not allowed'))).toBeDefined();
    expect(lines).toContain('    3. local/local-v1  picked  1280x720  20 s  $0.00');
  });
});
