/**
 * The compose files agree with the code: the Temporal server's dynamic config (docker-compose.yml) and the dev
 * server's flags (docker-compose.dev.yml) are STORYREEL_DYNAMIC_CONFIG, every search attribute storyreel defines is
 * registered, and long-running services do not run as root. (scripts/check-compose.sh, run by CI, validates the files
 * with docker-compose and checks pinned tags and 127.0.0.1 ports.)
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../src/contracts/names.js';
import { DEV_SERVER_DYNAMIC_CONFIG, STORYREEL_DYNAMIC_CONFIG } from '../../src/temporal/dev-server.js';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');
type Service = { image?: string; user?: string; command?: string[] | string; restart?: string; build?: unknown };
const services = (f: string) => (parse(read(f), { merge: true }) as { services: Record<string, Service> }).services;
/** Images that run as a non-root user of their own (no `user:` needed). */
const NON_ROOT_IMAGES = /^temporalio\/(server|ui|admin-tools):/;

describe('compose files', () => {
  it('give the Temporal server and the dev server storyreel dynamic config', () => {
    const dynamic = parse(read('deploy/temporal-dynamicconfig.yaml')) as Record<string, { value: unknown }[]>;
    expect(Object.fromEntries(Object.entries(dynamic).map(([k, v]) => [k, v[0]!.value]))).toEqual(STORYREEL_DYNAMIC_CONFIG);
    const dev = services('docker-compose.dev.yml').temporal!.command as string[];
    expect(dev.join(' ')).toContain(DEV_SERVER_DYNAMIC_CONFIG.join(' '));
  });

  it('register every storyreel search attribute', () => {
    const names = Object.values(SEARCH_ATTRIBUTES).map((a) => a.name);
    const setup = JSON.stringify(services('docker-compose.yml')['temporal-setup']!.command);
    const dev = (services('docker-compose.dev.yml').temporal!.command as string[]).join(' ');
    for (const name of names) {
      expect(setup).toContain(name);
      expect(dev).toContain(`${name}=Keyword`);
    }
  });

  it('run long-running services as non-root users', () => {
    for (const f of ['docker-compose.yml', 'docker-compose.dev.yml']) {
      for (const [name, s] of Object.entries(services(f))) {
        const oneShot = s.restart === 'no';
        if (oneShot || (s.image && NON_ROOT_IMAGES.test(s.image))) continue;
        expect(s.user, `${f}: ${name}`).toBeDefined();
        expect(s.user, `${f}: ${name}`).not.toMatch(/^(root|0)(:|$)/);
      }
    }
  });
});
