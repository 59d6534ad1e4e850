/**
 * Where and how storyreel reaches Temporal comes from a Temporal environment profile (@temporalio/envconfig): a TOML
 * file and TEMPORAL_* variables, never bespoke flags. Secrets stay out of the printed config.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { describeConnection, loadTemporalProfile } from '../../src/temporal/profile.js';
import { tempDir } from '../helpers/files.js';

const API_KEY = 'tmprl-api-key-5e6f7a8b9c';

async function tomlFile(text: string): Promise<string> {
  const path = join(await tempDir(), 'temporal.toml');
  await writeFile(path, text);
  return path;
}

describe('Temporal profile', () => {
  it('reads a TOML profile: API key implies TLS; the namespace and gRPC metadata come along', async () => {
    const file = await tomlFile(
      [
        '[profile.cloud]',
        'address = "ns.a1b2c.tmprl.cloud:7233"',
        'namespace = "ns.a1b2c"',
        `api_key = "${API_KEY}"`,
        '[profile.cloud.grpc_meta]',
        'x-team = "video"',
        '',
      ].join('\n'),
    );
    const p = loadTemporalProfile({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' });
    expect(p.address).toBe('ns.a1b2c.tmprl.cloud:7233');
    expect(p.namespace).toBe('ns.a1b2c');
    expect(p.connection).toMatchObject({
      address: 'ns.a1b2c.tmprl.cloud:7233',
      apiKey: API_KEY,
      tls: true,
      metadata: { 'x-team': 'video' },
    });
    expect(describeConnection(p.connection!)).toBe('ns.a1b2c.tmprl.cloud:7233 (TLS, API key)');
  });

  it('TEMPORAL_* variables override the file; mTLS from certificate paths; empty variables count as unset', async () => {
    const file = await tomlFile(['[profile.default]', 'address = "file:7233"', 'namespace = "from-file"', ''].join('\n'));
    const dir = await tempDir();
    await writeFile(join(dir, 'c.pem'), 'CERT');
    await writeFile(join(dir, 'k.pem'), 'KEY');
    const p = loadTemporalProfile({
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_ADDRESS: 'env:7233',
      TEMPORAL_NAMESPACE: '',
      TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'c.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'k.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    expect(p.address).toBe('env:7233');
    expect(p.namespace).toBe('from-file');
    const tls = p.connection!.tls as { serverNameOverride?: string; clientCertPair?: { crt: Uint8Array; key: Uint8Array } };
    expect(tls.serverNameOverride).toBe('temporal.internal');
    expect(Buffer.from(tls.clientCertPair!.crt).toString()).toBe('CERT');
    expect(describeConnection(p.connection!)).toBe('env:7233 (mTLS)');
  });

  it('no address anywhere: no cluster (storyreel run starts its own)', () => {
    expect(loadTemporalProfile({ TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' }).address).toBeUndefined();
  });

  it('loadConfig takes the profile; the API key is not in the serialized config; a broken file is a ConfigError naming it', async () => {
    const file = await tomlFile(['[profile.default]', 'address = "cfg:7233"', `api_key = "${API_KEY}"`, ''].join('\n'));
    const cfg = loadConfig({ TEMPORAL_CONFIG_FILE: file });
    expect(cfg.temporalAddress).toBe('cfg:7233');
    expect(cfg.temporalConnection()?.apiKey).toBe(API_KEY);
    expect(JSON.stringify(cfg)).not.toContain(API_KEY);
    const broken = await tomlFile('[profile.default\naddress = ');
    expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: broken })).toThrow(ConfigError);
    expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: broken })).toThrow(broken);
  });
});
