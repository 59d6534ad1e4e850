#!/usr/bin/env node
// `npm run test:node24`: the unit tests and one end-to-end production (`storyreel run` on the example storyboard)
// on Node 24, whichever Node runs npm. Node 24 comes from the npm registry as the node-<os>-<arch> package (what the
// `node` package's install script would fetch; installing it directly needs no install script) into a per-user
// cache outside the clone. STORYREEL_NODE24=/path/to/node uses a Node 24 you already have.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const log = (msg) => process.stderr.write(`test:node24: ${msg}\n`);
const seconds = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

function node24() {
  if (process.env.STORYREEL_NODE24) return process.env.STORYREEL_NODE24;
  const os = { linux: 'linux', darwin: 'darwin', win32: 'win' }[process.platform];
  if (!os) throw new Error(`no Node 24 package for ${process.platform}; set STORYREEL_NODE24`);
  const pkg = `node-${os}-${process.arch}`;
  const prefix = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'storyreel', 'node24');
  const binary = join(prefix, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (!existsSync(binary)) {
    const t = Date.now();
    log(`installing ${pkg}@24 from the npm registry into ${prefix}…`);
    const r = spawnSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', `${pkg}@24`], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.status !== 0 || !existsSync(binary)) throw new Error(`npm install ${pkg}@24 failed (exit ${r.status})`);
    log(`installed in ${seconds(t)}`);
  }
  return binary;
}

const node = node24();
const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
if (!version.startsWith('v24.')) {
  log(`${node} is ${version || 'not runnable'}, not Node 24`);
  process.exit(1);
}
// The one native dependency: Temporal's core bridge (Node-API, so one build serves every Node version).
const bridge = spawnSync(node, ['-e', "require('@temporalio/core-bridge'); console.log('ok')"], { cwd: root, encoding: 'utf8' });
if (bridge.stdout.trim() !== 'ok') {
  log(`@temporalio/core-bridge does not load on ${version}:\n${bridge.stderr}`);
  process.exit(1);
}
log(`${node} (${version}); @temporalio/core-bridge loads`);

// Children (the CLI under test, ffmpeg wrappers, npm) find this Node first.
const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}` };
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const runs = [
  ['unit tests', ['run', 'test/unit']],
  ['one production (storyreel run)', ['run', 'test/e2e/cli.test.ts', '-t', 'produces final.mp4']],
];
for (const [what, args] of runs) {
  const t = Date.now();
  log(`${what} on ${version}…`);
  const r = spawnSync(node, [vitest, ...args], { cwd: root, env, stdio: 'inherit' });
  if (r.status !== 0) {
    log(`${what} failed on ${version} (exit ${r.status}) after ${seconds(t)}`);
    process.exit(r.status ?? 1);
  }
  log(`${what}: passed in ${seconds(t)}`);
}
log(`done in ${seconds(started)}`);
