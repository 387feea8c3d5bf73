// The console's webhook pages and changes: the list and a webhook's page; create (the signing
// secret shown once), send a test event, retry now, disable or enable, rotate the secret,
// delete, each POST-redirect-GET.
import type { FastifyInstance } from 'fastify';
import { ScimError } from '../../scim/index.ts';
import { keptInput } from './notices.ts';
import { pageNotice } from './forms.ts';
import { page } from './layout.ts';
import { webhookPage, webhooksPage } from './pages/webhooks.ts';
import type { Revealing } from './client-changes.ts';
import { field, list, type ConsoleKit } from './kit.ts';
import type { SchemaTypes } from '../schemas/common.ts';

export function webhookChanges(plain: FastifyInstance, k: ConsoleKit, revealing: Revealing): void {
  const app = plain.withTypeProvider<SchemaTypes>();
  const { services: s, routes, ctxOf, act, back, send, noticeOf } = k;
  app.get('/console/webhooks', routes.page, async (request, reply) => {
    const notice = await noticeOf(request);
    return send(reply, page(request.consoleCaller, { title: 'Webhooks', current: '/console/webhooks', notice: pageNotice(notice) }, await webhooksPage(s, request.consoleCaller!, ctxOf(request), notice)));
  });
  app.get('/console/webhooks/:id', routes.pageOf, async (request, reply) => {
    const notice = await noticeOf(request);
    const { title, body } = await webhookPage(s, request.consoleCaller!, ctxOf(request), request.params.id, notice);
    return send(reply, page(request.consoleCaller, { title, current: '/console/webhooks', notice: pageNotice(notice) }, body));
  });
  app.post('/console/webhooks', routes.form, async (r, reply) => {
    const f = r.body;
    // "webhook", "set-push" or "set-poll": the format and how it is delivered.
    const [format, deliveryMethod = 'push'] = (field(f, 'kind') || 'webhook').split('-');
    const asked = {
      ...(field(f, 'url') ? { url: field(f, 'url') } : {}), format, deliveryMethod, eventTypes: list(f, 'eventTypes'), ...(field(f, 'description') ? { description: field(f, 'description') } : {}),
    };
    // A SET subscription has no secret to show: it is signed with the organization's key.
    if (format === 'set') return act(r, reply, '/console/webhooks', 'set-subscribed', () => s.admin.webhooks.create(ctxOf(r), asked));
    return revealing(r, reply, async () => {
      const made = await s.admin.webhooks.create(ctxOf(r), asked);
      return { kind: 'webhook', id: made.id, url: made.url ?? '', secret: made.secret ?? '' };
    }, '/console/webhooks');
  });
  app.post('/console/webhooks/:id/secret', routes.formOf, async (r, reply) =>
    revealing(r, reply, async () => {
      const w = await s.admin.webhooks.rotateSecret(ctxOf(r), r.params.id);
      return { kind: 'webhook', id: w.id, url: w.url ?? '', secret: w.secret ?? '' };
    }, `/console/webhooks/${r.params.id}`),
  );
  app.post('/console/webhooks/:id/test', { ...routes.formOf, config: { changesNothing: true } }, async (r, reply) => {
    const to = `/console/webhooks/${r.params.id}`;
    try {
      const a = await s.admin.webhooks.test(ctxOf(r), r.params.id, s.webhookSender);
      if (a.status !== undefined && a.status >= 200 && a.status < 300) return back(reply, to, r.consoleCaller!.org.id, { ok: 'webhook-test-sent' });
      return back(reply, to, r.consoleCaller!.org.id, { error: `The test event was not taken: ${a.status !== undefined ? `the receiver answered ${a.status}` : a.error ?? 'no answer'}`, form: keptInput(r.body) });
    } catch (e) {
      if (e instanceof ScimError) return back(reply, to, r.consoleCaller!.org.id, { error: e.message, form: keptInput(r.body) });
      throw e;
    }
  });
  app.post('/console/webhooks/:id/retry', routes.formOf, async (r, reply) => act(r, reply, `/console/webhooks/${r.params.id}`, 'webhook-retrying', () => s.admin.webhooks.retry(ctxOf(r), r.params.id)));
  app.post('/console/webhooks/:id/state', routes.formOf, async (r, reply) =>
    act(r, reply, `/console/webhooks/${r.params.id}`, 'webhook-updated', () => s.admin.webhooks.update(ctxOf(r), r.params.id, { enabled: field(r.body, 'enabled') === 'true' })));
  app.post('/console/webhooks/:id/delete', routes.formOf, async (r, reply) => act(r, reply, '/console/webhooks', 'webhook-deleted', () => s.admin.webhooks.delete(ctxOf(r), r.params.id)));
}
