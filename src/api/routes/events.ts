/**
 * Server-Sent Events of a production's latest run. Durable events come from the run's follower (its event log, so
 * a reconnect with `Last-Event-ID: <runId>.<seq>` replays exactly what came after); between them, `progress`
 * events carry the whole production view whenever it changed (not replayed: the next one supersedes it). The
 * stream ends after the run's closing event (`production.completed`, `.failed`, `.cancelled`).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { errorResponses, ProductionParams } from '../schemas/common.js';
import { productionView } from '../views.js';
import { followOptions } from './productions.js';

const CLOSING = new Set(['production.completed', 'production.failed', 'production.cancelled']);
const POLL_MS = 500;
const KEEPALIVE_MS = 15_000;

export function eventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/productions/:id/events',
    {
      schema: {
        summary: 'Live events of the production (text/event-stream), resumable with Last-Event-ID',
        tags: ['productions'],
        params: ProductionParams,
        headers: z.object({ 'last-event-id': z.string().optional() }),
        response: { 200: z.string().describe('text/event-stream'), ...errorResponses },
      },
    },
    async (req, reply) => {
      const id = req.params.id;
      const runId = await ctx.client.latestRunId(id);
      // Any run can be followed, including one started by the CLI: its follower starts on first interest.
      await ctx.client.follow(id, { runId, ...followOptions(ctx, undefined) });
      const [lastRun, lastSeq] = (req.headers['last-event-id'] ?? '').split('.');
      let after = lastRun === runId && /^\d+$/.test(lastSeq ?? '') ? Number(lastSeq) : 0;

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let open = true;
      req.raw.on('close', () => (open = false));
      const write = (text: string) => open && res.write(text);
      write(`retry: 2000\n\n`);

      let lastProgress = '';
      let lastWrite = Date.now();
      let closed = false;
      while (open && !closed) {
        try {
          const state = await ctx.client.followState(id, runId, after);
          for (const ev of state?.events ?? []) {
            write(`id: ${runId}.${ev.seq}\nevent: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`);
            after = ev.seq;
            if (CLOSING.has(ev.type)) closed = true;
          }
          const view = JSON.stringify(productionView(await ctx.client.status(id)));
          if (view !== lastProgress) {
            lastProgress = view;
            write(`event: progress\ndata: ${view}\n\n`);
            lastWrite = Date.now();
          }
        } catch (err) {
          req.log.warn({ err: (err as Error).message }, 'event stream: read failed; retrying');
        }
        if (Date.now() - lastWrite > KEEPALIVE_MS) {
          write(`: keep-alive\n\n`);
          lastWrite = Date.now();
        }
        if (!closed) await new Promise((r) => setTimeout(r, POLL_MS));
      }
      if (open) write(`event: end\ndata: {}\n\n`);
      res.end();
    },
  );
}
