/** `storyreel plan <storyboard>` and `storyreel validate <storyboard>`: nothing is generated or started. */
import { DirectoryClipStore } from '../store/clip-store.js';
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
  const store = new DirectoryClipStore(storePaths(cfg.workDir).store);
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
    clipLength(s),
    s.speech ? `${s.speech.measured ? '' : '~'}${s.speech.speechS.toFixed(2)}s` : '-',
    s.continuity.mode + (s.continuity.reanchored ? ' (re-anchor)' : ''),
    s.dependsOn.join(',') || '-',
    s.transition.type === 'cut' ? 'cut' : `${s.transition.type} ${s.transition.seconds}s`,
    cached.has(s.id) ? 'cached' : formatUsd(s.estimatedCostUsd),
    s.cacheKey.slice(0, 12),
  ]);
  const header = ['#', 'scene', 'provider/model', 'len', 'speech', 'continuity', 'after', 'transition', 'cost', 'cache key'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  io.out(line(header));
  for (const r of rows) io.out(line(r));
  for (const text of routeLines(plan)) io.out(text);
  const toGenerate = plan.scenes.filter((s) => !cached.has(s.id));
  io.out('');
  if (plan.scenes.some((s) => s.speech)) {
    io.out('speech: lead + lines + gaps as synthesized (~ estimated: a paid voice not yet in the speech cache; the run measures it');
    io.out('        and refits before the clip is requested). len: the clip requested, "3s→5s" when the speech needed a longer one.');
  }
  io.out(
    `would generate ${toGenerate.length} of ${plan.scenes.length} scenes, est. ${formatUsd(toGenerate.reduce((t, s) => t + s.estimatedCostUsd, 0))} (${cached.size} from the clip store)`,
  );
  return EXIT.ok;
}

/** The clip length, with what the storyboard asked for when the speech changed it, and the scene length for extend/trim. */
function clipLength(s: ProductionPlan['scenes'][number]): string {
  const sp = s.speech;
  const made = s.generateSeconds !== undefined ? ` (${s.generateSeconds}s made)` : '';
  if (!sp) return `${s.seconds}s${made}`;
  if ((sp.fit === 'extend' || sp.fit === 'trim') && s.generateSeconds !== undefined && s.seconds > sp.requestedSeconds) {
    // The clip is made at an allowed length and held (extend) or cut (trim) to the scene's length.
    const asked = sp.requestedSeconds !== s.generateSeconds ? `${sp.requestedSeconds}s→` : '';
    return `${asked}${s.generateSeconds}s (${sp.fit}: scene ${s.seconds}s)`;
  }
  const asked = sp.requestedSeconds !== s.seconds ? `${sp.requestedSeconds}s→` : '';
  const shown = sp.sceneSeconds !== s.seconds ? ` (${sp.fit}: scene ${sp.sceneSeconds}s)` : '';
  return `${asked}${s.seconds}s${made}${shown}`;
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
async function againstCommand(
  plan: ProductionPlan,
  against: string,
  store: DirectoryClipStore,
  json: boolean | undefined,
  io: Io,
): Promise<number> {
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

/** Lengths fitted to a model, and every choice of a routed scene with its mapping and cost (or why it cannot). */
export function routeLines(plan: ProductionPlan): string[] {
  const out: string[] = [];
  const fit = (asked: number, made: number) =>
    made === asked
      ? `${asked} s`
      : `seconds ${asked} → ${made} (${made > asked ? `trim ${round3(made - asked)} s` : `pad ${round3(asked - made)} s, last frame held`})`;
  for (const s of plan.scenes) {
    if (!s.route && s.generateSeconds === undefined) continue;
    if (!s.route) {
      out.push(`  ${s.id}: ${fit(s.seconds, s.generateSeconds!)} on ${s.provider}/${s.model}`);
      continue;
    }
    out.push(`  ${s.id}: routed`);
    s.route.forEach((r, k) => {
      const head = `    ${k + 1}. ${r.provider}/${r.model}`;
      if (r.status === 'unusable') out.push(`${head}  cannot: ${(r.reasons ?? []).join('; ')}`);
      else
        out.push(`${head}  ${r.status}  ${r.size}  ${fit(r.seconds!.asked, r.seconds!.generated)}  ${formatUsd(r.estimatedCostUsd ?? 0)}`);
    });
  }
  return out.length ? ['', 'routing and lengths:', ...out] : [];
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
