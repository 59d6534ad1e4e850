/**
 * Timing from the voice (pure): scene lengths fitted to measured speech and mapped to the lengths a model allows,
 * a fixed length that cannot hold its speech refused with the numbers, the workflow's refit re-keying a lengthened
 * scene and the scenes chained to it, and voices/lines checked by the schema.
 */
import { describe, expect, it } from 'vitest';
import { catalog } from '../../src/providers/catalog.js';
import { StoryboardError } from '../../src/storyboard/errors.js';
import { validateStoryboard } from '../../src/storyboard/parse.js';
import { planProduction, type PlanInput } from '../../src/storyboard/plan.js';
import { retimeForSpeech } from '../../src/storyboard/retime.js';
import type { StoryboardInput } from '../../src/storyboard/schema.js';
import { fitToSpeech, lineKey, resolveVoice, shortestAllowed, spokenLines } from '../../src/storyboard/speech.js';

const sb = (over: Partial<StoryboardInput> = {}): StoryboardInput => ({
  title: 'Speech',
  defaults: { provider: 'local', size: '640x360', fps: 24, seconds: 3, voice: 'en-us' },
  characters: [{ id: 'mara', name: 'Mara', description: 'a keeper', voice: { provider: 'espeak-ng', voice: 'en-gb+f3' } }],
  scenes: [
    { id: 'one', prompt: 'Waves', narration: 'The storm came in at dusk.' },
    {
      id: 'two',
      prompt: 'Stairs',
      continuity: 'chain',
      narration: 'One hundred and twelve steps.',
      lines: [{ character: 'mara', text: 'Hold fast.' }],
    },
    { id: 'three', prompt: 'Lamp', continuity: 'chain' },
  ],
  ...over,
});
const planOf = (s: StoryboardInput, extra: Partial<PlanInput> = {}) =>
  planProduction({
    storyboard: validateStoryboard(s, 'sb.yaml'),
    storyboardSha256: 'a'.repeat(64),
    fileName: 'sb.yaml',
    assets: {},
    catalog,
    ...extra,
  });
/** Every line measured at `seconds`. */
const measured = (s: StoryboardInput, seconds: number) =>
  Object.fromEntries(spokenLines(validateStoryboard(s, 'sb.yaml')).map((l) => [l.key, seconds]));

describe('fitting a scene to its speech', () => {
  it('picks the shortest length the model allows that holds the speech and its tail', () => {
    const veo = { kind: 'enum', values: [4, 6, 8] } as const;
    expect(fitToSpeech({ requested: 4, speechS: 5.5, tailS: 0.35, fit: 'lengthen', allowed: veo })).toEqual({
      clipSeconds: 6,
      sceneSeconds: 6,
    });
    expect(fitToSpeech({ requested: 4, speechS: 6.2, tailS: 0.35, fit: 'lengthen', allowed: veo })).toEqual({
      clipSeconds: 8,
      sceneSeconds: 8,
    });
    expect(fitToSpeech({ requested: 4, speechS: 2, tailS: 0.35, fit: 'lengthen', allowed: veo })).toEqual({
      clipSeconds: 4,
      sceneSeconds: 4,
    });
    expect(fitToSpeech({ requested: 4, speechS: 9, tailS: 0.35, fit: 'lengthen', allowed: veo }).problem).toMatch(
      /needs 9\.35 s, longer than any clip/,
    );
    expect(shortestAllowed({ kind: 'range', min: 0.5, max: 120, step: 0.5 }, 3.29)).toBe(3.5);
    const fixed = fitToSpeech({ requested: 4, speechS: 5, tailS: 0.35, fit: 'fail', allowed: veo });
    expect(fixed.clipSeconds).toBe(4);
    expect(fixed.problem).toContain('needs 5.35 s (5.00 s spoken + 0.35 s before the next scene) but the scene is fixed at 4 s');
  });

  it('the planner lengthens scenes (the chained one too) with measured speech and keys the clip by its new length', () => {
    const plain = planOf(sb());
    const spoken = planOf(sb(), { speechSeconds: measured(sb(), 2.5) });
    const two = spoken.scenes[1]!;
    // two: lead 0.25 + 2.5 + gap 0.3 + 2.5 = 5.55 s of speech, + 0.35 s tail → 6 s (local: steps of 0.5 s).
    expect(two.speech).toMatchObject({ speechS: 5.55, measured: true, requestedSeconds: 3, sceneSeconds: 6 });
    expect(two.seconds).toBe(6);
    expect(two.frames).toBe(144);
    expect(two.speech!.lines.map((l) => l.speaker)).toEqual(['narrator', 'mara']);
    expect(spoken.scenes[2]!.speech).toBeUndefined();
    expect(spoken.scenes[2]!.seconds).toBe(3);
    expect(two.cacheKey).not.toBe(plain.scenes[1]!.cacheKey);
    // The scene chained after the lengthened one starts from a different last frame: a different clip.
    expect(spoken.scenes[2]!.cacheKey).not.toBe(planOf(sb(), { speechSeconds: measured(sb(), 1) }).scenes[2]!.cacheKey);
    expect(spoken.totals.seconds).toBe(3.5 + 6 + 3);
  });

  it('a scene that fixes its length fails validation with the numbers, unless it says how to fit', () => {
    const fixed = sb();
    fixed.scenes[0] = { ...fixed.scenes[0]!, seconds: 2 };
    let err: unknown;
    try {
      planOf(fixed, { speechSeconds: measured(fixed, 2.5) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoryboardError);
    expect((err as StoryboardError).issues).toContainEqual({
      path: 'scenes[0].seconds',
      message: expect.stringContaining(
        'its speech needs 3.10 s (2.75 s spoken + 0.35 s before the next scene) but the scene is fixed at 2 s',
      ),
    });
    fixed.scenes[0] = { ...fixed.scenes[0]!, speechFit: 'lengthen' };
    expect(planOf(fixed, { speechSeconds: measured(fixed, 2.5) }).scenes[0]!.seconds).toBe(3.5);
  });

  it('the workflow refit re-keys a lengthened scene and those chained after it; the same lengths change nothing', () => {
    const plan = planOf(sb(), { speechSeconds: measured(sb(), 1) });
    expect(retimeForSpeech(plan, { one: plan.scenes[0]!.speech!.speechS }).plan).toBe(plan);
    const r = retimeForSpeech(plan, { two: 7 });
    expect(r.changed).toEqual([{ sceneId: 'two', from: plan.scenes[1]!.seconds, to: 7.5 }]);
    expect(r.plan.scenes[1]!.frames).toBe(180);
    expect(r.plan.scenes[0]!.cacheKey).toBe(plan.scenes[0]!.cacheKey);
    expect(r.plan.scenes[1]!.cacheKey).not.toBe(plan.scenes[1]!.cacheKey);
    expect(r.plan.scenes[2]!.cacheKey).not.toBe(plan.scenes[2]!.cacheKey);
    expect(r.problems).toEqual([]);
  });

  it('a lengthened scene whose length the planner had mapped is made at its new, allowed length', () => {
    const plan = planOf(sb(), { speechSeconds: measured(sb(), 1) });
    // As if the model could not make the requested length and the planner had it made shorter and held.
    const mapped = { ...plan, scenes: plan.scenes.map((s, i) => (i === 1 ? { ...s, generateSeconds: s.seconds - 1 } : s)) };
    const r = retimeForSpeech(mapped, { two: 7 });
    expect(r.plan.scenes[1]!.seconds).toBe(7.5);
    expect(r.plan.scenes[1]!.generateSeconds).toBeUndefined();
  });

  it('speechFit extend holds the clip (an allowed length) until the speech is over; trim cuts a longer clip to it', () => {
    const veo = { kind: 'enum', values: [4, 6, 8] } as const;
    // 5 s is not a Veo length: the clip is the allowed one below it, held for the rest of the speech.
    expect(fitToSpeech({ requested: 5, speechS: 6, tailS: 0.35, fit: 'extend', allowed: veo })).toEqual({
      clipSeconds: 4,
      sceneSeconds: 6.35,
    });
    expect(fitToSpeech({ requested: 4, speechS: 5, tailS: 0.35, fit: 'trim', allowed: veo })).toEqual({
      clipSeconds: 6,
      sceneSeconds: 5.35,
    });
    const fixed = (fit: 'extend' | 'trim') => {
      const s = sb();
      s.scenes[0] = { ...s.scenes[0]!, seconds: 2, speechFit: fit };
      return s;
    };
    const plain = planOf(sb(), { speechSeconds: measured(sb(), 2.5) });
    for (const fit of ['extend', 'trim'] as const) {
      const plan = planOf(fixed(fit), { speechSeconds: measured(fixed(fit), 2.5) });
      const one = plan.scenes[0]!;
      // lead 0.25 + 2.5 spoken + 0.35 tail = 3.1 s, rounded up to whole frames at 24 fps: 75 frames = 3.125 s.
      expect(one.speech).toMatchObject({ speechS: 2.75, requestedSeconds: 2, sceneSeconds: 3.125, fit });
      expect(one.seconds).toBe(3.125);
      expect(one.frames).toBe(75);
      expect(one.seconds).toBeGreaterThanOrEqual(one.speech!.speechS + one.speech!.tailS);
      expect(plan.totals.seconds).toBe(3.125 + 6 + 3);
      // The model is asked for an allowed clip (local: steps of 0.5 s), fitted at download; the key says so.
      expect(one.cacheKey).not.toBe(plain.scenes[0]!.cacheKey);
      expect(plan.scenes[1]!.cacheKey).not.toBe(plain.scenes[1]!.cacheKey);
    }
    const extend = planOf(fixed('extend'), { speechSeconds: measured(fixed('extend'), 2.5) }).scenes[0]!;
    expect(extend.generateSeconds).toBe(2);
    expect(extend.estimatedCostUsd).toBe(plain.scenes[0]!.estimatedCostUsd * (2 / 3.5));
    const trim = planOf(fixed('trim'), { speechSeconds: measured(fixed('trim'), 2.5) }).scenes[0]!;
    expect(trim.generateSeconds).toBe(3.5);
    expect(trim.seconds).toBeLessThan(trim.generateSeconds!);
  });

  it('the workflow refit gives an extend/trim scene the shape the planner gives measured speech', () => {
    for (const fit of ['extend', 'trim'] as const) {
      const s = sb();
      s.scenes[0] = { ...s.scenes[0]!, seconds: 2, speechFit: fit };
      // Planned with speech that fits in 2 s (nothing fitted), then measured longer by the voicing step.
      const plan = planOf(s, { speechSeconds: measured(s, 1) });
      expect(plan.scenes[0]!.seconds).toBe(2);
      expect(plan.scenes[0]!.generateSeconds).toBeUndefined();
      expect(retimeForSpeech(plan, { one: plan.scenes[0]!.speech!.speechS }).plan).toBe(plan);
      const r = retimeForSpeech(plan, { one: 2.75 });
      expect(r.problems).toEqual([]);
      expect(r.changed).toEqual([{ sceneId: 'one', from: 2, to: 3.125 }]);
      const planned = planOf(s, { speechSeconds: measured(s, 2.5) }).scenes[0]!;
      const one = r.plan.scenes[0]!;
      expect({ seconds: one.seconds, generateSeconds: one.generateSeconds, frames: one.frames }).toEqual({
        seconds: planned.seconds,
        generateSeconds: planned.generateSeconds,
        frames: planned.frames,
      });
      expect(one.speech!.sceneSeconds).toBe(3.125);
      expect(one.cacheKey).not.toBe(plan.scenes[0]!.cacheKey);
      expect(r.plan.scenes[1]!.cacheKey).not.toBe(plan.scenes[1]!.cacheKey);
      expect(r.plan.totals.seconds).toBe(3.125 + plan.scenes[1]!.seconds + 3);
      // Refitting the refitted plan with the same lengths changes nothing.
      expect(retimeForSpeech(r.plan, { one: 2.75 }).plan).toBe(r.plan);
    }
  });

  it('voice settings are part of a line key; the key variable is not', () => {
    const v = resolveVoice({ provider: 'openai-speech', voice: 'marin', apiKeyEnv: 'A' });
    expect(lineKey('Hi.', v)).toBe(lineKey('Hi.', { ...v, apiKeyEnv: 'B' }));
    expect(lineKey('Hi.', v)).not.toBe(lineKey('Hi.', { ...v, speed: 1.1 }));
    expect(lineKey('Hi.', v)).not.toBe(lineKey('Hi.', { ...v, model: 'tts-1' }));
  });

  it('lines need a character with a voice; keys are names of variables', () => {
    const noVoice = sb({ characters: [{ id: 'mara', name: 'Mara', description: 'a keeper' }] });
    expect(() => validateStoryboard(noVoice, 'sb.yaml')).toThrow(/scenes\[1\]\.lines\[0\]\.character: character "mara" has no `voice`/);
    const leaked = sb({ defaults: { provider: 'local', voice: { provider: 'openai-speech', voice: 'marin', apiKeyEnv: 'sk-123' } } });
    expect(() => validateStoryboard(leaked, 'sb.yaml')).toThrow(/apiKeyEnv: must be the NAME of an environment variable/);
  });
});
