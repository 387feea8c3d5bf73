// The console's changes to OAuth clients and the ways Entra authenticates: clients, secrets
// shown once (reveal.ts), secret tokens, workload identity federation, and Test connection.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ScimError } from '../../scim/index.ts';
import { html } from './html.ts';
import { page } from './layout.ts';
import { keptInput } from './notices.ts';
import { connectPage, revealPage, type TestResult } from './pages/clients.ts';
import { REVEAL_COOKIE, REVEAL_PATH, REVEAL_SECONDS, Reveals, type Revealed } from './reveal.ts';
import { field, formOf, type ConsoleKit } from './kit.ts';
import type { SchemaTypes } from '../schemas/common.ts';

/** A change that makes a secret: sealed into the reveal cookie, then shown once at REVEAL_PATH; a refusal goes back to `from`. */
export type Revealing = (r: FastifyRequest, reply: FastifyReply, make: () => Promise<Revealed>, from?: string) => Promise<FastifyReply>;

export function clientChanges(plain: FastifyInstance, k: ConsoleKit): Revealing {
  const app = plain.withTypeProvider<SchemaTypes>();
  const { services: s, routes, ctxOf, act, back, send, secure, publicUrl } = k;
    // Secrets (a new client's, a rotated one, a secret token): the POST seals the secret into a
    // short-lived cookie and redirects; /console/reveal shows it once (reveal.ts).
    const reveals = new Reveals(s.store, k.now);
    const revealing: Revealing = async (r, reply, make, from = '/console/clients') => {
      const caller = r.consoleCaller!;
      try {
        const revealed = await make();
        reply.setCookie(REVEAL_COOKIE, await reveals.seal(caller.org.id, caller.session.idHash, revealed), { path: REVEAL_PATH, httpOnly: true, sameSite: 'strict', secure, maxAge: REVEAL_SECONDS });
        return reply.code(303).header('location', REVEAL_PATH).send();
      } catch (e) {
        if (e instanceof ScimError) return back(reply, from, caller.org.id, { error: e.message, form: keptInput(formOf(r.body)) });
        throw e;
      }
    };
    app.get(REVEAL_PATH, routes.page, async (request, reply) => {
      const caller = request.consoleCaller!;
      const revealed = await reveals.open(caller.org.id, caller.session.idHash, request.cookies[REVEAL_COOKIE]);
      reply.clearCookie(REVEAL_COOKIE, { path: REVEAL_PATH });
      if (!revealed) return send(reply, page(caller, { title: 'Nothing to show', current: '/console/clients' }, html`<p>A secret is shown once, right after it is made, and this one has been shown (or the page was opened too late). Rotate the client's secret or issue a new token for a new one.</p><p><a href="/console/clients">OAuth clients</a></p>`));
      const title = revealed.kind === 'secretToken' ? 'Secret token issued' : revealed.kind === 'webhook' ? 'Webhook signing secret' : revealed.title;
      const current = revealed.kind === 'secretToken' ? '/console' : revealed.kind === 'webhook' ? '/console/webhooks' : '/console/clients';
      return send(reply, page(caller, { title, current }, revealPage(caller, revealed, publicUrl)));
    });
    const clientRevealed = (title: string, c: { id: string; name: string; secret?: string }): Revealed => ({ kind: 'client', title, id: c.id, name: c.name, secret: c.secret ?? '' });
    app.post('/console/clients', routes.form, async (r, reply) =>
      revealing(r, reply, async () => clientRevealed('Client created', await s.admin.clients.create(ctxOf(r), {
        name: field(r.body, 'name'), authorizedGrantType: 'CLIENT-CREDENTIALS', roleDivisions: field(r.body, 'roleId') ? [{ roleId: field(r.body, 'roleId'), divisionId: field(r.body, 'divisionId') || '*' }] : [],
        ...(field(r.body, 'accessTokenValiditySeconds') ? { accessTokenValiditySeconds: Number(field(r.body, 'accessTokenValiditySeconds')) } : {}),
      })), field(r.body, '_page') === '/console' ? '/console' : '/console/clients'),
    );
    app.post('/console/clients/:id/rotate', routes.formOf, async (r, reply) => revealing(r, reply, async () => clientRevealed('New secret', await s.admin.clients.rotateSecret(ctxOf(r), r.params.id))));
    app.post('/console/secret-tokens', routes.form, async (r, reply) =>
      revealing(r, reply, async () => {
        const t = await s.admin.clients.issueSecretToken(ctxOf(r), field(r.body, 'clientId'), { expiresInDays: Number(field(r.body, 'expiresInDays')) });
        return { kind: 'secretToken', clientId: t.clientId, clientName: t.clientName, token: t.token ?? '', expires: t.dateExpires };
      }, '/console'),
    );
    const federate = (r: FastifyRequest, clientId: string, federation: Record<string, string> | null) =>
      s.admin.clients.get(ctxOf(r), clientId).then((c) => s.admin.clients.update(ctxOf(r), clientId, { name: c.name, federation }));
    app.post('/console/federation', routes.form, async (r, reply) =>
      act(r, reply, '/console', 'federation-saved', () => {
        const f = r.body;
        return federate(r, field(f, 'clientId'), {
          issuer: field(f, 'issuer'), subject: field(f, 'subject'), ...(field(f, 'audience') ? { audience: field(f, 'audience') } : {}), ...(field(f, 'jwksUri') ? { jwksUri: field(f, 'jwksUri') } : {}),
        });
      }));
    app.post('/console/clients/:id/federation/remove', routes.formOf, async (r, reply) => act(r, reply, '/console', 'federation-removed', () => federate(r, r.params.id, null)));
    app.post('/console/clients/:id/tokens/:tokenId/revoke', routes.formOfToken, async (r, reply) =>
      act(r, reply, '/console', 'secret-token-revoked', () => s.admin.clients.revokeSecretToken(ctxOf(r), r.params.id, r.params.tokenId)));
    app.post('/console/clients/:id/state', routes.formOf, async (r, reply) =>
      act(r, reply, '/console/clients', 'client-updated', async () => {
        const c = await s.admin.clients.get(ctxOf(r), r.params.id);
        await s.admin.clients.update(ctxOf(r), r.params.id, { name: c.name, state: field(r.body, 'state') === 'active' ? 'active' : 'inactive' });
      }),
    );
    app.post('/console/clients/:id/delete', routes.formOf, async (r, reply) => act(r, reply, '/console/clients', 'client-deleted', () => s.admin.clients.delete(ctxOf(r), r.params.id)));

    // Test connection: a fresh token for the client, then Entra's probe through the real HTTP stack.
    app.post('/console/connect/test', routes.form, async (r, reply) => {
      const f = r.body;
      const probe = `GET /api/v2/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${randomUUID()}@scimitar.test"`)}`;
      let result: TestResult;
      const tokenRes = await k.inject({
        method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: field(f, 'clientId'), client_secret: String(f.clientSecret ?? '') }).toString(),
      });
      if (tokenRes.statusCode !== 200) {
        result = { ok: false, summary: `The token request was refused (${tokenRes.statusCode}): check the client id and secret.`, request: 'POST /oauth/token grant_type=client_credentials', status: tokenRes.statusCode, body: tokenRes.body };
      } else {
        const res = await k.inject({ method: 'GET', url: probe.slice(4), headers: { authorization: `Bearer ${(tokenRes.json() as { access_token: string }).access_token}` } });
        const ok = res.statusCode === 200 && (res.json() as { totalResults?: number }).totalResults === 0;
        result = {
          ok, request: `POST /oauth/token -> 200\n${probe}`, status: res.statusCode, body: res.body.slice(0, 2000),
          summary: ok ? 'Connection OK: Entra\'s Test Connection will succeed with this client.' : `Entra's probe was answered ${res.statusCode}: see the answer below.`,
        };
      }
      return send(reply, page(r.consoleCaller, { title: 'Connect', current: '/console' }, await connectPage(s, r.consoleCaller!, ctxOf(r), publicUrl, result)));
    });
    return revealing;
}
