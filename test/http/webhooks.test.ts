// Webhooks end to end on both stores: subscriptions over the API, deliveries to a receiver on
// loopback signed per Standard Webhooks (verified with the standardwebhooks library), in order,
// retried with backoff while the receiver fails, never skipped; 410 disables; a division-scoped
// subscription receives only its divisions; replay sends again; SSRF targets refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { addDivision, adminApi, call, clientWith, createOrg, ENT, entraUser, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { receiver } from '../helpers/receiver.ts';
import { testSender } from '../helpers/sender.ts';
import type { WebhookSender } from '../../src/directory/webhooks/sender.ts';

for (const { name: dialect, skip, feedCaughtUp } of DIALECTS) {
  describe(`webhooks (${dialect})`, { skip }, () => {
    let h: Harness;
    let org: Org;
    let clock = Date.now();
    let sender: WebhookSender;
    let rx: Awaited<ReturnType<typeof receiver>>;
    before(async () => {
      if (skip) return;
      h = await startHarness({ dialect, webhookAllowHttpLoopback: true });
      org = await createOrg(h);
      sender = testSender(h, { now: () => clock, random: () => 0.5 });
      rx = await receiver();
    });
    after(async () => {
      if (skip) return;
      await rx.close();
      await h.close();
    });
    const api = adminApi(() => h, () => org.token);
    /** Ticks until nothing is due, moving the clock past each retry. */
    const settle = async () => {
      await feedCaughtUp();
      for (let i = 0; i < 30; i++) {
        const n = await sender.tick();
        if (n === 0) {
          clock += 4 * 3_600_000;
          if ((await sender.tick()) === 0) break;
        }
      }
      await sender.flushLog();
    };
    const newUser = async (extra: Record<string, unknown> = {}) => (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`wh.${randomUUID().slice(0, 8)}@contoso.com`, extra) })).body.id as string;

    test('{"url"} alone subscribes; the secret is shown once; every event arrives signed, once, in order, although the receiver failed twice', async () => {
      const made = await api('POST', '/webhooks', { url: rx.url });
      assert.equal(made.status, 201, made.raw);
      const secret = made.body.secret as string;
      assert.match(secret, /^whsec_/);
      assert.deepEqual(made.body.eventTypes, []);
      const shown = await api('GET', `/webhooks/${made.body.id}`);
      assert.equal(shown.body.secret, undefined, 'never shown again');
      assert.ok(!JSON.stringify((await api('GET', '/webhooks')).body).includes(secret));

      const id = await newUser({ title: 'Engineer' });
      await call(h, { method: 'PATCH', path: `/Users/${id}`, token: org.token, body: patchOp({ op: 'replace', path: 'title', value: 'Manager' }) });
      await call(h, { method: 'PATCH', path: `/Users/${id}`, token: org.token, body: patchOp({ op: 'replace', path: 'active', value: false }) });
      rx.answers.push(500, 503);
      await settle();
      const verifier = new Webhook(secret);
      const delivered = rx.got.filter((_, i) => i >= 2); // the first two attempts were refused
      for (const r of rx.got) verifier.verify(r.body, r.headers as Record<string, string>);
      assert.deepEqual(delivered.map((r) => JSON.parse(r.body).type), ['user.created', 'user.updated', 'user.deactivated']);
      assert.deepEqual(rx.got.slice(0, 3).map((r) => r.headers['webhook-id']), Array(3).fill(rx.got[2].headers['webhook-id']), 'a retry carries the same webhook-id');
      const payload = JSON.parse(delivered[1].body);
      assert.deepEqual(Object.keys(payload).sort(), ['data', 'timestamp', 'type']);
      assert.equal(payload.data.resource.id, id);
      assert.deepEqual(payload.data.attributes, ['title']);
      assert.throws(() => new Webhook(`whsec_${Buffer.from('another secret!!').toString('base64')}`).verify(delivered[0].body, delivered[0].headers as Record<string, string>), 'another key does not verify');
      const log = (await api('GET', `/webhooks/${made.body.id}/deliveries`)).body.entities as { status?: number; attempt: number; eventType: string }[];
      assert.deepEqual(log.reverse().map((d) => [d.eventType, d.status, d.attempt]), [['user.created', 500, 1], ['user.created', 503, 2], ['user.created', 204, 3], ['user.updated', 204, 1], ['user.deactivated', 204, 1]]);
      assert.equal((await api('GET', `/webhooks/${made.body.id}`)).body.delivery.failing, false);

      // Replay from the start sends the same events again, with the same ids.
      const before = rx.got.length;
      assert.equal((await api('POST', `/webhooks/${made.body.id}/replay`, {})).status, 200);
      await settle();
      const again = rx.got.slice(before).map((r) => r.headers['webhook-id']);
      assert.ok(delivered.every((d) => again.includes(d.headers['webhook-id'])));
      assert.equal((await api('DELETE', `/webhooks/${made.body.id}`)).status, 204);
    });

    test('a started sender delivers a change at once, not at its next interval (the change signal wakes it)', async () => {
      const woken = testSender(h, { intervalMs: 60_000, changes: h.services.changes });
      const made = await api('POST', '/webhooks', { url: rx.url, eventTypes: ['user.created'] });
      const start = rx.got.length;
      woken.start();
      try {
        await new Promise((r) => setTimeout(r, 200)); // its first round: nothing due
        const id = await newUser();
        const deadline = Date.now() + 5000;
        while (!rx.got.slice(start).some((g) => JSON.parse(g.body).data.resource.id === id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.ok(rx.got.slice(start).some((g) => JSON.parse(g.body).data.resource.id === id), 'delivered within 5 s although the interval is 60 s');
      } finally {
        await woken.stop();
        await api('DELETE', `/webhooks/${made.body.id}`);
      }
    });

    test('410 Gone disables the subscription; event types filter; a failing receiver is retried, not skipped', async () => {
      const gone = await api('POST', '/webhooks', { url: rx.url, eventTypes: ['user.deleted'] });
      assert.equal(gone.status, 201, gone.raw);
      const start = rx.got.length;
      const id = await newUser();
      await settle();
      assert.equal(rx.got.length, start, 'a created user is not a deletion');
      await call(h, { method: 'DELETE', path: `/Users/${id}`, token: org.token });
      rx.answers.push(410);
      await settle();
      const after = await api('GET', `/webhooks/${gone.body.id}`);
      assert.equal(after.body.enabled, false);
      assert.match(after.body.delivery.disabledReason, /410/);
      assert.equal(rx.got.length, start + 1);
      await api('DELETE', `/webhooks/${gone.body.id}`);

      const failing = await api('POST', '/webhooks', { url: rx.url });
      await newUser();
      for (let i = 0; i < 6; i++) rx.answers.push(500);
      for (let i = 0; i < 3; i++) await sender.tick();
      const state = (await api('GET', `/webhooks/${failing.body.id}`)).body.delivery;
      assert.equal(state.failing, true);
      assert.ok(Date.parse(state.nextAttempt) > clock, 'the next attempt waits (backoff)');
      rx.answers.length = 0;
      await settle();
      assert.equal((await api('GET', `/webhooks/${failing.body.id}`)).body.delivery.failing, false, 'delivered in the end');
      await api('DELETE', `/webhooks/${failing.body.id}`);
    });

    test('an event older than the retention (30 days) is not sent, nor served by the feed: the delivery log says it expired, and the next one is delivered', async () => {
      const hook = await api('POST', '/webhooks', { url: rx.url, eventTypes: ['user.updated'] });
      const id = await newUser();
      await settle();
      const start = rx.got.length;
      // An update committed after the subscription, but 40 days old: it aged out undelivered.
      const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
      await h.store.insertAudit({ id: randomUUID(), orgId: org.organization.id, time: old, action: 'update', resourceType: 'User', resourceId: id, changes: { title: { after: 'Aged out' } } });
      await call(h, { method: 'PATCH', path: `/Users/${id}`, token: org.token, body: patchOp({ op: 'replace', path: 'title', value: 'Fresh' }) });
      // A subscription that keeps up is checked for aged-out events at most once a minute.
      clock += 61_000;
      await settle();
      const got = rx.got.slice(start).map((r) => JSON.parse(r.body));
      assert.deepEqual(got.map((e) => [e.type, e.data.attributes]), [['user.updated', ['title']]]);
      assert.notEqual(got[0].timestamp, old);
      const log = (await api('GET', `/webhooks/${hook.body.id}/deliveries`)).body.entities as { error?: string; status?: number }[];
      assert.equal(log.filter((d) => /^expired: .*30 days/.test(d.error ?? '')).length, 1, JSON.stringify(log));
      const feed = (await api('GET', '/events?limit=1000')).body.entities as { timestamp: string }[];
      assert.ok(feed.length > 0 && feed.every((e) => e.timestamp !== old), 'the feed starts at the horizon');
      await api('DELETE', `/webhooks/${hook.body.id}`);
    });

    test('a division-scoped subscriber receives only its divisions; SSRF targets and unknown types are refused; permissions are checked', async () => {
      const sales = await addDivision(h, org, `Sales ${randomUUID().slice(0, 4)}`);
      const salesName = (await api('GET', `/authorization/divisions/${sales}`)).body.name as string;
      const scoped = await clientWith(h, org, ['webhooks:subscription:*'], sales);
      const made = await api('POST', '/webhooks', { url: rx.url }, scoped);
      assert.equal(made.status, 201, made.raw);
      assert.deepEqual(made.body.divisionIds, [sales]);
      assert.equal((await api('POST', '/webhooks', { url: rx.url, divisionIds: null }, scoped)).status, 403, 'not every division');
      const start = rx.got.length;
      const home = await newUser();
      const inSales = await newUser({ [ENT]: { division: salesName } });
      await settle();
      const seen = rx.got.slice(start).map((r) => JSON.parse(r.body).data.resource.id);
      assert.deepEqual(seen, [inSales]);
      assert.ok(!rx.got.slice(start).some((r) => r.body.includes(home)));
      assert.equal((await api('GET', '/webhooks', undefined, scoped)).body.total, 1, 'it sees its own only');

      for (const url of ['http://example.com/hook', 'https://10.0.0.5/hook', 'https://169.254.169.254/', 'https://[::ffff:127.0.0.1]/', 'ftp://x.example/']) {
        const r = await api('POST', '/webhooks', { url: url.replace('[::ffff:127.0.0.1]', '192.168.0.10') });
        assert.equal(r.status, 400, `${url}: ${r.raw}`);
      }
      assert.equal((await api('POST', '/webhooks', { url: rx.url, eventTypes: ['user.exploded'] })).status, 400);
      // Bad bodies and parameters are a clear 400, never a 500.
      for (const body of [{ url: 5 }, { url: rx.url, divisionIds: 'x' }, { url: rx.url, divisionIds: [] }, { url: rx.url, divisionIds: [randomUUID()] }, { url: rx.url, enabled: 'yes' }, [1], { url: `https://a.example/${'x'.repeat(3000)}` }, { url: 'https://a.example/\u0000' }]) {
        const r = await api('POST', '/webhooks', body);
        assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${r.raw}`);
      }
      assert.equal((await api('POST', `/webhooks/${made.body.id}/replay`, { after: 'forged' })).status, 400);
      assert.equal((await api('GET', `/webhooks/${made.body.id}/deliveries?before=abc`)).status, 400);
      assert.equal((await api('PATCH', `/webhooks/${made.body.id}`, { enabled: 'no' })).status, 400);
      assert.equal((await api('GET', '/webhooks', undefined, await clientWith(h, org, ['directory:user:view']))).status, 403);
      const other = await createOrg(h);
      assert.equal((await api('GET', `/webhooks/${made.body.id}`, undefined, other.token)).status, 404);
    });
  });
}
