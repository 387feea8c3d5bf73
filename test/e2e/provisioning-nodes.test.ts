// Two nodes of A on one PostgreSQL store run a job once: both runners tick at the same time
// and every user reaches B created exactly once, with no failed (duplicate) create in the log;
// a node that holds a job's lease and dies leaves the job to the other once the lease runs out.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createOrg, entraUser, listening, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createServices, type Services } from '../../src/services.ts';
import type { FastifyInstance } from 'fastify';

const SECRET_KEY = 'a two-node provisioning secret key, long enough';
const postgres = DIALECTS.find((d) => d.name === 'postgres')!;

describe('provisioning jobs on two nodes (postgres)', { skip: postgres.skip }, () => {
  let a: Harness;
  let b: Harness;
  let second: Services;
  let orgA: Org;
  let orgB: Org;
  let bApp: FastifyInstance;
  let bUrl = '';
  before(async () => {
    if (postgres.skip) return;
    a = await startHarness({ dialect: 'postgres', secretKey: SECRET_KEY, webhookAllowHttpLoopback: true });
    // The second node: its own services (its own runner, its own lease owner) over the same store.
    second = createServices(a.store, { tokenTtlSeconds: 3600, tokenCacheTtlMs: 0, secretKey: SECRET_KEY, webhookAllowHttpLoopback: true });
    b = await startHarness();
    orgA = await createOrg(a);
    orgB = await createOrg(b, 'standard');
    ({ app: bApp, url: bUrl } = await listening(b));
  });
  after(async () => {
    if (postgres.skip) return;
    await bApp.close();
    await a.close();
    await b.close();
  });

  test('both nodes tick at once: each user is created on B once; a dead node\'s lease passes to the other', async () => {
    const names = Array.from({ length: 24 }, (_, i) => `node.user${i}@contoso.com`);
    for (const n of names) assert.equal((await call(a, { method: 'POST', path: '/Users', token: orgA.token, body: entraUser(n) })).status, 201);
    const job = await call(a, { method: 'POST', path: '/api/v2/provisioning/jobs', token: orgA.token, headers: { 'content-type': 'application/json' },
      body: { name: 'to B', pilot: false, target: { url: `${bUrl}/api/v2/scim/v2`, tokenUrl: `${bUrl}/oauth/token`, clientId: orgB.clientId, clientSecret: orgB.clientSecret } } });
    assert.equal(job.status, 201, job.raw);
    await call(a, { method: 'POST', path: `/api/v2/provisioning/jobs/${job.body.id}/start`, token: orgA.token });
    const ran = await Promise.all([a.services.jobRunner.tick(), second.jobRunner.tick(), a.services.jobRunner.tick(), second.jobRunner.tick()]);
    assert.equal(ran.reduce((x, y) => x + y, 0), 1, 'one cycle on one node');
    const inB = await call(b, { path: '/Users?count=100', token: orgB.token });
    assert.deepEqual((inB.body.Resources as { userName: string }[]).map((u) => u.userName).sort(), [...names].sort());
    const log = (await call(a, { path: `/api/v2/provisioning/jobs/${job.body.id}/logs?limit=500`, token: orgA.token })).body.entities as { action: string; name: string }[];
    assert.equal(log.filter((e) => e.action === 'create').length, names.length);
    assert.deepEqual(log.filter((e) => e.action === 'fail'), []);

    // A node that leased the job and died: the other cannot take it until the lease runs out, then does.
    assert.equal((await a.store.claimJobs(Date.now(), Date.now() + 1500, 'a-node-that-dies', 5)).length, 1);
    await call(a, { method: 'POST', path: '/Users', token: orgA.token, body: entraUser('after.death@contoso.com') });
    assert.equal(await second.jobRunner.tick(), 0, 'leased elsewhere');
    await new Promise((r) => setTimeout(r, 1600));
    // The second node hears of the change through the event feed (PostgreSQL shows an event once
    // every older transaction of the cluster has ended: another test file's may delay it).
    let taken = 0;
    for (let i = 0; i < 100 && taken === 0; i++) taken = await second.jobRunner.tick() || (await new Promise((r) => setTimeout(r, 100)), 0);
    assert.equal(taken, 1, 'taken over');
    assert.equal((await call(b, { path: `/Users?filter=${encodeURIComponent('userName eq "after.death@contoso.com"')}`, token: orgB.token })).body.totalResults, 1);
  });
});
