// `scimitar expr`, `test-connection` and `sync` from the command line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addGroup, createOrg, startHarness, type Harness, type Org } from '../helpers/harness.ts';

const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, ['bin/scimitar.js', ...args], { env: { ...process.env, SCIMITAR_DB: '' } });

let h: Harness;
let org: Org;
let origin: string;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scimitar-pcli-'));
  h = await startHarness();
  org = await createOrg(h);
  await addGroup(h, org, 'Pilots');
  origin = await h.app.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

test('expr prints the value as JSON; a bad expression is one clear error', async () => {
  const { stdout } = await cli('expr', 'Join(";ext=", "tel:", StripSpaces([ext]))', '--source', '{"ext":"12 34"}');
  assert.equal(stdout.trim(), '"tel:;ext=1234"');
  await assert.rejects(cli('expr', 'Join("x", [a]'), (e: { stderr: string }) => /Expected "," or "\)".*position/.test(e.stderr));
});

test('test-connection: OK with a good token, a reason with a bad one', async () => {
  const ok = await cli('test-connection', '--url', `${origin}/api/v2/scim/v2`, '--token', org.token);
  assert.match(ok.stdout, /^OK/);
  await assert.rejects(cli('test-connection', '--url', `${origin}/api/v2/scim/v2`, '--token', 'nope'), (e: { stderr: string }) => /401: the token is not accepted/.test(e.stderr));
  await assert.rejects(cli('test-connection', '--url', `${origin}/wrong`, '--token', org.token), (e: { stderr: string }) => /404/.test(e.stderr));
});

test('sync with client credentials: dry run writes nothing, a real run writes, reports land as JSON and HTML', async () => {
  const users = join(dir, 'users.json');
  const groups = join(dir, 'groups.json');
  writeFileSync(users, JSON.stringify({ value: [{ id: 'a', userPrincipalName: 'pilot.a@contoso.com', displayName: 'A', jobTitle: 'Pilot' }, { id: 'b', userPrincipalName: 'pilot.b@contoso.com', displayName: 'B' }] }));
  writeFileSync(groups, JSON.stringify({ value: [{ id: 'g', displayName: 'Pilots', members: [{ id: 'a' }] }] }));
  const args = ['sync', '--url', `${origin}/api/v2/scim/v2`, '--client-id', org.clientId, '--client-secret', org.clientSecret, '--source', users, '--groups', groups, '--state', join(dir, 'state.json')];
  const dry = await cli(...args, '--dry-run', '--report', join(dir, 'dry.json'));
  assert.match(dry.stdout, /DRY RUN/);
  assert.match(dry.stdout, /created\s+2/);
  assert.ok(!existsSync(join(dir, 'state.json')), 'a dry run saves no state');
  assert.match(readFileSync(join(dir, 'dry.html'), 'utf8'), /pilot\.a@contoso\.com/);
  const real = await cli(...args);
  assert.match(real.stdout, /created\s+2/);
  const again = await cli(...args);
  assert.match(again.stdout, /requests\s+0\b/, 'nothing changed: not even a token is fetched');
});

test('input files: a missing file, a folder and broken JSON are one line naming the file, with line:column for JSON', async () => {
  writeFileSync(join(dir, 'broken.json'), '{"users": [\n  {"a": 1,}]}');
  writeFileSync(join(dir, 'ok.json'), '[]');
  const base = ['sync', '--url', `${origin}/api/v2/scim/v2`, '--token', org.token, '--dry-run'];
  const cases: [string[], RegExp][] = [
    [['--source', join(dir, 'missing.json')], /missing\.json: no such file$/],
    [['--source', dir], /: is a directory, not a file$/],
    [['--source', join(dir, 'broken.json')], /broken\.json:2:11: not valid JSON: /],
    [['--source', join(dir, 'ok.json'), '--mappings', join(dir, 'broken.json')], /broken\.json:2:11: not valid JSON: /],
    [['--source', join(dir, 'ok.json'), '--scope-filters', join(dir, 'nope.json')], /nope\.json: no such file$/],
  ];
  for (const [args, want] of cases) {
    await assert.rejects(cli(...base, ...args), (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.equal(e.stderr.trim().split('\n').length, 1, e.stderr);
      assert.match(e.stderr.trim(), want);
      return true;
    });
  }
  await assert.rejects(cli('expr', '[a]', '--source', '{bad'), (e: { stderr: string }) => /--source:1:2: not valid JSON/.test(e.stderr));
});

/** A long-running `scimitar` process: its output so far, and a stop that sends SIGTERM and waits for the exit code. */
function service(args: string[]) {
  const child = spawn(process.execPath, ['bin/scimitar.js', ...args], { env: { ...process.env, SCIMITAR_DB: '' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    output: () => out,
    async waitFor(re: RegExp, ms = 20_000) {
      const started = Date.now();
      while (!re.test(out) && Date.now() - started < ms) await new Promise((r) => setTimeout(r, 50));
      assert.match(out, re);
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

test('provision run --every: incremental cycles, a provisioning log to search, a graceful stop; quarantine when the target refuses', async () => {
  const users = join(dir, 'cont-users.json');
  writeFileSync(users, JSON.stringify({ value: [{ id: 'c1', userPrincipalName: 'cont.one@contoso.com', displayName: 'One' }] }));
  const log = join(dir, 'provisioning.jsonl');
  const base = ['--url', `${origin}/api/v2/scim/v2`, '--source', users, '--state', join(dir, 'cont-state.db'), '--log', log, '--every', '1s'];
  const run = service(['provision', 'run', '--token', org.token, ...base]);
  await run.waitFor(/cycle 1 .*1 created.*status active; next cycle in 1 s/);
  writeFileSync(users, JSON.stringify({ value: [{ id: 'c1', userPrincipalName: 'cont.one@contoso.com', displayName: 'One', jobTitle: 'Lead' }, { id: 'c2', userPrincipalName: 'cont.two@contoso.com', displayName: 'Two' }, { id: 'c3', userPrincipalName: 'cont.three@contoso.com', displayName: 'Three', deletedDateTime: '2026-12-01T00:00:00Z' }] }));
  await run.waitFor(/cycle \d+ .*1 created, 1 updated/);
  assert.equal(await run.stop(), 0);
  assert.match(run.output(), /stopping\n$|next cycle in 1 s\n$/);
  const { stdout } = await cli('provision', 'logs', '--log', log, '--user', 'cont.one@contoso.com');
  assert.match(stdout, /user cont\.one@contoso\.com: create/);
  assert.match(stdout, /user cont\.one@contoso\.com: update \(title\)/);
  assert.doesNotMatch(stdout, /unchanged since the last cycle/, 'the routine "nothing to do" is not logged');
  const skipped = (await cli('provision', 'logs', '--log', log, '--user', 'cont.three@contoso.com')).stdout;
  assert.match(skipped, /user cont\.three@contoso\.com: skip: soft-deleted in the source and not provisioned/, 'a skip is logged with its reason');
  const json = (await cli('provision', 'logs', '--log', log, '--action', 'create', '--json')).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(json.map((l: { name: string }) => l.name).sort(), ['cont.one@contoso.com', 'cont.two@contoso.com']);

  const refused = service(['provision', 'run', '--token', 'not-a-token', ...base.slice(0, 6), '--state', join(dir, 'q-state.db'), '--every', '1s']);
  await refused.waitFor(/status quarantined \(the target refused the credentials.*\); next cycle in 2 s/);
  await refused.waitFor(/cycle 2 .*quarantined.*next cycle in 4 s/, 10_000);
  assert.equal(await refused.stop(), 0);
});

test('a cycle killed half way (kill -9) resumes without repeating the writes the target acknowledged', async () => {
  const users = join(dir, 'crash-users.json');
  const upn = (i: number) => `crash${i}@contoso.com`;
  writeFileSync(users, JSON.stringify({ value: Array.from({ length: 12 }, (_, i) => ({ id: `k${i}`, userPrincipalName: upn(i), displayName: `Crash ${i}` })) }));
  // A proxy in front of Scimitar that kills the engine when the 5th create has been made on
  // the target, before the engine sees that answer (the worst moment).
  const requests: string[] = [];
  let creates = 0;
  let victim: ReturnType<typeof spawn> | undefined;
  const proxy = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      requests.push(`${req.method} ${decodeURIComponent(req.url ?? '')}`);
      const r = await fetch(`${origin}${req.url}`, { method: req.method, headers: { authorization: String(req.headers.authorization), 'content-type': 'application/scim+json' }, ...(body ? { body } : {}) });
      const text = await r.text();
      if (req.method === 'POST' && r.status === 201 && ++creates === 5 && victim) {
        victim.kill('SIGKILL');
        return;
      }
      res.writeHead(r.status, { 'content-type': 'application/scim+json' }).end(text);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
  try {
    const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}/api/v2/scim/v2`;
    const state = join(dir, 'crash-state.db');
    const args = ['bin/scimitar.js', 'sync', '--url', url, '--token', org.token, '--source', users, '--state', state, '--concurrency', '1'];
    victim = spawn(process.execPath, args, { env: { ...process.env, SCIMITAR_DB: '' } });
    const signal = await new Promise((resolve) => victim!.on('exit', (_code, sig) => resolve(sig)));
    assert.equal(signal, 'SIGKILL');
    victim = undefined;
    // Four creates were acknowledged and recorded; the fifth was made but never answered.
    requests.length = 0;
    const { stdout } = await run(process.execPath, args, { env: { ...process.env, SCIMITAR_DB: '' } });
    assert.match(stdout, /created\s+7\b/);
    assert.match(stdout, /failed\s+0\b/);
    assert.equal(requests.filter((r) => r.startsWith('POST /api/v2/scim/v2/Users')).length, 7, 'no acknowledged create is sent again');
    for (let i = 0; i < 4; i++) assert.ok(!requests.some((r) => r.includes(upn(i))), `${upn(i)} was acknowledged: no request at all`);
    assert.ok(requests.some((r) => r.startsWith('GET') && r.includes(upn(4))), 'the unanswered create is matched, not repeated');
    const list = (await (await fetch(`${origin}/api/v2/scim/v2/Users?filter=${encodeURIComponent('userName sw "crash"')}&count=50`, { headers: { authorization: `Bearer ${org.token}` } })).json()) as { totalResults: number };
    assert.equal(list.totalResults, 12, 'every user once');
  } finally {
    proxy.close();
  }
});
