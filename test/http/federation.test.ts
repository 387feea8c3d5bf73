// Workload identity federation (RFC 7523 2.2): a client configured with an issuer and subject
// gets tokens for JWTs that issuer signed, with no secret stored. A local issuer serves its
// OpenID configuration and keys (jose), as Entra's would; on both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { call, consoleAdmin, createOrg, PUBLIC_URL, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const TOKEN_ENDPOINT = `${PUBLIC_URL}/oauth/token`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

interface Issuer { url: string; key: CryptoKey; server: Server; fetches: number }

async function startIssuer(): Promise<Issuer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const issuer = { url: '', key: privateKey, server: undefined as unknown as Server, fetches: 0 };
  issuer.server = createServer((req, res) => {
    issuer.fetches++;
    if (req.url === '/.well-known/openid-configuration') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: issuer.url, jwks_uri: `${issuer.url}/keys` }));
    else if (req.url === '/keys') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => issuer.server.listen(0, '127.0.0.1', () => r()));
  issuer.url = `http://127.0.0.1:${(issuer.server.address() as { port: number }).port}`;
  return issuer;
}

for (const { name: dialect, skip } of DIALECTS) {
  describe(`workload identity federation (${dialect})`, async () => {
    let h: Harness;
    let org: Org;
    let issuer: Issuer;
    let stranger: Issuer;
    let clientId = '';
    const subject = `entra-sp-${randomUUID()}`;
    before(async () => {
      if (skip) return;
      // Many refusals in a row on purpose: the throttle's own tests are elsewhere.
      h = await startHarness({ dialect, loginThrottle: { freeFailures: 1000, baseMs: 1000, maxMs: 1000, forgetMs: 60_000, maxEntries: 100 } });
      org = await createOrg(h);
      issuer = await startIssuer();
      stranger = await startIssuer();
      const r = await call(h, { method: 'POST', path: '/api/v2/oauth/clients', token: org.token, headers: { 'content-type': 'application/json' }, body: { name: 'Entra (federated)', roleDivisions: [{ roleId: org.scimRoleId, divisionId: '*' }], accessTokenValiditySeconds: 3600, federation: { issuer: issuer.url, subject } } });
      assert.equal(r.status, 201, r.raw);
      assert.deepEqual(r.body.federation, { issuer: issuer.url, subject, audience: TOKEN_ENDPOINT });
      clientId = r.body.id;
    });
    after(async () => {
      if (skip) return;
      issuer.server.close();
      stranger.server.close();
      await h.close();
    });

    const jwt = (by: Issuer, claims: JWTPayload = {}, header: Record<string, unknown> = {}) =>
      new SignJWT({ jti: randomUUID(), ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'k1', ...header }).setIssuer(claims.iss ?? issuer.url).setSubject(claims.sub ?? subject)
        .setAudience(claims.aud ?? TOKEN_ENDPOINT).setIssuedAt().setExpirationTime(claims.exp ?? '5m').sign(by.key);
    const token = (assertion: string, extra: Record<string, string> = {}) =>
      h.app.inject({ method: 'POST', url: '/oauth/token', headers: FORM, payload: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: assertion, ...extra }).toString() });

    test('a JWT the issuer signed gets a token of the client\'s lifetime, which works over SCIM', { skip }, async () => {
      const res = await token(await jwt(issuer));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().expires_in, 3600);
      assert.equal((await call(h, { path: '/Users', token: res.json().access_token })).status, 200);
      assert.equal((await token(await jwt(issuer), { client_id: clientId })).statusCode, 200, 'with the client id named too');
      // The request log names the federated client, as the token service found it.
      await h.app.requestLog.flush();
      const logged = (await call(h, { path: '/api/v2/requests?path=%2Foauth%2Ftoken&status=200', token: org.token })).body.entries as { auth: string }[];
      assert.ok(logged.some((e) => e.auth === 'client assertion (JWT) of Entra (federated)'), JSON.stringify(logged));
    });

    test('another key, another audience, an expired or replayed JWT, another subject, a symmetric algorithm: all refused as invalid_client', { skip }, async () => {
      const replayed = await jwt(issuer);
      assert.equal((await token(replayed)).statusCode, 200);
      const cases: [string, string, RegExp][] = [
        ['signed by another issuer\'s key', await jwt(stranger), /not signed by a key of its issuer/],
        ['another audience', await jwt(issuer, { aud: 'https://elsewhere.example/oauth/token' }), /"aud" claim/],
        ['expired', await jwt(issuer, { exp: Math.floor(Date.now() / 1000) - 600 }), /expired/],
        ['replayed', replayed, /presented before/],
        ['another subject', await jwt(issuer, { sub: 'someone-else' }), /no client federates/],
        ['not a JWT', 'not.a.jwt', /not a JWT/],
        ['HS256', await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(issuer.url).setSubject(subject).setAudience(TOKEN_ENDPOINT).setExpirationTime('5m').sign(new TextEncoder().encode('a shared secret of enough length!')), /algorithm that is not accepted/],
      ];
      for (const [what, assertion, reason] of cases) {
        const res = await token(assertion);
        assert.equal(res.statusCode, 401, `${what}: ${res.body}`);
        assert.equal(res.json().error, 'invalid_client', what);
        assert.match(res.json().error_description, reason, what);
      }
      // The same JWT sent ten times at once gets one token.
      const once = await jwt(issuer);
      const burst = await Promise.all(Array.from({ length: 10 }, () => token(once)));
      assert.deepEqual(burst.map((r) => r.statusCode).sort(), [200, ...Array(9).fill(401)]);
      const named = await token(await jwt(issuer), { client_id: org.clientId });
      assert.equal(named.statusCode, 401, 'the JWT\'s client, not another one named beside it');
      const both = await token(await jwt(issuer), { client_secret: 'x' });
      assert.equal(both.statusCode, 400, 'one authentication method');
      const audit = (await call(h, { path: `/api/v2/audits?resourceId=${clientId}&order=desc&pageSize=20`, token: org.token })).body.entities.filter((e: { action: string }) => e.action === 'login.failed');
      assert.ok(audit.length >= 4, 'failures of the known client are audited');
    });

    test('the Connect page federates a client and removes the federation', { skip }, async () => {
      const other = await call(h, { method: 'POST', path: '/api/v2/oauth/clients', token: org.token, headers: { 'content-type': 'application/json' }, body: { name: 'Console federated', roleDivisions: [{ roleId: org.scimRoleId, divisionId: '*' }] } });
      const cookie = await consoleAdmin(h.app, org.organization.id, `fed.${dialect}@x.test`);
      const page = (await h.app.inject({ url: '/console', headers: { cookie } })).body;
      assert.match(page, /Workload identity federation/);
      assert.match(page, new RegExp(`name="audience"[^>]*value="${TOKEN_ENDPOINT.replace(/[.]/g, '\\.')}"`), 'the audience starts as this token endpoint');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1];
      const consoleSubject = `console-${randomUUID()}`;
      const saved = await h.app.inject({ method: 'POST', url: '/console/federation', headers: { ...FORM, cookie }, payload: new URLSearchParams({ _csrf: csrf, clientId: other.body.id, issuer: issuer.url, subject: consoleSubject, audience: TOKEN_ENDPOINT, jwksUri: '' }).toString() });
      assert.equal(saved.statusCode, 303);
      assert.match((await h.app.inject({ url: String(saved.headers.location), headers: { cookie } })).body, /Federation saved/);
      assert.equal((await token(await jwt(issuer, { sub: consoleSubject }))).statusCode, 200);
      const removed = await h.app.inject({ method: 'POST', url: `/console/clients/${other.body.id}/federation/remove`, headers: { ...FORM, cookie }, payload: `_csrf=${csrf}` });
      assert.equal(removed.statusCode, 303);
      assert.equal((await token(await jwt(issuer, { sub: consoleSubject }))).statusCode, 401);
    });

    test('configuration is checked, one client per issuer and subject, and removing it stops JWTs', { skip }, async () => {
      const admin = (method: 'POST' | 'PUT', path: string, body: unknown) => call(h, { method, path, token: org.token, headers: { 'content-type': 'application/json' }, body });
      for (const federation of [{ issuer: 'http://idp.example.com', subject: 's' }, { issuer: 'not a url', subject: 's' }, { issuer: issuer.url }, { issuer: issuer.url, subject: '' }, 'x']) {
        const r = await admin('POST', '/api/v2/oauth/clients', { name: 'bad', roleDivisions: [], federation });
        assert.equal(r.status, 400, `${JSON.stringify(federation)}: ${r.raw}`);
      }
      const dup = await admin('POST', '/api/v2/oauth/clients', { name: 'dup', roleDivisions: [], federation: { issuer: issuer.url, subject } });
      assert.equal(dup.status, 409, dup.raw);
      const removed = await admin('PUT', `/api/v2/oauth/clients/${clientId}`, { name: 'Entra (federated)', federation: null });
      assert.equal(removed.status, 200, removed.raw);
      assert.equal(removed.body.federation, undefined);
      assert.equal((await token(await jwt(issuer))).statusCode, 401);
      const back = await admin('PUT', `/api/v2/oauth/clients/${clientId}`, { name: 'Entra (federated)', federation: { issuer: issuer.url, subject, jwksUri: `${issuer.url}/keys` } });
      assert.equal(back.body.federation.jwksUri, `${issuer.url}/keys`);
      assert.equal((await token(await jwt(issuer))).statusCode, 200, 'with the key set named directly');
    });
  });
}
