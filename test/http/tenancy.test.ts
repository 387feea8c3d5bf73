// Organizations never see each other. A walk over every registered route (SCIM under both
// base paths, the administration API, the token endpoint and the console's pages and forms):
// organization B's administrator, holding every permission, by token or by console session,
// aims each route at organization A's user, group, division, role, client, skill and
// language. Nothing of A may appear in any answer, nothing of A may change, and a route
// added without a case fails the walk. Runs on SQLite and PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addDivision, addGroup, call, consoleAdmin, createOrg, entraUser, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { SCIM_BASE_PATHS } from '../../src/http/app.ts';
import { DIALECTS } from '../helpers/dialects.ts';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
/** Names only organization A holds: none may appear in an answer to B. */
const A_SECRETS = ['Alice Hidden', 'alice.hidden@a.test', 'Alpha title', 'Alpha Group', 'Alpha Division', 'Alpha Role', 'Alpha Client', 'Alpha Skill', 'Alpha Language', 'Alpha Org'];
const B_PASSWORD = 'a long password of b';

type Res = Awaited<ReturnType<typeof call>> & {
  /** What the request itself carried of A's (a name it asked for): an error may quote it back. */
  readonly sent?: readonly string[];
};

for (const { name: dialect, skip } of DIALECTS) {
  describe(`tenancy (${dialect})`, async () => {
    let h: Harness;
    let a: Org;
    let b: Org;
    const A = { user: '', userVersion: '', group: '', division: '', role: '', client: '', clientSecret: '', skill: '', language: '', secretTokenId: '', secretToken: '', webhook: '', job: '' };
    let session = '';
    let csrf = '';

    before(async () => {
      if (skip) return;
      h = await startHarness({ dialect, webhookAllowHttpLoopback: true, secretKey: 'a tenancy test secret key of 32+ characters' });
      a = await createOrg(h, 'genesys', 'Alpha Org');
      b = await createOrg(h, 'genesys', 'Bravo Org');
      A.division = await addDivision(h, a, 'Alpha Division');
      const u = await call(h, { method: 'POST', path: '/Users', token: a.token, body: entraUser('alice.hidden@a.test', { displayName: 'Alice Hidden', title: 'Alpha title', externalId: 'shared-ext' }) });
      assert.equal(u.status, 201, u.raw);
      A.group = await addGroup(h, a, 'Alpha Group');
      assert.equal((await call(h, { method: 'PATCH', path: `/Groups/${A.group}`, token: a.token, body: patchOp({ op: 'Add', path: 'members', value: [{ value: u.body.id }] }) })).status, 204);
      A.user = u.body.id;
      A.userVersion = (await call(h, { path: `/Users/${A.user}`, token: a.token })).headers.etag as string;
      const admin = (path: string, body: unknown) => call(h, { method: 'POST', path, token: a.token, body, headers: { 'content-type': 'application/json' } });
      A.role = (await admin('/api/v2/authorization/roles', { name: 'Alpha Role', permissions: ['directory:user:view'] })).body.id;
      const client = await admin('/api/v2/oauth/clients', { name: 'Alpha Client', roleDivisions: [{ roleId: A.role, divisionId: A.division }] });
      [A.client, A.clientSecret] = [client.body.id, client.body.secret];
      const secretToken = await admin(`/api/v2/oauth/clients/${A.client}/tokens`, { expiresInDays: 30 });
      [A.secretTokenId, A.secretToken] = [secretToken.body.id, secretToken.body.token];
      A.skill = (await admin('/api/v2/routing/skills', { name: 'Alpha Skill' })).body.id;
      A.language = (await admin('/api/v2/routing/languages', { name: 'Alpha Language' })).body.id;
      A.webhook = (await admin('/api/v2/webhooks', { url: 'http://127.0.0.1:9/alpha-hook', description: 'Alpha Hook' })).body.id;
      A.job = (await admin('/api/v2/provisioning/jobs', { name: 'Alpha Job', target: { url: 'http://127.0.0.1:9/alpha-scim', token: 'alpha-token' } })).body.id;
      assert.ok(A.role && A.client && A.skill && A.language && A.secretToken && A.webhook && A.job, 'organization A is set up');
      // B's console administrator.
      session = await consoleAdmin(h.app, b.organization.id, 'root@b.test', B_PASSWORD, 'Root B');
      csrf = /name="_csrf" value="([^"]+)"/.exec((await h.app.inject({ url: '/console/users', headers: { cookie: session } })).body)![1];
    });
    after(async () => {
      if (!skip) await h.close();
    });

    /** B's administrator client, by token. */
    const asB = (c: { method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; path: string; body?: unknown; headers?: Record<string, string> }) =>
      call(h, { ...c, token: b.token, headers: { ...(c.body !== undefined && c.path.startsWith('/api/v2/') && !c.path.startsWith('/api/v2/scim') ? { 'content-type': 'application/json' } : {}), ...c.headers } });
    /** B's console administrator, by session (forms carry the session's CSRF token). */
    const page = async (path: string, cookie = session): Promise<Res> => {
      const r = await h.app.inject({ url: path, headers: { cookie } });
      return { status: r.statusCode, headers: r.headers, body: undefined, raw: r.body };
    };
    const form = async (path: string, fields: Record<string, string> = {}, cookie = session): Promise<Res> => {
      const r = await h.app.inject({ method: 'POST', url: path, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString() });
      // A form answers with a redirect; the page it leads to (with its notice) is part of the answer.
      const location = r.headers.location;
      const next = r.statusCode === 303 && typeof location === 'string' && location.startsWith('/console') ? await page(location, cookie) : undefined;
      return { status: r.statusCode, headers: r.headers, body: undefined, raw: r.body + (next?.raw ?? '') };
    };
    const expectStatus = (statuses: number[], r: Res): Res[] => {
      assert.ok(statuses.includes(r.status), `${r.status} not in ${statuses.join('/')}: ${r.raw.slice(0, 300)}`);
      return [r];
    };
    const none = (r: Res, key = 'totalResults'): Res[] => {
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body[key], 0, r.raw);
      return [r];
    };
    const NOT_FOUND = [404];
    /** B's own activity lists B's own refused requests, with the paths and bodies they sent. */
    const own = () => ['Alpha Division', 'alice.hidden@a.test', A.user, A.group, A.division, A.role, A.client, A.webhook, A.job, 'Alpha Job', 'alpha-scim'];

    /** One case per route template (SCIM routes without their base path). */
    const cases: Record<string, (scim: string) => Promise<Res[]>> = {
      'GET (site root)': async () => {
        // The site's root, not the SCIM root (`call` prefixes the SCIM base path).
        const r = await h.app.inject({ url: '/', headers: { authorization: `Bearer ${b.token}` } });
        return expectStatus([302], { status: r.statusCode, headers: r.headers, body: undefined, raw: r.body });
      },
      'GET /healthz': async () => [await asB({ path: '/healthz' })],
      'GET /openapi.json': async () => [await asB({ path: '/openapi.json' })],
      'GET /readyz': async () => [await asB({ path: '/readyz' })],
      // A's client id with B's secret: the secret of another organization opens nothing.
      'POST /oauth/token': async () => expectStatus([401], await call(h, { method: 'POST', path: '/oauth/token', body: `grant_type=client_credentials&client_id=${A.client}&client_secret=${b.clientSecret}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })),

      'GET /': async (s) => none(await asB({ path: `${s}/?filter=${encodeURIComponent(`id eq "${A.user}" or displayName co "Alice" or externalId eq "shared-ext"`)}` })),
      'POST /.search': async (s) => none(await asB({ method: 'POST', path: `${s}/.search`, body: { schemas: [SEARCH], filter: `id eq "${A.user}" or displayName co "Alpha"` } })),
      'POST /Users/.search': async (s) => none(await asB({ method: 'POST', path: `${s}/Users/.search`, body: { schemas: [SEARCH], filter: `userName eq "alice.hidden@a.test"` } })),
      'POST /Groups/.search': async (s) => none(await asB({ method: 'POST', path: `${s}/Groups/.search`, body: { schemas: [SEARCH], filter: `members[value eq "${A.user}"] or displayName eq "Alpha Group"` } })),
      ...Object.fromEntries((['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).map((method) => [`${method} /Me`, async (s: string) => expectStatus([501], await asB({ method, path: `${s}/Me`, ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) }))])),
      'POST /Bulk': async (s) => {
        const r = await asB({
          method: 'POST', path: `${s}/Bulk`,
          body: {
            schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
            Operations: [
              { method: 'PATCH', path: `/Users/${A.user}`, data: patchOp({ op: 'replace', path: 'title', value: 'pwned' }) },
              { method: 'PUT', path: `/Users/${A.user}`, data: entraUser('bob.b@b.test') },
              { method: 'DELETE', path: `/Users/${A.user}` },
              { method: 'PATCH', path: `/Groups/${A.group}`, data: patchOp({ op: 'remove', path: 'members' }) },
            ],
          },
        });
        assert.deepEqual(r.body.Operations.map((o: { status: string }) => o.status), ['404', '404', '404', '404'], r.raw);
        return [r];
      },
      'GET /Users': async (s) => {
        const out: Res[] = [];
        for (const f of [`id eq "${A.user}"`, 'userName eq "alice.hidden@a.test"', 'displayName co "Alice"', 'externalId eq "shared-ext"', `groups.value eq "${A.group}"`]) out.push(...none(await asB({ path: `${s}/Users?filter=${encodeURIComponent(f)}` })));
        return out;
      },
      'POST /Users': async (s) => {
        const manager = await asB({ method: 'POST', path: `${s}/Users`, body: entraUser('bob@b.test', { [ENT]: { manager: { value: A.user } } }) });
        assert.equal(manager.status, 400, 'A\'s user is no manager in B');
        const division = await asB({ method: 'POST', path: `${s}/Users`, body: entraUser('carl@b.test', { [ENT]: { division: 'Alpha Division' } }) });
        assert.equal(division.status, 400, 'A\'s division does not exist in B');
        return [manager, { ...division, sent: ['Alpha Division'] }];
      },
      'GET /Users/:id': async (s) => expectStatus(NOT_FOUND, await asB({ path: `${s}/Users/${A.user}` })),
      'PUT /Users/:id': async (s) => expectStatus(NOT_FOUND, await asB({ method: 'PUT', path: `${s}/Users/${A.user}`, body: entraUser('bob.b@b.test', { title: 'pwned' }) })),
      'PATCH /Users/:id': async (s) => expectStatus(NOT_FOUND, await asB({ method: 'PATCH', path: `${s}/Users/${A.user}`, body: patchOp({ op: 'Replace', path: 'title', value: 'pwned' }) })),
      'DELETE /Users/:id': async (s) => expectStatus(NOT_FOUND, await asB({ method: 'DELETE', path: `${s}/Users/${A.user}` })),
      'GET /Groups': async (s) => [
        ...none(await asB({ path: `${s}/Groups?filter=${encodeURIComponent(`members[value eq "${A.user}"]`)}` })),
        ...none(await asB({ path: `${s}/Groups?filter=${encodeURIComponent('displayName eq "Alpha Group"')}` })),
        await asB({ path: `${s}/Groups` }),
      ],
      'POST /Groups': async (s) => expectStatus([405], await asB({ method: 'POST', path: `${s}/Groups`, body: { displayName: 'Bravo New', members: [{ value: A.user }] } })),
      'GET /Groups/:id': async (s) => expectStatus(NOT_FOUND, await asB({ path: `${s}/Groups/${A.group}` })),
      'PUT /Groups/:id': async (s) => expectStatus(NOT_FOUND, await asB({ method: 'PUT', path: `${s}/Groups/${A.group}`, body: { displayName: 'Bravo Renamed', members: [] } })),
      'PATCH /Groups/:id': async (s) => expectStatus(NOT_FOUND, await asB({ method: 'PATCH', path: `${s}/Groups/${A.group}`, body: patchOp({ op: 'Remove', path: 'members' }) })),
      'DELETE /Groups/:id': async (s) => expectStatus([404, 405], await asB({ method: 'DELETE', path: `${s}/Groups/${A.group}` })),
      'GET /ServiceProviderConfig': async (s) => [await asB({ path: `${s}/ServiceProviderConfig` })],
      'GET /ResourceTypes': async (s) => [await asB({ path: `${s}/ResourceTypes` })],
      'GET /ResourceTypes/:id': async (s) => [await asB({ path: `${s}/ResourceTypes/User` })],
      'GET /Schemas': async (s) => [await asB({ path: `${s}/Schemas` })],
      'GET /Schemas/:id': async (s) => [await asB({ path: `${s}/Schemas/urn:ietf:params:scim:schemas:core:2.0:User` })],

      'GET /api/v2/organizations/me': async () => {
        const r = await asB({ path: '/api/v2/organizations/me' });
        assert.equal(r.body.id, b.organization.id);
        return [r];
      },
      'GET /api/v2/authorization/divisions': async () => [await asB({ path: '/api/v2/authorization/divisions' })],
      'POST /api/v2/authorization/divisions': async () => expectStatus([200, 201], await asB({ method: 'POST', path: '/api/v2/authorization/divisions', body: { name: 'Bravo Division' } })),
      'GET /api/v2/authorization/divisions/:id': async () => expectStatus(NOT_FOUND, await asB({ path: `/api/v2/authorization/divisions/${A.division}` })),
      'PUT /api/v2/authorization/divisions/:id': async () => expectStatus(NOT_FOUND, await asB({ method: 'PUT', path: `/api/v2/authorization/divisions/${A.division}`, body: { name: 'Renamed' } })),
      'DELETE /api/v2/authorization/divisions/:id': async () => expectStatus(NOT_FOUND, await asB({ method: 'DELETE', path: `/api/v2/authorization/divisions/${A.division}` })),
      'GET /api/v2/groups': async () => [await asB({ path: '/api/v2/groups' })],
      'POST /api/v2/groups': async () => expectStatus([200, 201], await asB({ method: 'POST', path: '/api/v2/groups', body: { name: 'Bravo Group' } })),
      'GET /api/v2/groups/:id': async () => expectStatus(NOT_FOUND, await asB({ path: `/api/v2/groups/${A.group}` })),
      'PUT /api/v2/groups/:id': async () => expectStatus(NOT_FOUND, await asB({ method: 'PUT', path: `/api/v2/groups/${A.group}`, body: { name: 'Renamed' } })),
      'DELETE /api/v2/groups/:id': async () => expectStatus(NOT_FOUND, await asB({ method: 'DELETE', path: `/api/v2/groups/${A.group}` })),
      'GET /api/v2/groups/:id/members': async () => expectStatus(NOT_FOUND, await asB({ path: `/api/v2/groups/${A.group}/members` })),
      'POST /api/v2/groups/:id/members': async () => {
        const own = (await asB({ path: '/api/v2/groups' })).body.entities.find((g: { name: string }) => g.name === 'Bravo Group').id;
        return [
          ...expectStatus(NOT_FOUND, await asB({ method: 'POST', path: `/api/v2/groups/${A.group}/members`, body: { memberIds: [A.user] } })),
          ...expectStatus([400], await asB({ method: 'POST', path: `/api/v2/groups/${own}/members`, body: { memberIds: [A.user] } })),
        ];
      },
      'DELETE /api/v2/groups/:id/members': async () => expectStatus(NOT_FOUND, await asB({ method: 'DELETE', path: `/api/v2/groups/${A.group}/members?ids=${A.user}` })),
      'GET /api/v2/authorization/roles': async () => [await asB({ path: '/api/v2/authorization/roles' })],
      'POST /api/v2/authorization/roles': async () => expectStatus([200, 201], await asB({ method: 'POST', path: '/api/v2/authorization/roles', body: { name: 'Bravo Role', permissions: ['directory:user:view'] } })),
      'GET /api/v2/authorization/roles/:id': async () => expectStatus(NOT_FOUND, await asB({ path: `/api/v2/authorization/roles/${A.role}` })),
      'PUT /api/v2/authorization/roles/:id': async () => expectStatus(NOT_FOUND, await asB({ method: 'PUT', path: `/api/v2/authorization/roles/${A.role}`, body: { name: 'X', permissions: [] } })),
      'DELETE /api/v2/authorization/roles/:id': async () => expectStatus(NOT_FOUND, await asB({ method: 'DELETE', path: `/api/v2/authorization/roles/${A.role}` })),
      'GET /api/v2/oauth/clients': async () => [await asB({ path: '/api/v2/oauth/clients' })],
      // A client of B on A's role and division: neither exists in B.
      'POST /api/v2/oauth/clients': async () => expectStatus([400, 404], await asB({ method: 'POST', path: '/api/v2/oauth/clients', body: { name: 'Sneaky', roleDivisions: [{ roleId: A.role, divisionId: A.division }] } })),
      'GET /api/v2/oauth/clients/:id': async () => expectStatus(NOT_FOUND, await asB({ path: `/api/v2/oauth/clients/${A.client}` })),
      'PUT /api/v2/oauth/clients/:id': async () => expectStatus(NOT_FOUND, await asB({ method: 'PUT', path: `/api/v2/oauth/clients/${A.client}`, body: { name: 'Mine', state: 'inactive' } })),
      'DELETE /api/v2/oauth/clients/:id': async () => expectStatus(NOT_FOUND, await asB({ method: 'DELETE', path: `/api/v2/oauth/clients/${A.client}` })),
      'POST /api/v2/oauth/clients/:id/secret': async () => expectStatus(NOT_FOUND, await asB({ method: 'POST', path: `/api/v2/oauth/clients/${A.client}/secret` })),
      'GET /api/v2/oauth/clients/:id/tokens': async () => expectStatus(NOT_FOUND, await asB({ path: `/api/v2/oauth/clients/${A.client}/tokens` })),
      'POST /api/v2/oauth/clients/:id/tokens': async () => expectStatus(NOT_FOUND, await asB({ method: 'POST', path: `/api/v2/oauth/clients/${A.client}/tokens`, body: { expiresInDays: 30 } })),
      'DELETE /api/v2/oauth/clients/:id/tokens/:tokenId': async () => {
        // A's token by A's client, and by one of B's own clients.
        const own = (await asB({ path: '/api/v2/oauth/clients' })).body.entities[0].id;
        return [
          ...expectStatus(NOT_FOUND, await asB({ method: 'DELETE', path: `/api/v2/oauth/clients/${A.client}/tokens/${A.secretTokenId}` })),
          ...expectStatus(NOT_FOUND, await asB({ method: 'DELETE', path: `/api/v2/oauth/clients/${own}/tokens/${A.secretTokenId}` })),
        ];
      },
      'GET /api/v2/routing/skills': async () => [await asB({ path: '/api/v2/routing/skills' })],
      'POST /api/v2/routing/skills': async () => expectStatus([200, 201], await asB({ method: 'POST', path: '/api/v2/routing/skills', body: { name: 'Bravo Skill' } })),
      'DELETE /api/v2/routing/skills/:id': async () => expectStatus(NOT_FOUND, await asB({ method: 'DELETE', path: `/api/v2/routing/skills/${A.skill}` })),
      'GET /api/v2/routing/languages': async () => [await asB({ path: '/api/v2/routing/languages' })],
      'POST /api/v2/routing/languages': async () => expectStatus([200, 201], await asB({ method: 'POST', path: '/api/v2/routing/languages', body: { name: 'Bravo Language' } })),
      'DELETE /api/v2/routing/languages/:id': async () => expectStatus(NOT_FOUND, await asB({ method: 'DELETE', path: `/api/v2/routing/languages/${A.language}` })),
      'GET /api/v2/users': async () => [await asB({ path: '/api/v2/users?pageSize=500' })],
      'GET /api/v2/users/:id': async () => expectStatus(NOT_FOUND, await asB({ path: `/api/v2/users/${A.user}` })),
      'PATCH /api/v2/users/:id': async () => expectStatus(NOT_FOUND, await asB({ method: 'PATCH', path: `/api/v2/users/${A.user}`, body: { state: 'inactive' } })),
      'GET /api/v2/users/:id/grants': async () => expectStatus(NOT_FOUND, await asB({ path: `/api/v2/users/${A.user}/grants` })),
      'PUT /api/v2/users/:id/grants': async () => expectStatus(NOT_FOUND, await asB({ method: 'PUT', path: `/api/v2/users/${A.user}/grants`, body: { grants: [{ roleId: A.role, divisionId: A.division }] } })),
      'DELETE /api/v2/users/:id': async () => expectStatus(NOT_FOUND, await asB({ method: 'DELETE', path: `/api/v2/users/${A.user}` })),
      'GET /api/v2/requests': async () => [{ ...(await asB({ path: '/api/v2/requests?pageSize=200' })), sent: own() }, { ...(await asB({ path: `/api/v2/requests?path=${A.user}` })), sent: own() }],
      'GET /api/v2/requests/summary': async () => [await asB({ path: '/api/v2/requests/summary' })],
      'GET /api/v2/webhooks': async () => [await asB({ path: '/api/v2/webhooks' })],
      'POST /api/v2/webhooks': async () => expectStatus([201], await asB({ method: 'POST', path: '/api/v2/webhooks', body: { url: 'http://127.0.0.1:9/bravo-hook' } })),
      'GET /api/v2/webhooks/:id': async () => expectStatus(NOT_FOUND, await asB({ path: `/api/v2/webhooks/${A.webhook}` })),
      'PATCH /api/v2/webhooks/:id': async () => expectStatus(NOT_FOUND, await asB({ method: 'PATCH', path: `/api/v2/webhooks/${A.webhook}`, body: { enabled: false } })),
      'DELETE /api/v2/webhooks/:id': async () => expectStatus(NOT_FOUND, await asB({ method: 'DELETE', path: `/api/v2/webhooks/${A.webhook}` })),
      'POST /api/v2/webhooks/:id/secret': async () => expectStatus(NOT_FOUND, await asB({ method: 'POST', path: `/api/v2/webhooks/${A.webhook}/secret` })),
      'POST /api/v2/webhooks/:id/replay': async () => expectStatus(NOT_FOUND, await asB({ method: 'POST', path: `/api/v2/webhooks/${A.webhook}/replay`, body: {} })),
      'POST /api/v2/webhooks/:id/test': async () => expectStatus(NOT_FOUND, await asB({ method: 'POST', path: `/api/v2/webhooks/${A.webhook}/test` })),
      'POST /api/v2/webhooks/:id/retry': async () => expectStatus(NOT_FOUND, await asB({ method: 'POST', path: `/api/v2/webhooks/${A.webhook}/retry` })),
      'GET /api/v2/webhooks/:id/deliveries': async () => expectStatus(NOT_FOUND, await asB({ path: `/api/v2/webhooks/${A.webhook}/deliveries` })),
      'GET /api/v2/provisioning/jobs': async () => [{ ...(await asB({ path: '/api/v2/provisioning/jobs' })), sent: own() }],
      'POST /api/v2/provisioning/jobs': async () => expectStatus([201], await asB({ method: 'POST', path: '/api/v2/provisioning/jobs', body: { name: 'Bravo Job', target: { url: 'http://127.0.0.1:9/bravo-scim', token: 't' } } })),
      'GET /api/v2/provisioning/jobs/:id': async () => expectStatus(NOT_FOUND, await asB({ path: `/api/v2/provisioning/jobs/${A.job}` })),
      'PATCH /api/v2/provisioning/jobs/:id': async () => expectStatus(NOT_FOUND, await asB({ method: 'PATCH', path: `/api/v2/provisioning/jobs/${A.job}`, body: { pilot: false } })),
      'DELETE /api/v2/provisioning/jobs/:id': async () => expectStatus(NOT_FOUND, await asB({ method: 'DELETE', path: `/api/v2/provisioning/jobs/${A.job}` })),
      'POST /api/v2/provisioning/jobs/:id/start': async () => expectStatus(NOT_FOUND, await asB({ method: 'POST', path: `/api/v2/provisioning/jobs/${A.job}/start` })),
      'POST /api/v2/provisioning/jobs/:id/stop': async () => expectStatus(NOT_FOUND, await asB({ method: 'POST', path: `/api/v2/provisioning/jobs/${A.job}/stop` })),
      'POST /api/v2/provisioning/jobs/:id/restart': async () => expectStatus(NOT_FOUND, await asB({ method: 'POST', path: `/api/v2/provisioning/jobs/${A.job}/restart` })),
      'GET /api/v2/provisioning/jobs/:id/status': async () => expectStatus(NOT_FOUND, await asB({ path: `/api/v2/provisioning/jobs/${A.job}/status` })),
      'POST /api/v2/provisioning/jobs/:id/provision-on-demand': async () => expectStatus(NOT_FOUND, await asB({ method: 'POST', path: `/api/v2/provisioning/jobs/${A.job}/provision-on-demand`, body: { user: 'alice.hidden@a.test' } })),
      'POST /api/v2/provisioning/jobs/:id/preview': async () => expectStatus(NOT_FOUND, await asB({ method: 'POST', path: `/api/v2/provisioning/jobs/${A.job}/preview`, body: { expression: '[jobTitle]', user: 'alice.hidden@a.test' } })),
      'POST /api/v2/provisioning/jobs/:id/test-connection': async () => expectStatus(NOT_FOUND, await asB({ method: 'POST', path: `/api/v2/provisioning/jobs/${A.job}/test-connection` })),
      'GET /api/v2/provisioning/jobs/:id/logs': async () => expectStatus(NOT_FOUND, await asB({ path: `/api/v2/provisioning/jobs/${A.job}/logs` })),
      'POST /api/v2/webhooks/:id/poll': async () => expectStatus(NOT_FOUND, await asB({ method: 'POST', path: `/api/v2/webhooks/${A.webhook}/poll`, body: { returnImmediately: true, ack: ['x'] } })),
      // Public by design (a receiver verifies SETs with it): each organization's own key, nothing else of it.
      'GET /api/v2/events/issuers/:orgId/jwks': async () => {
        const own = await asB({ path: `/api/v2/events/issuers/${b.organization.id}/jwks` });
        assert.equal(own.status, 200, own.raw);
        assert.deepEqual(Object.keys(own.body), ['keys']);
        return [own, expectStatus(NOT_FOUND, await asB({ path: '/api/v2/events/issuers/no-such-org/jwks' }))[0]];
      },
      'GET /api/v2/events': async () => {
        const all = await asB({ path: '/api/v2/events?limit=1000' });
        assert.equal(all.status, 200, all.raw);
        return [{ ...all, sent: own() }];
      },
      'GET /api/v2/activity': async () => [{ ...(await asB({ path: '/api/v2/activity?pageSize=200' })), sent: own() }, { ...(await asB({ path: `/api/v2/activity?resource=${A.user}` })), sent: own() }],
      'GET /api/v2/audits': async () => {
        const byId = await asB({ path: `/api/v2/audits?resourceId=${A.user}` });
        assert.deepEqual(byId.body.entities, []);
        return [await asB({ path: '/api/v2/audits?pageSize=500' }), byId];
      },

      // The console, as B's signed-in administrator.
      'GET /console/assets/:name': async () => [await page('/console/assets/console.css')],
      'GET /console/setup': async () => [await page('/console/setup?token=x')],
      'POST /console/setup': async () => expectStatus([400], await form('/console/setup', { token: 'not-a-token', userName: 'x@b.test', displayName: 'X', password: 'a long enough password' })),
      'GET /console/sign-in': async () => [await page('/console/sign-in')],
      // B's administrator may not sign in to A by naming it.
      'POST /console/sign-in': async () => expectStatus([401], await form('/console/sign-in', { organization: 'Alpha Org', userName: 'root@b.test', password: B_PASSWORD }, '')),
      'POST /console/sign-out': async () => {
        // On a session of its own, so that the walk's session lives on.
        const signIn = await h.app.inject({ method: 'POST', url: '/console/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ organization: 'Bravo Org', userName: 'root@b.test', password: B_PASSWORD }).toString() });
        const other = String(signIn.headers['set-cookie']).split(';')[0];
        const token = /name="_csrf" value="([^"]+)"/.exec((await page('/console/users', other)).raw)![1];
        const r = await h.app.inject({ method: 'POST', url: '/console/sign-out', headers: { cookie: other, 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${token}` });
        return expectStatus([303], { status: r.statusCode, headers: r.headers, body: undefined, raw: r.body });
      },
      'GET /console': async () => [await page('/console')],
      'GET /console/users': async () => [await page('/console/users'), await page(`/console/users?q=${encodeURIComponent('Alice')}`), { ...(await page(`/console/users?filter=${encodeURIComponent(`id eq "${A.user}"`)}`)), sent: [A.user] }],
      'GET /console/users/:id': async () => expectStatus(NOT_FOUND, await page(`/console/users/${A.user}`)),
      'GET /console/groups': async () => [await page('/console/groups')],
      'GET /console/groups/:id': async () => expectStatus(NOT_FOUND, await page(`/console/groups/${A.group}`)),
      'GET /console/divisions': async () => [await page('/console/divisions')],
      'GET /console/roles': async () => [await page('/console/roles')],
      'GET /console/clients': async () => [await page('/console/clients')],
      'GET /console/requests': async () => [{ ...(await page('/console/requests')), sent: own() }],
      'GET /console/activity': async () => [{ ...(await page('/console/activity')), sent: own() }, { ...(await page(`/console/activity?resource=${A.user}`)), sent: own() }],
      // A live stream never ends; what it delivers is scoped as the page is (test/http/console/activity-stream.test.ts).
      'GET /console/activity/stream': async () => expectStatus([303], await asB({ path: '/console/activity/stream' })),
      'POST /console/users/:id/state': async () => expectStatus([303], await form(`/console/users/${A.user}/state`, { state: 'inactive' })),
      'POST /console/users/:id/delete': async () => expectStatus([303], await form(`/console/users/${A.user}/delete`)),
      'POST /console/users/:id/password': async () => expectStatus([303], await form(`/console/users/${A.user}/password`, { password: 'b chose this password' })),
      'POST /console/users/:id/grants': async () => expectStatus([303], await form(`/console/users/${A.user}/grants`, { roleId: A.role, divisionId: A.division })),
      'POST /console/groups': async () => expectStatus([303], await form('/console/groups', { name: 'Bravo Console Group' })),
      'POST /console/groups/:id/members': async () => expectStatus([303], { ...(await form(`/console/groups/${A.group}/members`, { userName: 'alice.hidden@a.test' })), sent: ['alice.hidden@a.test'] }),
      'POST /console/groups/:id/members/remove': async () => expectStatus([303], await form(`/console/groups/${A.group}/members/remove`, { userId: A.user })),
      'POST /console/groups/:id/delete': async () => expectStatus([303], await form(`/console/groups/${A.group}/delete`)),
      'POST /console/divisions': async () => expectStatus([303], await form('/console/divisions', { name: 'Bravo Console Division' })),
      'POST /console/divisions/:id/rename': async () => expectStatus([303], await form(`/console/divisions/${A.division}/rename`, { name: 'Taken' })),
      'POST /console/divisions/:id/delete': async () => expectStatus([303], await form(`/console/divisions/${A.division}/delete`)),
      'POST /console/roles': async () => expectStatus([303], await form('/console/roles', { name: 'Bravo Console Role', permissions: 'directory:user:view' })),
      'POST /console/roles/:id/delete': async () => expectStatus([303], await form(`/console/roles/${A.role}/delete`)),
      'POST /console/clients': async () => expectStatus([303], await form('/console/clients', { name: 'Sneaky', roleId: A.role, divisionId: A.division })),
      'POST /console/clients/:id/rotate': async () => expectStatus([303], await form(`/console/clients/${A.client}/rotate`)),
      'POST /console/clients/:id/state': async () => expectStatus([303], await form(`/console/clients/${A.client}/state`, { state: 'inactive' })),
      'POST /console/clients/:id/delete': async () => expectStatus([303], await form(`/console/clients/${A.client}/delete`)),
      'POST /console/federation': async () => expectStatus([303], await form('/console/federation', { clientId: A.client, issuer: 'https://idp.example.com', subject: 'b-takes-over' })),
      'POST /console/clients/:id/federation/remove': async () => expectStatus([303], await form(`/console/clients/${A.client}/federation/remove`)),
      'POST /console/secret-tokens': async () => expectStatus([303], await form('/console/secret-tokens', { clientId: A.client, expiresInDays: '30' })),
      'POST /console/clients/:id/tokens/:tokenId/revoke': async () => expectStatus([303], await form(`/console/clients/${A.client}/tokens/${A.secretTokenId}/revoke`)),
      'GET /console/reveal': async () => expectStatus([200], await page('/console/reveal')),
      'GET /console/webhooks': async () => [await page('/console/webhooks')],
      'GET /console/webhooks/:id': async () => expectStatus(NOT_FOUND, await page(`/console/webhooks/${A.webhook}`)),
      'POST /console/webhooks': async () => expectStatus([303], await form('/console/webhooks', { url: 'http://127.0.0.1:9/bravo-console-hook' })),
      'POST /console/webhooks/:id/secret': async () => expectStatus([303], await form(`/console/webhooks/${A.webhook}/secret`)),
      'POST /console/webhooks/:id/test': async () => expectStatus([303], await form(`/console/webhooks/${A.webhook}/test`)),
      'POST /console/webhooks/:id/retry': async () => expectStatus([303], await form(`/console/webhooks/${A.webhook}/retry`)),
      'POST /console/webhooks/:id/state': async () => expectStatus([303], await form(`/console/webhooks/${A.webhook}/state`, { enabled: 'false' })),
      'POST /console/webhooks/:id/delete': async () => expectStatus([303], await form(`/console/webhooks/${A.webhook}/delete`)),
      'GET /console/provisioning': async () => [await page('/console/provisioning')],
      'GET /console/provisioning/:id': async () => expectStatus(NOT_FOUND, await page(`/console/provisioning/${A.job}`)),
      'POST /console/provisioning': async () => expectStatus([303], await form('/console/provisioning', { name: 'Bravo console job', url: 'http://127.0.0.1:9/bravo-scim', token: 't' })),
      'POST /console/provisioning/:id/start': async () => {
        const r = expectStatus([303], await form(`/console/provisioning/${A.job}/start`));
        assert.equal((await h.store.getJob(a.organization.id, A.job))?.status, 'stopped', 'A\'s job did not start');
        return r;
      },
      'POST /console/provisioning/:id/stop': async () => expectStatus([303], await form(`/console/provisioning/${A.job}/stop`)),
      'POST /console/provisioning/:id/restart': async () => expectStatus([303], await form(`/console/provisioning/${A.job}/restart`)),
      'POST /console/provisioning/:id/mode': async () => {
        const r = expectStatus([303], await form(`/console/provisioning/${A.job}/mode`, { pilot: 'false' }));
        assert.equal((await h.store.getJob(a.organization.id, A.job))?.pilot, true, 'A\'s job stayed in pilot');
        return r;
      },
      'POST /console/provisioning/:id/test': async () => expectStatus([303], await form(`/console/provisioning/${A.job}/test`)),
      'POST /console/provisioning/:id/mappings': async () => {
        const r = expectStatus(NOT_FOUND, await form(`/console/provisioning/${A.job}/mappings`, { mappings: '{"users": []}' }));
        assert.equal((await h.store.getJob(a.organization.id, A.job))?.config.mappings, undefined, 'A\'s mappings untouched');
        return r;
      },
      'POST /console/provisioning/:id/mappings/row': async () => {
        const r = expectStatus([303], await form(`/console/provisioning/${A.job}/mappings/row`, { kind: 'users', index: '', was: '', type: 'constant', source: 'x', target: 'title', apply: 'always' }));
        assert.equal((await h.store.getJob(a.organization.id, A.job))?.config.mappings, undefined, 'A\'s mappings untouched');
        return r;
      },
      'POST /console/provisioning/:id/mappings/row/delete': async () => {
        const r = expectStatus([303], await form(`/console/provisioning/${A.job}/mappings/row/delete`, { kind: 'users', index: '0', was: 'userName' }));
        assert.equal((await h.store.getJob(a.organization.id, A.job))?.config.mappings, undefined, 'A\'s mappings untouched');
        return r;
      },
      'POST /console/provisioning/:id/scoping': async () => {
        const r = expectStatus([303], await form(`/console/provisioning/${A.job}/scoping`, { filter: 'new', attribute: 'department', operator: 'EQUALS', value: 'x' }));
        assert.equal((await h.store.getJob(a.organization.id, A.job))?.config.scopingFilters, undefined, 'A\'s scope untouched');
        return r;
      },
      'POST /console/provisioning/:id/scoping/delete': async () => expectStatus([303], await form(`/console/provisioning/${A.job}/scoping/delete`, { filter: '0', clause: '0', was: 'x' })),
      'POST /console/provisioning/:id/preview': async () => expectStatus(NOT_FOUND, await form(`/console/provisioning/${A.job}/preview`, { expression: '[jobTitle]', user: 'alice.hidden@a.test' })),
      'POST /console/provisioning/:id/on-demand': async () => expectStatus([303], await form(`/console/provisioning/${A.job}/on-demand`, { user: 'alice.hidden@a.test' })),
      // Test connection with A's client id and B's secret: refused, and says nothing of A.
      'POST /console/connect/test': async () => [await form('/console/connect/test', { clientId: A.client, clientSecret: b.clientSecret })],
    };

    const template = (url: string) => {
      if (url === '/') return { base: '', path: '(site root)' };
      for (const base of SCIM_BASE_PATHS) if (url === base || url.startsWith(`${base}/`)) return { base, path: url.slice(base.length) || '/' };
      return { base: '', path: url };
    };

    test('every registered route has a tenancy case', { skip }, () => {
      const missing = h.app.routeTable.map((r) => `${r.method} ${template(r.url).path}`).filter((key) => !cases[key]);
      assert.deepEqual([...new Set(missing)], []);
    });

    test('no route shows, changes or removes anything of another organization', { skip }, async () => {
      const seen = new Set<string>();
      for (const r of h.app.routeTable) {
        const { base, path } = template(r.url);
        const key = `${r.method} ${path}`;
        if (seen.has(`${base} ${key}`) || !cases[key]) continue;
        seen.add(`${base} ${key}`);
        for (const res of await cases[key](base)) {
          assert.ok(res.status < 500 || (res.status === 501 && path === '/Me'), `${base}${key}: ${res.status} ${res.raw.slice(0, 300)}`);
          for (const secret of A_SECRETS.filter((x) => !res.sent?.includes(x))) assert.ok(!res.raw.includes(secret), `${base}${key} shows "${secret}": ${res.raw.slice(0, 300)}`);
          // An error may quote the id the caller sent (a Bulk response quotes those of its
          // operations); a success never shows one of A's.
          if (res.status < 300 && key !== 'POST /Bulk') for (const id of [A.user, A.group, A.division, A.role, A.client].filter((x) => !res.sent?.includes(x))) assert.ok(!res.raw.includes(id), `${base}${key} shows A's id ${id}`);
        }
      }
      // Organization A is as it was.
      const user = await call(h, { path: `/Users/${A.user}`, token: a.token });
      assert.equal(user.headers.etag, A.userVersion, 'A\'s user is unchanged');
      assert.equal(user.body.title, 'Alpha title');
      assert.deepEqual((await call(h, { path: `/Groups/${A.group}`, token: a.token })).body.members.map((m: { value: string }) => m.value), [A.user]);
      const admin = (path: string) => call(h, { path, token: a.token });
      assert.equal((await admin(`/api/v2/authorization/divisions/${A.division}`)).body.name, 'Alpha Division');
      assert.equal((await admin(`/api/v2/authorization/roles/${A.role}`)).body.name, 'Alpha Role');
      assert.deepEqual((await admin(`/api/v2/users/${A.user}/grants`)).body.grants, []);
      const client = await admin(`/api/v2/oauth/clients/${A.client}`);
      assert.equal(client.body.state, 'active');
      const token = await call(h, { method: 'POST', path: '/oauth/token', body: `grant_type=client_credentials&client_id=${A.client}&client_secret=${A.clientSecret}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(token.status, 200, 'A\'s client secret still works: nobody rotated it');
      assert.equal((await call(h, { path: '/Users', token: A.secretToken })).status, 200, 'A\'s secret token still works: nobody revoked it');
      assert.ok((await admin('/api/v2/routing/skills')).raw.includes('Alpha Skill'));
      assert.ok((await admin('/api/v2/routing/languages')).raw.includes('Alpha Language'));
    });

    test('the same userName lives independently in two organizations; A\'s user is neither manager nor member in B', { skip }, async () => {
      const r = await asB({ method: 'POST', path: '/Users', body: entraUser('alice.hidden@a.test', { displayName: 'Another Alice' }) });
      assert.equal(r.status, 201, r.raw);
      assert.notEqual(r.body.id, A.user);
      const m = await asB({ method: 'PATCH', path: `/Users/${r.body.id}`, body: patchOp({ op: 'Add', path: `${ENT}:manager`, value: A.user }) });
      assert.equal(m.status, 400);
      const bGroup = await addGroup(h, b, 'Bravo Public');
      const g = await asB({ method: 'PATCH', path: `/Groups/${bGroup}`, body: patchOp({ op: 'Add', path: 'members', value: [{ value: A.user }] }) });
      assert.equal(g.status, 400);
    });
  });
}
