/**
 * Setup after npm: ffmpeg/ffprobe (Debian's, installed when missing) and the Temporal CLI (TEMPORAL_CLI_PATH,
 * else `temporal` on PATH, else a per-user cached build of the official CLI via `go install`, else the SDK's own
 * download). Idempotent and quick when everything is there. Also `storyreel setup`.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from './config.js';
import { checkFfmpeg } from './media/check-ffmpeg.js';
import { cachedCliPath, findOnPath, resolveTemporalCli, TEMPORAL_CLI_MODULE, TEMPORAL_CLI_VERSION } from './temporal/dev-server.js';

type Log = (msg: string) => void;

const seconds = (t: number) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

export async function runSetup({ log, browser = false }: { log: Log; browser?: boolean }): Promise<boolean> {
  const cfg = loadConfig();
  return (
    (await ensureFfmpeg(log)) &&
    (await ffmpegHasWhatWeUse(log)) &&
    (await ensureEspeak(log)) &&
    (await ensureTemporalCli(cfg.temporalCliPath, cfg.cacheDir, log)) &&
    (!browser || (await ensureChromium(log)))
  );
}

/** The version and every filter, encoder and format storyreel uses, read from the installed ffmpeg. */
async function ffmpegHasWhatWeUse(log: Log): Promise<boolean> {
  const check = await checkFfmpeg();
  log(check.ok ? 'ffmpeg: has every filter, encoder and format storyreel uses' : `ffmpeg: ${check.message}`);
  return check.ok;
}

/** Where the studio's browser test finds Chromium: CHROMIUM_PATH, else Debian's package. */
export const chromiumPath = () => process.env.CHROMIUM_PATH || findOnPath('chromium') || '/usr/bin/chromium';

/** Debian's headless-capable Chromium for the studio's browser test (playwright-core drives it; no browser download). */
async function ensureChromium(log: Log): Promise<boolean> {
  const found = process.env.CHROMIUM_PATH || findOnPath('chromium');
  if (found) {
    log(`chromium: ${spawnSync(found, ['--version'], { encoding: 'utf8' }).stdout.trim() || found}`);
    return true;
  }
  const t = Date.now();
  if (!(await aptInstall('chromium', log))) {
    log("chromium is missing and cannot be installed here; install Debian's chromium package or set CHROMIUM_PATH");
    return false;
  }
  log(`chromium: installed in ${seconds(t)}`);
  return true;
}

/** espeak-ng, the offline narrator voice (Debian's package): storyboards with a voice speak without any key. */
async function ensureEspeak(log: Log): Promise<boolean> {
  const found = process.env.ESPEAK_NG_PATH || findOnPath('espeak-ng');
  if (found) {
    log(`espeak-ng: ${spawnSync(found, ['--version'], { encoding: 'utf8' }).stdout.trim().split('\n')[0] || found}`);
    return true;
  }
  const t = Date.now();
  if (!(await aptInstall('espeak-ng', log))) {
    log("espeak-ng is missing and cannot be installed here; install Debian's espeak-ng package or set ESPEAK_NG_PATH");
    return false;
  }
  log(`espeak-ng: installed in ${seconds(t)}`);
  return true;
}

async function ensureFfmpeg(log: Log): Promise<boolean> {
  const ffmpeg = process.env.FFMPEG_PATH || findOnPath('ffmpeg');
  const ffprobe = process.env.FFPROBE_PATH || findOnPath('ffprobe');
  if (ffmpeg && ffprobe) {
    const v = spawnSync(ffmpeg, ['-hide_banner', '-version'], { encoding: 'utf8' }).stdout.split('\n')[0];
    log(`ffmpeg: ${v}`);
    return true;
  }
  const t = Date.now();
  if (!(await aptInstall('ffmpeg', log))) {
    log('ffmpeg/ffprobe are missing and cannot be installed here; install ffmpeg (5.1 or newer) or set FFMPEG_PATH/FFPROBE_PATH');
    return false;
  }
  log(`ffmpeg: installed in ${seconds(t)}`);
  return true;
}

/** Installs a Debian package with apt-get (as root, or through `sudo -n`); false when that is not possible here. */
export async function aptInstall(pkg: string, log: Log): Promise<boolean> {
  const root = process.getuid?.() === 0;
  const sudo = root ? [] : findOnPath('sudo') ? ['sudo', '-n'] : undefined;
  if (!findOnPath('apt-get') || sudo === undefined) return false;
  log(`${pkg}: installing Debian package ${pkg}…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]) =>
    spawnSync(sudo[0] ?? args[0]!, sudo.length ? [...sudo.slice(1), ...args] : args.slice(1), {
      stdio: ['ignore', 'ignore', 'inherit'],
      env,
    });
  let r = run(['apt-get', 'install', '-y', '--no-install-recommends', pkg]);
  if (r.status !== 0) {
    run(['apt-get', 'update']);
    r = run(['apt-get', 'install', '-y', '--no-install-recommends', pkg]);
  }
  if (r.status !== 0) log(`${pkg}: apt-get install failed`);
  return r.status === 0;
}

async function ensureTemporalCli(explicit: string | undefined, cacheDir: string, log: Log): Promise<boolean> {
  const found = resolveTemporalCli({ explicit, cacheDir });
  if (found) {
    log(`temporal CLI: ${found.path} (from ${found.source})`);
    return true;
  }
  if (explicit) {
    log(`TEMPORAL_CLI_PATH=${explicit} does not exist`);
    return false;
  }
  const target = cachedCliPath(cacheDir);
  await mkdir(join(target, '..'), { recursive: true });
  const t = Date.now();
  const go = findOnPath('go');
  if (go) {
    log(`temporal CLI: building ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} with go install (first time only; a few minutes)…`);
    const gobin = await mkdtemp(join(cacheDir, 'gobin-'));
    const r = spawnSync(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GOBIN: gobin, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
    });
    if (r.status === 0) {
      await rename(join(gobin, 'temporal'), target);
      await rm(gobin, { recursive: true, force: true });
      log(`temporal CLI: built and cached at ${target} in ${seconds(t)}`);
      return true;
    }
    await rm(gobin, { recursive: true, force: true });
    log(`temporal CLI: go install failed (exit ${r.status}); trying the SDK's download`);
  }
  return sdkDownload(target, cacheDir, log, t);
}

/** On a machine with internet and no Go: let @temporalio/testing download the CLI, then cache that binary. */
async function sdkDownload(target: string, cacheDir: string, log: Log, t: number): Promise<boolean> {
  const downloadDir = join(cacheDir, 'sdk-download');
  try {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    log('temporal CLI: downloading through the Temporal SDK…');
    const env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'cached-download', downloadDir } } });
    await env.teardown();
    const candidates = [];
    for (const f of await readdir(downloadDir)) {
      const p = join(downloadDir, f);
      if (/temporal/i.test(f) && (await stat(p)).isFile()) candidates.push(p);
    }
    if (!candidates[0]) throw new Error('the download left no binary');
    await rename(candidates[0], target);
    log(`temporal CLI: downloaded and cached at ${target} in ${seconds(t)}`);
    return true;
  } catch (err) {
    log(
      `temporal CLI: could not be installed (${(err as Error).message}). Install Go >= 1.25, or the Temporal CLI, or set TEMPORAL_CLI_PATH.`,
    );
    return false;
  }
}
