// The activity feed: accepted changes and refused requests, newest first, in words; refused
// requests recorded with their reason and a redacted body; visible only to whom they may
// be; paged by a cursor that neither repeats nor skips.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addDivision, addGroup, call, clientWith, createOrg, ENT, entraUser, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { redactedExcerpt } from '../../src/directory/refusals.ts';
import { DIALECTS } from '../helpers/dialects.ts';

for (const { name: dialect, skip } of DIALECTS) {
  describe(`activity feed (${dialect})`, { skip }, () => {
    let h: Harness;
    let org: Org;
    let alice: string;
    let group: string;
    const feed = async (query = '', token = org.token) => {
      await h.app.refusals.flush();
      const r = await call(h, { path: `/api/v2/activity${query}`, token });
      assert.equal(r.status, 200, r.raw);
      return r.body as { entries: { text: string; outcome: string; kind: string; details: string[]; actor: string; status?: number }[]; cursor?: string };
    };

    before(async () => {
      h = await startHarness({ dialect });
      org = await createOrg(h);
      group = await addGroup(h, org, 'Sales Team');
      const a = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('alice@contoso.com', { displayName: 'Alice Adams', title: 'Engineer' }) });
      alice = a.body.id;
      await call(h, { method: 'PATCH', path: `/Users/${alice}`, token: org.token, body: patchOp({ op: 'replace', path: 'title', value: 'Manager' }) });
      await call(h, { method: 'PATCH', path: `/Groups/${group}`, token: org.token, body: patchOp({ op: 'add', path: 'members', value: [{ value: alice }] }) });
      const refused = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('dave@contoso.com', { password: 'Sup3r-secret!', phoneNumbers: [{ type: 'work', value: '317-555-0104' }] }) });
      assert.equal(refused.status, 400);
    });
    after(() => h.close());

    test('changes and refusals in words, newest first', async () => {
      const { entries } = await feed();
      const texts = entries.map((e) => e.text);
      const refusal = entries[0];
      assert.equal(refusal.outcome, 'refused');
      assert.match(refusal.text, /^Admin client tried to create user dave@contoso\.com: Phone number "317-555-0104" \(type work\) is not valid: use E\.164/);
      assert.equal(refusal.status, 400);
      assert.ok(!JSON.stringify(refusal).includes('Sup3r-secret!'), 'the password is never stored');
      assert.ok(refusal.details.some((d) => d.includes('"password":"[redacted]"')), refusal.details.join('\n'));
      assert.equal(texts[1], 'Admin client added Alice Adams to Sales Team');
      assert.equal(texts[2], 'Admin client changed user Alice Adams');
      assert.deepEqual(entries[2].details, ['title: Engineer -> Manager']);
      assert.equal(texts[3], 'Admin client created user Alice Adams');
    });

    test('filters: outcome, kind, actor, resource, time', async () => {
      assert.deepEqual((await feed('?outcome=refused')).entries.map((e) => e.outcome), ['refused']);
      assert.ok((await feed('?outcome=accepted')).entries.every((e) => e.outcome === 'accepted'));
      assert.deepEqual((await feed('?kind=Group')).entries.map((e) => e.text), ['Admin client added Alice Adams to Sales Team']);
      assert.equal((await feed(`?resource=${alice}`)).entries.length, 2);
      assert.deepEqual((await feed(`?actor=${org.clientId}&from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).entries, []);
      assert.equal((await call(h, { path: '/api/v2/activity?from=yesterday', token: org.token })).status, 400);
    });

    test('a cursor walk neither repeats nor skips, across both sources', async () => {
      for (let i = 0; i < 5; i++) {
        await call(h, { method: 'PATCH', path: `/Users/${alice}`, token: org.token, body: patchOp({ op: 'replace', path: 'title', value: `T${i}` }) });
        await call(h, { method: 'PATCH', path: `/Users/${alice}`, token: org.token, body: patchOp({ op: 'replace', path: 'phoneNumbers', value: [{ type: 'work', value: 'not a phone' }] }) });
      }
      const all = (await feed('?pageSize=200')).entries.map((e) => e.text + e.details.join());
      const walked: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await feed(`?pageSize=3${cursor ? `&cursor=${cursor}` : ''}`);
        walked.push(...page.entries.map((e) => e.text + e.details.join()));
        cursor = page.cursor;
      } while (cursor);
      assert.deepEqual(walked, all);
      assert.equal(all.filter((t) => t.includes('tried to change user')).length, 5);
      assert.equal((await call(h, { path: '/api/v2/activity?cursor=bogus', token: org.token })).status, 400);
    });

    test('each changed attribute comes whole, old beside new, multi-valued ones by value, extensions by name', async () => {
      const long = `${'x'.repeat(300)}@contoso.com`;
      const u = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('diff@contoso.com', { title: 'Engineer', phoneNumbers: [{ type: 'work', value: '+13175550100' }], emails: [{ type: 'work', value: 'diff@contoso.com', primary: true }] }) });
      await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: org.token, body: patchOp({ op: 'replace', path: 'title', value: 'Manager' }, { op: 'add', path: 'phoneNumbers', value: [{ type: 'mobile', value: '+13175550199' }] }, { op: 'replace', path: 'emails[type eq "work"].value', value: long }, { op: 'replace', path: `${ENT}:department`, value: 'Ops' }) });
      const entry = (await feed(`?resource=${u.body.id}&pageSize=5`)).entries.find((e) => e.text.includes('changed user')) as unknown as { changes: { attribute: string; before?: string; after?: string }[] };
      const byName = Object.fromEntries(entry.changes.map((c) => [c.attribute, c]));
      assert.deepEqual(byName.title, { attribute: 'title', before: 'Engineer', after: 'Manager' });
      assert.equal(byName.phoneNumbers.after, '+13175550100 (work), +13175550199 (mobile)');
      assert.ok(byName.emails.after!.includes(long), 'never cut in the middle of a value');
      assert.deepEqual(byName['department (enterprise)'], { attribute: 'department (enterprise)', after: 'Ops' });
      // A manager by name, not by id.
      const boss = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('diff.boss@contoso.com', { displayName: 'Diff Boss' }) });
      await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: org.token, body: patchOp({ op: 'add', path: `${ENT}:manager`, value: boss.body.id }) });
      const managed = (await feed(`?resource=${u.body.id}&pageSize=1`)).entries[0] as unknown as { changes: { attribute: string; after?: string }[] };
      assert.deepEqual(managed.changes.find((c) => c.attribute === 'manager (enterprise)')?.after, 'Diff Boss');
    });

    test('names, not ids: grants by role and division, a deleted member by its last name', async () => {
      const admin = (m: 'POST' | 'DELETE', path: string, body?: unknown) => call(h, { method: m, path: `/api/v2${path}`, token: org.token, body });
      const role = await admin('POST', '/authorization/roles', { name: 'Readers', permissions: ['directory:user:view'] });
      const division = await addDivision(h, org, 'Support');
      const client = await admin('POST', '/oauth/clients', { name: 'Reporting', authorizedGrantType: 'CLIENT-CREDENTIALS', roleDivisions: [{ roleId: role.body.id, divisionId: division }, { roleId: role.body.id, divisionId: '*' }] });
      assert.equal(client.status, 201, client.raw);
      const made = (await feed(`?resource=${client.body.id}`)).entries[0] as unknown as { changes: { attribute: string; after?: string }[] };
      assert.equal(made.changes.find((c) => c.attribute === 'roleDivisions')?.after, 'Readers on Support, Readers on every division');

      const bob = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('bob.gone@contoso.com', { displayName: 'Bob Gone' }) });
      await call(h, { method: 'PATCH', path: `/Groups/${group}`, token: org.token, body: patchOp({ op: 'add', path: 'members', value: [{ value: bob.body.id }] }) });
      assert.equal((await call(h, { method: 'DELETE', path: `/Users/${bob.body.id}`, token: org.token })).status, 204);
      const texts = (await feed(`?resource=${group}`)).entries.map((e) => e.text);
      assert.ok(texts.includes('Admin client added Bob Gone (deleted) to Sales Team'), JSON.stringify(texts));
      assert.ok(!texts.some((t) => t.includes(bob.body.id)), 'no id where a name is known');
    });

    test('activity cursors are sealed: unreadable, unforgeable, and bound to the organization', async () => {
      const first = await feed('?pageSize=2');
      assert.ok(first.cursor);
      assert.doesNotMatch(Buffer.from(first.cursor, 'base64url').toString('latin1'), /"a"|"r"|Done/, 'no position in the clear');
      // The readable shape positions once had, with a position the store cannot compare.
      const readable = Buffer.from(JSON.stringify({ a: 'x', r: { seq: 1 } })).toString('base64url');
      const other = await createOrg(h);
      const tampered = Buffer.from(first.cursor, 'base64url');
      tampered[20] ^= 1;
      for (const [cursor, token] of [[readable, org.token], [first.cursor, other.token], [tampered.toString('base64url'), org.token]] as const) {
        const r = await call(h, { path: `/api/v2/activity?cursor=${cursor}`, token });
        assert.equal(r.status, 400, r.raw);
        assert.match(r.body.message, /not one this server issued/);
      }
    });

    test('a division-scoped viewer sees its divisions\' changes and no refusals; another organization sees nothing', async () => {
      const sales = await addDivision(h, org, 'Sales');
      await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('rep@contoso.com', { [ENT]: { division: 'Sales' } }) });
      const scoped = await clientWith(h, org, ['audits:audit:view', 'directory:user:view'], sales);
      const seen = await feed('?pageSize=200', scoped);
      assert.ok(seen.entries.some((e) => e.text === 'Admin client created user rep'), JSON.stringify(seen.entries.map((e) => e.text)));
      assert.ok(!seen.entries.some((e) => e.text.includes('alice') || e.text.includes('Alice') || e.outcome === 'refused'), JSON.stringify(seen.entries.map((e) => e.text)));
      const other = await createOrg(h);
      assert.deepEqual((await feed('', other.token)).entries.filter((e) => !e.text.includes('created')), []);
      assert.ok(!JSON.stringify(await feed('?pageSize=200', other.token)).includes('contoso'));
      assert.equal((await call(h, { path: '/api/v2/activity', token: await clientWith(h, org, ['directory:user:view']) })).status, 403);
    });
  });
}

test('redaction: password keys, PatchOp password values, secrets; long bodies are cut', () => {
  const text = redactedExcerpt({ userName: 'a', password: 'p1', nested: { client_secret: 's', x: 1 }, Operations: [{ op: 'replace', path: 'password', value: 'p2' }, { op: 'replace', path: 'title', value: 'ok' }] })!;
  for (const secret of ['p1', '"s"', 'p2']) assert.ok(!text.includes(secret), text);
  assert.match(text, /"title","value":"ok"/);
  assert.equal(redactedExcerpt({ a: 'x'.repeat(5000) })!.length, 2001);
  assert.equal(redactedExcerpt(undefined), undefined);
});
