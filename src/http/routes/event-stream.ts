// GET /api/v2/events with `Accept: text/event-stream`: the feed as server-sent events. Each
// event is an SSE `event: <type>` with the event as `data`; the last of each batch carries
// `id: <position>`, which a client sends back as Last-Event-ID when it reconnects (so a
// reconnect may repeat a batch's first events, never skip one). The stream waits for the
// organization's change signal, reads the store then (again shortly when the change does not
// show yet, and every LIVE_FALLBACK_MS at the latest), re-checks the token each time (a
// revoked or expired token ends the stream), and takes a slot: a few open streams per client,
// a bounded number per node (429 beyond).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminContext } from '../../directory/admin/context.ts';
import type { Services } from '../../services.ts';
import { STREAM_RETRY_AFTER_SECONDS, StreamSlots } from '../console/stream-slots.ts';

const LIVE_FALLBACK_MS = 15_000;
export const EVENT_STREAM_LIMITS = { perSession: 3, perUser: 3, perNode: 500 } as const;

export function wantsEventStream(request: FastifyRequest): boolean {
  return String(request.headers.accept ?? '').includes('text/event-stream');
}

/** The stream handler; `app`'s closing ends every open stream (a shutdown does not wait for clients to leave). */
export function eventStreamer(app: FastifyInstance, s: Services, options: { readonly fallbackMs?: number } = {}) {
  const slots = new StreamSlots(EVENT_STREAM_LIMITS);
  const open = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const c of open) c.abort();
  });
  return async (request: FastifyRequest, reply: FastifyReply, ctx: AdminContext, after: string | undefined): Promise<FastifyReply | void> => {
    // The first page answers now: a bad position or a missing permission is a plain error.
    let page = await s.admin.events.page(ctx, { after: (request.headers['last-event-id'] as string | undefined) || after, limit: 100 });
    const release = slots.take(ctx.principal.clientId, ctx.principal.clientId);
    if (!release) {
      request.refusal = { detail: 'too many event streams open for this client' };
      return reply.code(429).header('retry-after', String(STREAM_RETRY_AFTER_SECONDS)).send({ message: 'Too many event streams are open for this client: close one, or try again shortly.', code: 'too.many.requests', status: 429 });
    }
    const token = /^Bearer\s+(\S+)/i.exec(String(request.headers.authorization ?? ''))?.[1] ?? '';
    reply.hijack();
    reply.raw.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    reply.raw.write('retry: 3000\n\n');
    const closed = new AbortController();
    open.add(closed);
    request.raw.on('close', () => closed.abort());
    // Each read with the token as it is now: 'ended' once it no longer holds.
    const read = async (after: string) => {
      const principal = await s.tokens.authenticate(token);
      if (!principal || principal.clientId !== ctx.principal.clientId) return 'ended' as const;
      return s.admin.events.page({ ...ctx, principal }, { after, limit: 100 });
    };
    try {
      while (!closed.signal.aborted) {
        page.entities.forEach((e, i) => reply.raw.write(`${i === page.entities.length - 1 ? `id: ${page.next}\n` : ''}event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`));
        const position = page.next;
        let next: Awaited<ReturnType<typeof read>> | undefined;
        if (page.entities.length < 100) {
          // A change that does not show at once is read again shortly (HELD_BACK_RETRY_MS).
          next = await s.changes.nextSeen(ctx.org.id, options.fallbackMs ?? LIVE_FALLBACK_MS, () => read(position), (p) => p === 'ended' || p.entities.length > 0, closed.signal);
          if (closed.signal.aborted) break;
          if (next === undefined) reply.raw.write(': keep-alive\n\n');
        }
        // After the wait's time, read once more: it catches writes no node signalled.
        const fresh = next ?? (await read(position));
        if (fresh === 'ended') break;
        page = fresh;
      }
    } catch (err) {
      request.log.warn({ err }, 'event stream ended');
    } finally {
      open.delete(closed);
      release();
      reply.raw.end();
    }
  };
}
