// The webhook sender's own thread: deliveries go on while the request thread is busy. The
// test's thread makes a change, then blocks itself for 1.5 s (as a node saturated with requests
// would hold its event loop); the receiver, in a process of its own, notes when the event
// arrived. A sender in the request thread could only send after the block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { adminApi, call, createOrg, entraUser, patchOp, startHarness } from '../../helpers/harness.ts';
import { startSenderThread } from '../../../src/directory/webhooks/sender-host.ts';

const RECEIVER = `
const server = require('node:http').createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => { console.log(JSON.stringify({ at: Date.now(), type: JSON.parse(body).type })); res.writeHead(204).end(); });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`;

test('the sender thread delivers while the request thread is blocked, and stops cleanly', async () => {
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
    const thread = await startSenderThread({ store: { dbPath: h.dbPath! }, policy: { allowHttpLoopback: true, allowPrivate: false }, publicUrl: 'http://localhost:8080' }, h.services.changes, (e) => errors.push(e));
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

test('a sender thread that ends unexpectedly is started again, and stop ends it for good', async () => {
  const errors: string[] = [];
  const watchers = new Set<(orgId: string) => void>();
  const thread = await startSenderThread({ store: { dbPath: 'unused' }, policy: { allowHttpLoopback: false, allowPrivate: false }, publicUrl: 'http://localhost:8080' },
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
