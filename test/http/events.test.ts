// Change events: the audit trail is the outbox, so every accepted change of a user or group
// is an event written in the change's own transaction; the pull feed gives them in commit
// order after an opaque position, as the caller may see them. On both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { addDivision, addGroup, call, clientWith, createOrg, ENT, entraUser, listening, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';

interface Event { id: string; type: string; sequence: number; resource: { type: string; id: string; version?: string; divisionId?: string }; actor: { clientId?: string }; attributes?: string[]; memberIds?: string[] }

for (const { name: dialect, skip, feedCaughtUp } of DIALECTS) {
  describe(`change events (${dialect})`, { skip }, () => {
    let h: Harness;
    let org: Org;
    before(async () => {
      h = await startHarness({ dialect });
      org = await createOrg(h);
    });
    after(() => h.close());

    /** Every event after `from` (all pages), and where the reader ends. */
    const drain = async (from = '', token = org.token, limit = 3) => {
      await feedCaughtUp();
      const events: Event[] = [];
      let position = from;
      for (let pages = 0; pages < 100; pages++) {
        const r = await call(h, { path: `/api/v2/events?limit=${limit}${position ? `&after=${encodeURIComponent(position)}` : ''}`, token });
        assert.equal(r.status, 200, r.raw);
        events.push(...r.body.entities);
        if (r.body.next === position) break;
        position = r.body.next;
        if (r.body.entities.length === 0 && pages > 0) break;
      }
      return { events, position };
    };
    const start = async () => (await drain('', org.token, 1000)).position;

    test('a user\'s life as events, in order, each with the version its change made', async () => {
      const from = await start();
      const made = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`life.${randomUUID().slice(0, 6)}@contoso.com`, { title: 'Engineer' }) });
      const id = made.body.id as string;
      const titled = await call(h, { method: 'PATCH', path: `/Users/${id}`, token: org.token, body: patchOp({ op: 'replace', path: 'title', value: 'Manager' }) });
      const off = await call(h, { method: 'PATCH', path: `/Users/${id}`, token: org.token, body: patchOp({ op: 'replace', path: 'active', value: false }) });
      const on = await call(h, { method: 'PATCH', path: `/Users/${id}`, token: org.token, body: patchOp({ op: 'replace', path: 'active', value: true }) });
      assert.equal((await call(h, { method: 'DELETE', path: `/Users/${id}`, token: org.token })).status, 204);
      const { events } = await drain(from);
      assert.deepEqual(events.map((e) => e.type), ['user.created', 'user.updated', 'user.deactivated', 'user.reactivated', 'user.deleted']);
      assert.deepEqual(events.map((e) => e.resource.version).slice(0, 4), [made.headers.etag, titled.headers.etag, off.headers.etag, on.headers.etag]);
      assert.ok(events.every((e) => e.resource.id === id && e.actor.clientId === org.clientId));
      assert.deepEqual(events[1].attributes, ['title']);
      assert.ok(events.every((e, i) => i === 0 || e.sequence > events[i - 1].sequence), 'strictly increasing');
      assert.equal(new Set(events.map((e) => e.id)).size, events.length);
    });

    test('membership changes name their members; a group with both adds and removes yields both', async () => {
      const group = await addGroup(h, org, `Events ${randomUUID().slice(0, 6)}`);
      const a = (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`m.a.${randomUUID().slice(0, 6)}@contoso.com`) })).body.id as string;
      const b = (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`m.b.${randomUUID().slice(0, 6)}@contoso.com`) })).body.id as string;
      const from = await start();
      await call(h, { method: 'PATCH', path: `/Groups/${group}`, token: org.token, body: patchOp({ op: 'add', path: 'members', value: [{ value: a }, { value: b }] }) });
      await call(h, { method: 'PATCH', path: `/Groups/${group}`, token: org.token, body: patchOp({ op: 'remove', path: `members[value eq "${a}"]` }) });
      const { events } = await drain(from);
      assert.deepEqual(events.map((e) => [e.type, [...(e.memberIds ?? [])].sort()]), [['group.members_added', [a, b].sort()], ['group.members_removed', [a]]]);
      assert.ok(events.every((e) => e.resource.type === 'Group' && e.resource.id === group && e.resource.version));
    });

    test('no event for a refused write or a validate-only one; the feed pages neither repeat nor skip', async () => {
      const from = await start();
      assert.equal((await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('not-an-email') })).status, 400);
      const checked = await call(h, { method: 'POST', path: '/Users', token: org.token, headers: { prefer: 'validate-only' }, body: entraUser(`checked.${randomUUID().slice(0, 6)}@contoso.com`) });
      assert.equal(checked.status, 201);
      assert.deepEqual((await drain(from)).events, []);
      for (let i = 0; i < 7; i++) await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`page.${i}.${randomUUID().slice(0, 6)}@contoso.com`) });
      const small = await drain(from, org.token, 2);
      const large = await drain(from, org.token, 1000);
      assert.equal(small.events.length, 7);
      assert.deepEqual(small.events.map((e) => e.id), large.events.map((e) => e.id));
      const again = await drain(large.position);
      assert.deepEqual(again.events, [], 'nothing after the end');
      const bad = await call(h, { path: '/api/v2/events?after=forged', token: org.token });
      assert.equal(bad.status, 400);
    });

    test('as server-sent events: the backlog, then each change as it is signalled; Last-Event-ID resumes; a revoked client\'s stream ends', async () => {
      const { app, url } = await listening(h);
      try {
        const reader = await clientWith(h, org, ['events:feed:view']);
        const open = (headers: Record<string, string> = {}) => fetch(`${url}/api/v2/events`, { headers: { authorization: `Bearer ${reader}`, accept: 'text/event-stream', ...headers } });
        const read = async (res: Response, until: (t: string) => boolean, ms = 5000) => {
          const r = res.body!.getReader();
          let text = '';
          const deadline = Date.now() + ms;
          while (!until(text) && Date.now() < deadline) {
            const chunk = await Promise.race([r.read(), new Promise<{ done: true; value: undefined }>((done) => setTimeout(() => done({ done: true, value: undefined }), Math.max(1, deadline - Date.now())))]);
            if (chunk.done) return { text, ended: true, reader: r };
            text += new TextDecoder().decode(chunk.value);
          }
          return { text, ended: false, reader: r };
        };
        await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`backlog.${randomUUID().slice(0, 6)}@contoso.com`) });
        const first = await open();
        assert.equal(first.status, 200);
        assert.match(String(first.headers.get('content-type')), /text\/event-stream/);
        const backlog = await read(first, (t) => /id: \S+/.test(t));
        const lastId = [...backlog.text.matchAll(/^id: (\S+)$/gm)].at(-1)![1];
        const started = Date.now();
        const made = (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`sse.${randomUUID().slice(0, 6)}@contoso.com`) })).body.id as string;
        let more = backlog.text;
        while (!more.includes(made) && Date.now() - started < 5000) more += new TextDecoder().decode((await backlog.reader.read()).value);
        assert.ok(more.includes(made), 'the change arrives');
        assert.ok(Date.now() - started < 2000, 'when it is signalled, not on a timer');
        assert.match(more, /event: user\.created\ndata: \{/);
        await backlog.reader.cancel();
        // Resuming after the backlog's last id: the new user, not the backlog again.
        const resumed = await read(await open({ 'last-event-id': lastId }), (t) => t.includes(made));
        assert.ok(resumed.text.includes(made));
        assert.equal((resumed.text.match(/event: /g) ?? []).length, 1, 'only what came after');
        await resumed.reader.cancel();
        // The client is disabled: its stream ends at the next read.
        const live = await open();
        const clientId = (await call(h, { path: '/api/v2/oauth/clients', token: org.token })).body.entities.find((c: { name: string }) => c.name === 'limited')?.id;
        assert.ok(clientId);
        const ending = read(live, () => false, 5000);
        await new Promise((r) => setTimeout(r, 200));
        await call(h, { method: 'PUT', path: `/api/v2/oauth/clients/${clientId}`, token: org.token, body: { name: 'limited', state: 'inactive' }, headers: { 'content-type': 'application/json' } });
        await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`after.${randomUUID().slice(0, 6)}@contoso.com`) });
        assert.equal((await ending).ended, true, 'the stream ended');
      } finally {
        await app.close();
      }
    });

    test('a division-scoped reader sees its divisions\' users and only those members; another organization nothing; the permission is required', async () => {
      const sales = await addDivision(h, org, `Sales ${randomUUID().slice(0, 4)}`);
      const salesName = (await call(h, { path: `/api/v2/authorization/divisions/${sales}`, token: org.token })).body.name as string;
      const reader = await clientWith(h, org, ['events:feed:view'], sales);
      const from = (await drain('', reader, 1000)).position;
      const inSales = (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`rep.${randomUUID().slice(0, 6)}@contoso.com`, { [ENT]: { division: salesName } }) })).body.id as string;
      const atHome = (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`home.${randomUUID().slice(0, 6)}@contoso.com`) })).body.id as string;
      const group = await addGroup(h, org, `Scoped ${randomUUID().slice(0, 6)}`);
      await call(h, { method: 'PATCH', path: `/Groups/${group}`, token: org.token, body: patchOp({ op: 'add', path: 'members', value: [{ value: inSales }, { value: atHome }] }) });
      await call(h, { method: 'PATCH', path: `/Groups/${group}`, token: org.token, body: patchOp({ op: 'add', path: 'members', value: [{ value: atHome }] }) });
      const { events } = await drain(from, reader);
      assert.deepEqual(events.map((e) => [e.type, e.resource.id, e.memberIds]), [['user.created', inSales, undefined], ['group.members_added', group, [inSales]]]);
      assert.ok(!JSON.stringify(events).includes(atHome), 'nothing of a user outside its divisions');
      const other = await createOrg(h);
      assert.ok(!JSON.stringify((await drain('', other.token, 1000)).events).includes(inSales));
      assert.equal((await call(h, { path: '/api/v2/events', token: await clientWith(h, org, ['audits:audit:view']) })).status, 403);
      const foreign = await call(h, { path: `/api/v2/events?after=${encodeURIComponent(from)}`, token: other.token });
      assert.equal(foreign.status, 400, 'a position is bound to its organization');
    });
  });
}
