import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { planFile } from '../../src/load/load-storyboard.js';
import { catalog } from '../../src/providers/catalog.js';
import { composePrompt } from '../../src/storyboard/compose.js';
import { countActions, lintStoryboard } from '../../src/storyboard/lint.js';
import { validateStoryboard } from '../../src/storyboard/parse.js';
import type { StoryboardInput } from '../../src/storyboard/schema.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');

describe('composed prompts of the example storyboards (snapshots)', () => {
  for (const file of readdirSync(EXAMPLES).filter((f) => /\.ya?ml$/.test(f) && !f.includes('gateway'))) {
    it(file, async () => {
      const { plan } = await planFile(join(EXAMPLES, file), { catalog });
      const prompts = Object.fromEntries(
        plan.scenes.map((s) => [
          s.id,
          { prompt: s.prompt, negativePrompt: s.negativePrompt ?? null, continuity: s.continuity.mode, dependsOn: s.dependsOn },
        ]),
      );
      await expect(JSON.stringify(prompts, null, 2)).toMatchFileSnapshot(`./__snapshots__/prompts-${file.replace(/\.ya?ml$/, '')}.json`);
    });
  }
});

const sb = (scenes: StoryboardInput['scenes'], extra: Partial<StoryboardInput> = {}) =>
  validateStoryboard(
    {
      title: 'Lint',
      defaults: { provider: 'local', seconds: 4 },
      characters: [{ id: 'mara', name: 'Mara', description: 'a keeper' }],
      props: [{ id: 'lantern', name: 'brass lantern', description: 'an old brass lantern' }],
      scenes,
      ...extra,
    },
    'lint.yaml',
  );

const rules = (scenes: StoryboardInput['scenes']) => lintStoryboard(sb(scenes)).map((w) => [w.rule, w.words]);

describe('prompt lint: true positives', () => {
  it('day and night together', () => {
    expect(rules([{ id: 'a', prompt: 'A sunny beach under a starry sky' }])).toEqual([['contradiction', ['sunny', 'starry']]]);
  });
  it('vague words with no concrete detail', () => {
    expect(rules([{ id: 'a', prompt: 'A beautiful, amazing landscape' }])).toEqual([['vague', ['beautiful', 'amazing']]]);
  });
  it('too many actions for the duration', () => {
    const w = lintStoryboard(
      sb([{ id: 'a', prompt: 'She opens the door. She runs down the hall, then jumps the rail. She lands and rolls.', seconds: 4 }]),
    );
    expect(w.map((x) => x.rule)).toEqual(['overloaded']);
    expect(w[0]!.message).toMatch(/4 actions in 4 s/);
  });
  it('a bible name the scene does not reference', () => {
    const w = lintStoryboard(sb([{ id: 'a', prompt: 'Mara lifts the brass lantern to the window' }]));
    expect(w.map((x) => [x.rule, x.words])).toEqual([
      ['unreferenced-name', ['Mara']],
      ['unreferenced-name', ['brass lantern']],
    ]);
    expect(w[0]!.message).toMatch(/add it to `characters`/);
  });
  it('requests to render text', () => {
    expect(rules([{ id: 'a', prompt: 'A shop window with a sign that says OPEN in red neon' }])).toEqual([
      ['rendered-text', ['sign that says']],
    ]);
  });
  it('a prompt trimmed to the provider limit', async () => {
    const long = 'x'.repeat(3900);
    const s = sb([{ id: 'a', prompt: `Mara waits. ${long}`, characters: ['mara'] }], { style: { description: 'y'.repeat(200) } });
    const { planProduction } = await import('../../src/storyboard/plan.js');
    const plan = planProduction({ storyboard: s, storyboardSha256: 'b'.repeat(64), fileName: 'lint.yaml', assets: {}, catalog });
    expect(lintStoryboard(s, plan).map((w) => w.rule)).toEqual(['trimmed']);
    expect(plan.scenes[0]!.prompt.length).toBeLessThanOrEqual(4000);
    expect(plan.scenes[0]!.prompt).toContain(long);
  });
  it('names the scene and the path', () => {
    const [w] = lintStoryboard(
      sb([
        { id: 'ok', prompt: 'A lighthouse at dusk with waves breaking below it' },
        { id: 'bad', prompt: 'A nice view' },
      ]),
    );
    expect([w!.sceneId, w!.path]).toEqual(['bad', 'scenes[1].prompt']);
    expect(w!.message).toMatch(/^scene bad: "nice"/);
  });
});

describe('prompt lint: false positives avoided', () => {
  it.each([
    ['a knight is not night', 'A knight in silver armour rides across the moor at a slow trot'],
    ['dusk alone is no contradiction', 'The harbour at dusk, lamps coming on along the quay'],
    [
      'a vague word inside a detailed prompt',
      'A beautiful hand-carved oak table with brass inlay, lit by one candle, dust drifting in the light beam',
    ],
    [
      'one action in a long sentence',
      'Mara slowly climbs the spiral stairs with the lantern raised high above her head'.replace('Mara', 'The keeper'),
    ],
    ['a referenced name', 'Mara lifts the lantern'],
    ['text-like words that are not text requests', 'A letter carrier walks past the signpost in the rain'],
  ])('%s', (_name, prompt) => {
    expect(lintStoryboard(sb([{ id: 'a', prompt, characters: ['mara'] }]))).toEqual([]);
  });

  it('counts actions by clauses', () => {
    expect(countActions('He waits.')).toBe(1);
    expect(countActions('He waits, then leaves. She follows.')).toBe(3);
  });
});

describe('the composer', () => {
  it('orders blocks, keeps the action, folds negatives for providers without a negative prompt', () => {
    const s = sb([{ id: 'a', prompt: 'Mara lights the lamp', characters: ['mara'], camera: 'slow push-in' }], {
      style: { description: 'oil painting', lighting: 'candlelight', negative: ['text', 'logos'] },
    });
    const c = composePrompt({ storyboard: s, scene: s.scenes[0]!, promptLimit: 10_000, negativePromptSupported: false });
    expect(c.blocks.map((b) => b.name)).toEqual(['action', 'characters', 'lighting', 'camera', 'style', 'avoid']);
    expect(c.prompt.startsWith('Mara lights the lamp.')).toBe(true);
    expect(c.prompt).toContain('Avoid: text, logos.');
    expect(c.negativePrompt).toBeUndefined();
    const withNeg = composePrompt({ storyboard: s, scene: s.scenes[0]!, promptLimit: 10_000, negativePromptSupported: true });
    expect(withNeg.negativePrompt).toBe('text, logos');
    expect(withNeg.prompt).not.toContain('Avoid');
  });

  it('a scene overrides only the style fields it states', () => {
    const s = sb([{ id: 'a', prompt: 'x', style: { palette: 'green' } }], { style: { description: 'oil painting', palette: 'red' } });
    const c = composePrompt({ storyboard: s, scene: s.scenes[0]!, promptLimit: 10_000, negativePromptSupported: true });
    expect(c.prompt).toContain('Palette: green.');
    expect(c.prompt).toContain('Style: oil painting.');
  });

  it('trims the lowest-priority blocks first and never the action', () => {
    const s = sb([{ id: 'a', prompt: 'Mara waits by the door', characters: ['mara'], camera: 'static' }], {
      style: { description: 'oil painting', lighting: 'candle' },
    });
    const full = composePrompt({ storyboard: s, scene: s.scenes[0]!, promptLimit: 10_000, negativePromptSupported: true });
    const tight = composePrompt({ storyboard: s, scene: s.scenes[0]!, promptLimit: full.prompt.length - 5, negativePromptSupported: true });
    expect(tight.trimmed).toEqual(['lighting']);
    const tiny = composePrompt({ storyboard: s, scene: s.scenes[0]!, promptLimit: 5, negativePromptSupported: true });
    expect(tiny.prompt).toBe('Mara waits by the door.');
  });
});
