/**
 * The package as a user gets it: `npm pack` (which builds dist/ through prepack), installed from the tarball into a
 * fresh project (dependencies from npm's cache or the registry), imported from a plain .mjs file and from a .ts
 * file checked by tsc (strict, NodeNext), with a worker started from the installed `storyreel` bin, producing a
 * final.mp4 on the suite's dev server.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { streamsOf } from '../helpers/media.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const version = async (pkg: string) =>
  (JSON.parse(await readFile(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
const ownVersion = async () => (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let project: string;
let packed: { filename: string; files: { path: string }[] };
let worker: ChildProcess | undefined;

beforeAll(async () => {
  const dir = await tempDir('storyreel-package-');
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  packed = (JSON.parse(stdout) as (typeof packed)[])[0]!;
  project = join(dir, 'project');
  await run('mkdir', [project]);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'uses-storyreel', private: true, type: 'module' }));
  await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      join(dir, packed.filename),
      `typescript@${await version('typescript')}`,
      `@types/node@${await version('@types/node')}`,
    ],
    { cwd: project, maxBuffer: 16 * 1024 * 1024 },
  );
}, 600_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((r) => worker!.once('exit', r));
    worker.kill('SIGTERM');
    await exited;
  }
});

describe('the packed package', () => {
  it('ships compiled JavaScript, declarations and the prebuilt workflow bundle; no sources or tests', () => {
    const files = packed.files.map((f) => f.path);
    for (const f of [
      'bin/storyreel.js',
      'dist/src/client/index.js',
      'dist/src/client/index.d.ts',
      'dist/src/client/storyboard.d.ts',
      'dist/src/client/errors.d.ts',
      'dist/workflow-bundle.js',
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => /^(src|test|workflows|activities|bench|scripts)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/test/') || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
  });

  it('runs `storyreel mock openai-videos` from the installed bin (the mocks are product code)', async () => {
    const mock = spawn(
      process.execPath,
      [join(project, 'node_modules/storyreel/bin/storyreel.js'), 'mock', 'openai-videos', '--port', '0'],
      {
        cwd: project,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        const timer = setTimeout(() => reject(new Error(`mock not listening in 30 s: ${output}`)), 30_000);
        const read = (b: Buffer) => {
          output += b.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(output);
          if (m) {
            clearTimeout(timer);
            resolveUrl(m[1]!);
          }
        };
        mock.stdout.on('data', read);
        mock.stderr.on('data', read);
        mock.once('exit', (code) => reject(new Error(`mock exited (${code}): ${output}`)));
      });
      const res = await fetch(`${url}/videos`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { object: string }).object).toBe('list');
    } finally {
      const exited = new Promise((r) => mock.once('exit', r));
      mock.kill('SIGTERM');
      await exited;
    }
  });

  it('type-checks a TypeScript program that imports it (tsc --strict, NodeNext)', async () => {
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          noEmit: true,
          types: ['node'],
          skipLibCheck: true,
        },
        files: ['use.ts'],
      }),
    );
    await writeFile(
      join(project, 'use.ts'),
      `import { StoryreelClient, ProductionFailedError, type ProductionResult, type Submitted } from 'storyreel';
import { StoryboardError, type InputIssue } from 'storyreel/errors';
import { Storyboard, type ProductionPlan } from 'storyreel/storyboard';

export async function produce(address: string, file: string): Promise<string> {
  const client = await StoryreelClient.connect({ address, taskQueue: 'storyreel' });
  try {
    const { plan }: { plan: ProductionPlan } = await client.plan(file);
    const submitted: Submitted = await client.submit(plan);
    const result: ProductionResult = await client.watch(submitted.productionId, (p) => console.log(p.state, p.percent));
    // @ts-expect-error declarations are real: a state is not a number (an \`any\` would make this line an error)
    const wrong: number = result.state;
    return result.outputPath ?? String(wrong);
  } catch (err) {
    if (err instanceof StoryboardError) return err.issues.map((i: InputIssue) => i.path).join(', ');
    if (err instanceof ProductionFailedError) return err.progress?.state ?? 'failed';
    throw err;
  } finally {
    await client.close();
  }
}

export const checked: Storyboard = Storyboard.parse({ title: 'Typed', scenes: [{ id: 'a', prompt: 'a harbour' }] });
`,
    );
    const tsc = await run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', project]).then(
      () => ({ code: 0, out: '' }),
      (err: { code: number; stdout: string }) => ({ code: err.code, out: err.stdout }),
    );
    expect(tsc.out).toBe('');
    expect(tsc.code).toBe(0);
  });

  it("produces a final.mp4 from a plain .mjs file, with a worker run by the package's own bin", async () => {
    const address = inject('temporalAddress');
    const taskQueue = `package-${randomUUID()}`;
    const work = await tempDir();
    const workerLog: string[] = [];
    worker = spawn(process.execPath, [join(project, 'node_modules/storyreel/bin/storyreel.js'), 'worker'], {
      cwd: project,
      env: { ...process.env, TEMPORAL_ADDRESS: address, STORYREEL_TASK_QUEUE: taskQueue, STORYREEL_WORK_DIR: join(work, 'worker') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (b: Buffer) => workerLog.push(b.toString()));
    worker.stderr!.on('data', (b: Buffer) => workerLog.push(b.toString()));
    const ready = await new Promise<string>((resolveReady, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker not ready in 60 s:\n${workerLog.join('')}`)), 60_000);
      const check = () => {
        const line = workerLog
          .join('')
          .split('\n')
          .find((l) => l.startsWith('worker: task queue'));
        if (line) {
          clearTimeout(timer);
          resolveReady(line);
        }
      };
      worker!.stderr!.on('data', check);
      worker!.once('exit', (code) => reject(new Error(`worker exited (${code}):\n${workerLog.join('')}`)));
    });
    expect(ready).toContain(`prebuilt bundle ${join(project, 'node_modules/storyreel/dist/workflow-bundle.js')}`);

    const storyboard = await writeStoryboard(project, {
      title: 'From the package',
      defaults: { provider: 'local', size: '320x180', seconds: 1 },
      scenes: [
        { id: 'a', prompt: 'a quiet harbour at dawn' },
        { id: 'b', prompt: 'gulls over the pier' },
      ],
    });
    await writeFile(
      join(project, 'use.mjs'),
      `import { StoryreelClient } from 'storyreel';
import { StoryboardError } from 'storyreel/errors';
import { storyboardJsonSchema } from 'storyreel/storyboard';

const [address, taskQueue, file, outDir] = process.argv.slice(2);
if (typeof StoryboardError !== 'function' || !storyboardJsonSchema().properties) throw new Error('subpath exports missing');
const client = await StoryreelClient.connect({ address, taskQueue, outDir });
const { plan } = await client.plan(file);
const { productionId } = await client.submit(plan);
const result = await client.watch(productionId, () => {});
await client.close();
console.log(JSON.stringify({ state: result.state, outputPath: result.outputPath }));
`,
    );
    const { stdout } = await run(process.execPath, ['use.mjs', address, taskQueue, storyboard, join(work, 'out')], { cwd: project }).catch(
      (err: Error) => {
        throw new Error(`${err.message}\nworker log:\n${workerLog.join('')}`);
      },
    );
    const result = JSON.parse(stdout) as { state: string; outputPath: string };
    expect(result.state).toBe('completed');
    expect(result.outputPath).toMatch(new RegExp(`^${join(work, 'out')}/.+/final\\.mp4$`));

    const s = await streamsOf(result.outputPath);
    expect(s.video).toHaveLength(1);
    expect(s.audio).toHaveLength(1);
    expect([s.width, s.height]).toEqual([320, 180]);
    expect(s.frames).toBe(2 * 24);
    // The compiled activities find the package's own package.json (it sits two levels above dist/activities).
    const lock = JSON.parse(await readFile(join(result.outputPath, '..', 'storyreel.lock.json'), 'utf8')) as {
      tools?: Record<string, string>;
    };
    expect(JSON.stringify(lock)).toContain(`"storyreel":"${await ownVersion()}"`);
  });
});
