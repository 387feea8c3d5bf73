// Change events as RFC 9967 Security Event Tokens on both stores: pushed per RFC 8935 to a
// receiver on loopback and polled per RFC 8936, each verified with jose against the
// organization's published JWKS (fetched without a credential), with the claims RFC 9967 asks
// for (sub_id of format scim, txn, notice events naming the changed attributes, version = the
// ETag); acknowledged SETs are not answered again, unacknowledged ones are, refused ones
// (setErrs) are logged and not sent again; scope and permissions hold.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { addDivision, adminApi, call, clientWith, createOrg, entraUser, patchOp, PUBLIC_URL, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { receiver } from '../helpers/receiver.ts';
import { testSender } from '../helpers/sender.ts';
import type { WebhookSender } from '../../src/directory/webhooks/sender.ts';
import { VERIFICATION_EVENT } from '../../src/directory/webhooks/set-signer.ts';
import { SET_EVENT_URIS } from '../../src/trail/security-events.ts';

interface SetClaims extends JWTPayload { sub_id: { format: string; uri: string; id: string }; txn: string; toe: number; events: Record<string, { attributes?: string[]; version?: string }> }

for (const { name: dialect, skip, feedCaughtUp } of DIALECTS) {
  describe(`security event tokens (${dialect})`, { skip }, () => {
    let h: Harness;
    let org: Org;
    let sender: WebhookSender;
    let rx: Awaited<ReturnType<typeof receiver>>;
    before(async () => {
      if (skip) return;
      h = await startHarness({ dialect, webhookAllowHttpLoopback: true });
      org = await createOrg(h);
      sender = testSender(h);
      rx = await receiver(202);
    });
    after(async () => {
      if (skip) return;
      await rx.close();
      await h.close();
    });
    const api = adminApi(() => h, () => org.token);
    const settle = async () => {
      await feedCaughtUp();
      for (let i = 0; i < 20 && (await sender.tick()) > 0; i++);
      await sender.flushLog();
    };
    const keysOf = async (orgId: string) => {
      const res = await h.app.inject({ method: 'GET', url: `/api/v2/events/issuers/${orgId}/jwks` });
      assert.equal(res.statusCode, 200, res.body);
      return createLocalJWKSet(JSON.parse(res.body) as JSONWebKeySet);
    };
    const verify = async (jwt: string, audience: string, orgId = org.organization.id) => {
      assert.equal(decodeProtectedHeader(jwt).typ, 'secevent+jwt');
      return (await jwtVerify(jwt, await keysOf(orgId), { issuer: `${PUBLIC_URL}/api/v2/events/issuers/${orgId}`, audience, typ: 'secevent+jwt' })).payload as SetClaims;
    };
    const newUser = async (extra: Record<string, unknown> = {}) => {
      const res = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`set.${randomUUID().slice(0, 8)}@contoso.com`, extra) });
      assert.equal(res.status, 201, res.raw);
      return res.body.id as string;
    };

    test('pushed SETs: application/secevent+jwt, verified with the published keys, RFC 9967 claims, version = the ETag after the change', async () => {
      const made = await api('POST', '/webhooks', { url: rx.url, format: 'set' });
      assert.equal(made.status, 201, made.raw);
      assert.equal(made.body.secret, undefined, 'a SET subscription has no secret: the organization key signs');
      assert.equal(made.body.format, 'set');
      assert.equal(made.body.deliveryMethod, 'push');
      assert.equal(made.body.jwksUri, `${PUBLIC_URL}/api/v2/events/issuers/${org.organization.id}/jwks`);
      assert.equal((await api('POST', `/webhooks/${made.body.id}/secret`)).status, 400, 'nothing to rotate');

      const id = await newUser({ title: 'Engineer' });
      const patched = await call(h, { method: 'PATCH', path: `/Users/${id}`, token: org.token, body: patchOp({ op: 'replace', path: 'title', value: 'Manager' }) });
      await call(h, { method: 'PATCH', path: `/Users/${id}`, token: org.token, body: patchOp({ op: 'replace', path: 'active', value: false }) });
      await call(h, { method: 'DELETE', path: `/Users/${id}`, token: org.token });
      await settle();
      assert.equal(rx.got.length, 4, JSON.stringify(rx.got.map((g) => g.body.slice(0, 40))));
      for (const r of rx.got) assert.equal(r.headers['content-type'], 'application/secevent+jwt');
      const claims = await Promise.all(rx.got.map((r) => verify(r.body, rx.url)));
      assert.deepEqual(claims.map((c) => Object.keys(c.events).sort()), [
        [SET_EVENT_URIS.create], [SET_EVENT_URIS.patch], [SET_EVENT_URIS.deactivate, SET_EVENT_URIS.patch], [SET_EVENT_URIS.delete],
      ]);
      for (const c of claims) {
        assert.deepEqual(c.sub_id, { format: 'scim', uri: `/Users/${id}`, id });
        assert.equal(typeof c.txn, 'string');
        assert.ok(Number.isInteger(c.toe) && Number.isInteger(c.iat));
        assert.equal((c as { sub?: string }).sub, undefined, 'RFC 9967 §2.1: the subject is sub_id, never sub');
      }
      assert.ok(claims[0].events[SET_EVENT_URIS.create].attributes!.includes('userName'));
      assert.deepEqual(claims[1].events[SET_EVENT_URIS.patch].attributes, ['title']);
      assert.equal(claims[1].events[SET_EVENT_URIS.patch].version, patched.headers.etag, 'version is the ETag the PATCH answered');
      assert.equal(new Set(claims.map((c) => c.jti)).size, 4);
      assert.ok(!rx.got.some((r) => r.body.includes('Manager')), 'a notice names attributes, never their values');

      // Another organization's keys do not verify these; its own SETs name its own issuer.
      const other = await createOrg(h);
      await assert.rejects(jwtVerify(rx.got[0].body, await keysOf(other.organization.id)));
      assert.notDeepEqual(await (await h.app.inject({ method: 'GET', url: `/api/v2/events/issuers/${other.organization.id}/jwks` })).json(), await (await h.app.inject({ method: 'GET', url: `/api/v2/events/issuers/${org.organization.id}/jwks` })).json());
      assert.equal((await h.app.inject({ method: 'GET', url: `/api/v2/events/issuers/${randomUUID()}/jwks` })).statusCode, 404);
      const jwks = (await h.app.inject({ method: 'GET', url: `/api/v2/events/issuers/${org.organization.id}/jwks` })).json() as { keys: Record<string, unknown>[] };
      assert.equal(jwks.keys[0].d, undefined, 'the private part is never published');

      // The test event is the Shared Signals verification event, signed the same way.
      const before = rx.got.length;
      const t = await api('POST', `/webhooks/${made.body.id}/test`);
      assert.equal(t.body.status, 202, t.raw);
      const test = await verify(rx.got[before].body, rx.url);
      assert.deepEqual(Object.keys(test.events), [VERIFICATION_EVENT]);
      assert.equal((await api('DELETE', `/webhooks/${made.body.id}`)).status, 204);
    });

    test('polled SETs (RFC 8936): answered until acknowledged; setErrs are logged and not sent again; a long poll wakes on a change', async () => {
      assert.equal((await api('POST', '/webhooks', { format: 'webhook', deliveryMethod: 'poll' })).status, 400, 'only SETs are polled');
      assert.equal((await api('POST', '/webhooks', { format: 'set', deliveryMethod: 'poll', url: rx.url })).status, 400, 'a polled subscription has no url');
      const made = await api('POST', '/webhooks', { format: 'set', deliveryMethod: 'poll', eventTypes: ['user.created'] });
      assert.equal(made.status, 201, made.raw);
      assert.equal(made.body.url, undefined);
      const poll = (body: unknown, token = org.token) => api('POST', `/webhooks/${made.body.id}/poll`, body, token);
      const audience = `${PUBLIC_URL}/api/v2/webhooks/${made.body.id}`;
      assert.deepEqual((await poll({ returnImmediately: true })).body, { sets: {}, moreAvailable: false });

      const ids = [await newUser(), await newUser(), await newUser()];
      const first = await poll({ returnImmediately: true, maxEvents: 2 });
      assert.equal(first.status, 200, first.raw);
      assert.equal(first.body.moreAvailable, true);
      const jtis = Object.keys(first.body.sets);
      assert.equal(jtis.length, 2);
      const subjects = await Promise.all(Object.values(first.body.sets as Record<string, string>).map(async (jwt) => (await verify(jwt, audience)).sub_id.id));
      assert.deepEqual(subjects, ids.slice(0, 2));
      assert.deepEqual(Object.keys((await poll({ returnImmediately: true, maxEvents: 2 })).body.sets), jtis, 'not acknowledged: answered again');

      const second = await poll({ ack: jtis, returnImmediately: true });
      const left = Object.keys(second.body.sets);
      assert.equal(left.length, 1);
      assert.equal((await verify(second.body.sets[left[0]], audience)).sub_id.id, ids[2]);
      const third = await poll({ setErrs: { [left[0]]: { err: 'invalid_key', description: '<b>unknown</b> kid' } }, returnImmediately: true });
      assert.deepEqual(third.body, { sets: {}, moreAvailable: false });
      const log = (await api('GET', `/webhooks/${made.body.id}/deliveries`)).body.entities as { eventId: string; response?: string; error?: string }[];
      assert.deepEqual(log.map((d) => d.eventId).sort(), [...jtis, left[0]].sort());
      assert.match(log.find((d) => d.eventId === left[0])!.error!, /invalid_key/);
      assert.equal(log.filter((d) => d.response === 'acknowledged').length, 2);

      // A poll that may wait returns as soon as an event is committed; a second one on the same
      // subscription meanwhile does not wait (no caller holds requests open without bound).
      const waiting = poll({ maxEvents: 5 });
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      const others = await Promise.all(Array.from({ length: 40 }, () => poll({ maxEvents: 5 })));
      assert.ok(others.every((r) => r.status === 200 && Object.keys(r.body.sets).length === 0), 'answered at once, empty');
      assert.ok(Date.now() - t0 < 15_000, 'none of the 40 waited for the 20 s long poll');
      const later = await newUser();
      const woke = await waiting;
      assert.equal(woke.status, 200, woke.raw);
      assert.deepEqual(await Promise.all(Object.values(woke.body.sets as Record<string, string>).map(async (jwt) => (await verify(jwt, audience)).sub_id.id)), [later]);

      // Bad bodies are a clear 400; the sender never pushes a polled subscription.
      for (const bad of [{ maxEvents: -1 }, { maxEvents: 5000 }, { ack: [{}] }, { setErrs: { a: 'no' } }, { returnImmediately: 'yes' }]) {
        assert.equal((await poll(bad)).status, 400, JSON.stringify(bad));
      }
      assert.equal(await sender.tick(), 0);
      assert.equal((await api('POST', `/webhooks/${made.body.id}/test`)).status, 400);
    });

    test('polling needs events:feed:view over the subscription\'s divisions; a pushed subscription is not polled', async () => {
      const made = await api('POST', '/webhooks', { format: 'set', deliveryMethod: 'poll' });
      const pushed = await api('POST', '/webhooks', { url: rx.url, format: 'set' });
      const sales = await addDivision(h, org, `Sales ${randomUUID().slice(0, 4)}`);
      const salesReader = await clientWith(h, org, ['events:feed:view', 'webhooks:subscription:view'], sales);
      const noFeed = await clientWith(h, org, ['webhooks:subscription:view']);
      assert.equal((await api('POST', `/webhooks/${made.body.id}/poll`, { returnImmediately: true }, salesReader)).status, 404, 'an organization-wide subscription is outside a Sales reader');
      assert.equal((await api('POST', `/webhooks/${made.body.id}/poll`, { returnImmediately: true }, noFeed)).status, 403);
      assert.equal((await api('POST', `/webhooks/${pushed.body.id}/poll`, { returnImmediately: true })).status, 400);
      const otherOrg = await createOrg(h);
      assert.equal((await api('POST', `/webhooks/${made.body.id}/poll`, { returnImmediately: true }, otherOrg.token)).status, 404);
    });
  });
}
