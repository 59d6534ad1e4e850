/** `storyreel plan <storyboard>` and `storyreel validate <storyboard>`: nothing is generated or started. */
import { ClipStore } from '../store/clip-store.js';
import { storePaths } from '../worker.js';
import { config, connect, EXIT, formatUsd, planStoryboard, type Io } from './common.js';
import { diffPlans } from '../storyboard/diff.js';
import type { ProductionPlan } from '../storyboard/plan.js';
import { lintStoryboard, type LintWarning } from '../storyboard/lint.js';
import { StoryboardError } from '../storyboard/errors.js';

/** Prints lint warnings; with `strict` they are errors (exit 2, like any bad input). */
export function reportLint(file: string, warnings: LintWarning[], strict: boolean | undefined, io: Io): void {
  if (strict && warnings.length)
    throw new StoryboardError(
      file,
      warnings.map((w) => ({ path: w.path, message: `${w.message} [${w.rule}]` })),
    );
  for (const w of warnings) io.err(`warning: ${w.path}: ${w.message} [${w.rule}]`);
}

export async function planCommand(
  file: string,
  opts: { json?: boolean; id?: string; strict?: boolean; against?: string; allowOutsideAssets?: boolean },
  io: Io,
): Promise<number> {
  const cfg = config();
  const { plan, loaded } = await planStoryboard(cfg, file, { id: opts.id, allowOutsideAssets: opts.allowOutsideAssets });
  const warnings = lintStoryboard(loaded.storyboard, plan);
  reportLint(file, warnings, opts.strict, io);
  const store = new ClipStore(storePaths(cfg.workDir).store);
  const cached = new Set<string>();
  for (const s of plan.scenes) if (await store.get(s.cacheKey)) cached.add(s.id);
  if (opts.against) return againstCommand(plan, opts.against, store, opts.json, io);
  if (opts.json) {
    io.out(JSON.stringify({ ...plan, cachedScenes: [...cached], warnings }, null, 2));
    return EXIT.ok;
  }
  io.out(`${plan.title} — production ${plan.productionId}`);
  io.out(
    `${plan.house.width}x${plan.house.height} @ ${plan.house.fps} fps · ${plan.scenes.length} scenes · ${plan.totals.durationSeconds} s · max ${plan.maxParallelScenes} at once`,
  );
  io.out('');
  const rows = plan.scenes.map((s) => [
    String(s.index + 1),
    s.id,
    `${s.provider}/${s.model}`,
    `${s.seconds}s`,
    s.continuity.mode + (s.continuity.reanchored ? ' (re-anchor)' : ''),
    s.dependsOn.join(',') || '-',
    s.transition.type === 'cut' ? 'cut' : `${s.transition.type} ${s.transition.seconds}s`,
    cached.has(s.id) ? 'cached' : formatUsd(s.estimatedCostUsd),
    s.cacheKey.slice(0, 12),
  ]);
  const header = ['#', 'scene', 'provider/model', 'len', 'continuity', 'after', 'transition', 'cost', 'cache key'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  io.out(line(header));
  for (const r of rows) io.out(line(r));
  const toGenerate = plan.scenes.filter((s) => !cached.has(s.id));
  io.out('');
  io.out(
    `would generate ${toGenerate.length} of ${plan.scenes.length} scenes, est. ${formatUsd(toGenerate.reduce((t, s) => t + s.estimatedCostUsd, 0))} (${cached.size} from the clip store)`,
  );
  return EXIT.ok;
}

export async function validateCommand(
  file: string,
  opts: { json?: boolean; strict?: boolean; allowOutsideAssets?: boolean },
  io: Io,
): Promise<number> {
  const cfg = config();
  const { plan, loaded } = await planStoryboard(cfg, file, { allowOutsideAssets: opts.allowOutsideAssets });
  const warnings = lintStoryboard(loaded.storyboard, plan);
  reportLint(file, warnings, opts.strict, io);
  if (opts.json) io.out(JSON.stringify({ ok: true, productionId: plan.productionId, scenes: plan.scenes.length, warnings }));
  else
    io.out(
      `${file}: valid (${plan.scenes.length} scenes, ${plan.totals.durationSeconds} s, est. ${formatUsd(plan.totals.estimatedCostUsd)})`,
    );
  return EXIT.ok;
}

/** `plan --against <id>`: what would be generated compared with that production, why, and what it would cost. */
async function againstCommand(plan: ProductionPlan, against: string, store: ClipStore, json: boolean | undefined, io: Io): Promise<number> {
  const conn = await connect(config(), { embedded: true, ui: false, io });
  let previous: ProductionPlan;
  try {
    previous = (await conn.client.lastPlan(against)).plan;
  } finally {
    await conn.close();
  }
  const stored = new Set<string>();
  for (const s of plan.scenes) if (await store.get(s.cacheKey)) stored.add(s.cacheKey);
  const diff = diffPlans(plan, previous, stored);
  if (json) {
    io.out(JSON.stringify(diff, null, 2));
    return EXIT.ok;
  }
  for (const d of diff.scenes)
    io.out(
      `${d.action === 'generate' ? 'generate' : 'reuse   '}  ${d.sceneId.padEnd(24)} ${d.action === 'generate' ? formatUsd(d.estimatedCostUsd).padEnd(8) : ''.padEnd(8)} ${d.reasons.join('; ')}`,
    );
  io.out('');
  io.out(
    `against ${against}: would generate ${diff.generate} of ${plan.scenes.length} scenes, est. ${formatUsd(diff.estimatedCostUsd)}; ${diff.reuse} from the clip store`,
  );
  return EXIT.ok;
}
