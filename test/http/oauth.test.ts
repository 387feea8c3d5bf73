import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createOrg, startHarness, tokenFor, type Harness, type Org } from '../helpers/harness.ts';
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

test('failed client authentications are throttled per client id and per address, and audited without the secret', async () => {
  let now = Date.now();
  const t = await startHarness({ now: () => now });
  try {
    const o = await createOrg(t);
    const attempt = (secret: string, address = '203.0.113.7', id = o.clientId) =>
      t.app.inject({ method: 'POST', url: '/oauth/token', remoteAddress: address, headers: { authorization: basic(id, secret), 'content-type': form }, payload: 'grant_type=client_credentials' });
    const statuses: number[] = [];
    for (let i = 0; i < 600; i++) statuses.push((await attempt(`guess-${i}`)).statusCode);
    const refused = statuses.filter((s) => s === 429).length;
    assert.ok(refused > 590, `only ${refused} of 600 guesses were throttled`);
    const locked = await attempt('guess-x');
    assert.equal(locked.statusCode, 429);
    assert.equal(locked.json().error, 'temporarily_unavailable');
    assert.ok(Number(locked.headers['retry-after']) >= 1);
    // The real client, from elsewhere, waits no longer than the current backoff.
    const wait = Number((await attempt(o.clientSecret, '198.51.100.1')).headers['retry-after']);
    assert.ok(wait >= 1 && wait <= 60, `backoff ${wait}`);
    // The guessing address is throttled for other client ids too.
    assert.equal((await attempt('x', '203.0.113.7', 'someone-else')).statusCode, 429);
    now += wait * 1000;
    assert.equal((await attempt(o.clientSecret, '198.51.100.1')).statusCode, 200);
    const audits = await t.store.queryAudits(o.organization.id, { resourceId: o.clientId, limit: 1000 });
    const failed = audits.entities.filter((a) => a.action === 'login.failed');
    assert.equal(failed.length, 600 - refused, 'one record per evaluated failure');
    assert.deepEqual(failed[0].changes, { address: { after: '203.0.113.7' }, reason: { after: 'wrong secret' } });
    assert.ok(!JSON.stringify(audits).includes('guess-'), 'the presented secret is never recorded');
  } finally {
    await t.close();
  }
});

test('bearer refusals carry RFC 6750 error="invalid_token" and say why', async () => {
  let now = Date.now();
  const t = await startHarness({ now: () => now, tokenCacheTtlMs: 0 });
  try {
    const o = await createOrg(t);
    const none = await call(t, { path: '/Users' });
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="scimitar"');
    const unknown = await call(t, { path: '/Users', token: 'not-a-token' });
    assert.match(unknown.headers['www-authenticate'] as string, /^Bearer realm="scimitar", error="invalid_token", error_description="The access token is unknown or revoked"$/);
    now += 3601 * 1000;
    const expired = await call(t, { path: '/Users', token: o.token });
    assert.equal(expired.status, 401);
    assert.match(expired.headers['www-authenticate'] as string, /error="invalid_token", error_description="The access token has expired"/);
    assert.equal(expired.body.detail, 'The access token has expired');
    const fresh = await tokenFor(t, o.clientId, o.clientSecret);
    await t.services.tokens.revokeClient(o.clientId);
    const revoked = await call(t, { path: '/Users', token: fresh });
    assert.match(revoked.headers['www-authenticate'] as string, /error="invalid_token"/);
  } finally {
    await t.close();
  }
});

test('each client has its own token lifetime (Genesys accessTokenValiditySeconds, 300 to 172800 s), shown, audited and used', async () => {
  const admin = (method: 'POST' | 'PUT' | 'GET', path: string, body?: unknown) => call(h, { method, path, token: org.token, body, headers: body ? { 'content-type': 'application/json' } : {} });
  const created = await admin('POST', '/api/v2/oauth/clients', { name: 'Entra, one hour', roleDivisions: [{ roleId: org.scimRoleId, divisionId: '*' }], accessTokenValiditySeconds: 3600 });
  assert.equal(created.status, 201, created.raw);
  assert.equal(created.body.accessTokenValiditySeconds, 3600);
  const issued = await call(h, { method: 'POST', path: '/oauth/token', headers: { authorization: basic(created.body.id, created.body.secret), 'content-type': form }, body: 'grant_type=client_credentials' });
  assert.equal(issued.body.expires_in, 3600);
  const stored = await h.store.getToken(digest(issued.body.access_token));
  assert.ok(stored && Math.abs(stored.expiresAt - (Date.now() + 3600_000)) < 60_000, 'the stored expiry follows the client');
  // Unset: the server's default (this harness: 3600; production: 86400).
  const plain = await admin('POST', '/api/v2/oauth/clients', { name: 'Default lifetime', roleDivisions: [] });
  assert.equal(plain.body.accessTokenValiditySeconds, 3600);
  // Changed later; bounds as Genesys'.
  const changed = await admin('PUT', `/api/v2/oauth/clients/${created.body.id}`, { name: 'Entra, one hour', accessTokenValiditySeconds: 21600 });
  assert.equal(changed.body.accessTokenValiditySeconds, 21600);
  assert.equal((await call(h, { method: 'POST', path: '/oauth/token', headers: { authorization: basic(created.body.id, created.body.secret), 'content-type': form }, body: 'grant_type=client_credentials' })).body.expires_in, 21600);
  for (const bad of [299, 172801, 3600.5, '3600', null, -1]) {
    const r = await admin('PUT', `/api/v2/oauth/clients/${created.body.id}`, { name: 'x', accessTokenValiditySeconds: bad });
    assert.equal(r.status, 400, `${bad}: ${r.raw}`);
    assert.match(r.body.message, /accessTokenValiditySeconds must be a whole number of seconds from 300 \(5 minutes\) to 172800 \(48 hours\)/);
  }
  assert.equal((await admin('GET', `/api/v2/oauth/clients/${created.body.id}`)).body.name, 'Entra, one hour', 'a refused change changed nothing');
  const audit = (await call(h, { path: `/api/v2/audits?resourceId=${created.body.id}`, token: org.token })).body.entities;
  assert.deepEqual(audit.at(-1).changes.accessTokenValiditySeconds, { before: 3600, after: 21600 });
});

