// The console's Requests and Activity pages, and the activity page's live stream
// (server-sent events driven by the organization's change signal).
import type { FastifyInstance } from 'fastify';
import { can } from '../../auth/permissions.ts';
import type { ActivityQuery } from '../../directory/activity.ts';
import type { SchemaTypes } from '../schemas/common.ts';
import { field, type ConsoleKit, type Form } from './kit.ts';
import { page } from './layout.ts';
import { activityPage } from './pages/activity.ts';
import { requestsPage } from './pages/requests.ts';
import { STREAM_RETRY_AFTER_SECONDS, StreamSlots, type StreamLimits } from './stream-slots.ts';

export interface LiveOptions {
  /** The session cookie's name: the stream re-reads the viewer's rights with it. */
  readonly cookie: string;
  readonly streamLimits?: StreamLimits;
  /** A live view reads the store at least this often without a change signal. */
  readonly intervalMs: number;
}

export function activityRoutes(plain: FastifyInstance, k: ConsoleKit, live: LiveOptions): void {
  const app = plain.withTypeProvider<SchemaTypes>();
  const { services: s, auth, routes, ctxOf, send } = k;
  const activityQuery = (q: Form, limit: number): ActivityQuery => {
    const str = (k: string) => field(q, k) || undefined;
    const from = str('from');
    return {
      limit, cursor: str('cursor'), actor: str('actor'), kind: str('kind'), resource: str('resource'),
      outcome: str('outcome') === 'accepted' || str('outcome') === 'refused' ? (str('outcome') as 'accepted' | 'refused') : undefined,
      from: from && !Number.isNaN(Date.parse(from)) ? new Date(from).toISOString() : undefined,
    };
  };
  app.get('/console/requests', routes.page, async (request, reply) => {
    const str = (k: string) => field(request.query, k) || undefined;
    const from = str('from');
    const q = { limit: 50, cursor: str('cursor'), status: str('status'), client: str('client'), path: str('path'), from: from && !Number.isNaN(Date.parse(from)) ? new Date(from).toISOString() : undefined };
    const ctx = ctxOf(request);
    const log = await s.admin.requests.page(ctx, q);
    const clients = can(ctx.principal, ['oauth:client:view']) ? (await s.admin.clients.list(ctx, { pageSize: 500 })).entities : [];
    return send(reply, page(request.consoleCaller, { title: 'Requests', current: '/console/requests' }, requestsPage(log, q, clients)));
  });
  app.get('/console/activity', routes.page, async (request, reply) => {
    const q = activityQuery(request.query, 50);
    const ctx = ctxOf(request);
    const feed = await s.admin.activity.page(ctx, q);
    const clients = can(ctx.principal, ['oauth:client:view']) ? (await s.admin.clients.list(ctx, { pageSize: 500 })).entities : [];
    return send(reply, page(request.consoleCaller, { title: 'Activity', current: '/console/activity' }, activityPage(feed, q, clients)));
  });
  // Server-sent events: the entries that appear after the page was loaded, oldest first. The
  // stream waits for the organization's change signal (change-signal.ts), not a timer: the
  // store is read when something changed, or after liveIntervalMs at the latest.
  const streams = new StreamSlots(live.streamLimits);
  // Closing the app ends the open streams (a shutdown does not wait for their clients to leave).
  const openStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of openStreams) end();
  });
  app.get('/console/activity/stream', routes.page, async (request, reply) => {
    const ctx = ctxOf(request);
    const caller = request.consoleCaller!;
    const release = streams.take(caller.session.idHash, caller.user.id);
    if (!release) {
      request.refusal = { detail: 'too many live activity streams open' };
      return reply.code(429).header('retry-after', String(STREAM_RETRY_AFTER_SECONDS)).type('text/plain; charset=utf-8')
        .send('Too many live activity streams are open for this session or user: close a tab, or try again shortly.');
    }
    const q = activityQuery(request.query, 50);
    let seen: Set<string>;
    try {
      seen = new Set((await s.admin.activity.page(ctx, { ...q, cursor: undefined })).entries.map((e) => e.id));
    } catch (e) {
      release();
      throw e;
    }
    const cookieValue = request.cookies[live.cookie];
    reply.hijack();
    reply.raw.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    reply.raw.write('retry: 3000\n\n');
    let open = true;
    const poll = async () => {
      if (!open) return;
      try {
        // Each delivery with the viewer's rights as they are now: a session ended, or a grant
        // taken away, closes the stream; a narrower grant narrows what it delivers.
        const caller = await auth.caller(cookieValue);
        if (!caller || !can(caller.principal, ['audits:audit:view'])) return end();
        const now = { ...ctx, principal: caller.principal };
        const fresh = (await s.admin.activity.page(now, { ...q, cursor: undefined })).entries.filter((e) => !seen.has(e.id));
        for (const e of fresh.reverse()) {
          seen.add(e.id);
          reply.raw.write(`event: entry\ndata: ${JSON.stringify(e)}\n\n`);
        }
        if (fresh.length === 0) reply.raw.write(': keep-alive\n\n');
      } catch (err) {
        request.log.warn({ err }, 'live activity poll failed');
      }
      if (open) waitForChange();
    };
    const closed = new AbortController();
    const waitForChange = () => void s.changes.next(ctx.org.id, live.intervalMs, closed.signal).then(poll);
    waitForChange();
    const end = () => {
      open = false;
      release();
      closed.abort();
      openStreams.delete(end);
      reply.raw.end();
    };
    openStreams.add(end);
    request.raw.on('close', end);
  });

}
