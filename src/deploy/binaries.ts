/**
 * The programs of the production-shaped stack that do not come from Debian: the Temporal server and its SQL schema
 * tool (with the PostgreSQL schema files of the same release), and versitygw (an S3-compatible server). Each is
 * built once with `go install` into the per-user cache (outside any clone), so only the first run pays for it.
 *
 * Cache layout (one directory per pinned version, moved into place whole, so a half-built one is never used):
 *   <cacheDir>/temporal-server/<TEMPORAL_SERVER_VERSION>/{temporal-server, temporal-sql-tool, schema/postgresql/v12/…}
 *   <cacheDir>/versitygw/<VERSITYGW_VERSION>/versitygw
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { findOnPath } from '../temporal/dev-server.js';

/** The one place the Temporal server release is pinned (it builds with Go ≥ 1.25 and has no replace directives). */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
export const VERSITYGW_VERSION = 'v1.8.0';
export const VERSITYGW_PACKAGE = 'github.com/versity/versitygw/cmd/versitygw';

export interface DeployBinaries {
  temporalServer: string;
  sqlTool: string;
  /** schema/postgresql/v12 of the same server release: temporal/ and visibility/, each with versioned/. */
  postgresSchemaDir: string;
  versitygw: string;
}

type Log = (msg: string) => void;

export class DeployBuildError extends Error {
  override readonly name = 'DeployBuildError';
}

export function deployBinaryPaths(cacheDir: string): DeployBinaries {
  const temporalDir = join(cacheDir, 'temporal-server', TEMPORAL_SERVER_VERSION);
  return {
    temporalServer: join(temporalDir, 'temporal-server'),
    sqlTool: join(temporalDir, 'temporal-sql-tool'),
    postgresSchemaDir: join(temporalDir, 'schema', 'postgresql', 'v12'),
    versitygw: join(cacheDir, 'versitygw', VERSITYGW_VERSION, 'versitygw'),
  };
}

/** Builds whatever is missing from the cache; quick when everything is there. Throws DeployBuildError. */
export async function ensureDeployBinaries(cacheDir: string, log: Log): Promise<DeployBinaries> {
  const paths = deployBinaryPaths(cacheDir);
  if (existsSync(paths.temporalServer) && existsSync(paths.sqlTool) && existsSync(paths.postgresSchemaDir)) {
    log(`temporal server ${TEMPORAL_SERVER_VERSION}: cached at ${join(paths.temporalServer, '..')}`);
  } else {
    await buildInto(join(paths.temporalServer, '..'), `temporal server ${TEMPORAL_SERVER_VERSION} and its sql tool`, log, async (dir) => {
      goInstall(dir, [`${TEMPORAL_SERVER_MODULE}/cmd/server`, `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql`], TEMPORAL_SERVER_VERSION);
      await rename(join(dir, 'server'), join(dir, 'temporal-server'));
      await rename(join(dir, 'sql'), join(dir, 'temporal-sql-tool'));
      const source = moduleSourceDir(TEMPORAL_SERVER_MODULE, TEMPORAL_SERVER_VERSION);
      const schemaDir = join(dir, 'schema', 'postgresql', 'v12');
      await cp(join(source, 'schema', 'postgresql', 'v12'), schemaDir, { recursive: true });
      await makeWritable(schemaDir);
    });
  }
  if (existsSync(paths.versitygw)) {
    log(`versitygw ${VERSITYGW_VERSION}: cached at ${paths.versitygw}`);
  } else {
    await buildInto(join(paths.versitygw, '..'), `versitygw ${VERSITYGW_VERSION}`, log, async (dir) => {
      goInstall(dir, [VERSITYGW_PACKAGE], VERSITYGW_VERSION);
    });
  }
  return paths;
}

/** Builds into a fresh directory beside `target` and moves it into place; a concurrent build that won keeps its copy. */
async function buildInto(target: string, what: string, log: Log, build: (dir: string) => Promise<void>): Promise<void> {
  await mkdir(join(target, '..'), { recursive: true });
  const dir = await mkdtemp(`${target}.build-`);
  const started = Date.now();
  log(`${what}: building with go install (first time only; several minutes)…`);
  try {
    await build(dir);
    await chmod(dir, 0o755); // mkdtemp made it 0700
    if (existsSync(target)) await rm(target, { recursive: true, force: true });
    await rename(dir, target);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  log(`${what}: built and cached at ${target} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function goBinary(): string {
  const go = findOnPath('go');
  if (!go)
    throw new DeployBuildError('Go is not on PATH: install Go >= 1.25 to build the Temporal server and versitygw (once; they are cached)');
  return go;
}

function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // GOTOOLCHAIN=local: build with the Go that is here rather than trying to download another toolchain.
  return { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim(), ...extra };
}

function goInstall(gobin: string, packages: string[], version: string): void {
  const r = spawnSync(goBinary(), ['install', ...packages.map((p) => `${p}@${version}`)], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: goEnv({ GOBIN: gobin }),
  });
  if (r.status !== 0) throw new DeployBuildError(`go install ${packages.join(' ')}@${version} failed (exit ${r.status ?? r.signal})`);
}

/** Where the Go module cache keeps a module's source (downloading it when it is not there yet). */
function moduleSourceDir(module: string, version: string): string {
  const r = spawnSync(goBinary(), ['mod', 'download', '-json', `${module}@${version}`], { encoding: 'utf8', env: goEnv() });
  const info = (r.status === 0 ? JSON.parse(r.stdout) : {}) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new DeployBuildError(`go mod download ${module}@${version} failed: ${info.Error ?? r.stderr.trim()}`);
  return info.Dir;
}

/** The module cache is read-only; the copy must not be, or a later cleanup of the cache cannot remove it. */
async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) await makeWritable(p);
    else await chmod(p, 0o644);
  }
}
