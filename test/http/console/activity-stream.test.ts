// The live activity stream authorizes every delivery: it delivers while the viewer holds
// audits:audit:view, and closes once that grant is taken away (or the session ends).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../../src/http/app.ts';
import { call, consoleAdmin, createOrg, entraUser, startHarness } from '../../helpers/harness.ts';

test('an open activity stream closes when the viewer\'s right to read it is taken away', async () => {
  const h = await startHarness();
  const app = await buildApp(h.services, { publicUrl: 'http://127.0.0.1', bodyLimitBytes: 1 << 20, logLevel: false, consoleLiveIntervalMs: 50 });
  try {
    const org = await createOrg(h, 'genesys');
    const role = await call(h, { method: 'POST', path: '/api/v2/authorization/roles', token: org.token, body: { name: 'Auditor', permissions: ['audits:audit:view', 'directory:user:view'] } });
    const auditor = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('auditor@fabrikam.com', { password: 'a long auditor password' }) });
    assert.equal((await call(h, { method: 'PUT', path: `/api/v2/users/${auditor.body.id}/grants`, token: org.token, body: { grants: [{ roleId: role.body.id, divisionId: '*' }] } })).status, 200);
    const signIn = await app.inject({ method: 'POST', url: '/console/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ organization: org.organization.name, userName: 'auditor@fabrikam.com', password: 'a long auditor password' }).toString() });
    const cookie = String(signIn.headers['set-cookie']).split(';')[0];
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${url}/console/activity/stream`, { headers: { cookie } });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (done: (t: string) => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!done(text) && Date.now() < deadline) {
        const chunk = await Promise.race([reader.read(), new Promise<{ done: true; value: undefined }>((r) => setTimeout(() => r({ done: true, value: undefined }), deadline - Date.now()))]);
        if (chunk.done) return 'ended';
        text += new TextDecoder().decode(chunk.value);
      }
      return done(text) ? 'found' : 'timeout';
    };
    await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('seen@fabrikam.com') });
    assert.equal(await readUntil((t) => t.includes('seen@fabrikam.com'), 5000), 'found', 'a change is delivered while the right is held');
    // The grant goes; the next change must not be delivered, and the stream ends.
    assert.equal((await call(h, { method: 'PUT', path: `/api/v2/users/${auditor.body.id}/grants`, token: org.token, body: { grants: [] } })).status, 200);
    await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('unseen@fabrikam.com') });
    const outcome = await readUntil((t) => t.includes('unseen@fabrikam.com'), 3000);
    assert.equal(outcome, 'ended', `the stream went on (${outcome})`);
    assert.ok(!text.includes('unseen@fabrikam.com'));
  } finally {
    await app.close();
    await h.close();
  }
});

test('open streams are capped per session and per user (429 with Retry-After); a closed stream gives its slot back', async () => {
  const h = await startHarness();
  const app = await buildApp(h.services, { publicUrl: 'http://127.0.0.1', bodyLimitBytes: 1 << 20, logLevel: false, consoleLiveIntervalMs: 50, consoleStreamLimits: { perSession: 2, perUser: 3, perNode: 100 } });
  try {
    const org = await createOrg(h, 'genesys');
    const first = await consoleAdmin(app, org.organization.id, 'root@x.test');
    const signIn = await app.inject({ method: 'POST', url: '/console/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ userName: 'root@x.test', password: 'a long admin password' }).toString() });
    const second = String(signIn.headers['set-cookie']).split(';')[0];
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const opened: AbortController[] = [];
    const open = async (cookie: string) => {
      const abort = new AbortController();
      const r = await fetch(`${url}/console/activity/stream`, { headers: { cookie }, signal: abort.signal });
      if (r.status === 200) opened.push(abort);
      else await r.text();
      return r;
    };
    assert.equal((await open(first)).status, 200);
    assert.equal((await open(first)).status, 200);
    const third = await open(first);
    assert.equal(third.status, 429, 'a third stream on one session');
    assert.equal(third.headers.get('retry-after'), '10');
    assert.equal((await open(second)).status, 200, 'another session of the same user may open one');
    assert.equal((await open(second)).status, 429, 'the user holds three: its cap');
    // Closing one gives its slot back.
    opened.shift()!.abort();
    let again = 429;
    for (let i = 0; i < 50 && again === 429; i++) {
      await new Promise((r) => setTimeout(r, 20));
      again = (await open(second)).status;
    }
    assert.equal(again, 200, 'the slot came back once the stream closed');
    for (const a of opened) a.abort();
  } finally {
    await app.close();
    await h.close();
  }
});

test('a stream whose session ends (signed out elsewhere) closes', async () => {
  const h = await startHarness();
  const app = await buildApp(h.services, { publicUrl: 'http://127.0.0.1', bodyLimitBytes: 1 << 20, logLevel: false, consoleLiveIntervalMs: 50 });
  try {
    const org = await createOrg(h, 'genesys');
    const cookie = await consoleAdmin(app, org.organization.id, 'root@x.test');
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const stream = await fetch(`${url}/console/activity/stream`, { headers: { cookie } });
    assert.equal(stream.status, 200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await app.inject({ url: '/console/users', headers: { cookie } })).body)![1];
    assert.equal((await app.inject({ method: 'POST', url: '/console/sign-out', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${csrf}` })).statusCode, 303);
    const ended = await Promise.race([stream.text().then(() => 'ended'), new Promise((r) => setTimeout(() => r('still open'), 3000))]);
    assert.equal(ended, 'ended');
  } finally {
    await app.close();
    await h.close();
  }
});

test('a stream reads the store when a change is signalled, not on a timer: idle, it reads nothing; a write arrives at once', async () => {
  const h = await startHarness();
  // A fallback of a minute: anything sooner comes from the change signal.
  const app = await buildApp(h.services, { publicUrl: 'http://127.0.0.1', bodyLimitBytes: 1 << 20, logLevel: false, consoleLiveIntervalMs: 60_000 });
  try {
    const org = await createOrg(h, 'genesys');
    const cookie = await consoleAdmin(app, org.organization.id, 'root@signal.test');
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const reads = { n: 0 };
    const query = h.store.queryAudits;
    h.store.queryAudits = (...args) => {
      reads.n++;
      return query(...args);
    };
    const res = await fetch(`${url}/console/activity/stream`, { headers: { cookie } });
    const reader = res.body!.getReader();
    await new Promise((r) => setTimeout(r, 300));
    const before = reads.n;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(reads.n, before, 'no reads while nothing changes');
    const started = Date.now();
    await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('signalled@fabrikam.com') });
    let text = '';
    while (!text.includes('signalled@fabrikam.com') && Date.now() - started < 5000) text += new TextDecoder().decode((await reader.read()).value);
    assert.ok(text.includes('signalled@fabrikam.com'), 'delivered');
    assert.ok(Date.now() - started < 2000, `promptly (${Date.now() - started} ms), not after the minute's fallback`);
    await reader.cancel();
    h.store.queryAudits = query;
  } finally {
    await app.close();
    await h.close();
  }
});
