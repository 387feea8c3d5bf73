// The CLI as an administrator uses it: set up an org, a division, a public group and a SCIM
// client scoped to that division, then provision users into it with that client.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import { createServices } from '../../src/services.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/contract.ts';
import { freePort } from '../helpers/process.ts';

const run = promisify(execFile);
let dir: string;
let db: string;

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['bin/scimitar.js', '--db', db, ...args], { env: { ...process.env, SCIMITAR_DB: '' } });
  return stdout;
}
const cliJson = async (...args: string[]) => JSON.parse(await cli(...args, '--json'));

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'scimitar-cli-'));
  db = join(dir, 'cli.db');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('--help works on every command', async () => {
  for (const args of [[], ['org'], ['client', 'create'], ['division'], ['group', 'create'], ['role'], ['serve']]) {
    const out = await cli(...args, '--help');
    assert.match(out, /Usage: scimitar/, args.join(' '));
  }
});

test('org create, division, public group, scoped SCIM client; then Entra-shaped provisioning works with that client', async () => {
  const org = await cliJson('org', 'create', 'Acme', '--profile', 'genesys');
  assert.deepEqual(Object.keys(org).sort(), ['clientId', 'clientSecret', 'organizationId']);
  const orgs = await cliJson('org', 'list');
  assert.equal(orgs[0].name, 'Acme');
  await assert.rejects(cli('org', 'create', 'acme'), /exists/);
  const division = await cliJson('division', 'create', 'Sales');
  const group = await cliJson('group', 'create', 'Sales Team', '--visibility', 'public');
  await cliJson('group', 'create', 'Board', '--visibility', 'members');
  const role = await cliJson('role', 'create', 'Provisioner', '--permission', 'directory:user:*', 'directory:group:edit');
  assert.deepEqual(role.permissions, ['directory:user:*', 'directory:group:edit']);
  const client = await cliJson('client', 'create', 'Entra', '--role', 'Provisioner', '--division', 'Sales');
  assert.ok(client.secret);
  assert.deepEqual(client.roleDivisions, [{ roleId: role.id, divisionId: division.id }]);
  assert.equal(client.accessTokenValiditySeconds, 86400, 'the server\'s default (24 h, as Genesys)');
  assert.equal((await cliJson('client', 'lifetime', 'Entra', '3600')).accessTokenValiditySeconds, 3600);
  await assert.rejects(cli('client', 'lifetime', 'Entra', '60'), /300 \(5 minutes\) to 172800/);
  assert.equal((await cliJson('client', 'create', 'Short', '--role', 'Provisioner', '--division', 'Sales', '--token-lifetime', '600')).accessTokenValiditySeconds, 600);
  const table = await cli('client', 'list');
  assert.match(table, /Entra/);
  assert.doesNotMatch(table, new RegExp(client.secret), 'list never shows secrets');

  // Serve that store and provision with the scoped client.
  const store: Store = openSqliteStore({ path: db });
  const app: FastifyInstance = await buildApp(createServices(store, { tokenTtlSeconds: 3600, tokenCacheTtlMs: 5000 }), { publicUrl: 'http://localhost', bodyLimitBytes: 1 << 20, logLevel: false });
  try {
    const tok = await app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `grant_type=client_credentials&client_id=${client.id}&client_secret=${client.secret}` });
    const token = tok.json().access_token;
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' };
    const ok = await app.inject({ method: 'POST', url: '/api/v2/scim/v2/Users', headers: auth, payload: { userName: 'rep@acme.com', displayName: 'Rep', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { division: 'Sales' } } });
    assert.equal(ok.statusCode, 201, ok.body);
    const home = await app.inject({ method: 'POST', url: '/api/v2/scim/v2/Users', headers: auth, payload: { userName: 'hq@acme.com', displayName: 'HQ' } });
    assert.equal(home.statusCode, 403, 'the client is scoped to Sales; Home is outside it');
    const groups = await app.inject({ method: 'GET', url: '/api/v2/scim/v2/Groups?excludedAttributes=members', headers: auth });
    assert.deepEqual(groups.json().Resources.map((g: { displayName: string }) => g.displayName), ['Sales Team']);
    const add = await app.inject({ method: 'PATCH', url: `/api/v2/scim/v2/Groups/${group.id}`, headers: auth, payload: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Add', path: 'members', value: [{ value: ok.json().id }] }] } });
    assert.equal(add.statusCode, 204);

    // Remote mode: the same commands against the server's administration API.
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const adminTok = await app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `grant_type=client_credentials&client_id=${org.clientId}&client_secret=${org.clientSecret}` });
    const remote = await cliJson('--url', address, '--token', adminTok.json().access_token, 'group', 'list');
    assert.deepEqual(remote.map((g: { name: string }) => g.name).sort(), ['Board', 'Sales Team']);
    const rotated = await cliJson('--url', address, '--token', adminTok.json().access_token, 'client', 'rotate', client.id);
    assert.notEqual(rotated.secret, client.secret);
    const stale = await app.inject({ method: 'GET', url: '/api/v2/scim/v2/Users', headers: auth });
    assert.equal(stale.statusCode, 401, 'rotation revoked the old token');
  } finally {
    await app.close();
    await store.close();
  }
});

test('errors are one line on stderr with a non-zero exit', async () => {
  await assert.rejects(cli('client', 'create', 'x', '--role', 'Nope', '--all-divisions'), (e: { code: number; stderr: string }) => e.code === 1 && /No role "Nope"/.test(e.stderr));
  await assert.rejects(cli('--url', 'http://127.0.0.1:9', 'group', 'list'), (e: { stderr: string }) => /--token/.test(e.stderr));
  const typo = join(dir, 'typo.db');
  await assert.rejects(
    run(process.execPath, ['bin/scimitar.js', '--db', typo, 'client', 'list'], { env: { ...process.env, SCIMITAR_DB: '' } }),
    (e: { code: number; stderr: string }) => e.code === 1 && /No store at .*typo\.db.*--create/.test(e.stderr),
  );
  assert.ok(!existsSync(typo), 'a mistyped --db creates nothing');
  await assert.rejects(
    run(process.execPath, ['bin/scimitar.js', '--db', dir, 'client', 'list'], { env: { ...process.env, SCIMITAR_DB: '' } }),
    (e: { code: number; stderr: string }) => e.code === 1 && /^scimitar: .* is a directory, not a database file\n$/.test(e.stderr),
  );
});

test('client create needs an explicit division choice; recover-admin issues a working administrator, audited', async () => {
  await assert.rejects(cli('client', 'create', 'Nowhere', '--role', 'Provisioner'), /--division <id\|name> or --all-divisions/);
  const everywhere = await cliJson('client', 'create', 'Everywhere', '--role', 'Provisioner', '--all-divisions');
  assert.equal(everywhere.roleDivisions[0].divisionId, '*');
  await assert.rejects(cli('--url', 'http://127.0.0.1:1', '--token', 'x', 'recover-admin'), /works on the store/);
  const recovered = await cliJson('recover-admin');
  assert.deepEqual(Object.keys(recovered).sort(), ['clientId', 'clientSecret', 'organizationId']);
  const store: Store = openSqliteStore({ path: db });
  const app: FastifyInstance = await buildApp(createServices(store, { tokenTtlSeconds: 3600, tokenCacheTtlMs: 5000 }), { publicUrl: 'http://localhost', bodyLimitBytes: 1 << 20, logLevel: false });
  try {
    const tok = await app.inject({
      method: 'POST', url: '/oauth/token', payload: 'grant_type=client_credentials',
      headers: { authorization: `Basic ${Buffer.from(`${recovered.clientId}:${recovered.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(tok.statusCode, 200);
    const token = tok.json().access_token;
    const clients = await app.inject({ url: '/api/v2/oauth/clients', headers: { authorization: `Bearer ${token}` } });
    assert.equal(clients.statusCode, 200, 'the recovered client administers the organization');
    const audits = await app.inject({ url: `/api/v2/audits?resourceId=${recovered.clientId}`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(audits.json().entities[0].action, 'recoverAdmin');
    assert.ok(!audits.body.includes(recovered.clientSecret));
  } finally {
    await app.close();
    await store.close();
  }
});

test('--version; clients disabled, enabled and deleted by name; divisions, groups and roles deleted', async () => {
  assert.equal((await cli('--version')).trim(), JSON.parse(await (await import('node:fs/promises')).readFile('package.json', 'utf8')).version);
  await cliJson('client', 'create', 'Temp', '--role', 'Provisioner', '--division', 'Sales');
  assert.equal((await cliJson('client', 'disable', 'Temp')).state, 'inactive');
  assert.equal((await cliJson('client', 'enable', 'temp')).state, 'active');
  await cli('client', 'delete', 'Temp');
  assert.ok(!(await cliJson('client', 'list')).some((c: { name: string }) => c.name === 'Temp'));
  await cliJson('division', 'create', 'Empty');
  await cli('division', 'delete', 'Empty');
  assert.ok(!(await cliJson('division', 'list')).some((d: { name: string }) => d.name === 'Empty'));
  await cliJson('group', 'create', 'Doomed');
  await cli('group', 'delete', 'doomed');
  await cliJson('role', 'create', 'Unused', '--permission', 'directory:user:view');
  await cli('role', 'delete', 'Unused');
  assert.ok(!(await cliJson('role', 'list')).some((r: { name: string }) => r.name === 'Unused'));
  await assert.rejects(cli('division', 'delete', 'Sales'), (e: { code: number; stderr: string }) => e.code === 1 && /granted to OAuth client|holds/.test(e.stderr) && e.stderr.trim().split('\n').length === 1);
  await assert.rejects(cli('role', 'delete', 'No Such Role'), (e: { stderr: string }) => /No role "No Such Role"/.test(e.stderr));
});

test('users, group members, renames and the audit trail; names in tables; options before or after the command; --url too', async () => {
  const store: Store = openSqliteStore({ path: db });
  const app: FastifyInstance = await buildApp(createServices(store, { tokenTtlSeconds: 3600, tokenCacheTtlMs: 0 }), { publicUrl: 'http://localhost', bodyLimitBytes: 1 << 20, logLevel: false });
  try {
    const admin = await cliJson('recover-admin');
    const tok = await app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `grant_type=client_credentials&client_id=${admin.clientId}&client_secret=${admin.clientSecret}` });
    const token = tok.json().access_token as string;
    for (const [userName, title] of [['ops.ann@acme.com', 'Engineer'], ['ops.bob@acme.com', 'Manager']]) {
      const r = await app.inject({ method: 'POST', url: '/api/v2/scim/v2/Users', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, payload: { userName, displayName: userName.split('@')[0], title } });
      assert.equal(r.statusCode, 201, r.body);
    }
    const found = await cliJson('user', 'list', '--search', 'ops.');
    assert.deepEqual(found.map((u: { email: string }) => u.email), ['ops.ann@acme.com', 'ops.bob@acme.com']);
    assert.deepEqual((await cliJson('user', 'list', '--filter', 'title eq "Manager"')).map((u: { email: string }) => u.email), ['ops.bob@acme.com']);
    assert.match(await cli('user', 'list', '--search', 'ops.'), /ops\.ann@acme\.com\s+ops\.ann\s+active\s+Home\s+Engineer/, 'the division by name');
    assert.equal((await cliJson('user', 'disable', 'ops.ann@acme.com')).state, 'inactive');
    assert.equal((await cliJson('user', 'show', 'ops.ann@acme.com')).state, 'inactive');
    assert.equal((await cliJson('user', 'enable', 'ops.ann@acme.com')).state, 'active');

    await cliJson('group', 'create', 'Ops', '--visibility', 'members');
    await cli('group', 'members', 'add', 'Ops', 'ops.ann@acme.com', 'ops.bob@acme.com');
    assert.deepEqual((await cliJson('group', 'members', 'list', 'ops')).map((m: { name: string }) => m.name).sort(), ['ops.ann', 'ops.bob']);
    await cli('group', 'members', 'remove', 'Ops', 'ops.bob@acme.com');
    assert.deepEqual((await cliJson('group', 'members', 'list', 'Ops')).map((m: { name: string }) => m.name), ['ops.ann']);
    assert.match(await cli('group', 'members', 'Ops'), /ops\.ann/, '`group members <name>` lists them');
    await cli('user', 'delete', 'ops.bob@acme.com');
    // A deleted user is found in the audit trail by the userName its records carry, and named.
    const gone = await cli('audit', '--user', 'ops.bob@acme.com');
    assert.match(gone, /delete\s+User ops\.bob@acme\.com/, gone);
    assert.match(gone, /create\s+User ops\.bob@acme\.com/);
    await assert.rejects(cli('user', 'show', 'ops.bob@acme.com'), (e: { code: number; stderr: string }) => e.code === 1 && /No user "ops\.bob@acme\.com"/.test(e.stderr));

    await cliJson('division', 'rename', 'Sales', 'Sales EU');
    await cliJson('role', 'rename', 'Provisioner', 'Entra provisioning');
    assert.deepEqual((await cliJson('role', 'list')).find((r: { name: string }) => r.name === 'Entra provisioning').permissions, ['directory:user:*', 'directory:group:edit'], 'a rename keeps the permissions');
    assert.match(await cli('client', 'list'), /Entra\s+active\s+Entra provisioning on Sales EU/, 'grants by name');

    const trail = await cli('audit', '--user', 'ops.ann@acme.com');
    const lines = trail.trim().split('\n').slice(2);
    assert.match(lines[0], /update\s+User ops\.ann@acme\.com\s+active/, `newest first: the enable, the user by name\n${trail}`);
    assert.match(lines.at(-1)!, /Recovered admin \S+\s+create\s+User/, 'the SCIM create, by the client\'s name');
    assert.equal((await cliJson('audit', '--client', admin.clientId, '--limit', '500')).every((r: { clientId: string }) => r.clientId === admin.clientId), true);

    const dup = await app.inject({ method: 'POST', url: '/api/v2/scim/v2/Users', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, payload: { userName: 'ops.ann@acme.com', displayName: 'Ann again' } });
    assert.equal(dup.statusCode, 409);
    await app.refusals.flush();
    const refused = await cli('activity', '--outcome', 'refused');
    assert.match(refused, /REFUSED Recovered admin \S+ tried to create user ops\.ann@acme\.com: .*already in use\n\s+POST \/api\/v2\/scim\/v2\/Users -> 409 uniqueness/);
    const groupActivity = await cli('activity', '--kind', 'Group');
    assert.match(groupActivity, /The CLI \(on the store\) added (ops\.ann, ops\.bob \(deleted\)|ops\.bob \(deleted\), ops\.ann) to Ops\n/, 'a deleted member is named by its last known name');
    assert.match(groupActivity, /The CLI \(on the store\) deleted group Doomed\n/, 'a delete does not say twice that it deleted');

    // Options after the command, and the same commands on a server.
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const { stdout } = await run(process.execPath, ['bin/scimitar.js', 'user', 'list', '--search', 'ops.', '--url', address, '--token', token, '--json'], { env: { ...process.env, SCIMITAR_DB: '' } });
    assert.deepEqual(JSON.parse(stdout).map((u: { email: string }) => u.email), ['ops.ann@acme.com']);
    const remoteMembers = await cliJson('--url', address, '--token', token, 'group', 'members', 'list', 'Ops');
    assert.equal(remoteMembers.length, 1);
    await assert.rejects(cli('org', 'list', '--url', address), (e: { stderr: string }) => /org list works on the store/.test(e.stderr));
    // A console setup link from the store opens the setup form on the server; it is single use.
    const { stdout: linkOut } = await run(process.execPath, ['bin/scimitar.js', '--db', db, 'console', 'setup-link'], { env: { ...process.env, SCIMITAR_DB: '', SCIMITAR_PUBLIC_URL: address } });
    const link = new URL(linkOut.trim());
    assert.equal(link.pathname, '/console/setup');
    const form = new URLSearchParams({ token: link.searchParams.get('token')!, userName: 'console.admin@acme.com', displayName: 'Console Admin', password: 'a long console password' });
    const used = await fetch(`${address}/console/setup`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    assert.equal(used.status, 303);
    assert.equal((await fetch(`${address}/console/setup`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })).status, 400);
    await assert.rejects(cli('console', 'setup-link', '--url', address), (e: { stderr: string }) => /console setup-link works on the store/.test(e.stderr));
    const closed = `http://127.0.0.1:${await freePort()}`;
    await assert.rejects(
      run(process.execPath, ['bin/scimitar.js', '--url', closed, '--token', 't', 'user', 'list'], { env: { ...process.env, SCIMITAR_DB: '' } }),
      (e: { code: number; stderr: string }) => e.code === 1 && e.stderr === `scimitar: Cannot reach ${closed}: ECONNREFUSED\n`,
    );
  } finally {
    await app.close();
    await store.close();
  }
});
