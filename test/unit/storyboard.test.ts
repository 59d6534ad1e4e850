import { describe, expect, it } from 'vitest';
import { catalog } from '../../src/providers/catalog.js';
import { StoryboardError } from '../../src/storyboard/errors.js';
import { parseStoryboardText, validateStoryboard } from '../../src/storyboard/parse.js';
import { defaultProductionId, planProduction, type PlanInput } from '../../src/storyboard/plan.js';
import type { StoryboardInput } from '../../src/storyboard/schema.js';

const base = (): StoryboardInput => ({
  title: 'Test Film',
  defaults: { provider: 'local', size: '640x360', fps: 24, seconds: 2 },
  characters: [{ id: 'ana', name: 'Ana', description: 'a woman in a red dress' }],
  locations: [{ id: 'pier', name: 'The pier', description: 'a wooden pier at dusk' }],
  scenes: [
    { id: 'one', prompt: 'Ana walks along the pier', characters: ['ana'], location: 'pier' },
    { id: 'two', prompt: 'Ana stops and looks at the sea', characters: ['ana'], continuity: 'chain' },
    { id: 'three', prompt: 'Gulls take off from the railing' },
  ],
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

const planOf = (sb: StoryboardInput, extra: Partial<PlanInput> = {}) =>
  planProduction({
    storyboard: validateStoryboard(sb, 'sb.yaml'),
    storyboardSha256: 'a'.repeat(64),
    fileName: 'sb.yaml',
    assets: {},
    catalog,
    ...extra,
  });

describe('storyboard validation names the path of every problem', () => {
  it('rejects bad YAML', () => {
    const issues = issuesOf(() => parseStoryboardText('title: x\nscenes: [\n  - id: a', 'bad.yaml'));
    expect(issues[0]!.message).toMatch(/not valid YAML/);
  });

  it('rejects an unknown key with its path', () => {
    const sb = base();
    (sb.scenes[1] as Record<string, unknown>).secnds = 3;
    const issues = issuesOf(() => validateStoryboard(sb, 'sb.yaml'));
    expect(issues).toContainEqual({ path: 'scenes[1]', message: expect.stringMatching(/unknown key "secnds"/) });
  });

  it('rejects a duplicate scene id', () => {
    const sb = base();
    sb.scenes[2]!.id = 'one';
    expect(issuesOf(() => validateStoryboard(sb, 'sb.yaml'))).toContainEqual({ path: 'scenes[2].id', message: 'duplicate scene id "one"' });
  });

  it.each(['a/b', '..', '../etc', 'A B', ''])('rejects the id %j (ids become file names)', (id) => {
    const sb = base();
    sb.scenes[0]!.id = id;
    const issues = issuesOf(() => validateStoryboard(sb, 'sb.yaml'));
    expect(issues.some((i) => i.path === 'scenes[0].id')).toBe(true);
  });

  it.each([0, -1])('rejects seconds %d', (seconds) => {
    const sb = base();
    sb.scenes[2]!.seconds = seconds;
    expect(issuesOf(() => validateStoryboard(sb, 'sb.yaml'))).toContainEqual({
      path: 'scenes[2].seconds',
      message: 'must be greater than 0',
    });
  });

  it('rejects a reference to a missing character', () => {
    const sb = base();
    sb.scenes[0]!.characters = ['bob'];
    expect(issuesOf(() => validateStoryboard(sb, 'sb.yaml'))).toContainEqual({
      path: 'scenes[0].characters[0]',
      message: '"bob" is not defined in characters (defined: ana)',
    });
  });

  it('rejects a storyboard with no scenes', () => {
    const sb = base();
    sb.scenes = [];
    expect(issuesOf(() => validateStoryboard(sb, 'sb.yaml'))).toContainEqual({
      path: 'scenes',
      message: 'a storyboard needs at least one scene',
    });
  });

  it('rejects chaining the first scene, with a suggestion', () => {
    const sb = base();
    sb.scenes[0]!.continuity = 'chain';
    const [issue] = issuesOf(() => validateStoryboard(sb, 'sb.yaml'));
    expect(issue).toEqual({
      path: 'scenes[0].continuity',
      message: expect.stringMatching(/first scene has none; use "independent" or "anchor"/),
    });
  });

  it('rejects an API key written into the storyboard', () => {
    const sb = base() as Record<string, unknown>;
    sb.providers = { 'openai-videos': { apiKeyEnv: 'sk-live-123' } };
    expect(issuesOf(() => validateStoryboard(sb, 'sb.yaml'))[0]!.path).toBe('providers.openai-videos.apiKeyEnv');
  });

  it('reports every problem at once', () => {
    const sb = base();
    sb.scenes[0]!.seconds = -2;
    sb.scenes[1]!.characters = ['nobody'];
    expect(
      issuesOf(() => validateStoryboard(sb, 'sb.yaml'))
        .map((i) => i.path)
        .sort(),
    ).toEqual(['scenes[0].seconds', 'scenes[1].characters[0]']);
  });

  it('parses JSON storyboards as JSON', () => {
    const sb = parseStoryboardText(JSON.stringify(base()), 'sb.json');
    expect(sb.scenes).toHaveLength(3);
    expect(issuesOf(() => parseStoryboardText('{"title": ', 'x.json'))[0]!.message).toMatch(/not valid JSON/);
  });

  it('rejects seconds the provider does not allow, naming provider and allowed values', () => {
    const sb = base();
    sb.defaults = { provider: 'openai-videos', size: '1280x720' };
    sb.providers = { 'openai-videos': { baseURL: 'http://gateway.local/v1' } };
    // 20 is 8 s longer than the longest clip: too much to hold still (a length close to an allowed one is fitted).
    sb.scenes = [{ id: 'a', prompt: 'x', seconds: 20 }];
    expect(issuesOf(() => planOf(sb))).toContainEqual({
      path: 'scenes[0].seconds',
      message: '20 is not allowed by openai-videos/sora-2 and no allowed length is close enough to trim or pad to it; allowed: 4, 8, 12',
    });
  });

  it('checks continuity modes against the provider and suggests an alternative', () => {
    const sb = base();
    sb.scenes[1]!.continuity = 'extend';
    expect(issuesOf(() => planOf(sb))).toContainEqual({
      path: 'scenes[1].continuity',
      message: 'local/local-v1 cannot extend a previous clip; use "chain" (starts from the previous scene\'s last frame) instead',
    });
    const gw = base();
    gw.defaults = { provider: 'openai-videos', size: '1280x720', seconds: 4 };
    gw.providers = { 'openai-videos': { baseURL: 'http://gateway.local/v1' } };
    gw.scenes = [
      { id: 'a', prompt: 'x' },
      { id: 'b', prompt: 'y', continuity: 'keyframes', lastFrame: 'end.png' },
    ];
    expect(issuesOf(() => planOf(gw)).find((i) => i.path === 'scenes[1].continuity')?.message).toBe(
      'openai-videos/sora-2 cannot take first and last keyframes; use "chain" or "anchor" (first frame only)',
    );
  });

  it('refuses api.openai.com for openai-videos before any request, saying it shut down', () => {
    const sb = base();
    sb.defaults = { provider: 'openai-videos', size: '1280x720', seconds: 4 };
    sb.scenes = [{ id: 'a', prompt: 'x' }];
    const [issue] = issuesOf(() => planOf(sb));
    expect(issue!.path).toBe('defaults.provider');
    expect(issue!.message).toMatch(/shut down its Videos API \(Sora 2\) on 2026-09-24/);
    expect(issue!.message).toMatch(/baseURL/);
  });
});

describe('planning', () => {
  it('is deterministic', () => {
    expect(JSON.stringify(planOf(base()))).toBe(JSON.stringify(planOf(base())));
  });

  it('resolves prompts from the bible and style, and chains with dependency edges', () => {
    const sb = base();
    sb.style = { description: 'watercolour', negative: ['text'] };
    const plan = planOf(sb);
    const [one, two, three] = plan.scenes;
    expect(one!.prompt).toContain('Ana walks along the pier.');
    expect(one!.prompt).toContain('Ana: a woman in a red dress.');
    expect(one!.prompt).toContain('Setting: The pier: a wooden pier at dusk.');
    expect(one!.prompt).toContain('Style: watercolour.');
    expect(one!.negativePrompt).toBe('text');
    expect(two!.dependsOn).toEqual(['one']);
    expect(two!.continuity.firstFrame).toEqual({ kind: 'previous-last-frame', sceneId: 'one' });
    expect(two!.prompt).toMatch(/Continuity: continues directly from the previous shot/);
    expect(three!.dependsOn).toEqual([]);
    expect(plan.totals).toEqual({ scenes: 3, seconds: 6, durationSeconds: 6, estimatedCostUsd: 0 });
    // The id covers the storyboard's bytes and every file it names (here: none), not the bytes alone.
    expect(plan.contentSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.contentSha256).not.toBe('a'.repeat(64));
    expect(plan.productionId).toBe(defaultProductionId('Test Film', plan.contentSha256));
    expect(plan.productionId).toBe(`test-film-${plan.contentSha256.slice(0, 8)}`);
  });

  it('changes a cache key exactly when something that changes the clip changes, and propagates along chains', () => {
    const before = planOf(base());
    const edited = base();
    edited.scenes[0]!.prompt = 'Ana runs along the pier';
    const after = planOf(edited);
    expect(after.scenes[0]!.cacheKey).not.toBe(before.scenes[0]!.cacheKey);
    expect(after.scenes[1]!.cacheKey).not.toBe(before.scenes[1]!.cacheKey); // chained after the edit
    expect(after.scenes[2]!.cacheKey).toBe(before.scenes[2]!.cacheKey);

    const latency = base();
    latency.providers = { local: { latencyMs: 500, pollIntervalMs: 50 } };
    expect(planOf(latency).scenes.map((s) => s.cacheKey)).toEqual(before.scenes.map((s) => s.cacheKey));
  });
});

describe("each provider's own settings are checked by that provider's schema", () => {
  const planIssues = (providers: Record<string, Record<string, unknown>>) => {
    const sb = base();
    sb.providers = providers as StoryboardInput['providers'];
    return issuesOf(() => planOf(sb));
  };

  it('a typo in a provider-specific field names its path', () => {
    expect(planIssues({ local: { latncyMs: 500 } })).toContainEqual({
      path: 'providers.local',
      message: expect.stringMatching(/unknown key "latncyMs"/),
    });
  });

  it('a field of another provider is refused (render belongs to local, not openai-videos)', () => {
    expect(planIssues({ 'openai-videos': { baseURL: 'https://gw.example/v1', render: 'instant' } })).toContainEqual({
      path: 'providers.openai-videos',
      message: expect.stringMatching(/unknown key "render"/),
    });
  });

  it('a wrong type inside a provider block names the nested path', () => {
    expect(planIssues({ local: { faults: [{ on: 'sometimes', kind: 'transient' }] } })).toContainEqual({
      path: 'providers.local.faults[0].on',
      message: expect.any(String),
    });
  });

  it('a block for a provider nobody knows', () => {
    expect(planIssues({ 'open-ai-videos': {} })).toContainEqual({
      path: 'providers.open-ai-videos',
      message: expect.stringMatching(/unknown provider "open-ai-videos"; known: local, openai-videos/),
    });
  });
});
