/**
 * The storyreel command line. Exit codes: 0 ok, 1 production failed, 2 bad input or usage.
 */
import { Command, CommanderError } from 'commander';
import { batchRunCommand, batchStatusCommand, listCommand } from './batch.js';
import { cacheGcCommand, cacheLsCommand, cacheRmCommand } from './cache.js';
import { EXIT, reportError, stdio, UsageError, type Io } from './common.js';
import { cancelCommand, decideCommand, reviewCommand, scenesCommand } from './control.js';
import { resumeCommand } from './resume.js';
import { mockCommand } from './mock.js';
import { MOCKS } from '../mock/index.js';
import { planCommand, validateCommand } from './plan.js';
import { runCommand } from './run.js';
import { schemaCommand } from './schema.js';
import { keysCreateCommand, keysListCommand, keysRevokeCommand, webhookSecretCommand } from './keys.js';
import { serveCommand, type ServeOptions } from './serve.js';
import { statusCommand } from './status.js';
import { submitCommand } from './submit.js';
import { workerCommand } from './worker.js';
import { packageVersion } from '../store/package-version.js';

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('storyreel')
    .description('Durable multi-scene AI video: storyboard in, one verified final.mp4 out.')
    .version(packageVersion(), '-V, --version', 'print the storyreel version')
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
    .option(
      '--allow-outside-assets',
      "let the storyboard name files outside its own folder (off: a storyboard cannot read this machine's files)",
    )
    .action(
      wrap(
        (
          file: string,
          o: { id?: string; out?: string; json?: boolean; keepServer?: boolean; strict?: boolean; allowOutsideAssets?: boolean },
        ) => runCommand(file, o, io),
      ),
    );

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
    .description("run a worker (TEMPORAL_ADDRESS, or --embedded for this work dir's dev server)")
    .option('--embedded', "use (or start) the work dir's embedded dev server")
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
    .option('--against <production-id>', 'what would be generated compared with that production, and why')
    .option(
      '--allow-outside-assets',
      "let the storyboard name files outside its own folder (off: a storyboard cannot read this machine's files)",
    )
    .description('show what would be generated, in what order, at what cost; generates nothing')
    .action(
      wrap((file: string, o: { json?: boolean; id?: string; strict?: boolean; against?: string; allowOutsideAssets?: boolean }) =>
        planCommand(file, o, io),
      ),
    );

  program
    .command('validate')
    .argument('<storyboard>')
    .option('--json')
    .option('--strict', 'treat prompt lint warnings as errors')
    .option(
      '--allow-outside-assets',
      "let the storyboard name files outside its own folder (off: a storyboard cannot read this machine's files)",
    )
    .description('check a storyboard; exit 2 with every problem named by its path')
    .action(wrap((file: string, o: { json?: boolean; strict?: boolean; allowOutsideAssets?: boolean }) => validateCommand(file, o, io)));

  program
    .command('resume')
    .argument('<production-or-storyboard>', 'a production id, or a (possibly edited) storyboard file')
    .description('a new run that takes every finished clip from the store and generates only what is missing')
    .option('--budget <usd>', 'set or raise the budget cap (USD)')
    .option('--operator-wait <seconds>', 'how long failed scenes wait for an operator decision')
    .option('--id <production-id>', 'with a storyboard: the production id')
    .option('--json')
    .action(
      wrap((target: string, o: { budget?: string; operatorWait?: string; id?: string; json?: boolean }) => resumeCommand(target, o, io)),
    );

  program
    .command('scenes')
    .argument('<production-id>')
    .option('--json')
    .description('scenes of a production with state, take and reason (what an operator decides on)')
    .action(wrap((id: string, o: { json?: boolean }) => scenesCommand(id, o, io)));

  program
    .command('retry')
    .argument('<production-id>')
    .argument('<scene>')
    .option('--prompt <text>', "replace the scene's own action text")
    .option('--provider <name>')
    .option('--model <name>')
    .description('retry a failed scene (a new take), optionally edited or on another provider/model')
    .action(
      wrap((id: string, scene: string, o: { prompt?: string; provider?: string; model?: string }) =>
        decideCommand(
          id,
          {
            sceneId: scene,
            action: 'retry',
            ...(o.prompt ? { prompt: o.prompt } : {}),
            ...(o.provider ? { provider: o.provider } : {}),
            ...(o.model ? { model: o.model } : {}),
          },
          io,
        ),
      ),
    );

  program
    .command('skip')
    .argument('<production-id>')
    .argument('<scene>')
    .option('--placeholder <kind>', 'slate or last-frame')
    .description('skip a failed scene: a placeholder takes its place')
    .action(
      wrap((id: string, scene: string, o: { placeholder?: string }) => {
        if (o.placeholder && o.placeholder !== 'slate' && o.placeholder !== 'last-frame')
          throw new UsageError('--placeholder must be slate or last-frame');
        return decideCommand(
          id,
          { sceneId: scene, action: 'skip', ...(o.placeholder ? { placeholder: o.placeholder as 'slate' | 'last-frame' } : {}) },
          io,
        );
      }),
    );

  program
    .command('abort')
    .argument('<production-id>')
    .description('give up on a production waiting for an operator (finished clips are kept)')
    .action(wrap((id: string) => decideCommand(id, { sceneId: '*', action: 'abort' }, io)));

  program
    .command('review')
    .argument('<production-id>')
    .argument('<scene>')
    .option('--approve')
    .option('--reject <note>', 'what to change; a new take is made and this one is kept')
    .description('approve or reject a scene waiting for review')
    .action(wrap((id: string, scene: string, o: { approve?: boolean; reject?: string }) => reviewCommand(id, scene, o, io)));

  program
    .command('cancel')
    .argument('<production-id>')
    .description('cancel a production: provider jobs are cancelled where supported, finished clips are kept')
    .action(wrap((id: string) => cancelCommand(id, io)));

  const batch = program.command('batch').description('many storyboards as one batch: bounded concurrency, one summary');
  batch
    .command('run')
    .argument('<manifest>', 'batch manifest (YAML/JSON): items, maxParallelProductions, priority, budget, overrides')
    .option('--budget <usd>', 'batch budget cap (USD), overriding the manifest')
    .option('--detach', 'start it and return (needs a worker elsewhere)')
    .option(
      '--allow-outside-assets',
      "let the storyboard name files outside its own folder (off: a storyboard cannot read this machine's files)",
    )
    .option('--json')
    .action(
      wrap((m: string, o: { budget?: string; detach?: boolean; json?: boolean; allowOutsideAssets?: boolean }) =>
        batchRunCommand(m, o, io),
      ),
    );
  batch
    .command('resume')
    .argument('<manifest>')
    .description('run again only the items that failed, were stopped by the budget, or are missing')
    .option('--budget <usd>')
    .option(
      '--allow-outside-assets',
      "let the storyboard name files outside its own folder (off: a storyboard cannot read this machine's files)",
    )
    .option('--json')
    .action(
      wrap((m: string, o: { budget?: string; json?: boolean; allowOutsideAssets?: boolean }) =>
        batchRunCommand(m, { ...o, resume: true }, io),
      ),
    );
  batch
    .command('status')
    .argument('<batch-id>')
    .option('--json')
    .action(wrap((id: string, o: { json?: boolean }) => batchStatusCommand(id, o, io)));

  program
    .command('list')
    .description('find productions (search attributes): --batch, --state')
    .option('--batch <batch-id>')
    .option('--state <state>', 'running, waiting_for_operator, completed, failed, …')
    .option('--json')
    .action(wrap((o: { batch?: string; state?: string; json?: boolean }) => listCommand(o, io)));

  const cache = program.command('cache').description('the clip store of this work dir');
  cache
    .command('ls')
    .option('--json')
    .action(wrap((o: { json?: boolean }) => cacheLsCommand(o, io)));
  cache
    .command('gc')
    .option('--older-than-days <days>', 'remove clips unused for this many days (default 30)')
    .option('--dry-run')
    .action(wrap((o: { olderThanDays?: string; dryRun?: boolean }) => cacheGcCommand(o, io)));
  cache
    .command('rm')
    .argument('<target>', 'a cache key (or a unique prefix of 8+ characters) or <production id>/<scene id>')
    .option('--json')
    .description('remove clips so the next run makes them again')
    .action(wrap((target: string, o: { json?: boolean }) => cacheRmCommand(target, o, io)));

  program
    .command('mock')
    .argument(
      '<api>',
      Object.entries(MOCKS)
        .map(([name, m]) => `${name}: ${m.summary}`)
        .join('; '),
    )
    .argument('[options...]', "--port N (default: a free port), --host H (default 127.0.0.1), --work-dir DIR, and the mock's own")
    .allowUnknownOption()
    .description('run a faithful local mock of a provider API (offline tests, fault injection via POST /__mock/faults)')
    .action(wrap((api: string, options: string[]) => mockCommand(api, options, io)));

  program
    .command('serve')
    .description('the HTTP API (/v1, /openapi.json) and the studio (/studio/) on TEMPORAL_ADDRESS; 127.0.0.1:8787 unless told otherwise')
    .option('--host <host>', 'address to listen on (STORYREEL_API_HOST; default 127.0.0.1)')
    .option('--port <port>', 'port (STORYREEL_API_PORT; default 8787; 0: any free port)')
    .option('--worker', 'also run a worker in this process')
    .option('--embedded', "use (or start) the work dir's embedded dev server when TEMPORAL_ADDRESS is not set")
    .option('--log-requests', 'log every request (method, URL, status, time; never keys)')
    .action(wrap((o: ServeOptions) => serveCommand(o, io)));

  const keys = program.command('keys').description('API keys for storyreel serve, and the webhook signing secret');
  keys
    .command('create')
    .option('--name <name>', 'what the key is for')
    .option('--scope <scope>', 'read, write or admin (default read)')
    .option('--rate-limit <per-minute>', "requests per minute for this key (default: the server's)")
    .option('--json')
    .description('create a key; it is printed once, only its hash is stored')
    .action(wrap((o: { name?: string; scope?: string; rateLimit?: string; json?: boolean }) => keysCreateCommand(o, io)));
  keys
    .command('list')
    .option('--json')
    .action(wrap((o: { json?: boolean }) => keysListCommand(o, io)));
  keys
    .command('revoke')
    .argument('<id>')
    .action(wrap((id: string) => keysRevokeCommand(id, io)));
  keys
    .command('webhook-secret')
    .description('print a new whsec_ secret for STORYREEL_WEBHOOK_SECRET')
    .action(wrap(() => webhookSecretCommand(io)));

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
