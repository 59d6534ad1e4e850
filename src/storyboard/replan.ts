/**
 * Re-planning one scene for another provider or model (an operator's retry with a switch): the same checks the
 * planner makes for that scene (capabilities, lifecycle, availability, the provider's own scene rules) and the new
 * price, settings and features. Pure: the catalog comes in as an argument. The client runs it before it sends the
 * decision; the workflow accepts a switch only with its result (and checks the price against the budget).
 */
import { defaultJobDeadlineSeconds, describeSeconds, priceFor, secondsAllowed, sizeText, type Catalog } from '../contracts/capabilities.js';
import type { ProviderSettings } from '../contracts/provider-settings.js';
import type { ScenePlan } from './plan.js';

/** What a switch changes in a scene's plan. Plain JSON: it travels in the operator's decision. */
export type SceneSwitch = Pick<
  ScenePlan,
  'provider' | 'model' | 'settings' | 'estimatedCostUsd' | 'jobDeadlineSeconds' | 'maxJobAttempts' | 'features'
>;

export interface ReplanInput {
  /** The scene as it is planned now (its current take). */
  scene: ScenePlan;
  provider?: string;
  model?: string;
  /** The prompt the retry will send (an edited one), to check against the new model's limit. */
  prompt?: string;
  catalog: Catalog;
  /** The provider's settings in this production (from another scene of the plan), when it has some. */
  settings?: ProviderSettings;
  /** OPENAI_BASE_URL and the like, for the availability check. */
  envBaseURL?: string;
  /** The provider of the scene this one extends (an extension cannot change provider). */
  extendedProvider?: string;
}

export type ReplanResult = { ok: true; change: SceneSwitch } | { ok: false; issues: string[] };

const DEFAULT_MAX_JOB_ATTEMPTS = 3;

export function replanScene(input: ReplanInput): ReplanResult {
  const { scene, catalog } = input;
  const provider = input.provider ?? scene.provider;
  const issues: string[] = [];
  if (!catalog.knownProviders().includes(provider))
    return { ok: false, issues: [`unknown provider "${provider}"; known: ${catalog.knownProviders().join(', ')}`] };
  const parsed = input.settings ? { success: true as const, data: input.settings } : catalog.parseSettings(provider, {});
  if (!parsed.success)
    return { ok: false, issues: [`${provider} needs settings this production does not have: add a providers.${provider} block`] };
  const settings = parsed.data;
  const model = input.model ?? (provider === scene.provider ? scene.model : (catalog.defaultModel(provider) ?? ''));
  const caps = catalog.capabilitiesOf(provider, model, settings);
  if (!caps)
    return {
      ok: false,
      issues: [`unknown model "${model}" for ${provider}; known: ${catalog.knownModels(provider, settings).join(', ')}`],
    };
  const name = `${provider}/${model}`;

  const unavailable = catalog.unavailableReason(provider, settings, input.envBaseURL);
  if (unavailable) issues.push(unavailable);
  if (caps.lifecycle.status === 'shutdown')
    issues.push(`${name} was shut down${caps.lifecycle.replacement ? `; use ${caps.lifecycle.replacement}` : ''}`);
  const c = scene.continuity;
  if (c.extendsSceneId) {
    if (input.extendedProvider && input.extendedProvider !== provider)
      issues.push(`scene ${scene.id} extends scene ${c.extendsSceneId} on ${input.extendedProvider}; an extension stays on that provider`);
    if (!caps.extend) issues.push(`${name} cannot extend a previous clip`);
    else if (!secondsAllowed(caps.extend.seconds, scene.seconds))
      issues.push(`${scene.seconds} s is not an allowed extension length for ${name}; allowed: ${describeSeconds(caps.extend.seconds)}`);
  } else if (!secondsAllowed(caps.seconds, scene.seconds)) {
    issues.push(`${scene.seconds} s is not allowed by ${name}; allowed: ${describeSeconds(caps.seconds)}`);
  }
  if (!caps.anySize && !caps.sizes.some((s) => s.width === scene.size.width && s.height === scene.size.height))
    issues.push(`${sizeText(scene.size)} is not offered by ${name}; allowed: ${caps.sizes.map(sizeText).join(', ')}`);
  if (c.firstFrame && !caps.firstFrame) issues.push(`${name} cannot start from an image (the scene's continuity needs it)`);
  if (c.lastFrame && !caps.lastFrame) issues.push(`${name} cannot take a last frame (the scene's continuity needs it)`);
  if (c.references.length > caps.maxReferenceImages)
    issues.push(`the scene has ${c.references.length} reference images; ${name} takes at most ${caps.maxReferenceImages}`);
  const prompt = input.prompt ?? scene.prompt;
  if (prompt.length > caps.promptLimit) issues.push(`the prompt is ${prompt.length} characters; ${name} takes at most ${caps.promptLimit}`);
  const ask = {
    model,
    seconds: scene.seconds,
    size: scene.size,
    firstFrame: !!c.firstFrame,
    lastFrame: !!c.lastFrame,
    referenceImages: c.references.length,
    extend: !!c.extendsSceneId,
    seed: scene.seed !== undefined,
  };
  for (const issue of catalog.sceneIssues(provider, settings, ask)) issues.push(`${issue.field}: ${issue.message}`);
  if (issues.length) return { ok: false, issues };
  return {
    ok: true,
    change: {
      provider,
      model,
      settings: { ...settings },
      estimatedCostUsd: priceFor(caps, scene.size, scene.seconds),
      jobDeadlineSeconds: settings.jobDeadlineSeconds ?? defaultJobDeadlineSeconds(caps, scene.seconds),
      maxJobAttempts: settings.maxJobAttempts ?? DEFAULT_MAX_JOB_ATTEMPTS,
      features: { remix: caps.remix, cancel: caps.cancel === 'server' },
    },
  };
}
