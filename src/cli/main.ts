/**
 * The storyreel command line. Exit codes: 0 ok, 1 production failed, 2 bad input or usage.
 */
import { Command, CommanderError } from 'commander';
import { EXIT, reportError, stdio, type Io } from './common.js';
import { planCommand, validateCommand } from './plan.js';
import { runCommand } from './run.js';
import { schemaCommand } from './schema.js';
import { statusCommand } from './status.js';
import { submitCommand } from './submit.js';
import { workerCommand } from './worker.js';

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('storyreel')
    .description('Durable multi-scene AI video: storyboard in, one verified final.mp4 out.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  const wrap =
    <A extends unknown[]>(fn: (...a: A) => Promise<number> | number) =>
    async (...a: A) => {
      try {
        setExit(await fn(...a));
      } catch (err) {
        setExit(reportError(err, io));
      }
    };

  program
    .command('run')
    .argument('<storyboard>', 'storyboard file (.yaml, .yml or .json)')
    .description('produce a storyboard end to end: starts a dev server and a worker when TEMPORAL_ADDRESS is not set')
    .option('--id <production-id>', 'production id (default: title slug + storyboard hash)')
    .option('--out <dir>', 'output directory (default: out/<production id>)')
    .option('--json', 'print the result as JSON')
    .option('--keep-server', 'leave the embedded Temporal server running afterwards')
    .option('--strict', 'treat prompt lint warnings as errors')
    .action(wrap((file: string, o: { id?: string; out?: string; json?: boolean; keepServer?: boolean; strict?: boolean }) => runCommand(file, o, io)));

  program
    .command('submit')
    .argument('<storyboard>')
    .description('start a production on the server at TEMPORAL_ADDRESS (idempotent per production id)')
    .option('--id <production-id>')
    .option('--out <dir>')
    .option('--wait', 'follow progress until it finishes')
    .option('--json')
    .action(wrap((file: string, o: { id?: string; out?: string; wait?: boolean; json?: boolean }) => submitCommand(file, o, io)));

  program
    .command('worker')
    .description('run a worker (TEMPORAL_ADDRESS, or --embedded for this work dir\'s dev server)')
    .option('--embedded', 'use (or start) the work dir\'s embedded dev server')
    .action(wrap((o: { embedded?: boolean }) => workerCommand(o, io)));

  program
    .command('status')
    .argument('<production-id>')
    .option('--json')
    .description('scene-by-scene state of a production')
    .action(wrap((id: string, o: { json?: boolean }) => statusCommand(id, o, io)));

  program
    .command('plan')
    .argument('<storyboard>')
    .option('--json', 'the full plan as JSON')
    .option('--id <production-id>')
    .option('--strict', 'treat prompt lint warnings as errors')
    .description('show what would be generated, in what order, at what cost; generates nothing')
    .action(wrap((file: string, o: { json?: boolean; id?: string; strict?: boolean }) => planCommand(file, o, io)));

  program
    .command('validate')
    .argument('<storyboard>')
    .option('--json')
    .option('--strict', 'treat prompt lint warnings as errors')
    .description('check a storyboard; exit 2 with every problem named by its path')
    .action(wrap((file: string, o: { json?: boolean; strict?: boolean }) => validateCommand(file, o, io)));

  program
    .command('schema')
    .description('print the storyboard JSON Schema')
    .action(wrap(() => schemaCommand(io)));

  return program;
}

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return reportError(err, io);
  }
  return code;
}
