#!/usr/bin/env node
// The storyreel command. The installed package runs the compiled JavaScript in dist/. A source checkout (src/
// beside this file; the package ships none) runs the TypeScript sources through tsx instead, so an edit takes
// effect at once and a stale dist/ can never stand in for the code being worked on. STORYREEL_FROM_DIST=1 runs
// dist/ in a checkout too (after `npm run build`).
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
let main;
if (existsSync(sources) && process.env.STORYREEL_FROM_DIST !== '1') {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(sources.href));
} else {
  ({ main } = await import('../dist/src/cli/main.js'));
}
process.exitCode = await main(process.argv.slice(2));
