#!/usr/bin/env node
// Idempotent setup used by `npm run demo`, `npm test` and CI. Plain Node (no dependencies) until npm packages
// are installed; then the rest (ffmpeg, the Temporal CLI) runs from src/setup.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const log = (msg) => process.stderr.write(`setup: ${msg}\n`);

function npmDepsStale() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return 'node_modules is missing';
  const lock = join(root, 'package-lock.json');
  if (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000) return 'package-lock.json changed';
  if (statSync(join(root, 'package.json')).mtimeMs > statSync(marker).mtimeMs + 1000) return 'package.json changed';
  return undefined;
}

const stale = npmDepsStale();
if (stale) {
  const t = Date.now();
  const npm = (args) => spawnSync('npm', [...args, '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  log(`npm ci (${stale})…`);
  let r = npm(['ci']);
  if (r.status !== 0) {
    // A registry mirror without some platforms' optional packages (e.g. @swc/core for macOS) leaves the lock
    // file "out of sync" for npm ci; npm install still installs exactly the locked versions for this platform.
    log('npm ci refused the lock file; falling back to npm install (same locked versions)…');
    r = npm(['install']);
  }
  if (r.status !== 0) {
    log(`npm install failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
  log(`npm dependencies installed in ${((Date.now() - t) / 1000).toFixed(1)} s`);
} else {
  log('npm dependencies: up to date');
}

const { tsImport } = await import('tsx/esm/api');
const { runSetup } = await tsImport('../src/setup.ts', import.meta.url);
// --browser: also the headless Chromium the studio's browser test drives (npm test; not the offline demo).
const ok = await runSetup({ log, browser: process.argv.includes('--browser') });
log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(ok ? 0 : 1);
