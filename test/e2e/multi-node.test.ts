// Two server processes on two ports sharing one PostgreSQL database: 64 concurrent clients
// alternate between them, adding 2,000 distinct members to one group and patching 200 users.
// Then: a node killed with SIGKILL during a create burst loses no acknowledged write.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { adminQuery, dropSchema, freshSchemaName, postgresSkipReason, POSTGRES_URL } from '../helpers/postgres.ts';
import { pool, startNode, type Node } from '../helpers/process.ts';

const skip = await postgresSkipReason();
const CLIENT_ID = 'multi-node-admin';
const SECRET = 'multi-node-secret-that-is-long-enough-0123456789';

describe('several nodes on one PostgreSQL', { skip, timeout: 300_000 }, () => {
  let schema: string;
  let env: Record<string, string>;
  let nodes: Node[] = [];
  let token: string;

  before(async () => {
    schema = freshSchemaName();
    await adminQuery(`CREATE SCHEMA ${schema}`);
    env = {
      DATABASE_URL: `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
      SCIMITAR_BOOTSTRAP_CLIENT_ID: CLIENT_ID,
      SCIMITAR_BOOTSTRAP_CLIENT_SECRET: SECRET,
      SCIMITAR_DB_POOL: '8',
    };
    // Started together: they race to migrate and to bootstrap the empty database.
    nodes = await Promise.all([startNode(env), startNode(env)]);
    const res = await fetch(`${nodes[0].url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${SECRET}`,
    });
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await dropSchema(schema);
  });

  const send = async (node: Node, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${node.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  test('no lost member, no lost or mixed user write, one audit record per accepted change', async () => {
    const group = await send(nodes[0], 'POST', '/api/v2/groups', { name: 'Everyone', visibility: 'public' });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    const users = await pool(
      Array.from({ length: 2200 }, (_, i) => async () => {
        const r = await send(nodes[i % 2], 'POST', '/api/v2/scim/v2/Users', { userName: `user${i}@multi.test`, displayName: `User ${i}` });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.body.id as string;
      }),
      64,
    );
    const members = users.slice(0, 2000);
    const patched = users.slice(2000);
    const written = new Map<string, string[]>();
    const tasks: (() => Promise<{ kind: string; status: number }>)[] = [];
    members.forEach((id) =>
      tasks.push(async () => ({ kind: 'member', status: (await send(nodes[tasks.length % 2], 'PATCH', `/api/v2/scim/v2/Groups/${group.body.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Add', path: 'members', value: [{ value: id }] }] })).status })),
    );
    patched.forEach((id, i) => {
      for (let k = 0; k < 2; k++) {
        const value = `title-${i}-${k}`;
        written.set(id, [...(written.get(id) ?? []), value]);
        tasks.push(async () => ({ kind: 'user', status: (await send(nodes[(i + k) % 2], 'PATCH', `/api/v2/scim/v2/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'title', value }] })).status }));
      }
    });
    // Interleave so member adds and user patches run at the same time on both nodes.
    for (let i = tasks.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [tasks[i], tasks[j]] = [tasks[j], tasks[i]];
    }
    const started = Date.now();
    const results = await pool(tasks, 64);
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(`\n[multi-node] ${tasks.length} PATCHes over 2 nodes, 64 clients: ${seconds.toFixed(1)} s, ${(tasks.length / seconds).toFixed(0)} req/s\n`);
    assert.deepEqual([...new Set(results.filter((r) => r.kind === 'member').map((r) => r.status))], [204]);
    assert.deepEqual([...new Set(results.filter((r) => r.kind === 'user').map((r) => r.status))], [200]);

    const g = await send(nodes[1], 'GET', `/api/v2/scim/v2/Groups/${group.body.id}`);
    assert.equal(g.body.members.length, 2000);
    assert.deepEqual(new Set(g.body.members.map((m: { value: string }) => m.value)), new Set(members));
    for (const id of patched) {
      const u = await send(nodes[0], 'GET', `/api/v2/scim/v2/Users/${id}?attributes=title`);
      assert.ok(written.get(id)!.includes(u.body.title), `${id}: ${u.body.title}`);
    }
    const counts = await adminQuery<{ resource_type: string; action: string; n: string }>(`SELECT resource_type, action, COUNT(*) AS n FROM ${schema}.audits GROUP BY resource_type, action ORDER BY 1, 2`);
    const count = (t: string, a: string) => Number(counts.find((c) => c.resource_type === t && c.action === a)?.n ?? 0);
    assert.equal(count('User', 'create'), 2200);
    assert.equal(count('User', 'update'), 400, 'every accepted user PATCH changed the title once');
    assert.equal(count('Group', 'update'), 2000, 'one record per member added');
  });

  test('a node killed with SIGKILL during a create burst loses no acknowledged write', async () => {
    const victim = await startNode(env);
    const acked: string[] = [];
    let killed = false;
    await pool(
      Array.from({ length: 400 }, (_, i) => async () => {
        if (killed) return;
        try {
          const r = await send(victim, 'POST', '/api/v2/scim/v2/Users', { userName: `burst${i}@multi.test`, displayName: `Burst ${i}` });
          if (r.status === 201) acked.push(r.body.id);
          if (acked.length >= 100 && !killed) {
            killed = true;
            victim.child.kill('SIGKILL');
          }
        } catch {
          // connection reset by the kill: not acknowledged
        }
      }),
      16,
    );
    await victim.stop();
    assert.ok(acked.length >= 100);
    for (const id of acked) assert.equal((await send(nodes[0], 'GET', `/api/v2/scim/v2/Users/${id}?attributes=id`)).status, 200, id);
  });
});
