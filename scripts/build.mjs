#!/usr/bin/env node
// `npm run build` (and `npm pack`, through prepack): dist/ = the compiled sources with declaration files
// (tsconfig.build.json) plus the prebuilt workflow bundle (dist/workflow-bundle.js) that workers use by default.
// dist/ is emptied first so a deleted source never lingers in the package.
import { spawnSync } from 'node:child_process';
import { rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const log = (msg) => process.stderr.write(`build: ${msg}\n`);
const seconds = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;
const started = Date.now();

await rm(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (compiled.status !== 0) {
  log(`tsc failed (exit ${compiled.status})`);
  process.exit(compiled.status ?? 1);
}
log(`compiled to dist/ in ${seconds(started)}`);

// Bundled from the compiled JavaScript: the bundle holds exactly the workflow code that ships.
const t = Date.now();
const { bundleWorkflowCode } = await import('@temporalio/worker');
const quiet = () => {};
const { code } = await bundleWorkflowCode({
  workflowsPath: join(dist, 'workflows', 'index.js'),
  logger: { trace: quiet, debug: quiet, info: quiet, warn: (m) => log(`bundler: ${m}`), error: (m) => log(`bundler: ${m}`), log: quiet },
});
const bundle = join(dist, 'workflow-bundle.js');
await writeFile(bundle, code);
log(`workflow bundle ${((await stat(bundle)).size / 1e6).toFixed(1)} MB in ${seconds(t)}; total ${seconds(started)}`);

// The studio: its page and style beside the compiled server code, and its browser code bundled once (the package
// ships no esbuild; src/api/studio/bundle.ts reads dist/src/api/studio/app.js).
{
  const { copyFile } = await import('node:fs/promises');
  const esbuild = await import('esbuild');
  const studio = join(dist, 'src', 'api', 'studio');
  for (const f of ['index.html', 'studio.css']) await copyFile(join(root, 'src', 'api', 'studio', f), join(studio, f));
  await esbuild.build({
    entryPoints: [join(root, 'src', 'api', 'studio', 'app', 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    outfile: join(studio, 'app.js'),
    logLevel: 'warning',
  });
  log('studio bundled');
}
