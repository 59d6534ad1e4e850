/**
 * The operations pieces that need no server: the JSON logger never prints a secret, the health server answers what
 * its probe says, and a worker's probe maps worker states and server health to liveness and readiness.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { startHealthServer, workerProbe } from '../../src/telemetry/health-server.js';
import { createLogger, REDACTED, temporalLogger } from '../../src/telemetry/logger.js';

function captured(env: Record<string, string>) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ env, destination }), lines };
}

describe('JSON logger', () => {
  const SECRET = 'sk-live-8d7f6e5c4b3a2910';
  const AWS = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

  it('masks secret environment values anywhere and secret-named fields at any depth', () => {
    const { logger, lines } = captured({ OPENAI_API_KEY: SECRET, AWS_SECRET_ACCESS_KEY: AWS, HOME: '/root', TEMPORAL_ADDRESS: 'x:7233' });
    const err = new Error(`401 from provider: key ${SECRET} is invalid`);
    logger.info(
      { request: { headers: { Authorization: `Bearer ${SECRET}` }, apiKey: SECRET, url: 'https://u:pw123456@h/x' }, err },
      `calling with ${AWS}`,
    );
    temporalLogger(logger).warn('Activity failed', { error: err, meta: { nested: [{ client_secret: 'abc123456789' }] }, home: '/root' });
    const text = lines.join('\n');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(AWS);
    expect(text).not.toContain('pw123456');
    expect(text).not.toContain('abc123456789');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- reading nested fields of parsed JSON
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, any>);
    expect(first!.msg).toBe(`calling with ${REDACTED}`);
    expect(first!.request.apiKey).toBe(REDACTED);
    expect(first!.request.headers.Authorization).toBe(REDACTED);
    expect(first!.err.message).toBe(`401 from provider: key ${REDACTED} is invalid`);
    expect(second).toMatchObject({ level: 'warn', msg: 'Activity failed', home: '/root' });
    expect(second!.meta.nested[0].client_secret).toBe(REDACTED);
  });

  it('keeps ordinary fields and ids as they are', () => {
    const { logger, lines } = captured({});
    logger.info({ productionId: 'p1', sceneId: 's1', jobId: 'video_1' }, 'submitted');
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ productionId: 'p1', sceneId: 's1', jobId: 'video_1', msg: 'submitted', level: 'info' });
  });
});

describe('health server', () => {
  it('answers /healthz and /readyz from the worker probe', async () => {
    let state: 'RUNNING' | 'DRAINING' | 'FAILED' = 'RUNNING';
    let serving = true;
    const server = await startHealthServer(workerProbe({ getState: () => state }, async () => serving));
    const get = async (path: string) => {
      const res = await fetch(`${server.url}${path}`);
      return `${res.status} ${((await res.json()) as { status?: string; reason?: string }).reason ?? ''}`.trim();
    };
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect([await get('/healthz'), await get('/readyz')]).toEqual(['200', '200']);
      serving = false;
      expect([await get('/healthz'), await get('/readyz')]).toEqual(['200', '503 the Temporal server does not answer']);
      serving = true;
      state = 'DRAINING';
      expect([await get('/healthz'), await get('/readyz')]).toEqual(['200', '503 worker draining']);
      state = 'FAILED';
      expect([await get('/healthz'), await get('/readyz')]).toEqual(['503 worker failed', '503 worker failed']);
      expect((await fetch(`${server.url}/config`)).status).toBe(404);
      expect((await fetch(`${server.url}/healthz`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });
});
