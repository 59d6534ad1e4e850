/**
 * The stack's secrets (the database password, the object store's secret key) reach its servers only through their
 * environment: they are in no process's command line, no log and no generated config file.
 */
import { describe, expect, inject, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const secrets = {
  'database password': inject('stackPostgres').password,
  'S3 secret key': inject('stackObjectStore').credentials.secretAccessKey,
};

/** Logs and config files of the stack (not the database's or the buckets' data). */
async function textFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /\.(log|ya?ml|json)$/.test(e.name) && !e.parentPath.includes(`${join('postgres', 'data')}`))
      out.push(join(e.parentPath, e.name));
  }
  return out;
}

describe("the stack's secrets", () => {
  it('appear in no command line of any process on this machine', async () => {
    let checked = 0;
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      checked++;
      for (const [what, value] of Object.entries(secrets)) expect(cmdline.includes(value), `${what} in the argv of pid ${pid}`).toBe(false);
    }
    expect(checked).toBeGreaterThan(3);
  });

  it("appear in none of the stack's logs or generated config files", async () => {
    const files = await textFiles(inject('stackDir'));
    expect(files.map((f) => f.split('/').at(-1))).toEqual(
      expect.arrayContaining(['postgres.log', 'temporal.log', 'versitygw.log', 'storyreel.yaml']),
    );
    for (const f of files) {
      const text = await readFile(f, 'utf8');
      for (const [what, value] of Object.entries(secrets)) expect(text.includes(value), `${what} in ${f}`).toBe(false);
    }
    // The server config names the password's variable; the server renders it from its environment.
    const config = await readFile(
      files.find((f) => f.endsWith('storyreel.yaml'))!,
      'utf8',
    );
    expect(config).toMatch(/password: '\{\{ env "STORYREEL_TEMPORAL_SQL_PASSWORD" \}\}'/);
  });
});
