/**
 * The `comfyui` provider as the planner sees it: the shipped workflow templates as models, the storyboard's own
 * workflows (`providers.comfyui.workflows.<id>`) as declared models whose capabilities come from their mapping, the
 * workflow files they name (read by src/load, carried in the plan), and what shapes each model's output. Pure data
 * and functions: nothing talks to a server here.
 */
import type { ProviderCapabilities, SettingsIssue } from '../../contracts/capabilities.js';
import type { ProviderCatalog } from '../types.js';
import { ComfyUISettings } from './settings.js';
import { capabilitiesOf, fileKey, PROVIDER, resolveModel, sceneIssuesOf, workflowsOf } from './spec.js';
import { TEMPLATES } from './templates/index.js';

export const DEFAULT_MODEL = 'wan2.2-ti2v-5b';

function templateModels(): Record<string, ProviderCapabilities> {
  const out: Record<string, ProviderCapabilities> = {};
  for (const t of TEMPLATES) {
    const r = resolveModel(t.id);
    if (!r || !('spec' in r)) throw new Error(`comfyui template ${t.id} is broken: ${JSON.stringify(r)}`);
    out[t.id] = capabilitiesOf(r.spec);
  }
  return out;
}

export const comfyUICatalog: ProviderCatalog = {
  id: PROVIDER,
  defaultModel: DEFAULT_MODEL,
  models: templateModels(),
  settings: ComfyUISettings,
  declaredModels: (settings) => {
    const out: Record<string, ProviderCapabilities> = {};
    for (const id of Object.keys(workflowsOf(settings))) {
      const r = resolveModel(id, settings);
      if (r && 'spec' in r) out[id] = capabilitiesOf(r.spec);
    }
    return out;
  },
  settingsFiles: (settings) =>
    Object.fromEntries(
      Object.entries(workflowsOf(settings)).flatMap(([id, w]) => (w.file !== undefined ? [[fileKey(id), w.file] as const] : [])),
    ),
  checkSettings: (settings) => {
    const issues: SettingsIssue[] = [];
    for (const id of Object.keys(workflowsOf(settings))) {
      const r = resolveModel(id, settings);
      if (r && 'issues' in r) issues.push(...r.issues);
    }
    return issues;
  },
  sceneIssues: (settings, ask) => {
    const r = resolveModel(ask.model, settings);
    if (!r || !('spec' in r)) return [];
    const textModels = () =>
      [...TEMPLATES.map((t) => t.id), ...Object.keys(workflowsOf(settings))].filter((m) => {
        const other = resolveModel(m, settings);
        return other && 'spec' in other && !other.spec.firstFrameRequired;
      });
    return sceneIssuesOf(r.spec, ask, () => [...new Set(textModels())]);
  },
  // The workflow (graph, mapping, fixed inputs, frame rule) is what makes the clip; its file name is not.
  outputKey: (settings, scene) => {
    const r = resolveModel(scene.model, settings);
    return r && 'spec' in r ? { comfyWorkflow: r.spec.key } : {};
  },
};
