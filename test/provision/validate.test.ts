// `scimitar validate` (Microsoft's Entra gallery validation, offline): Scimitar passes it on
// both profiles (genesys: users only, the member tests on an existing group); a server with
// one deliberate defect at a time (a proxy in front of Scimitar that breaks one thing) fails
// the test named for that defect, with a reason that says what was wrong; no run leaves an
// object behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { validate, TEST_PLAN, type ValidationReport } from '../../src/provision/validate.ts';
import { addGroup, call, createOrg, listening, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';

type Defect = 'none' | 'day-long-tokens' | 'no-external-id' | 'filter-ignores-and' | 'disable-does-nothing' | 'error-on-empty-filter';

/** Scimitar behind a proxy that breaks one thing. */
async function brokenServer(app: FastifyInstance, defect: () => Defect): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks).toString();
    let url = req.url ?? '/';
    const d = defect();
    if (d === 'filter-ignores-and' && url.startsWith('/api/v2/scim/v2/Groups?filter=')) {
      const u = new URL(url, 'http://x');
      u.searchParams.set('filter', u.searchParams.get('filter')!.split(' and ')[0]);
      url = `${u.pathname}${u.search}`;
    }
    if (d === 'disable-does-nothing' && req.method === 'PATCH' && url.startsWith('/api/v2/scim/v2/Users/')) {
      const patch = JSON.parse(body) as { Operations: { path?: string }[] };
      patch.Operations = patch.Operations.filter((op) => op.path?.toLowerCase() !== 'active');
      body = JSON.stringify(patch);
    }
    const headers = { ...req.headers } as Record<string, string>;
    delete headers['content-length'];
    delete headers.host;
    const answer = await app.inject({ method: req.method as 'GET', url, headers, ...(body ? { payload: body } : {}) });
    let text = answer.body;
    let status = answer.statusCode;
    if (d === 'day-long-tokens' && url === '/oauth/token' && status === 200) text = JSON.stringify({ ...JSON.parse(text), expires_in: 86400 });
    if (d === 'no-external-id' && url.startsWith('/api/v2/scim/v2/Schemas')) {
      const doc = JSON.parse(text) as { Resources: { attributes: { name: string }[] }[] };
      for (const s of doc.Resources) s.attributes = s.attributes.filter((a) => a.name !== 'externalId');
      text = JSON.stringify(doc);
    }
    if (d === 'error-on-empty-filter' && req.method === 'GET' && url.includes('filter=') && status === 200 && JSON.parse(text).totalResults === 0) {
      status = 500;
      text = '{"detail":"internal error"}';
    }
    res.writeHead(status, { 'content-type': String(answer.headers['content-type'] ?? 'application/json') }).end(text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

// Each profile on one store: the standard profile on SQLite, genesys on PostgreSQL.
for (const [profile, { name: dialect, skip }] of [['standard', DIALECTS[0]], ['genesys', DIALECTS[1]]] as const) {
  describe(`scimitar validate against Scimitar (${profile} profile, ${dialect})`, { timeout: 300_000 }, async () => {
    let h: Harness;
    let app: FastifyInstance;
    let org: Org;
    let client: { id: string; secret: string };
    let groupId = '';
    let url = '';
    let defect: Defect = 'none';
    let proxy: { url: string; server: Server };
    before(async () => {
      if (skip) return;
      h = await startHarness({ dialect });
      ({ app, url } = await listening(h));
      org = await createOrg(h, profile);
      if (profile === 'genesys') groupId = await addGroup(h, org, 'Validation Team');
      client = (await call(h, { method: 'POST', path: '/api/v2/oauth/clients', token: org.token, headers: { 'content-type': 'application/json' }, body: { name: 'Entra', roleDivisions: [{ roleId: org.scimRoleId, divisionId: '*' }], accessTokenValiditySeconds: 3600 } })).body;
      proxy = await brokenServer(app, () => defect);
    });
    after(async () => {
      if (skip) return;
      proxy.server.close();
      await app.close();
      await h.close();
    });
    const counts = async () => [(await call(h, { path: '/Users?count=1', token: org.token })).body.totalResults, (await call(h, { path: '/Groups?count=1', token: org.token })).body.totalResults];
    const run = (base: string) => validate({
      baseUrl: `${base}/api/v2/scim/v2`, tokenUrl: `${base}/oauth/token`, clientId: client.id, clientSecret: client.secret,
      ...(profile === 'genesys' ? { usersOnly: true, groupId } : {}),
    });
    const byName = (r: ValidationReport) => Object.fromEntries(r.results.map((x) => [x.name, x]));

    test('every test passes or is skipped with its reason, scored as Microsoft scores, and nothing is left behind', { skip }, async () => {
      const before = await counts();
      const report = await run(url);
      assert.deepEqual(report.results.map((r) => r.name), TEST_PLAN.map(([n]) => n), 'all 25, in Microsoft\'s order');
      const notPassed = report.results.filter((r) => r.outcome !== 'PASSED').map((r) => `${r.name}: ${r.outcome} ${r.reason}`);
      const expected = ['Federated_Identity_Test', ...(profile === 'genesys' ? ['Create_Group_Test', 'Update_Group_Test', 'Delete_Group_Test', 'POD_Group_Test', 'Restore_Group_Test', 'SCIM_Group_Create_Test', 'SCIM_Group_Update_Test', 'SCIM_Group_Pagination_Test'] : [])];
      assert.deepEqual(report.results.filter((r) => r.outcome !== 'PASSED').map((r) => r.name).sort(), expected.sort(), notPassed.join('\n'));
      assert.ok(report.results.filter((r) => r.outcome === 'SKIPPED').every((r) => r.reason.length > 10), 'a skip says why');
      assert.equal(report.passed, true, report.verdict);
      assert.deepEqual(report.leftBehind, []);
      assert.deepEqual(await counts(), before, 'no user or group left behind');
      if (profile === 'genesys') assert.equal((await call(h, { path: `/Groups/${groupId}`, token: org.token })).status, 200, 'the given group stays');
    });

    const cases: [Defect, string, RegExp][] = [
      ['day-long-tokens', 'Validate_Credentials_Test', /lives 86400 s; Microsoft requires 60 to 360 minutes/],
      ['no-external-id', 'Schema_Discoverability_Test', /missing from \/Schemas: externalId/],
      ['filter-ignores-and', 'Group_Update_Remove_Member_Test', /still in the group/],
      ['disable-does-nothing', 'Disable_User_Test', /active is .*not false/],
      ['error-on-empty-filter', 'Create_User_Test', /500/],
    ];
    for (const [d, name, reason] of cases) {
      test(`a server with one defect (${d}) fails ${name}, saying what was wrong, and is left as it was`, { skip }, async () => {
        const before = await counts();
        defect = d;
        try {
          const report = await run(proxy.url);
          const r = byName(report)[name];
          assert.equal(r.outcome, 'FAILED', `${name}: ${r.outcome} ${r.reason}`);
          assert.match(r.reason, reason);
          assert.equal(report.passed, false);
          assert.match(report.verdict, new RegExp(name));
        } finally {
          defect = 'none';
        }
        assert.deepEqual(await counts(), before, 'no user or group left behind');
      });
    }
  });
}

describe('scimitar validate: Federated_Identity_Test with a local RFC 7523 issuer', () => {
  test('a JWT from an issuer the server federates with passes; one it does not trust fails with the server\'s reason', async () => {
    const { exportJWK, generateKeyPair, SignJWT } = await import('jose');
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k', alg: 'RS256' };
    const issuer = createServer((req, res) => {
      if (req.url === '/keys') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => issuer.listen(0, '127.0.0.1', () => r()));
    const iss = `http://127.0.0.1:${(issuer.address() as { port: number }).port}`;
    const h = await startHarness();
    const { app, url } = await listening(h);
    try {
      const org = await createOrg(h, 'standard');
      const made = await call(h, { method: 'POST', path: '/api/v2/oauth/clients', token: org.token, headers: { 'content-type': 'application/json' }, body: { name: 'Entra (federated)', roleDivisions: [{ roleId: org.scimRoleId, divisionId: '*' }], federation: { issuer: iss, subject: 'entra-sp', audience: `${url}/oauth/token`, jwksUri: `${iss}/keys` } } });
      assert.equal(made.status, 201, made.raw);
      const jwt = (sub: string) => new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k' }).setIssuer(iss).setSubject(sub).setAudience(`${url}/oauth/token`).setIssuedAt().setExpirationTime('5m').sign(privateKey);
      const report = await validate({ baseUrl: `${url}/api/v2/scim/v2`, tokenUrl: `${url}/oauth/token`, clientAssertion: await jwt('entra-sp'), token: org.token });
      const fed = report.results.find((r) => r.name === 'Federated_Identity_Test')!;
      assert.equal(fed.outcome, 'PASSED', fed.reason);
      assert.equal(report.passed, true, report.verdict);
      const untrusted = await validate({ baseUrl: `${url}/api/v2/scim/v2`, tokenUrl: `${url}/oauth/token`, clientAssertion: await jwt('someone-else'), token: org.token });
      const refused = untrusted.results.find((r) => r.name === 'Federated_Identity_Test')!;
      assert.equal(refused.outcome, 'FAILED');
      assert.match(refused.reason, /refused the assertion \(401: .*no client federates/);
    } finally {
      issuer.close();
      await app.close();
      await h.close();
    }
  });
});

describe('scimitar validate on the command line', { timeout: 300_000 }, () => {
  let h: Harness;
  let app: FastifyInstance;
  let url = '';
  let org: Org;
  const dir = mkdtempSync(join(tmpdir(), 'scimitar-validate-'));
  before(async () => {
    h = await startHarness();
    ({ app, url } = await listening(h));
    org = await createOrg(h, 'standard');
  });
  after(async () => {
    await app.close();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a table, JUnit XML for CI, and exit status 1 when Microsoft would fail the run', async () => {
    const junit = join(dir, 'validate.xml');
    // A static token: Validate_Credentials is skipped, so no authentication test passes.
    const run = promisify(execFile)(process.execPath, ['bin/scimitar.js', 'validate', `${url}/api/v2/scim/v2`, '--token', org.token, '--junit', junit]);
    const failed = await run.then(() => undefined, (e: { code: number; stdout: string }) => e);
    assert.ok(failed, 'exit status 1');
    assert.equal(failed!.code, 1);
    assert.match(failed!.stdout, /test\s+category\s+result\s+reason/);
    assert.match(failed!.stdout, /Validate_Credentials_Test\s+mandatory\s+SKIPPED/);
    assert.match(failed!.stdout, /Failed: neither Validate_Credentials_Test nor Federated_Identity_Test passed/);
    const xml = readFileSync(junit, 'utf8');
    assert.match(xml, /<testsuite name="Entra gallery validation" tests="25" failures="0" skipped="2">/);
    assert.match(xml, /<testcase classname="scimitar.validate" name="Create_User_Test"><\/testcase>/);
  });
});
