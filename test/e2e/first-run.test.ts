// The README's start command on a fresh store: first run prints the tenant URL and
// credentials, they work, SIGTERM shuts down cleanly, a second run prints no secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startArgs } from '../../scripts/start-command.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function start(env: Record<string, string>): Promise<{ output: () => string; stop: () => Promise<number | string | null> }> {
  const child = spawn(process.execPath, startArgs(), { env: { ...process.env, ...env, SCIMITAR_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const deadline = Date.now() + 20000;
  while (!out.includes('Tenant URL') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
  assert.ok(out.includes('Tenant URL'), `server did not start: ${out}`);
  return {
    output: () => out,
    stop: () => new Promise((resolve) => {
      // A process ended by a signal has no exit code: report the signal (and what it printed).
      child.once('exit', (code, signal) => resolve(code ?? `${signal}: ${out.slice(-2000)}`));
      child.kill('SIGTERM');
    }),
  };
}

/** Starts the server and sends SIGTERM in the same tick its banner arrives; resolves with how it ended. */
function stoppedOnBanner(env: Record<string, string>): Promise<number | string | null> {
  const child = spawn(process.execPath, startArgs(), { env: { ...process.env, ...env, SCIMITAR_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    if (out.includes('Tenant URL')) child.kill('SIGTERM');
  });
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? `${signal}: ${out.slice(-2000)}`)));
}

test('first run prints working credentials; later runs do not reprint the secret', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scimitar-first-run-'));
  try {
    const port = await freePort();
    const env = { SCIMITAR_DB: join(dir, 'data', 'scimitar.db'), PORT: String(port) };
    const first = await start(env);
    const out = first.output();
    assert.match(out, new RegExp(`Tenant URL : http://127.0.0.1:${port}/api/v2/scim/v2`));
    const id = /Client id  : (\S+)/.exec(out)![1];
    const secret = /Secret     : (\S+)/.exec(out)![1];
    assert.match(out, /curl -s -u '/);
    const tok = await fetch(`http://127.0.0.1:${port}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const { access_token } = (await tok.json()) as { access_token: string };
    const list = await fetch(`http://127.0.0.1:${port}/api/v2/scim/v2/Users?filter=userName%20eq%20%22probe%22`, { headers: { authorization: `Bearer ${access_token}` } });
    assert.equal(list.status, 200);
    // The console's one-time setup link, printed beside the credentials, opens the setup form.
    const link = new RegExp(`  (http://127\\.0\\.0\\.1:${port}/console/setup\\?token=\\S+)`).exec(out)?.[1];
    assert.ok(link, out);
    const setup = await fetch(link);
    assert.equal(setup.status, 200);
    assert.match(await setup.text(), /Create the first administrator/);
    assert.equal(await first.stop(), 0);

    const second = await start({ ...env, SCIMITAR_BOOTSTRAP_CLIENT_ID: id, SCIMITAR_BOOTSTRAP_CLIENT_SECRET: 'a-deterministic-secret-of-32-chars-or-more' });
    assert.doesNotMatch(second.output(), /Secret     :/);
    assert.doesNotMatch(second.output(), /console\/setup/, 'a later start prints no new setup link');
    assert.match(second.output(), new RegExp(`Console    : http://127.0.0.1:${port}/console`));
    const again = await fetch(`http://127.0.0.1:${port}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${id}&client_secret=a-deterministic-secret-of-32-chars-or-more`,
    });
    assert.equal(again.status, 200, 'the configured bootstrap secret replaced the generated one');
    assert.equal(await second.stop(), 0);
    // Stopped the moment its banner appears: the shutdown is clean (the handlers are in place
    // before the banner is printed).
    for (let i = 0; i < 3; i++) assert.equal(await stoppedOnBanner(env), 0, `stopped at once, start ${i + 1}`);
    // The CLI's setup link names the address the server served (its port), not the default 8080.
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/scimitar.js', '--db', env.SCIMITAR_DB, 'console', 'setup-link'], { env: { ...process.env, SCIMITAR_DB: '', SCIMITAR_PUBLIC_URL: '', PORT: '' } });
    assert.match(stdout, new RegExp(`^http://127\\.0\\.0\\.1:${port}/console/setup\\?token=`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
