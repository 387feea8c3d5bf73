// The request log: every API request, reads and 401s included, with who made it, how it
// authenticated and why it was refused; filters; the 24-hour summary; who may read it; and
// organizations never see each other's requests. On both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addDivision, call, clientWith, createOrg, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
type Entry = { path: string; status: number; auth: string; client: string; detail?: string; outcome: string; method: string; durationMs: number };

for (const { name: dialect, skip } of DIALECTS) {
  describe(`request log (${dialect})`, async () => {
    let h: Harness;
    let org: Org;
    let now = Date.now();
    before(async () => {
      if (skip) return;
      h = await startHarness({ dialect, now: () => now, tokenCacheTtlMs: 0 });
      org = await createOrg(h, 'genesys', `Requests ${dialect}`);
    });
    after(async () => {
      if (!skip) await h.close();
    });
    const log = async (query = '', token = org.token) => {
      await h.app.requestLog.flush();
      const r = await call(h, { path: `/api/v2/requests?pageSize=200${query}`, token });
      assert.equal(r.status, 200, r.raw);
      return r.body.entries as Entry[];
    };

    test('a read, a 401 with an unknown token and a 401 with an expired one, each with its reason', { skip }, async () => {
      const probe = 'userName eq "probe-read@contoso.com"';
      assert.equal((await call(h, { path: `/Users?filter=${encodeURIComponent(probe)}`, token: org.token })).status, 200);
      assert.equal((await call(h, { path: '/Users?marker=unknown-token', token: 'not-a-token-this-server-issued' })).status, 401);
      // A token of a client that expires: the log names whose it was.
      const shortLived = (await call(h, { method: 'POST', path: '/api/v2/oauth/clients', token: org.token, headers: { 'content-type': 'application/json' }, body: { name: 'Short-lived', roleDivisions: [{ roleId: org.scimRoleId, divisionId: '*' }], accessTokenValiditySeconds: 300 } })).body;
      const issued = await h.app.inject({ method: 'POST', url: '/oauth/token', headers: FORM, payload: `grant_type=client_credentials&client_id=${shortLived.id}&client_secret=${shortLived.secret}` });
      const expiring = issued.json().access_token as string;
      now += 301_000;
      assert.equal((await call(h, { path: '/Users?marker=expired-token', token: expiring })).status, 401);
      assert.equal((await call(h, { path: '/Users?marker=no-token' })).status, 401);
      const wrong = await h.app.inject({ method: 'POST', url: '/oauth/token', headers: FORM, payload: `grant_type=client_credentials&client_id=${shortLived.id}&client_secret=wrong` });
      assert.equal(wrong.statusCode, 401);
      now = Date.now();
      const fresh = (await h.app.inject({ method: 'POST', url: '/oauth/token', headers: FORM, payload: `grant_type=client_credentials&client_id=${org.clientId}&client_secret=${org.clientSecret}` })).json().access_token;
      const entries = await log('', fresh);
      const find = (part: string) => entries.find((e) => e.path.includes(part));
      const read = find(encodeURIComponent(probe).slice(0, 20)) ?? find('probe-read');
      assert.ok(read, JSON.stringify(entries.map((e) => e.path)));
      assert.equal(read.status, 200);
      assert.equal(read.outcome, 'ok');
      assert.match(read.auth, /^bearer token of /);
      assert.ok(read.durationMs >= 0);
      const unknown = find('marker=unknown-token')!;
      assert.deepEqual([unknown.status, unknown.auth, unknown.client], [401, 'unknown or revoked token', 'unknown or revoked token']);
      assert.match(unknown.detail ?? '', /unknown or revoked/);
      const expired = find('marker=expired-token')!;
      assert.deepEqual([expired.status, expired.auth, expired.client], [401, 'expired token of Short-lived', 'Short-lived']);
      assert.match(expired.detail ?? '', /expired/);
      assert.equal(find('marker=no-token')!.auth, 'no token');
      const token = entries.find((e) => e.path === '/oauth/token' && e.status === 401)!;
      assert.equal(token.auth, 'client secret of Short-lived');
      assert.match(token.detail ?? '', /wrong secret/);
      assert.ok(!JSON.stringify(entries).includes(expiring) && !JSON.stringify(entries).includes(org.clientSecret), 'no token or secret is logged');
      // Filters: status, client, path.
      assert.ok((await log('&status=401', fresh)).every((e) => e.status === 401));
      assert.ok((await log('&status=4xx', fresh)).length >= 4);
      assert.deepEqual((await log(`&path=${encodeURIComponent('marker=expired')}`, fresh)).map((e) => e.status), [401]);
      assert.ok((await log(`&client=${shortLived.id}`, fresh)).every((e) => e.client === 'Short-lived'));
      assert.equal((await call(h, { path: '/api/v2/requests?status=teapot', token: fresh })).status, 400);
      // The summary: 24 hours, today's counts, the last accepted request.
      const summary = (await call(h, { path: '/api/v2/requests/summary', token: fresh })).body;
      assert.equal(summary.hours.length, 24);
      const last = summary.hours.at(-1);
      assert.ok(last.ok >= 1 && last.refused >= 4, JSON.stringify(last));
      assert.ok(summary.lastAccepted.time);
    });

    test('a division-scoped viewer may not read the log; another organization sees none of it', { skip }, async () => {
      const sales = await addDivision(h, org, 'Sales');
      const scoped = await clientWith(h, org, ['audits:audit:view'], sales);
      assert.equal((await call(h, { path: '/api/v2/requests', token: scoped })).status, 403);
      const other = await createOrg(h, 'genesys', `Other ${dialect}`);
      await call(h, { path: `/Users?filter=${encodeURIComponent('userName eq "only-in-the-first@contoso.com"')}`, token: org.token });
      await call(h, { path: '/Users?marker=unattributed-after-two-orgs', token: 'nobody-s-token' });
      const theirs = await log('', other.token);
      assert.ok(!JSON.stringify(theirs).includes('only-in-the-first'), 'the other organization\'s requests are not shown');
      assert.ok(!JSON.stringify(theirs).includes('unattributed'), 'with two organizations, requests of no organization are shown to none');
      assert.ok(!JSON.stringify(await log('')).includes('unattributed-after-two-orgs'));
    });
  });
}

test('with the log off (SCIMITAR_REQUEST_LOG_DAYS=0) no request is recorded, and the API still answers', async () => {
  const h = await startHarness({ requestLog: false });
  try {
    const org = await createOrg(h, 'genesys', 'Requests off');
    assert.equal((await call(h, { path: '/Users?marker=not-recorded', token: org.token })).status, 200);
    assert.equal((await call(h, { path: '/Users', token: 'nobody-s-token' })).status, 401);
    await h.app.requestLog.flush();
    const r = await call(h, { path: '/api/v2/requests', token: org.token });
    assert.equal(r.status, 200, r.raw);
    assert.deepEqual(r.body.entries, []);
  } finally {
    await h.close();
  }
});
