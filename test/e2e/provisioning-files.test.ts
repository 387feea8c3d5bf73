// A provisioning job whose source is files (Graph-shaped JSON, as the CLI reads them) inside the
// folder the operator names (SCIMITAR_PROVISIONING_FILES_DIR): read on a schedule and pushed to
// B. A path that climbs out of the folder, directly or through a symbolic link, is refused; a
// server without the folder reads no files.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminApi, call, createOrg, startHarness } from '../helpers/harness.ts';
import { startHub, type Hub } from '../helpers/hub.ts';

let dir: string;
let hub: Hub;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scimitar-files-'));
  mkdirSync(join(dir, 'hr'));
  writeFileSync(join(dir, 'hr', 'users.json'), JSON.stringify([
    { id: 'f-1', userPrincipalName: 'fay@contoso.com', displayName: 'Fay Ng', accountEnabled: true, jobTitle: 'Nurse', mail: 'fay@contoso.com' },
  ]));
  writeFileSync(join(tmpdir(), 'scimitar-outside.json'), '[]');
  symlinkSync(join(tmpdir(), 'scimitar-outside.json'), join(dir, 'hr', 'escape.json'));
  hub = await startHub({ filesDir: dir });
});

after(async () => {
  await hub?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a job reads files in the provisioning folder on its schedule; paths outside it are refused', async () => {
  const { a, b, orgA, orgB } = hub;
  const api = adminApi(() => a, () => orgA.token);
  assert.equal((await api('POST', '/provisioning/jobs', { name: 'out', source: { type: 'file', users: '../../etc/passwd' }, target: hub.target() })).status, 400, 'a path that climbs out');
  assert.equal((await api('POST', '/provisioning/jobs', { name: 'abs', source: { type: 'file', users: '/etc/passwd' }, target: hub.target() })).status, 400, 'an absolute path elsewhere');
  const made = await api('POST', '/provisioning/jobs', { name: 'HR files', source: { type: 'file', users: 'hr/users.json', intervalMinutes: 10 }, target: hub.target(), pilot: false });
  assert.equal(made.status, 201, made.raw);
  assert.deepEqual(made.body.source, { type: 'file', users: 'hr/users.json', intervalMinutes: 10 });
  const preview = await api('POST', `/provisioning/jobs/${made.body.id}/preview`, { expression: 'ToUpper([jobTitle])', user: 'fay@contoso.com' });
  assert.equal(preview.body.value, 'NURSE', preview.raw);
  await api('POST', `/provisioning/jobs/${made.body.id}/start`);
  assert.equal(await a.services.jobRunner.tick(), 1);
  const fay = (await call(b, { path: `/Users?filter=${encodeURIComponent('userName eq "fay@contoso.com"')}`, token: orgB.token })).body.Resources?.[0];
  assert.equal(fay?.title, 'Nurse');
  assert.equal(await a.services.jobRunner.tick(), 0, 'the next read waits for intervalMinutes');

  // A link inside the folder that leads out of it: saved (the name is inside), refused when read.
  const linked = await api('POST', '/provisioning/jobs', { name: 'link', source: { type: 'file', users: 'hr/escape.json' }, target: hub.target(), pilot: false });
  assert.equal(linked.status, 201, linked.raw);
  await api('POST', `/provisioning/jobs/${linked.body.id}/start`);
  assert.equal(await a.services.jobRunner.tick(), 1);
  const status = (await api('GET', `/provisioning/jobs/${linked.body.id}/status`)).body;
  assert.equal(status.health.quarantined, true);
  assert.match(status.health.reason, /leads outside the provisioning files folder/);
});

test('without SCIMITAR_PROVISIONING_FILES_DIR a job reads no files, and the answer says why', async () => {
  const h = await startHarness({ secretKey: 'k'.repeat(40) });
  try {
    const org = await createOrg(h);
    const r = await adminApi(() => h, () => org.token)('POST', '/provisioning/jobs', { name: 'files', source: { type: 'file', users: 'users.json' }, target: { url: 'https://scim.example.com/scim/v2', token: 't' } });
    assert.equal(r.status, 400, r.raw);
    assert.match(r.raw, /SCIMITAR_PROVISIONING_FILES_DIR/);
  } finally {
    await h.close();
  }
});
