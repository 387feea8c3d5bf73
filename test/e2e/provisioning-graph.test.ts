// A provisioning job whose source is Microsoft Graph (a local Graph-shaped server standing in
// for Microsoft's: the token endpoint, /users with the manager expanded, /groups and their
// members, one user by id or UPN): the service reads it on a schedule and pushes it to B.
// Its client secret is sealed and never shown; the expression preview reads the user from
// Graph; a refused secret quarantines the job with the identity platform's words.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { adminApi, call } from '../helpers/harness.ts';
import { startHub, type Hub } from '../helpers/hub.ts';

const SECRET = 'graph-app-secret-that-must-never-show';
let graph: Server;
let graphUrl = '';
let hub: Hub;
const users: Record<string, unknown>[] = [
  { id: 'g-ann', userPrincipalName: 'ann@contoso.com', displayName: 'Ann Lee', accountEnabled: true, jobTitle: 'Director', mail: 'ann@contoso.com' },
  { id: 'g-bo', userPrincipalName: 'bo@contoso.com', displayName: 'Bo Chan', accountEnabled: true, jobTitle: 'Engineer', mail: 'bo@contoso.com', manager: { id: 'g-ann' } },
];
const tokenRequests: Record<string, string>[] = [];
/** While set, /users waits for it (a cycle caught reading the source). */
let hold: Promise<void> | undefined;

before(async () => {
  graph = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://graph');
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method === 'POST' && url.pathname === '/contoso/oauth2/v2.0/token') {
        const form = Object.fromEntries(new URLSearchParams(body));
        tokenRequests.push(form);
        if (form.client_id !== 'app-1' || form.client_secret !== SECRET) return json(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
        return json(200, { access_token: 'graph-token', token_type: 'Bearer', expires_in: 3600 });
      }
      if (req.headers.authorization !== 'Bearer graph-token') return json(401, { error: { code: 'InvalidAuthenticationToken', message: 'no token' } });
      const select = (url.searchParams.get('$select') ?? '').split(',');
      const shown = (u: Record<string, unknown>) => Object.fromEntries(Object.entries(u).filter(([k]) => select.includes(k) || k === 'manager'));
      if (url.pathname === '/v1.0/users') return void (hold ?? Promise.resolve()).then(() => json(200, { value: users.map(shown) }));
      const one = /^\/v1\.0\/users\/([^/]+)$/.exec(url.pathname);
      if (one) {
        const key = decodeURIComponent(one[1]);
        const u = users.find((x) => x.id === key || x.userPrincipalName === key);
        return u ? json(200, shown(u)) : json(404, { error: { code: 'Request_ResourceNotFound', message: `Resource '${key}' does not exist` } });
      }
      if (url.pathname === '/v1.0/groups') return json(200, { value: [{ id: 'g-eng', displayName: 'Engineering' }] });
      if (url.pathname === '/v1.0/groups/g-eng/members') return json(200, { value: [{ id: 'g-bo' }] });
      json(404, { error: { code: 'NotFound', message: url.pathname } });
    });
  });
  await new Promise<void>((r) => graph.listen(0, '127.0.0.1', () => r()));
  graphUrl = `http://127.0.0.1:${(graph.address() as { port: number }).port}`;
  hub = await startHub();
});

after(async () => {
  await hub?.close();
  await new Promise((r) => graph.close(r));
});

test('a job reads Microsoft Graph on its schedule and pushes users, managers and group members to B; its secret never shows', async () => {
  const { a, b, orgA, orgB } = hub;
  const api = adminApi(() => a, () => orgA.token);
  const inB = async (userName: string) => (await call(b, { path: `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, token: orgB.token })).body.Resources?.[0];
  const source = { type: 'graph', tenantId: 'contoso', clientId: 'app-1', clientSecret: SECRET, authority: graphUrl, baseUrl: graphUrl, intervalMinutes: 5 };
  assert.equal((await api('POST', '/provisioning/jobs', { name: 'no secret', source: { ...source, clientSecret: undefined }, target: hub.target() })).status, 400, 'a Graph source needs its secret');
  assert.equal((await api('POST', '/provisioning/jobs', { name: 'private', source: { ...source, baseUrl: 'https://10.1.2.3' }, target: hub.target() })).status, 400, 'the Graph host follows the target rules');
  const made = await api('POST', '/provisioning/jobs', { name: 'Graph to B', source, target: hub.target(), pilot: false });
  assert.equal(made.status, 201, made.raw);
  const id = made.body.id as string;
  assert.deepEqual(made.body.source, { type: 'graph', tenantId: 'contoso', clientId: 'app-1', authority: graphUrl, baseUrl: graphUrl, includeGroups: true, intervalMinutes: 5 });
  for (const r of [made, await api('GET', `/provisioning/jobs/${id}`), await api('GET', '/audits?order=desc')]) assert.ok(!r.raw.includes(SECRET), 'the secret never comes back');
  assert.ok(!JSON.stringify(await a.store.listJobs(orgA.organization.id)).includes(SECRET), 'sealed at rest');

  // The expression preview reads the user from Graph.
  const preview = await api('POST', `/provisioning/jobs/${id}/preview`, { expression: 'Join(" / ", [jobTitle], ToUpper([userPrincipalName]))', user: 'bo@contoso.com' });
  assert.equal(preview.status, 200, preview.raw);
  assert.equal(preview.body.value, 'Engineer / BO@CONTOSO.COM');
  assert.equal((await api('POST', `/provisioning/jobs/${id}/preview`, { expression: '[mail]', user: 'nobody@contoso.com' })).status, 404);

  await api('POST', `/provisioning/jobs/${id}/start`);
  assert.equal(await a.services.jobRunner.tick(), 1, 'the first cycle runs at once');
  const bo = await inB('bo@contoso.com');
  const ann = await inB('ann@contoso.com');
  assert.ok(bo && ann, 'both users arrived');
  assert.equal(bo.title, 'Engineer');
  assert.equal(bo['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']?.manager?.value, ann.id, 'the manager, by its id on B');
  const group = (await call(b, { path: `/Groups?filter=${encodeURIComponent('displayName eq "Engineering"')}`, token: orgB.token })).body.Resources?.[0];
  assert.deepEqual(group?.members?.map((m: { value: string }) => m.value), [bo.id], 'the group and its member');

  // A change in Graph waits for the next scheduled cycle (not a change event of this directory).
  users[1] = { ...users[1], jobTitle: 'Principal' };
  assert.equal(await a.services.jobRunner.tick(), 0, 'not due before intervalMinutes');
  const status = (await api('GET', `/provisioning/jobs/${id}/status`)).body;
  assert.equal(status.lastCycle.counts.create, 3, `two users and the group: ${JSON.stringify(status)}`);
  await api('POST', `/provisioning/jobs/${id}/restart`);
  // The status shows the cycle running now (Entra's current cycle status), then nothing.
  let release: () => void = () => undefined;
  hold = new Promise((r) => (release = r));
  const ticking = a.services.jobRunner.tick();
  let now: { step?: string; kind?: string } | undefined;
  for (let i = 0; i < 100 && !now; i++) {
    now = (await api('GET', `/provisioning/jobs/${id}/status`)).body.currentCycle;
    if (!now) await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual([now?.kind, now?.step], ['full', 'reading the source']);
  hold = undefined;
  release();
  assert.equal(await ticking, 1);
  assert.equal((await api('GET', `/provisioning/jobs/${id}/status`)).body.currentCycle, undefined, 'over when the cycle is');
  assert.equal((await inB('bo@contoso.com')).title, 'Principal');

  // A secret the identity platform refuses: quarantined, with its words.
  assert.equal((await api('PATCH', `/provisioning/jobs/${id}`, { source: { ...source, clientSecret: 'wrong' } })).status, 200);
  await api('POST', `/provisioning/jobs/${id}/start`);
  assert.equal(await a.services.jobRunner.tick(), 1);
  const refused = (await api('GET', `/provisioning/jobs/${id}/status`)).body;
  assert.equal(refused.health.quarantined, true, JSON.stringify(refused));
  assert.match(refused.health.reason, /AADSTS7000215: Invalid client secret/);
  assert.ok(tokenRequests.every((f) => f.scope === `${graphUrl}/.default` && f.grant_type === 'client_credentials'));
});
