/**
 * `storyreel mock <api>` through the real CLI entry point (bin/storyreel.js). The serving test runs it from a copy
 * of what the Docker image ships (bin, src, workflows, activities, package.json; no test/), so the CLI is proven
 * not to depend on test code.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const ROOT = resolve(import.meta.dirname, '../..');
let shipped: string;

beforeAll(async () => {
  shipped = await mkdtemp(join(tmpdir(), 'storyreel-shipped-'));
  for (const entry of ['bin', 'src', 'workflows', 'activities', 'package.json', 'tsconfig.json'])
    await cp(join(ROOT, entry), join(shipped, entry), { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(shipped, 'node_modules'), 'dir');
});

afterAll(async () => {
  if (shipped) await rm(shipped, { recursive: true, force: true });
});

function cli(cwd: string, args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [join(cwd, 'bin/storyreel.js'), ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs the CLI to its end: exit code and output. */
async function finished(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  return { code, out, err };
}

describe('storyreel mock', () => {
  it('openai-videos --port 0 from a copy without test/: prints its URL, serves the API and /__mock/requests, exits 0 on SIGTERM', async () => {
    expect(shipped).not.toContain(ROOT);
    const child = cli(shipped, ['mock', 'openai-videos', '--port', '0']);
    try {
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const baseURL = await new Promise<string>((found, fail) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /^openai-videos mock listening on (http:\/\/127\.0\.0\.1:\d+\/v1)$/m.exec(out);
          if (m) found(m[1]!);
        });
        child.once('exit', (code) => fail(new Error(`exited with ${code} before listening: ${out}${err}`)));
      });
      const origin = baseURL.replace(/\/v1$/, '');
      const empty = await fetch(`${origin}/__mock/requests`);
      expect([empty.status, await empty.json()]).toEqual([200, []]);
      const created = await fetch(`${baseURL}/videos`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer any-key' },
        body: JSON.stringify({ prompt: 'from the shipped CLI' }),
      });
      expect([created.status, ((await created.json()) as { status: string }).status]).toEqual([200, 'queued']);
      const log = (await (await fetch(`${origin}/__mock/requests`)).json()) as { method: string; path: string; status: number }[];
      expect(log.map((e) => [e.method, e.path, e.status])).toEqual([['POST', '/v1/videos', 200]]);

      const exited = new Promise<number | null>((done) => child.once('exit', done));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('replicate --port 0: prints its URL, serves predictions and /__mock/requests, exits 0 on SIGTERM', async () => {
    const child = cli(shipped, ['mock', 'replicate', '--port', '0', '--api-key', 'r8_cli']);
    try {
      const baseURL = await new Promise<string>((found, fail) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /^replicate mock listening on (http:\/\/127\.0\.0\.1:\d+\/v1)$/m.exec(out);
          if (m) found(m[1]!);
        });
        child.once('exit', (code) => fail(new Error(`exited with ${code} before listening: ${out}`)));
      });
      const created = await fetch(`${baseURL}/models/google/veo-3.1-fast/predictions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer r8_cli', 'cancel-after': '5m' },
        body: JSON.stringify({ input: { prompt: 'from the shipped CLI' } }),
      });
      expect([created.status, ((await created.json()) as { status: string }).status]).toEqual([201, 'starting']);
      const unauthorized = await fetch(`${baseURL}/predictions`);
      expect(unauthorized.status).toBe(401);
      const log = (await (await fetch(`${baseURL.replace(/\/v1$/, '')}/__mock/requests`)).json()) as { method: string; status: number }[];
      expect(log.map((e) => [e.method, e.status])).toEqual([
        ['POST', 201],
        ['GET', 401],
      ]);
      const exited = new Promise<number | null>((done) => child.once('exit', done));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('kling --port 0 with keys: prints its URL, checks the JWT, serves tasks and /__mock/requests, exits 0 on SIGTERM', async () => {
    const child = cli(shipped, ['mock', 'kling', '--port', '0', '--access-key', 'ak-cli', '--secret-key', 'sk-cli']);
    try {
      const baseURL = await new Promise<string>((found, fail) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /^kling mock listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
          if (m) found(m[1]!);
        });
        child.once('exit', (code) => fail(new Error(`exited with ${code} before listening: ${out}`)));
      });
      const s = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer('ak-cli')
        .setExpirationTime(s + 1800)
        .setNotBefore(s - 5)
        .sign(new TextEncoder().encode('sk-cli'));
      const created = await fetch(`${baseURL}/v1/videos/text2video`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ model_name: 'kling-v3', prompt: 'from the shipped CLI', external_task_id: 'cli-1' }),
      });
      expect([created.status, ((await created.json()) as { data: { task_status: string } }).data.task_status]).toEqual([200, 'submitted']);
      const unauthorized = await fetch(`${baseURL}/v1/videos/text2video/cli-1`);
      expect([unauthorized.status, ((await unauthorized.json()) as { code: number }).code]).toEqual([401, 1001]);
      const log = (await (await fetch(`${baseURL}/__mock/requests`)).json()) as { method: string; status: number }[];
      expect(log.map((e) => [e.method, e.status])).toEqual([
        ['POST', 200],
        ['GET', 401],
      ]);
      const exited = new Promise<number | null>((done) => child.once('exit', done));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('runway --port 0: prints its URL, serves tasks (version header required) and /__mock/requests, exits 0 on SIGTERM', async () => {
    const child = cli(shipped, ['mock', 'runway', '--port', '0', '--api-key', 'key_cli', '--tier', '2']);
    try {
      const baseURL = await new Promise<string>((found, fail) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /^runway mock listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
          if (m) found(m[1]!);
        });
        child.once('exit', (code) => fail(new Error(`exited with ${code} before listening: ${out}`)));
      });
      const post = (version?: string) =>
        fetch(`${baseURL}/v1/text_to_video`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: 'Bearer key_cli',
            ...(version ? { 'x-runway-version': version } : {}),
          },
          body: JSON.stringify({ model: 'gen4.5', promptText: 'from the shipped CLI', ratio: '1280:720', duration: 2 }),
        });
      const created = await post('2024-11-06');
      expect([created.status, ((await created.json()) as { estimatedCost: unknown }).estimatedCost]).toEqual([200, { credits: 24 }]);
      expect((await post()).status).toBe(400);
      const org = (await (
        await fetch(`${baseURL}/v1/organization`, { headers: { authorization: 'Bearer key_cli', 'x-runway-version': '2024-11-06' } })
      ).json()) as {
        tier: { models: Record<string, { maxConcurrentGenerations: number }> };
      };
      expect(org.tier.models['gen4.5']!.maxConcurrentGenerations).toBe(3);
      const log = (await (await fetch(`${baseURL}/__mock/requests`)).json()) as { method: string; status: number }[];
      expect(log.map((e) => [e.method, e.status])).toEqual([
        ['POST', 200],
        ['POST', 400],
        ['GET', 200],
      ]);
      const exited = new Promise<number | null>((done) => child.once('exit', done));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('google --port 0 from the shipped copy: Veo create with the key, a wrong key answered as Google does, exits 0 on SIGTERM', async () => {
    const child = cli(shipped, ['mock', 'google', '--port', '0', '--api-key', 'AIza-cli', '--queued-ms', '10']);
    try {
      const url = await new Promise<string>((found, fail) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /^google mock listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
          if (m) found(m[1]!);
        });
        child.once('exit', (code) => fail(new Error(`exited with ${code} before listening: ${out}`)));
      });
      const create = (key: string) =>
        fetch(`${url}/v1beta/models/veo-3.1-generate-001:predictLongRunning`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-goog-api-key': key },
          body: JSON.stringify({ instances: [{ prompt: 'from the shipped CLI' }], parameters: { durationSeconds: 4 } }),
        });
      const ok = await create('AIza-cli');
      expect([ok.status, ((await ok.json()) as { name: string }).name]).toEqual([
        200,
        expect.stringMatching(/^models\/veo-3\.1-generate-001\/operations\//),
      ]);
      const bad = await create('wrong');
      expect([bad.status, ((await bad.json()) as { error: { status: string } }).error.status]).toEqual([400, 'INVALID_ARGUMENT']);
      const log = (await (await fetch(`${url}/__mock/requests`)).json()) as { status: number }[];
      expect(log.map((e) => e.status)).toEqual([200, 400]);
      const exited = new Promise<number | null>((done) => child.once('exit', done));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('comfyui --port 0 from a copy without test/: serves /prompt with its shipped templates, /queue and /ws, exits 0 on SIGTERM', async () => {
    const child = cli(shipped, ['mock', 'comfyui', '--port', '0', '--ms-per-step', '1']);
    try {
      const url = await new Promise<string>((found, fail) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /^comfyui mock listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
          if (m) found(m[1]!);
        });
        child.once('exit', (code) => fail(new Error(`exited with ${code} before listening: ${out}`)));
      });
      const graph = JSON.parse(await readFile(join(shipped, 'src/providers/comfyui/templates/wan2.2-t2v.json'), 'utf8')) as unknown;
      const posted = await fetch(`${url}/prompt`, { method: 'POST', body: JSON.stringify({ prompt: graph }) });
      expect(posted.status).toBe(200);
      const { prompt_id } = (await posted.json()) as { prompt_id: string };
      const q = (await (await fetch(`${url}/api/queue`)).json()) as { queue_running: unknown[][]; queue_pending: unknown[][] };
      expect([...q.queue_running, ...q.queue_pending].map((x) => x[1])).toEqual([prompt_id]);
      const ws = new WebSocket(`${url.replace('http', 'ws')}/ws?clientId=cli`);
      const first = await new Promise<{ type: string; data: { sid: string } }>((got, fail) => {
        ws.once('message', (m) => got(JSON.parse(String(m)) as { type: string; data: { sid: string } }));
        ws.once('error', fail);
      });
      ws.close();
      expect([first.type, first.data.sid]).toEqual(['status', 'cli']);
      const exited = new Promise<number | null>((done) => child.once('exit', done));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('an unknown mock is a usage error (exit 2) that lists the available ones', async () => {
    const { code, err } = await finished(cli(ROOT, ['mock', 'no-such-api']));
    expect(code).toBe(2);
    expect(err.trim()).toBe(
      'unknown mock "no-such-api"; available: comfyui, elevenlabs, fal, google, kling, openai-speech, openai-videos, replicate, runway',
    );
  });

  it('a bad option is a usage error (exit 2) that names the option', async () => {
    const bad = await finished(cli(ROOT, ['mock', 'openai-videos', '--port', 'eighty']));
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toEqual([
      "mock openai-videos: --port must be an integer >= 0, got 'eighty'",
      expect.stringMatching(/^usage: storyreel mock openai-videos --port N --api-key K --profile spec-2026-08\|guide-2026-03 /) as unknown,
    ]);
    const unknown = await finished(cli(ROOT, ['mock', 'openai-videos', '--colour', 'red']));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^mock openai-videos: Unknown option '--colour'/);
  });
});
