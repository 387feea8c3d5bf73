// The node's background thread. Webhook deliveries go on while the request thread is busy: the
// test's thread makes a change, then blocks itself for 1.5 s (as a node saturated with requests
// would hold its event loop); the receiver, in a process of its own, notes when the event
// arrived. A sender in the request thread could only send after the block. The request log's
// batches are written by the thread, and by the request thread whenever no thread runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { adminApi, call, createOrg, entraUser, patchOp, startHarness } from '../../helpers/harness.ts';
import { gathered, startBackgroundThread } from '../../../src/directory/background/host.ts';
import type { RequestSeen } from '../../../src/directory/request-log.ts';

const RECEIVER = `
const server = require('node:http').createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => { console.log(JSON.stringify({ at: Date.now(), type: JSON.parse(body).type })); res.writeHead(204).end(); });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`;

test('the background thread delivers while the request thread is blocked, and stops cleanly', async () => {
  const h = await startHarness({ webhookAllowHttpLoopback: true });
  const rx = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: rx.stdout! });
  const arrivals: { at: number; type: string }[] = [];
  const port = await new Promise<number>((resolve) => lines.on('line', (l) => {
    const m = JSON.parse(l) as { port?: number; at?: number; type?: string };
    if (m.port) resolve(m.port);
    else arrivals.push(m as { at: number; type: string });
  }));
  const errors: Error[] = [];
  try {
    const org = await createOrg(h);
    const api = adminApi(() => h, () => org.token);
    assert.equal((await api('POST', '/webhooks', { url: `http://127.0.0.1:${port}/hook`, eventTypes: ['user.updated'] })).status, 201);
    const id = (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('busy@contoso.com') })).body.id as string;
    const thread = await startBackgroundThread({ store: { dbPath: h.dbPath! }, policy: { allowHttpLoopback: true, allowPrivate: false }, publicUrl: 'http://localhost:8080' }, h.services.changes, (e) => errors.push(e));
    try {
      await call(h, { method: 'PATCH', path: `/Users/${id}`, token: org.token, body: patchOp({ op: 'replace', path: 'title', value: 'Busy' }) });
      const blockedFrom = Date.now();
      while (Date.now() - blockedFrom < 1500) {
        // The request thread is held: no timer, no I/O, no promise of this thread runs.
      }
      const blockedUntil = Date.now();
      const deadline = Date.now() + 5000;
      while (arrivals.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(arrivals.length, 1, 'the event arrived');
      assert.equal(arrivals[0].type, 'user.updated');
      assert.ok(arrivals[0].at < blockedUntil, `delivered while the request thread was blocked (${arrivals[0].at - blockedFrom} ms into the ${blockedUntil - blockedFrom} ms block)`);
    } finally {
      await thread.stop();
    }
    assert.deepEqual(errors, []);
  } finally {
    rx.kill();
    await once(rx, 'exit');
    await h.close();
  }
});

test('a background thread that ends unexpectedly is started again, and stop ends it for good', async () => {
  const errors: string[] = [];
  const watchers = new Set<(orgId: string) => void>();
  const thread = await startBackgroundThread({ store: { dbPath: 'unused' }, policy: { allowHttpLoopback: false, allowPrivate: false }, publicUrl: 'http://localhost:8080' },
    { watch: (w) => (watchers.add(w), () => watchers.delete(w)) }, (e) => errors.push(e.message), { entry: new URL('../../fixtures/crashing-thread.mjs', import.meta.url) });
  const deadline = Date.now() + 5000;
  while (errors.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(errors.length >= 2, 'the restarted thread ran (and ended again)');
  assert.match(errors[0], /ended unexpectedly: starting it again/);
  await thread.stop();
  assert.equal(watchers.size, 0, 'the change signal is no longer relayed');
  const after = errors.length;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(errors.length, after, 'nothing is started after stop');
});

test('the request log is written by the background thread, and by the request thread while none runs', async () => {
  const h = await startHarness();
  const errors: Error[] = [];
  try {
    const org = await createOrg(h);
    const thread = await startBackgroundThread({ store: { dbPath: h.dbPath! }, policy: { allowHttpLoopback: false, allowPrivate: false }, publicUrl: 'http://localhost:8080' }, h.services.changes, (e) => errors.push(e));
    await h.app.requestLog.flush(); // the organization's token request, written here
    const taken: (readonly RequestSeen[])[] = [];
    h.app.requestLog.writeThrough({ writeRequests: (batch) => (taken.push(batch), thread.writeRequests(batch)) });
    const paths = async (from: number) => ((await h.store.queryRequests(org.organization.id, { limit: 1000, newestFirst: false, withUnattributed: true })).entities.map((r) => r.path)).slice(from);
    try {
      assert.equal((await call(h, { path: '/Users?marker=threaded', token: org.token })).status, 200);
      assert.equal((await call(h, { path: '/Users?token=not-a-secret-to-keep', token: 'unknown-token' })).status, 401);
      await h.app.requestLog.flush();
      assert.equal(taken.length, 1, 'the batch went to the thread');
      assert.equal(taken[0].length, 2);
    } finally {
      // Stop writes what it was handed before the thread ends.
      await thread.stop();
    }
    const written = await paths(1);
    assert.ok(written.some((p) => p.endsWith('marker=threaded')), JSON.stringify(written));
    assert.ok(written.includes('/api/v2/scim/v2/Users?token=[redacted]'), 'the thread redacts as the request thread would');
    // The thread has stopped: the recorder is told so (writeRequests says false) and writes here.
    assert.equal(thread.writeRequests([]), false);
    assert.equal((await call(h, { path: '/Users?marker=in-process', token: org.token })).status, 200);
    await h.app.requestLog.flush();
    assert.equal(taken.length, 2);
    assert.ok((await paths(1 + written.length)).some((p) => p.endsWith('marker=in-process')));
    assert.deepEqual(errors, []);
  } finally {
    await h.close();
  }
});

test('a batch handed to a thread that ends before writing it comes back, once', async () => {
  const errors: string[] = [];
  const returned: (readonly RequestSeen[])[] = [];
  const thread = await startBackgroundThread({ store: { dbPath: 'unused' }, policy: { allowHttpLoopback: false, allowPrivate: false }, publicUrl: 'http://localhost:8080' },
    { watch: () => () => undefined }, (e) => errors.push(e.message),
    { entry: new URL('../../fixtures/swallowing-thread.mjs', import.meta.url), requestsReturned: (batch) => returned.push(batch) });
  try {
    const batch: RequestSeen[] = [{ orgId: 'o', clientId: 'c', requestId: 'r1', method: 'GET', url: '/api/v2/scim/v2/Users', status: 200, durationMs: 1, auth: 'token', detail: undefined, at: Date.now() }];
    assert.equal(thread.writeRequests(batch), true);
    const deadline = Date.now() + 5000;
    while (returned.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(returned, [batch], 'the batch came back');
    assert.match(errors[0] ?? '', /ended unexpectedly/);
    assert.equal(thread.writeRequests(batch), false, 'while the thread starts again, the caller writes');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(returned.length, 1, 'given back once');
  } finally {
    await thread.stop();
  }
});

test('records given back are written with the next batch, at the time they were made', async () => {
  const h = await startHarness();
  try {
    const org = await createOrg(h);
    await h.app.requestLog.flush();
    const at = Date.UTC(2026, 11, 7, 3, 4, 5);
    h.app.requestLog.takeBack([{ orgId: org.organization.id, clientId: undefined, requestId: 'back-1', method: 'GET', url: '/api/v2/scim/v2/Users?marker=given-back', status: 200, durationMs: 2, auth: 'token', detail: undefined, at }]);
    await h.app.requestLog.flush();
    const rows = (await h.store.queryRequests(org.organization.id, { limit: 100 })).entities.filter((r) => r.path.endsWith('marker=given-back'));
    assert.equal(rows.length, 1);
    assert.equal(rows[0].time, new Date(at).toISOString());
  } finally {
    await h.close();
  }
});

test('pokes to the thread are gathered: a lone change at once, a burst as one more at the end of the gap', async () => {
  const sent: number[] = [];
  const started = performance.now();
  const poke = gathered(() => sent.push(performance.now() - started), 20);
  poke();
  assert.equal(sent.length, 1, 'the first change pokes at once');
  for (let i = 0; i < 100; i++) poke();
  assert.equal(sent.length, 1, 'changes within the gap wait');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(sent.length, 2, 'the burst is one poke at the end of the gap');
  // Timers count whole milliseconds from the event loop's cached time, which a loaded machine
  // lets fall a few milliseconds behind performance.now(): "at the end of the gap", not at once.
  assert.ok(sent[1] >= 12, `not before the gap ended (${sent[1].toFixed(1)} ms)`);
  await new Promise((r) => setTimeout(r, 30));
  poke();
  assert.equal(sent.length, 3, 'after a quiet gap, at once again');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(sent.length, 3, 'nothing more without a change');
});

test('a poke waiting for the end of its gap does not hold a stopping process open', async () => {
  // A burst leaves a trailing poke a minute away; the process must still end when its work does.
  const host = new URL('../../../src/directory/background/host.ts', import.meta.url).href;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { gathered } from ${JSON.stringify(host)}; const poke = gathered(() => undefined, 60_000); poke(); poke();`], { stdio: 'ignore' });
  const started = Date.now();
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 30_000, 'it ended without waiting out the minute');
});
