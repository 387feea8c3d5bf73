// A provisioning job on two real server processes of A over one PostgreSQL store: node 1 runs
// the job's first cycle against B (behind a proxy that slows each request, so the cycle takes a
// while), is killed with SIGKILL half way, and node 2 takes the job over when the lease runs
// out and finishes it. B then holds every user once, and no create was made twice: B answered
// every POST /Users with 201, never with a conflict.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { call, createOrg, listening, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { adminQuery, dropSchema, freshSchemaName, POSTGRES_URL } from '../helpers/postgres.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { pool, startNode, type Node } from '../helpers/process.ts';

const CLIENT_ID = 'jobs-e2e-admin';
const SECRET = 'jobs-e2e-secret-that-is-long-enough-0123456789';
const USERS = 240;
const postgres = DIALECTS.find((d) => d.name === 'postgres')!;

/** A proxy in front of `target` that holds each request `delayMs`, and notes each POST /Users answer. */
async function slowProxy(target: string, delayMs: number) {
  const posts: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => setTimeout(() => {
      const up = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
        if (req.method === 'POST' && req.url === '/api/v2/scim/v2/Users') posts.push(r.statusCode ?? 0);
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      up.end(Buffer.concat(chunks));
    }, delayMs));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, posts, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('a provisioning job on two server processes (postgres)', { skip: postgres.skip, timeout: 300_000 }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  test('SIGKILL of the node running the first cycle: the other takes the job over, and no user is created twice', async () => {
    const schema = freshSchemaName();
    await adminQuery(`CREATE SCHEMA ${schema}`);
    cleanups.push(() => dropSchema(schema));
    const env = {
      SCIMITAR_BOOTSTRAP_CLIENT_ID: CLIENT_ID, SCIMITAR_BOOTSTRAP_CLIENT_SECRET: SECRET, SCIMITAR_WEBHOOK_ALLOW_HTTP_LOOPBACK: '1', SCIMITAR_SECRET_KEY: 'a two-process provisioning secret key, long enough',
      DATABASE_URL: `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, SCIMITAR_DB_POOL: '6', SCIMITAR_RATE_LIMIT: '0',
    };
    const b: Harness = await startHarness();
    cleanups.push(() => b.close());
    const orgB: Org = await createOrg(b, 'standard');
    const bl = await listening(b);
    cleanups.push(() => bl.app.close());
    const proxy = await slowProxy(bl.url, 15);
    cleanups.push(proxy.close);

    const node1: Node = await startNode(env);
    cleanups.push(async () => void (await node1.stop('SIGKILL')));
    const tokenRes = await fetch(`${node1.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${SECRET}` });
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const send = async (node: Node, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${node.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    await pool(Array.from({ length: USERS }, (_, i) => async () => {
      const r = await send(node1, 'POST', '/api/v2/scim/v2/Users', { userName: `kill.job${i}@e2e.test`, displayName: `Job ${i}`, emails: [{ type: 'work', value: `kill.job${i}@e2e.test` }] });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }), 8);
    const job = await send(node1, 'POST', '/api/v2/provisioning/jobs', { name: 'to B', pilot: false, deprovision: 'none', target: { url: `${proxy.url}/api/v2/scim/v2`, tokenUrl: `${proxy.url}/oauth/token`, clientId: orgB.clientId, clientSecret: orgB.clientSecret } });
    assert.equal(job.status, 201, JSON.stringify(job.body));
    assert.equal((await send(node1, 'POST', `/api/v2/provisioning/jobs/${job.body.id}/start`)).status, 200);

    const countInB = async () => (await call(b, { path: '/Users?count=1', token: orgB.token })).body.totalResults as number;
    const deadline = Date.now() + 60_000;
    while ((await countInB()) < USERS / 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const node2 = await startNode(env);
    cleanups.push(async () => void (await node2.stop()));
    const before = await countInB();
    assert.ok(before >= USERS / 4 && before < USERS, `killed mid-cycle (${before} of ${USERS} on B)`);
    await node1.stop('SIGKILL');

    // Node 2 takes the job over once node 1's lease runs out (30 s) and finishes the cycle.
    const end = Date.now() + 150_000;
    while ((await countInB()) < USERS && Date.now() < end) await new Promise((r) => setTimeout(r, 250));
    assert.equal(await countInB(), USERS, 'every user on B');
    const status = await send(node2, 'GET', `/api/v2/provisioning/jobs/${job.body.id}/status`);
    assert.equal(status.body.health.quarantined, false, JSON.stringify(status.body));
    assert.deepEqual(proxy.posts.filter((s) => s !== 201), [], 'no create refused as a duplicate');
    assert.equal(proxy.posts.length, USERS, 'one create per user');
  });
});
