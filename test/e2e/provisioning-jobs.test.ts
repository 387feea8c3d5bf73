// Scimitar as a hub: server A runs a provisioning job that pushes its own directory to server B
// (standard profile) over real HTTP with B's OAuth client credentials and the Genesys guide's
// mappings. A's store is each dialect in turn; B is SQLite. Users created, changed, disabled
// and deleted in A over SCIM arrive in B within 5 s each (the runner started as a server
// starts it), group memberships follow, B's refusals land in A's job log with B's error, a
// revoked client on B quarantines the job with the reason, the pilot writes nothing, and
// provision on demand shows every request and answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { adminApi, call, clientWith, createOrg, entraUser, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { startHub, type Hub } from '../helpers/hub.ts';
import { DIALECTS } from '../helpers/dialects.ts';


/** Polls `probe` until it returns a value, for at most `ms`. */
async function within<T>(ms: number, probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const { name: dialect, skip } of DIALECTS) {
  describe(`provisioning jobs: A pushes to B (${dialect})`, { skip }, () => {
    let hub: Hub;
    let a: Harness;
    let b: Harness;
    let orgA: Org;
    let orgB: Org;
    let jobId = '';
    let jobClient = { id: '', secret: '' };
    before(async () => {
      if (skip) return;
      hub = await startHub({ dialect });
      ({ a, b, orgA, orgB } = hub);
      jobClient = hub.client;
    });
    after(async () => {
      if (!skip) await hub.close();
    });
    const apiA = adminApi(() => a, () => orgA.token);
    const scimA = (method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) => call(a, { method, path, token: orgA.token, body });
    /** B's user with this userName, or undefined. */
    const inB = async (userName: string) => {
      const r = await call(b, { path: `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, token: orgB.token });
      return (r.body.Resources ?? [])[0] as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    /** Rounds of the runner until one runs a cycle (on PostgreSQL an event is readable once every older transaction of the cluster has ended). */
    const untilCycle = async () => {
      for (let i = 0; i < 100; i++) {
        if ((await a.services.jobRunner.tick()) > 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail('no cycle ran within 10 s');
    };
    const target = () => hub.target();

    test('a job is made stopped and in pilot; its credentials are never shown; the pilot writes nothing on B', async () => {
      const bad = await apiA('POST', '/provisioning/jobs', { name: 'no target' });
      assert.equal(bad.status, 400, bad.raw);
      assert.equal((await apiA('POST', '/provisioning/jobs', { name: 'x', target: { url: 'http://10.0.0.1/scim', token: 't' } })).status, 400, 'private targets are refused');
      const made = await apiA('POST', '/provisioning/jobs', { name: 'to B', target: target(), deprovision: 'delete' });
      assert.equal(made.status, 201, made.raw);
      jobId = made.body.id;
      assert.equal(made.body.status, 'stopped');
      assert.equal(made.body.pilot, true);
      assert.equal(made.body.target.credential, 'clientCredentials');
      for (const r of [made, await apiA('GET', `/provisioning/jobs/${jobId}`), await apiA('GET', '/provisioning/jobs')]) assert.ok(!r.raw.includes(jobClient.secret), 'the secret never comes back');
      const rows = await a.store.listJobs(orgA.organization.id);
      assert.ok(!JSON.stringify(rows).includes(jobClient.secret), 'sealed at rest');

      const test = await apiA('POST', `/provisioning/jobs/${jobId}/test-connection`);
      assert.equal(test.body.ok, true, test.raw);

      assert.equal((await scimA('POST', '/Users', entraUser('pilot.user@contoso.com', { title: 'Pilot' }))).status, 201);
      assert.equal((await apiA('POST', `/provisioning/jobs/${jobId}/start`)).body.status, 'running');
      assert.equal(await a.services.jobRunner.tick(), 1, 'the start runs a cycle');
      const status = (await apiA('GET', `/provisioning/jobs/${jobId}/status`)).body;
      assert.equal(status.lastCycle.pilot, true);
      assert.equal(status.lastCycle.counts.create, 1, JSON.stringify(status));
      assert.equal(await inB('pilot.user@contoso.com'), undefined, 'validate-only: B made nothing');
      const log = (await apiA('GET', `/provisioning/jobs/${jobId}/logs`)).body.entities;
      assert.ok(log.some((e: { action: string; name: string }) => e.action === 'create' && e.name === 'pilot.user@contoso.com'));
    });

    test('live: creates, changes, deactivations, group members and deletes reach B within 5 s each', async () => {
      assert.equal((await apiA('PATCH', `/provisioning/jobs/${jobId}`, { pilot: false })).body.pilot, false);
      await apiA('POST', `/provisioning/jobs/${jobId}/start`);
      a.services.jobRunner.start();
      await within(5000, () => inB('pilot.user@contoso.com'), 'the existing user arrives with the first full cycle');

      const made = await scimA('POST', '/Users', entraUser('ada@contoso.com', { title: 'Engineer', [ENTERPRISE]: { department: 'R&D' } }));
      const ada = made.body.id as string;
      const inBAda = await within(5000, () => inB('ada@contoso.com'), 'a new user').catch(async (e) => {
        throw new Error(`${(e as Error).message}; the job: ${(await apiA('GET', `/provisioning/jobs/${jobId}/status`)).raw}; its log: ${(await apiA('GET', `/provisioning/jobs/${jobId}/logs`)).raw.slice(0, 1500)}`);
      });
      assert.equal(inBAda.title, 'Engineer');
      assert.equal(inBAda[ENTERPRISE]?.department, 'R&D');

      await scimA('PATCH', `/Users/${ada}`, patchOp({ op: 'replace', path: 'title', value: 'Principal' }));
      await within(5000, async () => ((await inB('ada@contoso.com'))?.title === 'Principal' ? true : undefined), 'a changed title');
      // A cycle for a changed user reads that user only: no other user is even looked at.
      const afterTitle = await within(5000, async () => {
        const st = (await apiA('GET', `/provisioning/jobs/${jobId}/status`)).body;
        return st.lastCycle?.kind === 'changes' && st.lastCycle.counts.update === 1 ? st.lastCycle : undefined;
      }, 'the title cycle recorded');
      assert.equal(afterTitle.counts.skip, 0, JSON.stringify(afterTitle));
      // An event that aged out of the retention (SCIMITAR_EVENT_RETENTION_DAYS) before the job
      // read it: what it changed is unknown, so the next cycle reads the whole directory.
      await a.store.insertAudit({ id: randomUUID(), orgId: orgA.organization.id, time: new Date(Date.now() - 40 * 86_400_000).toISOString(), action: 'update', resourceType: 'User', resourceId: ada, changes: { title: { after: 'Aged out' } } });
      await scimA('PATCH', `/Users/${ada}`, patchOp({ op: 'replace', path: 'title', value: 'Staff' }));
      const afterExpired = await within(5000, async () => {
        const st = (await apiA('GET', `/provisioning/jobs/${jobId}/status`)).body;
        return st.lastCycle?.counts.update === 1 && (await inB('ada@contoso.com'))?.title === 'Staff' ? st.lastCycle : undefined;
      }, 'the cycle after an expired event');
      assert.ok(afterExpired.counts.skip > 0, `the whole directory was read: ${JSON.stringify(afterExpired)}`);
      await scimA('PATCH', `/Users/${ada}`, patchOp({ op: 'replace', path: 'title', value: 'Principal' }));
      await within(5000, async () => ((await inB('ada@contoso.com'))?.title === 'Principal' ? true : undefined), 'the title back');
      // Such a cycle still names a manager by the manager's id on B (from the manager's state).
      const pilotInA = (await call(a, { path: `/Users?filter=${encodeURIComponent('userName eq "pilot.user@contoso.com"')}`, token: orgA.token })).body.Resources[0].id as string;
      const pilotInB = (await inB('pilot.user@contoso.com'))!.id as string;
      await scimA('PATCH', `/Users/${ada}`, patchOp({ op: 'replace', path: `${ENTERPRISE}:manager`, value: pilotInA }));
      await within(5000, async () => ((await inB('ada@contoso.com'))?.[ENTERPRISE]?.manager?.value === pilotInB ? true : undefined), 'a manager, by its id on B');
      await scimA('PATCH', `/Users/${ada}`, patchOp({ op: 'replace', path: `${ENTERPRISE}:department`, value: 'Sales' }));
      await within(5000, async () => ((await inB('ada@contoso.com'))?.[ENTERPRISE]?.department === 'Sales' ? true : undefined), 'a moved department');

      // A public group of A, with Ada added over SCIM: B gets the group and the member.
      const group = await apiA('POST', '/groups', { name: 'Hub Readers', type: 'official', visibility: 'public' });
      assert.equal(group.status, 201, group.raw);
      await scimA('PATCH', `/Groups/${group.body.id}`, patchOp({ op: 'add', path: 'members', value: [{ value: ada }] }));
      const bAda = (await inB('ada@contoso.com'))!.id;
      await within(5000, async () => {
        const g = await call(b, { path: `/Groups?filter=${encodeURIComponent('displayName eq "Hub Readers"')}`, token: orgB.token });
        const members = (g.body.Resources?.[0]?.members ?? []) as { value: string }[];
        return members.some((m) => m.value === bAda) ? true : undefined;
      }, 'a group member');

      await scimA('PATCH', `/Users/${ada}`, patchOp({ op: 'replace', path: 'active', value: false }));
      await within(5000, async () => ((await inB('ada@contoso.com'))?.active === false ? true : undefined), 'a deactivation');

      await scimA('DELETE', `/Users/${ada}`);
      await within(5000, async () => ((await inB('ada@contoso.com')) === undefined ? true : undefined), 'a deletion (deprovision: delete)');
      await a.services.jobRunner.stop();
      const log = (await apiA('GET', `/provisioning/jobs/${jobId}/logs?user=${ada}`)).body.entities as { action: string }[];
      for (const action of ['create', 'update', 'disable', 'delete']) assert.ok(log.some((e) => e.action === action), `${action} is in the log: ${JSON.stringify(log.map((e) => e.action))}`);
    });

    test('provision on demand shows each request and the answer; B\'s refusal lands in the job log with B\'s error', async () => {
      const grace = await scimA('POST', '/Users', entraUser('grace@contoso.com', { title: 'Admiral' }));
      assert.equal(grace.status, 201);
      const shown = await apiA('POST', `/provisioning/jobs/${jobId}/provision-on-demand`, { user: 'grace@contoso.com' });
      assert.equal(shown.status, 200, shown.raw);
      assert.equal(shown.body.action, 'create');
      const steps = shown.body.steps as { request: { method: string; path: string; body?: Record<string, unknown> }; response: { status: number } }[];
      assert.ok(steps.some((s) => s.request.method === 'GET' && s.request.path.includes('filter=userName')), 'the match on the target');
      const create = steps.find((s) => s.request.method === 'POST')!;
      assert.equal(create.request.body?.userName, 'grace@contoso.com');
      assert.equal(create.response.status, 201);
      assert.ok(await inB('grace@contoso.com'));
      // The run stays in the log with its steps (the console shows it from there after a redirect).
      const logged = (await apiA('GET', `/provisioning/jobs/${jobId}/logs?user=grace@contoso.com`)).body.entities.find((e: { cycle: string }) => e.cycle === 'on-demand');
      assert.deepEqual(logged.steps.map((s: { request: { method: string } }) => s.request.method), steps.map((s) => s.request.method));
      assert.equal((await apiA('POST', `/provisioning/jobs/${jobId}/provision-on-demand`, { user: 'nobody@contoso.com' })).status, 404);
      // On demand takes the job's lease as a cycle does: while a cycle (here, another holder) has
      // it, on demand waits, then says so; once it is free, on demand runs.
      assert.equal(await a.store.claimJob(jobId, Date.now(), Date.now() + 60_000, 'a running cycle'), true);
      assert.equal(await a.store.claimJob(jobId, Date.now(), Date.now() + 60_000, 'another'), false, 'one holder at a time');
      const waited = await apiA('POST', `/provisioning/jobs/${jobId}/provision-on-demand`, { user: 'grace@contoso.com' });
      assert.equal(waited.status, 409, waited.raw);
      assert.match(waited.body.message, /A cycle of this job is running/);
      await a.store.releaseJob(jobId, 'a running cycle');
      assert.equal((await apiA('POST', `/provisioning/jobs/${jobId}/provision-on-demand`, { user: 'grace@contoso.com' })).status, 200);

      // The mapping preview: a value for a user, or the error with its position.
      const ok = await apiA('POST', `/provisioning/jobs/${jobId}/preview`, { expression: 'Join(" / ", [jobTitle], ToUpper([userPrincipalName]))', user: 'grace@contoso.com' });
      assert.equal(ok.status, 200, ok.raw);
      assert.equal(ok.body.value, 'Admiral / GRACE@CONTOSO.COM');
      assert.equal(ok.body.source.jobTitle, 'Admiral');
      const broken = await apiA('POST', `/provisioning/jobs/${jobId}/preview`, { expression: 'Join(" ", [jobTitle], Nope([mail]))', user: 'grace@contoso.com' });
      assert.equal(broken.status, 200);
      assert.match(broken.body.error.message, /Nope/);
      assert.equal(broken.body.error.position, 23, 'where the unknown function starts');
      assert.equal((await apiA('POST', `/provisioning/jobs/${jobId}/preview`, { expression: '[mail]', user: 'nobody@contoso.com' })).status, 404);
      const huge = await apiA('POST', `/provisioning/jobs/${jobId}/preview`, { expression: `${'ConvertToBase64('.repeat(40)}[jobTitle]${')'.repeat(40)}`, user: 'grace@contoso.com' });
      assert.match(huge.body.error.message, /longer than 1048576 characters/, 'a value that would grow without bound is refused, not built');

      // A mapping that sends B a value it refuses for one user (a title over B's 65,536 characters): B's 400 and detail are in A's log.
      const refuse = { target: 'title', source: { type: 'expression', expression: `Switch([jobTitle], [jobTitle], "Refuse me", ConvertToBase64(ConvertToBase64(ConvertToBase64("${'x'.repeat(5_000)}"))))` }, apply: 'always' };
      const mapped = await apiA('PATCH', `/provisioning/jobs/${jobId}`, { mappings: { users: [
        { target: 'userName', source: { type: 'direct', attribute: 'userPrincipalName' }, apply: 'always', match: 1 },
        { target: 'displayName', source: { type: 'direct', attribute: 'displayName' }, apply: 'always' },
        refuse,
      ] } });
      assert.equal(mapped.status, 200, mapped.raw);
      const bad = await apiA('PATCH', `/provisioning/jobs/${jobId}`, { mappings: { users: [{ target: 'title', source: { type: 'expression', expression: 'Left([jobTitle], ' } }] } });
      assert.equal(bad.status, 400, 'a mapping that does not compile is refused with where');
      assert.match(bad.body.message, /users\[0\]/);
      await scimA('POST', '/Users', entraUser('refused@contoso.com', { title: 'Refuse me' }));
      await untilCycle();
      const log = (await apiA('GET', `/provisioning/jobs/${jobId}/logs?user=refused@contoso.com`)).body.entities as { action: string; errors?: string[] }[];
      const failed = log.find((e) => e.action === 'fail');
      assert.ok(failed, JSON.stringify(log));
      assert.match(failed!.errors!.join(' '), /400 invalidValue: The value of "title" is longer than 65536/);
      // The entry keeps the request B refused and B's answer (a success keeps method, path and status).
      const refusedStep = (failed as unknown as { steps: { request: { method: string; body?: { userName?: string } }; response: { status: number; body?: { scimType?: string } } }[] }).steps.find((st) => st.response.status === 400)!;
      assert.equal(refusedStep.request.method, 'POST');
      assert.equal(refusedStep.request.body?.userName, 'refused@contoso.com');
      assert.equal(refusedStep.response.body?.scimType, 'invalidValue');
      const made = (await apiA('GET', `/provisioning/jobs/${jobId}/logs?action=create`)).body.entities.find((e: { cycle: string }) => e.cycle !== 'on-demand') as { steps?: { request: { method: string; body?: unknown }; response: { status: number; body?: unknown } }[] };
      assert.ok(made.steps?.some((st) => st.request.method === 'POST' && st.response.status === 201 && st.request.body === undefined && st.response.body === undefined), JSON.stringify(made));
      assert.equal(await inB('refused@contoso.com'), undefined);
    });

    test('revoking A\'s client on B quarantines the job with the reason; starting it again ends the quarantine', async () => {
      const revoked = await call(b, { method: 'DELETE', path: `/api/v2/oauth/clients/${jobClient.id}`, token: orgB.token });
      assert.equal(revoked.status, 204, revoked.raw);
      await scimA('POST', '/Users', entraUser(`after.revoke.${randomUUID().slice(0, 6)}@contoso.com`));
      await untilCycle();
      const status = (await apiA('GET', `/provisioning/jobs/${jobId}/status`)).body;
      assert.equal(status.health.quarantined, true, JSON.stringify(status));
      assert.match(status.health.reason, /refused the credentials/);
      assert.ok(status.health.since);
      assert.equal(await a.services.jobRunner.tick(), 0, 'a quarantined job waits');
      const started = await apiA('POST', `/provisioning/jobs/${jobId}/start`);
      assert.equal(started.body.health.quarantined, false);
    });

    test('permissions and divisions: a Sales-scoped administrator sees and runs only Sales jobs, which read only Sales users', async () => {
      const sales = (await apiA('POST', '/authorization/divisions', { name: 'Sales' })).body.id as string;
      const role = (await apiA('POST', '/authorization/roles', { name: 'Sales provisioner', permissions: ['provisioning:job:view', 'provisioning:job:add', 'provisioning:job:run', 'provisioning:job:edit'] })).body.id;
      const client = await apiA('POST', '/oauth/clients', { name: 'sales', authorizedGrantType: 'CLIENT-CREDENTIALS', roleDivisions: [{ roleId: role, divisionId: sales }] });
      const token = (await a.app.inject({ method: 'POST', url: '/oauth/token', headers: { authorization: `Basic ${Buffer.from(`${client.body.id}:${client.body.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=client_credentials' })).json().access_token as string;
      assert.equal((await apiA('GET', `/provisioning/jobs/${jobId}`, undefined, token)).status, 404, 'the organization-wide job is beyond Sales');
      assert.deepEqual((await apiA('GET', '/provisioning/jobs', undefined, token)).body.entities, []);
      assert.equal((await apiA('POST', '/provisioning/jobs', { name: 'all', target: { url: 'http://127.0.0.1:9/scim', token: 't' }, divisionIds: null }, token)).status, 403);
      const made = await apiA('POST', '/provisioning/jobs', { name: 'sales only', target: { url: 'http://127.0.0.1:9/scim', token: 't' } }, token);
      assert.equal(made.status, 201, made.raw);
      assert.deepEqual(made.body.divisionIds, [sales]);
      const unreachable = await apiA('POST', `/provisioning/jobs/${made.body.id}/provision-on-demand`, { user: 'nobody@contoso.com' }, token);
      assert.equal(unreachable.status, 503, 'a target that does not answer is a clear 503, never a 500');
      assert.match(unreachable.body.message, /could not be reached: connect ECONNREFUSED 127\.0\.0\.1:9/, 'the reason, not only "fetch failed"');
      const noRun = await clientToken(a, orgA, ['provisioning:job:view']);
      assert.equal((await apiA('POST', `/provisioning/jobs/${jobId}/start`, undefined, noRun)).status, 403);
      const other = await createOrg(a);
      assert.equal((await apiA('GET', `/provisioning/jobs/${jobId}`, undefined, other.token)).status, 404);
    });
  });
}

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const clientToken = (h: Harness, org: Org, permissions: string[]) => clientWith(h, org, permissions);

test('without SCIMITAR_SECRET_KEY a job cannot be saved, and the answer says why', async () => {
  const h = await startHarness();
  try {
    const org = await createOrg(h);
    const r = await call(h, { method: 'POST', path: '/api/v2/provisioning/jobs', token: org.token, body: { name: 'x', target: { url: 'https://scim.example.com/scim/v2', token: 't' } }, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 409, r.raw);
    assert.match(r.raw, /SCIMITAR_SECRET_KEY/);
  } finally {
    await h.close();
  }
});

test('a target name is checked at every connection, after DNS: a name that resolves to a refused address is not connected to (SSRF)', async () => {
  // Saved by name (no lookup when saving); at connection "localhost" resolves to loopback, which
  // this server does not allow: refused before any connection, where an unguarded fetch would
  // have reached port 9 and been told ECONNREFUSED.
  const h = await startHarness({ secretKey: 'k'.repeat(40) });
  try {
    const org = await createOrg(h);
    const api = adminApi(() => h, () => org.token);
    const job = await api('POST', '/provisioning/jobs', { name: 'inward', target: { url: 'https://localhost:9/scim/v2', token: 't' } });
    assert.equal(job.status, 201, job.raw);
    const t = await api('POST', `/provisioning/jobs/${job.body.id}/test-connection`);
    assert.equal(t.body.ok, false, t.raw);
    assert.match(t.body.detail, /refused: localhost resolves to (127\.0\.0\.1|::1) .*loopback/, t.raw);
    const demand = await api('POST', `/provisioning/jobs/${job.body.id}/provision-on-demand`, { user: 'nobody@contoso.com' });
    assert.equal(demand.status, 503, demand.raw);
    assert.match(demand.raw, /refused: localhost resolves to/);
  } finally {
    await h.close();
  }
});
