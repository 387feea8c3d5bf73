import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createOrg, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { digest } from '../../src/auth/secrets.ts';

let h: Harness;
let org: Org;
before(async () => {
  h = await startHarness();
  org = await createOrg(h);
});
after(() => h.close());

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = 'application/x-www-form-urlencoded';

test('issues a bearer token for HTTP Basic client credentials', async () => {
  const r = await call(h, { method: 'POST', path: '/oauth/token', headers: { authorization: basic(org.clientId, org.clientSecret), 'content-type': form }, body: 'grant_type=client_credentials' });
  assert.equal(r.status, 200);
  assert.equal(r.body.token_type, 'bearer');
  assert.equal(r.body.expires_in, 3600);
  assert.match(r.body.access_token, /^[A-Za-z0-9_-]{40,}$/);
  assert.equal(r.headers['cache-control'], 'no-store');
  const ok = await call(h, { path: '/Users?filter=userName eq "nobody@x.com"', token: r.body.access_token });
  assert.equal(ok.status, 200);
});

test('accepts client_id and client_secret as form fields', async () => {
  const body = `grant_type=client_credentials&client_id=${encodeURIComponent(org.clientId)}&client_secret=${encodeURIComponent(org.clientSecret)}`;
  const r = await call(h, { method: 'POST', path: '/oauth/token', headers: { 'content-type': form }, body });
  assert.equal(r.status, 200);
});

test('answers RFC 6749 errors', async () => {
  const cases: [Record<string, string>, string, number, string][] = [
    [{ authorization: basic(org.clientId, 'wrong'), 'content-type': form }, 'grant_type=client_credentials', 401, 'invalid_client'],
    [{ authorization: basic('no-such-client', org.clientSecret), 'content-type': form }, 'grant_type=client_credentials', 401, 'invalid_client'],
    [{ 'content-type': form }, 'grant_type=client_credentials', 401, 'invalid_client'],
    [{ authorization: basic(org.clientId, org.clientSecret), 'content-type': form }, '', 400, 'invalid_request'],
    [{ authorization: basic(org.clientId, org.clientSecret), 'content-type': form }, 'grant_type=password', 400, 'unsupported_grant_type'],
    [{ authorization: basic(org.clientId, org.clientSecret), 'content-type': form }, `grant_type=client_credentials&client_id=${org.clientId}&client_secret=x`, 400, 'invalid_request'],
    [{ authorization: basic(org.clientId, org.clientSecret), 'content-type': form }, 'grant_type=client_credentials&grant_type=client_credentials', 400, 'invalid_request'],
    [{ authorization: basic(org.clientId, org.clientSecret), 'content-type': 'application/json' }, '{"grant_type":"client_credentials"}', 400, 'invalid_request'],
    [{ authorization: basic(org.clientId, org.clientSecret), 'content-type': 'text/plain' }, 'grant_type=client_credentials', 400, 'invalid_request'],
    [{ authorization: 'Bearer abc', 'content-type': form }, 'grant_type=client_credentials', 401, 'invalid_client'],
  ];
  for (const [headers, body, status, error] of cases) {
    const r = await call(h, { method: 'POST', path: '/oauth/token', headers, body });
    assert.equal(r.status, status, `${JSON.stringify(headers)} ${body}: ${r.raw}`);
    assert.equal(r.body.error, error, r.raw);
    assert.equal(typeof r.body.error_description, 'string');
  }
});

test('stores tokens and secrets only as hashes', async () => {
  const r = await call(h, { method: 'POST', path: '/oauth/token', headers: { authorization: basic(org.clientId, org.clientSecret), 'content-type': form }, body: 'grant_type=client_credentials' });
  const token = r.body.access_token as string;
  assert.equal(await h.store.getToken(token), undefined, 'the clear token is not a key');
  assert.ok(await h.store.getToken(digest(token)));
  const client = await h.store.getClient(org.clientId);
  assert.notEqual(client?.secretHash, org.clientSecret);
  assert.equal(client?.secretHash, digest(org.clientSecret));
});

test('revoking a client takes effect at once on this node; an inactive client gets no token', async () => {
  const other = await createOrg(h);
  assert.equal((await call(h, { path: '/Users', token: other.token })).status, 200);
  await h.services.tokens.revokeClient(other.clientId);
  const r = await call(h, { path: '/Users', token: other.token });
  assert.equal(r.status, 401);
  assert.equal(r.body.status, '401');
  assert.match(r.headers['www-authenticate'] as string, /^Bearer/);
  const client = (await h.store.getClient(other.clientId))!;
  await h.store.updateClient({ ...client, state: 'inactive' });
  const t = await call(h, { method: 'POST', path: '/oauth/token', headers: { authorization: basic(other.clientId, other.clientSecret), 'content-type': form }, body: 'grant_type=client_credentials' });
  assert.equal(t.status, 401);
});

test('a revocation made elsewhere (directly in the store) is seen once the cache entry ages out', async () => {
  const quick = await startHarness({ tokenCacheTtlMs: 50 });
  try {
    const o = await createOrg(quick);
    assert.equal((await call(quick, { path: '/Users', token: o.token })).status, 200);
    await quick.store.deleteTokensOfClient(o.clientId); // as another node would
    await new Promise((r) => setTimeout(r, 80));
    assert.equal((await call(quick, { path: '/Users', token: o.token })).status, 401);
  } finally {
    await quick.close();
  }
});

test('rejects missing, malformed and unknown bearer tokens with 401', async () => {
  for (const authorization of [undefined, 'Bearer', 'Basic abc', 'Bearer nope', `Bearer ${org.token}x`]) {
    const r = await call(h, { path: '/Users', headers: authorization ? { authorization } : {} });
    assert.equal(r.status, 401, String(authorization));
    assert.deepEqual(r.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
  }
});
