// Secret tokens for Entra's "Secret Token" field: issued for a client with a lifetime of up to
// 365 days, shown once, listed without their value, revoked one by one (and with the client's
// secret), warned about 7 days before they expire (API, console, metric); on both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, consoleAdmin, createOrg, startHarness, type Harness, type Org } from '../../helpers/harness.ts';
import { DIALECTS } from '../../helpers/dialects.ts';

const JSON_TYPE = { 'content-type': 'application/json' };

for (const { name: dialect, skip } of DIALECTS) {
  describe(`secret tokens (${dialect})`, async () => {
    let h: Harness;
    let org: Org;
    before(async () => {
      if (skip) return;
      h = await startHarness({ dialect });
      org = await createOrg(h);
    });
    after(async () => {
      if (!skip) await h.close();
    });
    const admin = (method: 'GET' | 'POST' | 'DELETE' | 'PUT', path: string, body?: unknown) => call(h, { method, path, token: org.token, ...(body !== undefined ? { body, headers: JSON_TYPE } : {}) });
    const newClient = async (name: string) => (await admin('POST', '/api/v2/oauth/clients', { name, roleDivisions: [{ roleId: org.scimRoleId, divisionId: '*' }] })).body as { id: string; secret: string };

    test('issued once, authenticates SCIM, listed without its value, revoked at once', { skip }, async () => {
      const client = await newClient('Entra (secret token)');
      const issued = await admin('POST', `/api/v2/oauth/clients/${client.id}/tokens`, { expiresInDays: 200 });
      assert.equal(issued.status, 201, issued.raw);
      assert.match(issued.body.token, /^[A-Za-z0-9_-]{40,}$/);
      assert.ok(Math.abs(Date.parse(issued.body.dateExpires) - (Date.now() + 200 * 86_400_000)) < 60_000);
      assert.equal(issued.body.expiresSoon, false);
      assert.equal((await call(h, { path: '/Users', token: issued.body.token })).status, 200, 'a SCIM bearer token');
      const listed = await admin('GET', `/api/v2/oauth/clients/${client.id}/tokens`);
      assert.deepEqual(listed.body.entities.map((t: { id: string }) => t.id), [issued.body.id]);
      assert.ok(!listed.raw.includes(issued.body.token), 'never listed with its value');
      const defaulted = await admin('POST', `/api/v2/oauth/clients/${client.id}/tokens`);
      assert.equal(defaulted.status, 201, defaulted.raw);
      assert.ok(Math.abs(Date.parse(defaulted.body.dateExpires) - (Date.now() + 180 * 86_400_000)) < 60_000, '180 days by default');
      assert.equal((await admin('DELETE', `/api/v2/oauth/clients/${client.id}/tokens/${issued.body.id}`)).status, 204);
      const refused = await call(h, { path: '/Users', token: issued.body.token });
      assert.equal(refused.status, 401, 'revoked at once');
      assert.equal((await admin('DELETE', `/api/v2/oauth/clients/${client.id}/tokens/${issued.body.id}`)).status, 404);
      assert.equal((await call(h, { path: '/Users', token: defaulted.body.token })).status, 200, 'the other token lives on');
      const audit = (await call(h, { path: `/api/v2/audits?resourceId=${client.id}`, token: org.token })).body.entities.map((e: { action: string }) => e.action);
      assert.deepEqual(audit, ['create', 'issueSecretToken', 'issueSecretToken', 'revokeSecretToken']);
      assert.ok(!JSON.stringify(audit).includes(defaulted.body.token));
    });

    test('bad lifetimes and disabled clients are refused; rotating the client\'s secret revokes its secret tokens', { skip }, async () => {
      const client = await newClient('Entra (rotate)');
      for (const bad of [0, 366, 1.5, '30', null]) {
        const r = await admin('POST', `/api/v2/oauth/clients/${client.id}/tokens`, { expiresInDays: bad });
        assert.equal(r.status, 400, `${bad}: ${r.raw}`);
        assert.match(r.body.message, /expiresInDays must be a whole number of days from 1 to 365/);
      }
      assert.deepEqual((await admin('GET', `/api/v2/oauth/clients/${client.id}/tokens`)).body.entities, [], 'a refusal issued nothing');
      const t = (await admin('POST', `/api/v2/oauth/clients/${client.id}/tokens`, { expiresInDays: 30 })).body;
      assert.equal((await admin('POST', `/api/v2/oauth/clients/${client.id}/secret`)).status, 200);
      assert.equal((await call(h, { path: '/Users', token: t.token })).status, 401, 'a new client secret ends its secret tokens');
      assert.equal((await admin('PUT', `/api/v2/oauth/clients/${client.id}`, { name: 'Entra (rotate)', state: 'inactive' })).status, 200);
      const disabled = await admin('POST', `/api/v2/oauth/clients/${client.id}/tokens`, { expiresInDays: 30 });
      assert.equal(disabled.status, 400);
      assert.match(disabled.body.message, /disabled/);
    });

    test('a token that expires within 7 days is flagged in the API, on the Connect page and in the metric', { skip }, async () => {
      const client = await newClient('Entra (expiring)');
      const before = await metric();
      const t = (await admin('POST', `/api/v2/oauth/clients/${client.id}/tokens`, { expiresInDays: 5 })).body;
      assert.equal(t.expiresSoon, true);
      assert.equal(await metric(), before + 1);
      const cookie = await consoleAdmin(h.app, org.organization.id, `root.${dialect}@x.test`);
      const connect = (await h.app.inject({ url: '/console', headers: { cookie } })).body;
      assert.match(connect, /role="alert">The secret token of Entra \(expiring\) expires on \d{4}-\d{2}-\d{2}\./);
      assert.match(connect, /expires soon/);
    });

    async function metric(): Promise<number> {
      await h.app.metrics.refresh(); // the server's hourly sweep does this
      const line = (await h.app.metrics.registry.metrics()).split('\n').find((l) => l.startsWith('scimitar_secret_tokens_expiring '));
      return Number(line?.split(' ')[1] ?? NaN);
    }
  });
}
