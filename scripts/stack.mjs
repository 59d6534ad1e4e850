#!/usr/bin/env node
// `npm run stack`: PostgreSQL + Temporal server + S3-compatible store on 127.0.0.1, data in .storyreel/stack/,
// until Ctrl-C. `--setup-only` (npm run setup:deploy) only installs and builds what is missing (cached).
import { tsImport } from 'tsx/esm/api';

const log = (msg) => process.stderr.write(`stack: ${msg}\n`);
const { runStackCommand } = await tsImport('../src/deploy/stack-command.ts', import.meta.url);
try {
  process.exitCode = await runStackCommand({ setupOnly: process.argv.includes('--setup-only'), log });
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
