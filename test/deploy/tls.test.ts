/**
 * Secure connections from a Temporal environment profile: a second Temporal server (the pinned release, on the
 * stack's PostgreSQL, its own databases) whose frontend requires mutual TLS, with certificates made here by
 * openssl. A `storyreel worker` configured only by TEMPORAL_TLS_* variables and a `storyreel submit --wait`
 * configured only by a TOML profile (TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE) run a production to final.mp4.
 * Without a client certificate, or in plaintext, the server refuses the connection.
 */
import { Connection } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureDeployBinaries } from '../../src/deploy/binaries.js';
import { startTemporalServer, type FrontendTls, type TemporalServer } from '../../src/deploy/temporal-server.js';
import { startCliWorker, type CliWorker } from '../helpers/cli-worker.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { streamsOf } from '../helpers/media.js';
import { within } from './within.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/storyreel.js');

let dir: string;
let certs: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
let server: TemporalServer;
let worker: CliWorker | undefined;

/** A CA, a server certificate for localhost/127.0.0.1 and a client certificate, all signed by the CA. */
async function makeCertificates(into: string) {
  const f = (name: string) => join(into, name);
  const ossl = (...args: string[]) => run('openssl', args, { cwd: into });
  await ossl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=storyreel test CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const leaf = async (name: string, cn: string, ext: string) => {
    await writeFile(f(`${name}.ext`), ext);
    await ossl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
    await ossl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      f(`${name}.pem`),
      '-extfile',
      f(`${name}.ext`),
    );
  };
  await leaf(
    'server',
    'localhost',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
  );
  await leaf('client', 'storyreel-worker', 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n');
  return {
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

beforeAll(async () => {
  dir = await tempDir('storyreel-tls-');
  await mkdir(join(dir, 'certs'));
  certs = await makeCertificates(join(dir, 'certs'));
  const tls: FrontendTls = {
    certFile: certs.serverCert,
    keyFile: certs.serverKey,
    caFile: certs.ca,
    requireClientCert: true,
    clientCertFile: certs.clientCert,
    clientKeyFile: certs.clientKey,
  };
  const log = (m: string) => process.stderr.write(`[tls] ${m}\n`);
  server = await startTemporalServer({
    dir: join(dir, 'temporal'),
    binaries: await ensureDeployBinaries(inject('stackCacheDir'), log),
    postgres: inject('stackPostgres'),
    databases: { persistence: 'temporal_tls', visibility: 'temporal_tls_visibility' },
    tls,
    log,
  });
});
afterAll(async () => {
  await worker?.stop();
  await server?.stop();
});

describe('a Temporal frontend that requires mutual TLS', () => {
  it('refuses plaintext and a client without a certificate', async () => {
    await expect(Connection.connect({ address: server.address, connectTimeout: 5000 })).rejects.toThrow();
    await expect(
      Connection.connect({
        address: server.address,
        connectTimeout: 5000,
        tls: { serverNameOverride: 'localhost', serverRootCACertificate: await readFile(certs.ca) },
      }),
    ).rejects.toThrow();
  });

  it('runs a production: the worker from TEMPORAL_TLS_* variables, the client from a TOML profile', async () => {
    const work = join(dir, 'work');
    const taskQueue = 'storyreel-tls';
    // Bounded: a worker that does not speak TLS to this server would retry its connection for minutes.
    worker = await within(
      90_000,
      'the worker connecting over mTLS',
      startCliWorker({
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca,
        TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
        TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
        TEMPORAL_TLS_SERVER_NAME: 'localhost',
        STORYREEL_TASK_QUEUE: taskQueue,
        STORYREEL_WORK_DIR: work,
        STORYREEL_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      }),
    );
    expect(worker.stderr()).toContain(`${server.address} (mTLS)`);

    const profile = join(dir, 'temporal.toml');
    await writeFile(
      profile,
      [
        '[profile.secure]',
        `address = "${server.address}"`,
        'namespace = "default"',
        '[profile.secure.tls]',
        `server_ca_cert_path = "${certs.ca}"`,
        `client_cert_path = "${certs.clientCert}"`,
        `client_key_path = "${certs.clientKey}"`,
        'server_name = "localhost"',
        '',
      ].join('\n'),
    );
    const sb = await writeStoryboard(await tempDir(), {
      title: 'Over TLS',
      defaults: { provider: 'local', size: '640x360', seconds: 2 },
      output: { captions: false },
      scenes: [{ id: 'one', prompt: 'A harbour light, reached over mutual TLS' }],
    });
    const out = join(dir, 'out');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_CONFIG_FILE: profile,
      TEMPORAL_PROFILE: 'secure',
      STORYREEL_TASK_QUEUE: taskQueue,
    };
    delete env.TEMPORAL_ADDRESS;
    const { stdout } = await run(process.execPath, [BIN, 'submit', sb, '--id', 'over-tls', '--out', out, '--wait', '--json'], {
      cwd: ROOT,
      env,
      maxBuffer: 16 << 20,
      timeout: 300_000,
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { state: string; outputPath: string };
    console.log(`submit over mTLS: ${result.state}, ${result.outputPath}`);
    expect(result.state).toBe('completed');
    const s = await streamsOf(result.outputPath);
    expect([s.width, s.height]).toEqual([640, 360]);
  });
});
