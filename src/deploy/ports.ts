/** Ports on 127.0.0.1 for the stack's servers: the one asked for when it is free, else any free one. */
import { createServer } from 'node:net';
import { freePort } from '../temporal/dev-server.js';

export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * `preferred` when it is free (a restarted stack keeps its addresses), otherwise a free port; below `below` when
 * given (Temporal keeps membership ports in a PostgreSQL smallint, so they must be under 32768). The range from
 * 20000 is below Linux's default ephemeral range (32768–60999), so outgoing connections do not take these ports.
 */
export async function choosePort(preferred: number | undefined, below?: number): Promise<number> {
  if (preferred && (!below || preferred < below) && (await portIsFree(preferred))) return preferred;
  if (!below) return freePort();
  for (let tries = 0; tries < 200; tries++) {
    const port = 20_000 + Math.floor(Math.random() * (below - 20_000));
    if (await portIsFree(port)) return port;
  }
  throw new Error(`no free port found between 20000 and ${below} on 127.0.0.1`);
}
