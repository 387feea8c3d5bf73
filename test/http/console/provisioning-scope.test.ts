// A console user whose role holds provisioning:job:* on Sales only, over HTTP: the Provisioning
// page lists only Sales jobs, a job made from the form reads Sales only, and the
// organization-wide job is neither shown nor started (nor its mappings changed) by replaying
// its forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addDivision, call, createOrg, entraUser, ENT, startHarness } from '../../helpers/harness.ts';

test('a console user scoped to Sales sees, makes and runs only Sales jobs', async () => {
  const h = await startHarness({ secretKey: 'a console scope test secret key, 32+ long', webhookAllowHttpLoopback: true });
  try {
    const org = await createOrg(h, 'genesys', 'Scoped Org');
    const sales = await addDivision(h, org, 'Sales');
    const admin = (method: 'POST' | 'PUT', path: string, body: unknown) => call(h, { method, path, token: org.token, body, headers: { 'content-type': 'application/json' } });
    const all = await admin('POST', '/api/v2/provisioning/jobs', { name: 'Every division job', target: { url: 'http://127.0.0.1:9/scim', token: 't' } });
    assert.equal(all.status, 201, all.raw);
    const role = await admin('POST', '/api/v2/authorization/roles', { name: 'Sales provisioner', permissions: ['provisioning:job:view', 'provisioning:job:add', 'provisioning:job:edit', 'provisioning:job:run', 'directory:user:view'] });
    const user = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('sam@contoso.com', { password: 'a long console password', [ENT]: { division: 'Sales' } }) });
    assert.equal((await admin('PUT', `/api/v2/users/${user.body.id}/grants`, { grants: [{ roleId: role.body.id, divisionId: sales }] })).status, 200);
    const signIn = await h.app.inject({ method: 'POST', url: '/console/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ organization: 'Scoped Org', userName: 'sam@contoso.com', password: 'a long console password' }).toString() });
    const cookie = String(signIn.headers['set-cookie']).split(';')[0];
    const page = async (url: string) => h.app.inject({ url, headers: { cookie } });
    const list = await page('/console/provisioning');
    assert.equal(list.statusCode, 200);
    assert.ok(!list.body.includes('Every division job') && !list.body.includes(all.body.id), 'the organization-wide job is not listed');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(list.body)![1];
    const post = (url: string, fields: Record<string, string>) =>
      h.app.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString() });
    const made = await post('/console/provisioning', { _form: 'job', name: 'Sales job', url: 'http://127.0.0.1:9/scim', token: 't' });
    assert.equal(made.statusCode, 303, made.body);
    const jobs = await h.store.listJobs(org.organization.id);
    const salesJob = jobs.find((j) => j.name === 'Sales job')!;
    assert.deepEqual(salesJob.config.divisionIds, [sales], 'a job made by a Sales user reads Sales only');
    // The form's Microsoft Graph source: a job that reads Graph, its secret sealed.
    const fromGraph = await post('/console/provisioning', { _form: 'job', name: 'Graph job', source: 'graph', graphTenant: 'contoso', graphClientId: 'app-1', graphClientSecret: 'form-graph-secret', url: 'http://127.0.0.1:9/scim', token: 't' });
    assert.equal(fromGraph.statusCode, 303, fromGraph.body);
    const graphJob = (await h.store.listJobs(org.organization.id)).find((j) => j.name === 'Graph job')!;
    assert.deepEqual([(graphJob.config.source as { type: string }).type, (graphJob.config.source as { tenantId: string }).tenantId], ['graph', 'contoso']);
    assert.ok(!JSON.stringify(graphJob).includes('form-graph-secret'), 'sealed');
    assert.match((await page(`/console/provisioning/${graphJob.id}`)).body, /Microsoft Graph: tenant <code>contoso<\/code>/);
    assert.match((await page('/console/provisioning')).body, /Sales job/);
    assert.equal((await page(`/console/provisioning/${all.body.id}`)).statusCode, 404);
    assert.equal((await post(`/console/provisioning/${all.body.id}/start`, {})).statusCode, 303);
    assert.equal((await post(`/console/provisioning/${all.body.id}/mappings`, { mappings: '{"users": []}' })).statusCode, 404);
    assert.equal((await post(`/console/provisioning/${all.body.id}/mappings/row`, { kind: 'users', index: '', was: '', type: 'constant', source: 'x', target: 'title', apply: 'always' })).statusCode, 303);
    assert.equal((await post(`/console/provisioning/${all.body.id}/mappings/row/delete`, { kind: 'users', index: '0', was: 'userName' })).statusCode, 303);
    assert.equal((await post(`/console/provisioning/${all.body.id}/scoping`, { filter: 'new', attribute: 'department', operator: 'EQUALS', value: 'x' })).statusCode, 303);
    const untouched = await h.store.getJob(org.organization.id, all.body.id);
    assert.equal(untouched?.status, 'stopped');
    assert.equal(untouched?.config.mappings, undefined);
    assert.equal(untouched?.config.scopingFilters, undefined);
  } finally {
    await h.close();
  }
});
