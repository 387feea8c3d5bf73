// The Microsoft Graph connector against a local Graph-shaped server (token endpoint, paged
// /users with the manager expanded, /groups and their members, one 429 with Retry-After),
// then a whole cycle Graph -> engine -> a real Scimitar, through the CLI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { addGroup, createOrg, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { createHash, constants, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateFromPem, GraphSource } from '../../src/provision/graph.ts';

const run = promisify(execFile);
let graph: Server;
let graphUrl: string;
let h: Harness;
let org: Org;
let scimUrl: string;
const seen: { path: string; auth?: string }[] = [];
let throttleOnce = true;
let deltaChanges: Record<string, unknown>[] = [];
let expiredToken = '';
let dir: string;
/** The certificate registered on the app (a self-signed one made by openssl for the test). */
let registeredCert: X509Certificate;
const assertions: { header: Record<string, unknown>; claims: Record<string, unknown> }[] = [];

/** What the identity platform checks of a client assertion (certificate credentials). */
function assertionRefusal(jwt: string, endpoint: string): string | undefined {
  const [h64, c64, s64] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h64, 'base64url').toString()) as Record<string, unknown>;
  const claims = JSON.parse(Buffer.from(c64, 'base64url').toString()) as Record<string, number | string>;
  assertions.push({ header, claims });
  if (header.alg !== 'PS256' || header.typ !== 'JWT') return 'AADSTS5002730: Invalid JWT header';
  if (header['x5t#S256'] !== createHash('sha256').update(registeredCert.raw).digest('base64url')) return 'AADSTS700027: the certificate with identifier used to sign the client assertion is not registered on application';
  const ok = verify('sha256', Buffer.from(`${h64}.${c64}`), { key: registeredCert.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, Buffer.from(s64, 'base64url'));
  if (!ok) return 'AADSTS7000274: Signature verification failed';
  const now = Date.now() / 1000;
  if (claims.aud !== endpoint || claims.iss !== 'app-1' || claims.sub !== 'app-1' || typeof claims.jti !== 'string') return 'AADSTS700024: Client assertion is not within its valid time range or has wrong claims';
  if (Number(claims.nbf) > now + 60 || Number(claims.exp) < now) return 'AADSTS700024: Client assertion is not within its valid time range';
  return undefined;
}

const USERS = Array.from({ length: 5 }, (_, i) => ({
  id: `g-${i}`, userPrincipalName: `graph${i}@contoso.com`, displayName: `Graph User ${i}`, accountEnabled: true, jobTitle: i === 0 ? 'Director' : 'Agent', mail: `graph${i}@contoso.com`,
  ...(i > 0 ? { manager: { '@odata.type': '#microsoft.graph.user', id: 'g-0' } } : {}),
}));

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scimitar-graph-'));
  for (const name of ['app', 'other']) {
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-days', '2', '-subj', `/CN=${name}`]);
    writeFileSync(join(dir, `${name}.pem`), readFileSync(join(dir, `${name}.key`), 'utf8') + readFileSync(join(dir, `${name}.crt`), 'utf8'));
  }
  registeredCert = new X509Certificate(readFileSync(join(dir, 'app.crt')));
  graph = createServer((req, res) => {
    const url = new URL(req.url ?? '/', graphUrl);
    seen.push({ path: `${url.pathname}${url.search}`, auth: req.headers.authorization });
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    if (req.method === 'POST' && url.pathname === '/tenant-1/oauth2/v2.0/token') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const f = new URLSearchParams(body);
        if (f.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
          const refusal = f.get('client_secret') !== null ? 'AADSTS700025: both a secret and an assertion' : assertionRefusal(f.get('client_assertion') ?? '', `${graphUrl}${url.pathname}`);
          if (refusal) return json(401, { error: 'invalid_client', error_description: refusal });
        } else if (f.get('client_secret') !== 's3cret') return json(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
        if (f.get('client_id') !== 'app-1' || f.get('grant_type') !== 'client_credentials') return json(400, { error: 'invalid_request' });
        if (f.get('scope') !== `${graphUrl}/.default`) return json(400, { error: 'invalid_scope' });
        json(200, { token_type: 'Bearer', expires_in: 3599, access_token: 'graph-token' });
      });
      return;
    }
    if (req.headers.authorization !== 'Bearer graph-token') return json(401, { error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' } });
    if (url.pathname === '/v1.0/users/delta') {
      const token = url.searchParams.get('$deltatoken');
      const withManager = (u: (typeof USERS)[number]) => {
        const { manager, ...rest } = u as typeof u & { manager?: { id: string } };
        return { ...rest, ...(manager ? { 'manager@delta': [{ '@odata.type': '#microsoft.graph.user', id: manager.id }] } : {}) };
      };
      if (token === null && url.searchParams.get('$skiptoken') === null) return json(200, { value: USERS.slice(0, 3).map(withManager), '@odata.nextLink': `${graphUrl}/v1.0/users/delta?$skiptoken=p2` });
      if (url.searchParams.get('$skiptoken') === 'p2') return json(200, { value: USERS.slice(3).map(withManager), '@odata.deltaLink': `${graphUrl}/v1.0/users/delta?$deltatoken=t1` });
      if (token === expiredToken) return json(410, { error: { code: 'resyncRequired', message: 'The delta token is no longer valid' } });
      return json(200, { value: deltaChanges, '@odata.deltaLink': `${graphUrl}/v1.0/users/delta?$deltatoken=t${Number(token!.slice(1)) + 1}` });
    }
    if (url.pathname === '/v1.0/users') {
      if (url.searchParams.get('page') === '2') {
        if (throttleOnce) {
          throttleOnce = false;
          return json(429, { error: { code: 'TooManyRequests', message: 'Too many requests' } }, { 'retry-after': '1' });
        }
        return json(200, { value: USERS.slice(3) });
      }
      return json(200, { value: USERS.slice(0, 3), '@odata.nextLink': `${graphUrl}/v1.0/users?page=2` });
    }
    if (url.pathname === '/v1.0/groups') return json(200, { value: [{ id: 'grp-1', displayName: 'Graph Sales' }] });
    if (url.pathname === '/v1.0/groups/grp-1/members') return json(200, { value: [{ '@odata.type': '#microsoft.graph.user', id: 'g-1' }, { id: 'g-2' }] });
    json(404, { error: { code: 'Request_ResourceNotFound', message: 'not found' } });
  });
  await new Promise<void>((resolve) => graph.listen(0, '127.0.0.1', () => resolve()));
  graphUrl = `http://127.0.0.1:${(graph.address() as { port: number }).port}`;
  h = await startHarness();
  org = await createOrg(h);
  await addGroup(h, org, 'Graph Sales');
  scimUrl = `${await h.app.listen({ port: 0, host: '127.0.0.1' })}/api/v2/scim/v2`;
});
after(async () => {
  graph.close();
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the connector: token, $select of the mapped attributes, manager expanded, paging, throttling, groups with members', async () => {
  const source = new GraphSource({ tenantId: 'tenant-1', clientId: 'app-1', clientSecret: 's3cret', authority: graphUrl, baseUrl: graphUrl, select: ['jobTitle', 'mail', 'not valid!'], includeGroups: true });
  const d = await source.readDirectory();
  assert.deepEqual(d.users.map((u) => u.id), ['g-0', 'g-1', 'g-2', 'g-3', 'g-4'], 'both pages');
  assert.equal(d.users[1].managerId, 'g-0');
  assert.deepEqual(d.groups.map((g) => [g.displayName, g.memberIds]), [['Graph Sales', ['g-1', 'g-2']]]);
  assert.equal(source.throttled, 1, 'the 429 was waited out');
  const first = new URL(seen.find((r) => r.path.startsWith('/v1.0/users'))!.path, graphUrl);
  assert.deepEqual(first.searchParams.get('$select')!.split(',').sort(), ['accountEnabled', 'displayName', 'id', 'jobTitle', 'mail', 'userPrincipalName']);
  assert.equal(first.searchParams.get('$expand'), 'manager($select=id)');
  const wrong = new GraphSource({ tenantId: 'tenant-1', clientId: 'app-1', clientSecret: 'nope', authority: graphUrl, baseUrl: graphUrl });
  await assert.rejects(wrong.readDirectory(), /token request refused \(401 invalid_client\): AADSTS7000215/);
});

test('whole cycles Graph -> engine -> Scimitar through the CLI: users with managers and members; then delta cycles (changes only, soft and hard deletion, expired deltaLink)', async () => {
  const cycleArgs = [
    'bin/scimitar.js', 'sync', '--url', scimUrl, '--token', org.token, '--graph-tenant', 'tenant-1', '--graph-client-id', 'app-1',
    '--graph-authority', graphUrl, '--graph-base-url', graphUrl, '--state', join(dir, 'graph-state.db'),
  ];
  const { stdout } = await run(process.execPath, cycleArgs, { env: { ...process.env, SCIMITAR_DB: '', GRAPH_CLIENT_SECRET: 's3cret' } });
  assert.match(stdout, /created\s+5/);
  const get = async (q: string) => (await (await fetch(`${scimUrl}${q}`, { headers: { authorization: `Bearer ${org.token}` } })).json()) as { Resources: Record<string, any>[] }; // eslint-disable-line @typescript-eslint/no-explicit-any -- SCIM JSON
  const u1 = (await get(`/Users?filter=${encodeURIComponent('userName eq "graph1@contoso.com"')}`)).Resources[0];
  assert.equal(u1['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'].manager.displayName, 'Graph User 0');
  const group = (await get(`/Groups?filter=${encodeURIComponent('displayName eq "Graph Sales"')}`)).Resources[0];
  assert.deepEqual(group.members.map((m: { display: string }) => m.display).sort(), ['Graph User 1', 'Graph User 2']);
  // Delta: the second cycle reads only the changes (an edit, a soft deletion, a hard deletion, a new user).
  deltaChanges = [
    { id: 'g-1', jobTitle: 'Lead' },
    { id: 'g-2', '@removed': { reason: 'changed' } },
    { id: 'g-3', '@removed': { reason: 'deleted' } },
    { id: 'g-5', userPrincipalName: 'graph5@contoso.com', displayName: 'Graph User 5', accountEnabled: true, 'manager@delta': [{ id: 'g-0' }] },
  ];
  seen.length = 0;
  const second = await run(process.execPath, [...cycleArgs, '--deprovision', 'delete'], { env: { ...process.env, SCIMITAR_DB: '', GRAPH_CLIENT_SECRET: 's3cret' } });
  assert.deepEqual(seen.filter((r) => r.path.startsWith('/v1.0/users')).map((r) => r.path), ['/v1.0/users/delta?$deltatoken=t1'], 'only the changes were read');
  assert.match(second.stdout, /created\s+1\b[\s\S]*updated\s+1\b[\s\S]*disabled\s+1\b[\s\S]*deleted\s+1\b/);
  assert.equal((await get(`/Users?filter=${encodeURIComponent('userName eq "graph1@contoso.com"')}`)).Resources[0].title, 'Lead');
  assert.equal((await get(`/Users?filter=${encodeURIComponent('userName eq "graph2@contoso.com"')}`)).Resources[0].active, false, 'soft-deleted: disabled');
  assert.equal((await get(`/Users?filter=${encodeURIComponent('userName eq "graph3@contoso.com"')}`)).Resources.length, 0, 'hard-deleted: deleted');
  assert.equal((await get(`/Users?filter=${encodeURIComponent('userName eq "graph5@contoso.com"')}`)).Resources[0]['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'].manager.displayName, 'Graph User 0');
  // An expired deltaLink: a full read again (this server's full listing is still the first one, so the target follows it back).
  expiredToken = 't2';
  deltaChanges = [];
  seen.length = 0;
  const third = await run(process.execPath, cycleArgs, { env: { ...process.env, SCIMITAR_DB: '', GRAPH_CLIENT_SECRET: 's3cret' } });
  assert.deepEqual(seen.filter((r) => r.path.startsWith('/v1.0/users')).map((r) => r.path.split('&')[0].split('?$select')[0]), ['/v1.0/users/delta?$deltatoken=t2', '/v1.0/users/delta', '/v1.0/users/delta?$skiptoken=p2']);
  assert.match(third.stdout, /created\s+1\b[\s\S]*failed\s+0\b/, 'graph3 is in the full listing again');

  await assert.rejects(
    run(process.execPath, ['bin/scimitar.js', 'sync', '--url', scimUrl, '--token', org.token, '--graph-tenant', 'tenant-1', '--graph-client-id', 'app-1', '--graph-authority', graphUrl, '--graph-base-url', graphUrl], { env: { ...process.env, SCIMITAR_DB: '', GRAPH_CLIENT_SECRET: 'wrong' } }),
    (e: { code: number; stderr: string }) => e.code === 1 && /^scimitar: token request refused \(401 invalid_client\)/.test(e.stderr),
  );
});

test('certificate credentials: a PS256 client assertion naming the certificate, accepted by the token endpoint; a wrong certificate or key is refused', async () => {
  const pem = readFileSync(join(dir, 'app.pem'), 'utf8');
  assertions.length = 0;
  const source = new GraphSource({ tenantId: 'tenant-1', clientId: 'app-1', certificate: certificateFromPem(pem), authority: graphUrl, baseUrl: graphUrl, includeGroups: false });
  const d = await source.readDirectory();
  assert.equal(d.users.length, 5);
  assert.equal(assertions.length, 1);
  const { claims } = assertions[0];
  assert.equal(Number(claims.exp) - Number(claims.nbf), 600, 'valid for ten minutes');
  // A certificate the app does not have registered, and a key that is not the certificate's.
  const other = readFileSync(join(dir, 'other.pem'), 'utf8');
  await assert.rejects(new GraphSource({ tenantId: 'tenant-1', clientId: 'app-1', certificate: certificateFromPem(other), authority: graphUrl, baseUrl: graphUrl }).readDirectory(), /401 invalid_client\): AADSTS700027/);
  const mixed = { certificatePem: certificateFromPem(pem).certificatePem, privateKeyPem: certificateFromPem(other).privateKeyPem };
  await assert.rejects(new GraphSource({ tenantId: 'tenant-1', clientId: 'app-1', certificate: mixed, authority: graphUrl, baseUrl: graphUrl }).readDirectory(), /private key does not belong to the certificate/);
  assert.throws(() => certificateFromPem(readFileSync(join(dir, 'app.crt'), 'utf8')), /no unencrypted private key/);
  // Through the CLI: --graph-certificate instead of a secret.
  const { stdout } = await run(process.execPath, ['bin/scimitar.js', 'sync', '--dry-run', '--url', scimUrl, '--token', org.token, '--graph-tenant', 'tenant-1', '--graph-client-id', 'app-1', '--graph-certificate', join(dir, 'app.pem'), '--graph-authority', graphUrl, '--graph-base-url', graphUrl, '--no-graph-groups', '--state', join(dir, 'cert-state.db')], { env: { ...process.env, SCIMITAR_DB: '', GRAPH_CLIENT_SECRET: '' } });
  assert.match(stdout, /DRY RUN/);
  await assert.rejects(
    run(process.execPath, ['bin/scimitar.js', 'sync', '--dry-run', '--url', scimUrl, '--token', org.token, '--graph-tenant', 'tenant-1', '--graph-client-id', 'app-1', '--graph-certificate', join(dir, 'app.crt'), '--graph-authority', graphUrl, '--graph-base-url', graphUrl], { env: { ...process.env, SCIMITAR_DB: '', GRAPH_CLIENT_SECRET: '' } }),
    (e: { code: number; stderr: string }) => e.code === 1 && /app\.crt: the certificate file holds no unencrypted private key/.test(e.stderr),
  );
});
