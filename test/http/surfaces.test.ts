// Each surface answers in its own format, set by its own plugin (no dispatch on the URL):
// SCIM errors on the SCIM API, the Genesys shape on the administration API, RFC 6749 bodies
// on the token endpoint; form bodies only where forms belong.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, createOrg, startHarness, type Harness, type Org } from '../helpers/harness.ts';

let h: Harness;
let org: Org;
before(async () => {
  h = await startHarness();
  org = await createOrg(h);
});
after(() => h.close());

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const ask = (method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}, payload?: string) =>
  h.app.inject({ method, url, headers: { authorization: `Bearer ${org.token}`, ...headers }, ...(payload !== undefined ? { payload } : {}) });

test('unknown paths: SCIM error under the SCIM base, the Genesys shape under /api/v2, RFC 6749 under /oauth', async () => {
  const scim = await ask('GET', `${BASE}/Nope`);
  assert.equal(scim.statusCode, 404);
  assert.deepEqual(scim.json().schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
  const admin = await ask('GET', '/api/v2/nope');
  assert.equal(admin.statusCode, 404);
  assert.equal(admin.json().code, 'not.found');
  assert.equal(admin.json().contextId, admin.headers['x-request-id']);
  const oauth = await ask('POST', '/oauth/nope', FORM, 'grant_type=client_credentials');
  assert.equal(oauth.statusCode, 404);
  assert.equal(oauth.json().error, 'invalid_request');
  assert.equal(oauth.headers['cache-control'], 'no-store');
  const other = await ask('GET', '/nowhere');
  assert.equal(other.statusCode, 404);
  assert.deepEqual(other.json().schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
});

test('a form body is 415 on the SCIM and administration APIs, each in its format, and read on the token endpoint', async () => {
  const scim = await ask('POST', `${BASE}/Users`, FORM, 'userName=a%40b.com');
  assert.equal(scim.statusCode, 415);
  assert.deepEqual(scim.json().schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
  const admin = await ask('POST', '/api/v2/groups', FORM, 'name=x');
  assert.equal(admin.statusCode, 415);
  assert.equal(admin.json().code, 'unsupported.media.type');
  const token = await h.app.inject({ method: 'POST', url: '/oauth/token', headers: FORM, payload: `grant_type=client_credentials&client_id=${org.clientId}&client_secret=${encodeURIComponent(org.clientSecret)}` });
  assert.equal(token.statusCode, 200, token.body);
  const repeated = await h.app.inject({ method: 'POST', url: '/oauth/token', headers: FORM, payload: 'grant_type=client_credentials&grant_type=client_credentials' });
  assert.equal(repeated.statusCode, 400);
  assert.equal(repeated.json().error, 'invalid_request');
});
