// Logs that answer "why": every 4xx/5xx line names the client, organization, route, status,
// scimType and detail; no line ever holds a token, a secret or a password.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import { createServices } from '../../src/services.ts';
import { createOrganization, type CreatedOrganization } from '../../src/directory/organizations.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/contract.ts';

const lines: Record<string, unknown>[] = [];
const raw: string[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    for (const l of String(chunk).split('\n').filter(Boolean)) {
      raw.push(l);
      lines.push(JSON.parse(l));
    }
    done();
  },
});

let dir: string;
let store: Store;
let app: FastifyInstance;
let org: CreatedOrganization;
let token: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scimitar-log-'));
  store = openSqliteStore({ path: join(dir, 'log.db') });
  app = await buildApp(createServices(store, { tokenTtlSeconds: 3600, tokenCacheTtlMs: 5000 }), { publicUrl: 'http://x', bodyLimitBytes: 1 << 20, logLevel: 'info', logStream: sink });
  org = await createOrganization(store, { name: 'logs', scimProfile: 'genesys' });
  const r = await app.inject({ method: 'POST', url: '/oauth/token', payload: `grant_type=client_credentials&client_id=${org.clientId}&client_secret=${org.clientSecret}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  token = r.json().access_token;
});
after(async () => {
  await app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const refusals = () => lines.filter((l) => l.msg === 'request refused');
const scim = (method: 'GET' | 'POST', url: string, payload?: string, auth = `Bearer ${token}`) =>
  app.inject({ method, url: `/api/v2/scim/v2${url}`, payload, headers: { authorization: auth, ...(payload !== undefined ? { 'content-type': 'application/scim+json' } : {}) } });

test('a refused SCIM request logs client, organization, route, status, scimType and detail', async () => {
  const body = JSON.stringify({ userName: 'dup@contoso.com', displayName: 'Dup', password: 'Pa55word-Never-Logged' });
  assert.equal((await scim('POST', '/Users', body)).statusCode, 201);
  assert.equal((await scim('POST', '/Users', body)).statusCode, 409);
  const line = refusals().at(-1)!;
  assert.deepEqual(
    { clientId: line.clientId, orgId: line.orgId, route: line.route, method: line.method, status: line.status, scimType: line.scimType },
    { clientId: org.clientId, orgId: org.organization.id, route: '/api/v2/scim/v2/Users', method: 'POST', status: 409, scimType: 'uniqueness' },
  );
  assert.match(String(line.detail), /dup@contoso\.com.*already in use/);
});

test('token and authentication failures say why, without the secret', async () => {
  await app.inject({ method: 'POST', url: '/oauth/token', payload: `grant_type=client_credentials&client_id=${org.clientId}&client_secret=Wrong-Secret-Never-Logged`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const failed = refusals().at(-1)!;
  assert.deepEqual([failed.clientId, failed.status, failed.error], [org.clientId, 401, 'invalid_client']);
  assert.match(String(failed.detail), /wrong secret/);
  await scim('GET', '/Users', undefined, 'Bearer Not-A-Token-Never-Logged');
  assert.match(String(refusals().at(-1)!.detail), /unknown or revoked/);
});

test('a broken body with a password in it is refused without the password in log or answer', async () => {
  for (const broken of ['{"userName":"x@contoso.com","password":"Broken-Body-Secret', '{"password":"Broken-Body-Secret" x}']) {
    const r = await scim('POST', '/Users', broken);
    assert.equal(r.statusCode, 400);
    assert.ok(!r.body.includes('Broken-Body-Secret'), r.body);
  }
  assert.equal(refusals().at(-1)!.scimType, 'invalidSyntax');
});

test('no log line holds a token, a client secret or a password', () => {
  const all = raw.join('\n');
  for (const secret of [token, org.clientSecret, 'Pa55word-Never-Logged', 'Wrong-Secret-Never-Logged', 'Not-A-Token-Never-Logged', 'Broken-Body-Secret']) {
    assert.ok(!all.includes(secret), `a log line holds ${secret.slice(0, 8)}...`);
  }
  assert.ok(refusals().length >= 4);
});

test('the console setup link\'s token is never logged', async () => {
  const token = await app.consoleAuth.createSetupToken(org.organization.id);
  raw.length = 0;
  assert.equal((await app.inject({ url: `/console/setup?token=${token}` })).statusCode, 200);
  await app.inject({ method: 'POST', url: '/console/setup', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${token}&userName=a%40b.com&displayName=A&password=short` });
  assert.ok(raw.some((l) => l.includes('/console/setup?token=[redacted]')), raw.join('\n'));
  assert.ok(!raw.some((l) => l.includes(token)), 'the token appears in no log line');
});

test('a standard-profile write that ignored unknown attributes names them in its request\'s log line', async () => {
  const std = await createOrganization(store, { name: 'logs-std', scimProfile: 'standard' });
  const t = (await app.inject({ method: 'POST', url: '/oauth/token', payload: `grant_type=client_credentials&client_id=${std.clientId}&client_secret=${std.clientSecret}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })).json().access_token;
  const res = await app.inject({ method: 'POST', url: '/api/v2/scim/v2/Users', payload: JSON.stringify({ userName: 'typo', displayNmae: 'T' }), headers: { authorization: `Bearer ${t}`, 'content-type': 'application/scim+json', 'x-request-id': 'req-ignored-1' } });
  assert.equal(res.statusCode, 201, res.body);
  const line = lines.find((l) => Array.isArray(l.ignoredAttributes));
  assert.ok(line, raw.join('\n'));
  assert.deepEqual(line.ignoredAttributes, ['displayNmae']);
  assert.equal(line.reqId, 'req-ignored-1', 'the line belongs to the request');
});
