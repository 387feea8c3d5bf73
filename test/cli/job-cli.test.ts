// `scimitar job ...` against a running server: make a job that pushes to a second server,
// provision one user on demand (each request printed), go live, start, read the status and
// the log; without --url the commands say that jobs live in a server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { call, entraUser, type Harness, type Org } from '../helpers/harness.ts';
import { startHub, type Hub } from '../helpers/hub.ts';

const run = promisify(execFile);
let hub: Hub;
let a: Harness;
let b: Harness;
let orgA: Org;
let orgB: Org;
let aUrl = '';

const cli = async (...args: string[]) => (await run(process.execPath, ['bin/scimitar.js', ...args], { env: { ...process.env, SCIMITAR_DB: '', SCIMITAR_TOKEN: '' } })).stdout;
const onA = (...args: string[]) => cli('--url', aUrl, '--token', orgA.token, ...args);

before(async () => {
  hub = await startHub({ listenA: true });
  ({ a, b, orgA, orgB, aUrl } = hub);
});
after(() => hub.close());

test('job create, on-demand, live, start, show, logs, delete over the API', async () => {
  await call(a, { method: 'POST', path: '/Users', token: orgA.token, body: entraUser('kim@contoso.com', { title: 'Ops' }) });
  const made = JSON.parse(await onA('job', 'create', 'to B', '--target-url', hub.target().url, '--target-token-url', hub.target().tokenUrl, '--target-client-id', hub.client.id, '--target-client-secret', hub.client.secret, '--json'));
  assert.equal(made.state, 'stopped');
  assert.equal(made.pilot, true);
  const shown = await onA('job', 'on-demand', made.id, 'kim@contoso.com');
  assert.match(shown, /^kim@contoso\.com: create \[pilot\]/);
  assert.match(shown, /GET \/Users\?filter=userName.* -> 200/);
  assert.match(shown, /POST \/Users \(validate-only\) -> 201/);
  assert.equal(JSON.parse(await onA('job', 'live', made.id, '--json')).pilot, false);
  await onA('job', 'start', made.id);
  assert.equal(await a.services.jobRunner.tick(), 1);
  const inB = await call(b, { path: `/Users?filter=${encodeURIComponent('userName eq "kim@contoso.com"')}`, token: orgB.token });
  assert.equal(inB.body.Resources[0].title, 'Ops');
  const status = JSON.parse(await onA('job', 'show', made.id, '--json'));
  assert.equal(status.status, 'running');
  assert.equal(status.lastCycle.counts.create, 1);
  assert.match(await onA('job', 'list'), /to B/);
  const log = JSON.parse(await onA('job', 'logs', made.id, '--user', 'kim@contoso.com', '--json'));
  assert.ok(log.some((e: { action: string; cycle: string }) => e.action === 'create' && e.cycle === 'full'));
  assert.match(await onA('job', 'delete', made.id), /deleted/);
  await assert.rejects(onA('job', 'show', made.id), (e: { stderr: string }) => /404/.test(e.stderr));
  await assert.rejects(cli('job', 'list'), (e: { stderr: string }) => /jobs run there/.test(e.stderr));
});

test('job create --graph-tenant makes a job that reads Microsoft Graph; the secret comes from GRAPH_CLIENT_SECRET and is not printed', async () => {
  const secret = 'a-graph-secret-from-the-environment';
  const out = (await run(process.execPath, ['bin/scimitar.js', '--url', aUrl, '--token', orgA.token, 'job', 'create', 'from Graph', '--graph-tenant', 'contoso', '--graph-client-id', 'app-1', '--graph-every', '15',
    '--target-url', hub.target().url, '--target-token', 't', '--json'], { env: { ...process.env, SCIMITAR_DB: '', SCIMITAR_TOKEN: '', GRAPH_CLIENT_SECRET: secret } })).stdout;
  assert.ok(!out.includes(secret));
  const made = JSON.parse(out);
  const job = (await call(a, { path: `/api/v2/provisioning/jobs/${made.id}`, token: orgA.token })).body;
  assert.deepEqual(job.source, { type: 'graph', tenantId: 'contoso', clientId: 'app-1', includeGroups: true, intervalMinutes: 15 });
  await onA('job', 'delete', made.id);
});
