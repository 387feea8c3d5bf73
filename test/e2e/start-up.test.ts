// Start-up failures are one clear line and a non-zero exit, never a stack trace or a hang;
// the store is created owner-only; a start that fails creates no credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { freePort, startNode } from '../helpers/process.ts';
import { startArgs } from '../../scripts/start-command.ts';

function run(env: Record<string, string>) {
  const r = spawnSync(process.execPath, startArgs(), { env: { ...process.env, SCIMITAR_LOG_LEVEL: 'warn', PORT: '0', ...env }, encoding: 'utf8', timeout: 20000 });
  return { status: r.status, stderr: r.stderr.trim(), stdout: r.stdout };
}

test('a bad database path is one line and exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scimitar-startup-'));
  try {
    writeFileSync(join(dir, 'not-sqlite.db'), 'this is not a database, just some text that is long enough to have a header'.repeat(20));
    writeFileSync(join(dir, 'a-file'), 'x');
    const cases: [string, RegExp][] = [
      [dir, /is a directory/],
      [join(dir, 'not-sqlite.db'), /not a SQLite database/],
      [join(dir, 'a-file', 'x.db'), /which is a file, not a directory/],
      ['/proc/scimitar/x.db', /inside \/proc/],
    ];
    for (const [path, why] of cases) {
      const r = run({ SCIMITAR_DB: path });
      assert.equal(r.status, 1, `${path}: ${r.stderr}`);
      assert.equal(r.stderr.split('\n').length, 1, `${path}: one line, got ${r.stderr}`);
      assert.match(r.stderr, /^scimitar: cannot start: /);
      assert.match(r.stderr, why);
      assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/, 'no stack trace');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the data folder and database file are created readable by the owner only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scimitar-startup-'));
  try {
    const node = await startNode({ SCIMITAR_DB: join(dir, 'data', 'scimitar.db') });
    await node.stop();
    assert.equal(statSync(join(dir, 'data')).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'data', 'scimitar.db')).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a first start that cannot listen creates nothing; the next start prints the credentials', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scimitar-startup-'));
  const port = await freePort();
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  try {
    mkdirSync(join(dir, 'data'));
    const db = join(dir, 'data', 'scimitar.db');
    const r = run({ SCIMITAR_DB: db, PORT: String(port) });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^scimitar: cannot start: .*EADDRINUSE/);
    assert.doesNotMatch(r.stdout, /Secret/);
    const count = (new Database(db, { readonly: true }).prepare('SELECT COUNT(*) AS n FROM organizations').get() as { n: number }).n;
    assert.equal(count, 0, 'no organization (and so no unseen secret) was created');
    await new Promise((resolve) => blocker.close(resolve));
    const node = await startNode({ SCIMITAR_DB: db });
    assert.match(node.output(), /Secret     : \S{20,}/);
    await node.stop();
  } finally {
    if (blocker.listening) blocker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a secret the operator chose is never printed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scimitar-startup-'));
  try {
    const secret = 'operator-chosen-secret-of-at-least-32-chars';
    const node = await startNode({ SCIMITAR_DB: join(dir, 'scimitar.db'), SCIMITAR_BOOTSTRAP_CLIENT_ID: 'ops-admin', SCIMITAR_BOOTSTRAP_CLIENT_SECRET: secret });
    assert.match(node.output(), /Client id  : ops-admin/);
    assert.ok(!node.output().includes(secret));
    await node.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
