// Webhooks from real server processes: after 200 acknowledged writes the server is killed
// with SIGKILL and started again, and every one of them reaches the receiver (at least once;
// a repeat carries the same webhook-id). On PostgreSQL two nodes then send a burst together:
// no event is in flight from both at once, none is missing.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminQuery, dropSchema, freshSchemaName, POSTGRES_URL } from '../helpers/postgres.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { pool, startNode, type Node } from '../helpers/process.ts';

const CLIENT_ID = 'webhook-e2e-admin';
const SECRET = 'webhook-e2e-secret-that-is-long-enough-0123456789';

/** A receiver that keeps every delivery, notes ids sent while the same id was still in flight, and answers after `delayMs`. */
async function receiver(delayMs = 0) {
  const seen: { id: string; type: string; resource: string; sequence: number }[] = [];
  const inFlight = new Set<string>();
  let overlaps = 0;
  const server: Server = createServer((req, res) => {
    const id = String(req.headers['webhook-id']);
    // The same event goes to each subscription (its URL differs): in flight twice for one is a double send.
    const key = `${req.url} ${id}`;
    if (inFlight.has(key)) overlaps++;
    inFlight.add(key);
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const e = JSON.parse(body) as { type: string; data: { resource: { id: string }; sequence: number } };
      setTimeout(() => {
        seen.push({ id, type: e.type, resource: e.data.resource.id, sequence: e.data.sequence });
        inFlight.delete(key);
        res.writeHead(204).end();
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, seen, overlaps: () => overlaps, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function tokenOf(node: Node): Promise<string> {
  const res = await fetch(`${node.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${SECRET}` });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function send(node: Node, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${node.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function until(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const dialect of DIALECTS) {
  describe(`webhooks from server processes (${dialect.name})`, { skip: dialect.skip, timeout: 300_000 }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    /** The environment of a fresh store of this dialect. */
    const storeEnv = async (): Promise<Record<string, string>> => {
      const base = { SCIMITAR_BOOTSTRAP_CLIENT_ID: CLIENT_ID, SCIMITAR_BOOTSTRAP_CLIENT_SECRET: SECRET, SCIMITAR_WEBHOOK_ALLOW_HTTP_LOOPBACK: '1' };
      if (dialect.name === 'sqlite') {
        const dir = mkdtempSync(join(tmpdir(), 'scimitar-webhook-e2e-'));
        cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
        return { ...base, SCIMITAR_DB: join(dir, 'store.db') };
      }
      const schema = freshSchemaName();
      await adminQuery(`CREATE SCHEMA ${schema}`);
      cleanups.push(() => dropSchema(schema));
      return { ...base, DATABASE_URL: `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, SCIMITAR_DB_POOL: '6' };
    };

    test('SIGKILL right after 200 acknowledged writes: after a restart every one of them is delivered', async () => {
      const env = await storeEnv();
      const rx = await receiver();
      cleanups.push(rx.close);
      let node = await startNode(env);
      let token = await tokenOf(node);
      const hook = await send(node, token, 'POST', '/api/v2/webhooks', { url: rx.url, eventTypes: ['user.created'] });
      assert.equal(hook.status, 201, JSON.stringify(hook.body));
      const made = await pool(Array.from({ length: 200 }, (_, i) => async () => {
        const r = await send(node, token, 'POST', '/api/v2/scim/v2/Users', { userName: `kill${i}@e2e.test`, displayName: `Kill ${i}` });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.body.id as string;
      }), 8);
      await node.stop('SIGKILL');
      node = await startNode(env);
      cleanups.push(async () => void (await node.stop()));
      token = await tokenOf(node);
      // A subscription the killed node had leased waits for the lease to run out (30 s).
      await until('every acknowledged write delivered', () => made.every((id) => rx.seen.some((s) => s.resource === id)), 120_000);
      const firstSeen = new Map<string, number>();
      for (const s of rx.seen) if (!firstSeen.has(s.id)) firstSeen.set(s.id, s.sequence);
      assert.equal(firstSeen.size, 200, 'one event per write (repeats share their webhook-id)');
      if (dialect.name === 'sqlite') {
        const order = [...firstSeen.values()];
        assert.deepEqual(order, [...order].sort((a, b) => a - b), 'in sequence order');
      }
      const log = await send(node, token, 'GET', `/api/v2/webhooks/${hook.body.id}/deliveries?limit=200`);
      assert.equal(log.status, 200);
      assert.ok(log.body.entities.every((d: { status?: number }) => d.status === 204));
    });

    test('two nodes send a burst together: no event in flight from both at once, none missing', { skip: dialect.name === 'sqlite' ? 'SQLite serves from one node' : undefined }, async () => {
      const env = await storeEnv();
      const rx = await receiver(5);
      cleanups.push(rx.close);
      const nodes = [await startNode(env), await startNode(env)];
      cleanups.push(async () => void (await Promise.all(nodes.map((n) => n.stop()))));
      const token = await tokenOf(nodes[0]);
      for (let i = 0; i < 3; i++) assert.equal((await send(nodes[0], token, 'POST', '/api/v2/webhooks', { url: `${rx.url}?n=${i}`, eventTypes: ['user.created'] })).status, 201);
      const made = await pool(Array.from({ length: 300 }, (_, i) => async () => {
        const r = await send(nodes[i % 2], token, 'POST', '/api/v2/scim/v2/Users', { userName: `burst${i}@e2e.test`, displayName: `Burst ${i}` });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.body.id as string;
      }), 16);
      await until('every write delivered to each of the three subscriptions', () => rx.seen.length >= 900 && made.every((id) => rx.seen.filter((s) => s.resource === id).length >= 3), 120_000);
      assert.equal(rx.overlaps(), 0, 'never sent by two nodes at once');
      assert.equal(new Set(rx.seen.map((s) => s.id)).size, 300, 'the same 300 events');
    });
  });
}
