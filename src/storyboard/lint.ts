/**
 * Prompt lint: the seed guide's advice, checked for the user every time. Pure. Warnings by default
 * (`validate`, `plan`); errors with --strict. Each warning names the scene and the words that triggered it.
 */
import type { ProductionPlan } from './plan.js';
import type { Storyboard } from './schema.js';

export type LintRule = 'contradiction' | 'vague' | 'overloaded' | 'unreferenced-name' | 'rendered-text' | 'trimmed';

export interface LintWarning {
  sceneId: string;
  path: string;
  rule: LintRule;
  words: string[];
  message: string;
}

const DAY = [
  'daylight',
  'daytime',
  'midday',
  'noon',
  'sunny',
  'sunshine',
  'sunlit',
  'morning sun',
  'afternoon',
  'broad daylight',
  'blue sky',
];
const NIGHT = ['night', 'nighttime', 'midnight', 'moonlight', 'moonlit', 'starry', 'stars', 'starlit', 'nocturnal', 'dark sky'];
const VAGUE = ['beautiful', 'nice', 'amazing', 'stunning', 'awesome', 'cool', 'epic', 'pretty', 'lovely', 'gorgeous', 'interesting'];
const TEXT_REQUESTS = [
  /\b(?:text|sign|banner|caption|title card|headline|label|subtitle)s?\s+(?:that\s+)?(?:says?|saying|reads?|reading|with the words?)\b/i,
  /\bwith the (?:words?|text)\b/i,
  /\bwritten\s+(?:on|across)\b/i,
  /\b(?:spell(?:s|ing)? out|lettering)\b/i,
];

const wordRe = (w: string) => new RegExp(`\\b${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+')}\\b`, 'i');
const found = (text: string, words: readonly string[]) => words.filter((w) => wordRe(w).test(text));

/** Clauses that describe an action: sentences, and "then"/"and then"/", then" sequences inside them. */
export function countActions(prompt: string): number {
  const sentences = prompt
    .split(/[.!?;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  return sentences.reduce((n, s) => n + 1 + (s.match(/\b(?:and then|then|after that|afterwards|before|while)\b/gi)?.length ?? 0), 0);
}

export function lintStoryboard(sb: Storyboard, plan?: ProductionPlan): LintWarning[] {
  const out: LintWarning[] = [];
  const bible = [
    ...sb.characters.map((e) => ({ ...e, list: 'characters' as const })),
    ...sb.locations.map((e) => ({ ...e, list: 'locations' as const })),
    ...sb.props.map((e) => ({ ...e, list: 'props' as const })),
  ];
  sb.scenes.forEach((scene, i) => {
    const path = `scenes[${i}].prompt`;
    const warn = (rule: LintRule, words: string[], message: string) =>
      out.push({ sceneId: scene.id, path, rule, words, message: `scene ${scene.id}: ${message}` });
    const text = [scene.prompt, scene.lighting, scene.camera].filter(Boolean).join(' ');

    const day = found(text, DAY);
    const night = found(text, NIGHT);
    if (day.length && night.length) {
      warn(
        'contradiction',
        [...day, ...night],
        `mixes day and night (${[...day, ...night].map((w) => `"${w}"`).join(', ')}); pick one time of day`,
      );
    }

    const vague = found(scene.prompt, VAGUE);
    const words = scene.prompt.split(/\s+/).filter(Boolean).length;
    if (vague.length && words - vague.length < 12) {
      warn(
        'vague',
        vague,
        `${vague.map((w) => `"${w}"`).join(', ')} says little to a video model; describe what makes it so (materials, colours, light, motion)`,
      );
    }

    const seconds = scene.seconds ?? sb.defaults.seconds;
    const actions = countActions(scene.prompt);
    const maxActions = Math.max(1, Math.ceil(seconds / 2.5));
    const subjects = (scene.characters?.length ?? 0) + (scene.props?.length ?? 0);
    if (actions > maxActions) {
      warn(
        'overloaded',
        [`${actions} actions`],
        `${actions} actions in ${seconds} s; a clip this long shows about ${maxActions}. Split the scene or cut actions`,
      );
    }
    if (subjects > 3 && seconds < 8) {
      warn(
        'overloaded',
        [`${subjects} subjects`],
        `${subjects} characters and props in ${seconds} s; keep to three or fewer so each stays recognisable`,
      );
    }

    const referenced = new Set([...(scene.characters ?? []), ...(scene.props ?? []), ...(scene.location ? [scene.location] : [])]);
    for (const e of bible) {
      if (referenced.has(e.id)) continue;
      // Names only: ids are often common words ("lantern") that a prompt may use generically.
      const hits = e.name.length > 2 ? found(scene.prompt, [e.name]) : [];
      if (hits.length) {
        warn(
          'unreferenced-name',
          hits,
          `mentions "${hits[0]}" but does not reference ${e.list.slice(0, -1)} "${e.id}"; add it to \`${e.list === 'locations' ? 'location' : e.list}\` so its canonical description is used`,
        );
      }
    }

    const textHits = TEXT_REQUESTS.map((re) => re.exec(scene.prompt)?.[0]).filter((m): m is string => !!m);
    if (textHits.length) {
      warn(
        'rendered-text',
        textHits,
        `asks for rendered text (${textHits.map((t) => `"${t}"`).join(', ')}); video models draw letters badly. Use captions or add text in editing`,
      );
    }

    const planned = plan?.scenes[i];
    if (planned && planned.trimmedBlocks.length) {
      warn(
        'trimmed',
        planned.trimmedBlocks,
        `the full prompt is over ${planned.provider}'s limit; dropped: ${planned.trimmedBlocks.join(', ')}`,
      );
    }
  });
  return out;
}
