// `scimitar expr`, `test-connection` and `sync` from the command line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
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
