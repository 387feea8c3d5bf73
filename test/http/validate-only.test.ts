// Validate-only writes (`Prefer: validate-only`): the answer a real write would get, with
// nothing stored and nothing audited; refused where the write could not be undone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addDivision, call, clientWith, createOrg, ENT, entraUser, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';

const VALIDATE = { prefer: 'validate-only' };

for (const { name: dialect, skip } of DIALECTS) {
  describe(`validate-only (${dialect})`, { skip }, () => {
    let h: Harness;
    let org: Org;
    const auditCount = async () => (await call(h, { path: '/api/v2/audits?pageSize=500', token: org.token })).body.entities.length as number;
    const exists = async (userName: string) => (await call(h, { path: `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, token: org.token })).body.totalResults as number;
    before(async () => {
      h = await startHarness({ dialect });
      org = await createOrg(h);
    });
    after(() => h.close());

    test('announced as RFC 7240 intends: Preference-Applied on every answer to a validate-only write, none in discovery', async () => {
      const spc = (await call(h, { path: '/ServiceProviderConfig', token: org.token })).body;
      assert.deepEqual(spc.schemas, ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig']);
      // The provisioning engine's probe: a validate-only DELETE of an id nobody has.
      const probe = await call(h, { method: 'DELETE', path: '/Users/00000000-0000-4000-8000-000000000000', token: org.token, headers: VALIDATE });
      assert.equal(probe.status, 404);
      assert.equal(probe.headers['preference-applied'], 'validate-only', 'even a refusal says the write was only validated');
      const refused = await call(h, { method: 'POST', path: '/Users', token: org.token, headers: VALIDATE, body: { userName: '' } });
      assert.equal(refused.status, 400);
      assert.equal(refused.headers['preference-applied'], 'validate-only');
      // Where nothing is validated, nothing says it was.
      const bulk = await call(h, { method: 'POST', path: '/Bulk', token: org.token, headers: VALIDATE, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [] } });
      assert.equal(bulk.headers['preference-applied'], undefined);
      const read = await call(h, { path: '/Users', token: org.token, headers: VALIDATE });
      assert.equal(read.headers['preference-applied'], undefined);
    });

    test('a create answers as it would and stores nothing; refusals are the real ones', async () => {
      const audits = await auditCount();
      const ok = await call(h, { method: 'POST', path: '/Users', token: org.token, headers: VALIDATE, body: entraUser('vo.ann@contoso.com') });
      assert.equal(ok.status, 201, ok.raw);
      assert.equal(ok.headers['preference-applied'], 'validate-only');
      assert.equal(ok.headers.location, undefined, 'nothing to locate');
      assert.equal(ok.body.userName, 'vo.ann@contoso.com');
      assert.equal(await exists('vo.ann@contoso.com'), 0);
      assert.equal(await auditCount(), audits, 'no audit record');
      const phone = await call(h, { method: 'POST', path: '/Users', token: org.token, headers: VALIDATE, body: entraUser('vo.bad@contoso.com', { phoneNumbers: [{ type: 'work', value: '317-555-0104' }] }) });
      const real = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('vo.bad@contoso.com', { phoneNumbers: [{ type: 'work', value: '317-555-0104' }] }) });
      assert.deepEqual([phone.status, phone.body.scimType, phone.body.detail], [real.status, real.body.scimType, real.body.detail]);
      assert.equal((await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('vo.ann@contoso.com') })).status, 201, 'the validated userName was not taken');
      const dup = await call(h, { method: 'POST', path: '/Users', token: org.token, headers: VALIDATE, body: entraUser('vo.ann@contoso.com') });
      assert.deepEqual([dup.status, dup.body.scimType], [409, 'uniqueness']);
      const sales = await addDivision(h, org, 'VO Sales');
      const scoped = await clientWith(h, org, ['directory:user:*'], sales);
      const outside = await call(h, { method: 'POST', path: '/Users', token: scoped, headers: VALIDATE, body: entraUser('vo.home@contoso.com') });
      assert.equal(outside.status, 403, 'permissions per division are checked');
      assert.equal((await call(h, { method: 'POST', path: '/Users', token: scoped, headers: VALIDATE, body: entraUser('vo.sales@contoso.com', { [ENT]: { division: 'VO Sales' } }) })).status, 201);
    });

    test('PATCH, PUT and DELETE answer as they would; the user is unchanged', async () => {
      const u = (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('vo.bob@contoso.com', { title: 'Engineer' }) })).body;
      const audits = await auditCount();
      const patch = await call(h, { method: 'PATCH', path: `/Users/${u.id}`, token: org.token, headers: VALIDATE, body: patchOp({ op: 'replace', path: 'title', value: 'Manager' }) });
      assert.equal(patch.status, 200);
      assert.equal(patch.body.title, 'Manager');
      const bad = await call(h, { method: 'PATCH', path: `/Users/${u.id}`, token: org.token, headers: { prefer: 'return=minimal, validate-only' }, body: patchOp({ op: 'replace', path: 'userName', value: 'not an email' }) });
      assert.equal(bad.status, 400);
      const put = await call(h, { method: 'PUT', path: `/Users/${u.id}`, token: org.token, headers: VALIDATE, body: { ...entraUser('vo.bob@contoso.com'), title: 'CEO' } });
      assert.equal(put.status, 200);
      const del = await call(h, { method: 'DELETE', path: `/Users/${u.id}`, token: org.token, headers: VALIDATE });
      assert.equal(del.status, 204);
      const now = await call(h, { path: `/Users/${u.id}`, token: org.token });
      assert.equal(now.status, 200);
      assert.equal(now.body.title, 'Engineer');
      assert.equal(now.body.meta.version, u.meta.version);
      assert.equal(await auditCount(), audits);
    });

    test('refused, with nothing done, where a write cannot be validated', async () => {
      const bulk = await call(h, { method: 'POST', path: '/Bulk', token: org.token, headers: VALIDATE, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [{ method: 'POST', path: '/Users', bulkId: 'a', data: entraUser('vo.bulk@contoso.com') }] } });
      assert.equal(bulk.status, 501);
      assert.equal(await exists('vo.bulk@contoso.com'), 0);
      const admin = await call(h, { method: 'POST', path: '/api/v2/authorization/divisions', token: org.token, headers: VALIDATE, body: { name: 'VO never' } });
      assert.equal(admin.status, 501);
      assert.ok(!(await call(h, { path: '/api/v2/authorization/divisions', token: org.token })).raw.includes('VO never'));
    });

    test('a refused validate-only write is marked as such in Activity and counted apart from real operations', async () => {
      const metric = async (name: string, outcome: string) => {
        const line = (await h.app.metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`${name}{`) && l.includes('resource_type="User"') && l.includes('operation="create"') && l.includes(`outcome="${outcome}"`));
        return line ? Number(line.split(' ').pop()) : 0;
      };
      const before = { real: await metric('scimitar_scim_operations_total', 'client_error'), realOk: await metric('scimitar_scim_operations_total', 'success'), checks: await metric('scimitar_scim_validate_only_total', 'client_error'), checksOk: await metric('scimitar_scim_validate_only_total', 'success') };
      const refused = await call(h, { method: 'POST', path: '/Users', token: org.token, headers: VALIDATE, body: entraUser('vo.check@contoso.com', { phoneNumbers: [{ type: 'work', value: 'not a phone' }] }) });
      assert.equal(refused.status, 400);
      assert.equal((await call(h, { method: 'POST', path: '/Users', token: org.token, headers: VALIDATE, body: entraUser('vo.fine@contoso.com') })).status, 201);
      const real = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('vo.real@contoso.com', { phoneNumbers: [{ type: 'work', value: 'not a phone' }] }) });
      assert.equal(real.status, 400);
      assert.equal(await metric('scimitar_scim_operations_total', 'client_error'), before.real + 1, 'only the real write counts as an operation');
      assert.equal(await metric('scimitar_scim_operations_total', 'success'), before.realOk);
      assert.equal(await metric('scimitar_scim_validate_only_total', 'client_error'), before.checks + 1);
      assert.equal(await metric('scimitar_scim_validate_only_total', 'success'), before.checksOk + 1);

      await h.app.refusals.flush();
      const feed = (await call(h, { path: '/api/v2/activity?outcome=refused&pageSize=20', token: org.token })).body.entries as { text: string; details: string[]; validateOnly?: boolean }[];
      const check = feed.find((e) => e.text.includes('vo.check@contoso.com'))!;
      const write = feed.find((e) => e.text.includes('vo.real@contoso.com'))!;
      assert.equal(check.validateOnly, true);
      assert.match(check.text, /checked \(validate-only\) whether it may create user vo\.check@contoso\.com/);
      assert.match(check.details[0], /Prefer: validate-only/);
      assert.equal(write.validateOnly, undefined);
      assert.match(write.text, /tried to create user vo\.real@contoso\.com/);
    });
  });
}
