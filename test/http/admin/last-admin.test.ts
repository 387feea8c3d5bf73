// An organization never loses its last administrator client through the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, clientWith, createOrg, startHarness, tokenFor } from '../../helpers/harness.ts';

test('the last administrator client cannot be deleted, disabled, regranted or stripped of its role', async () => {
  const h = await startHarness();
  try {
    const org = await createOrg(h);
    let token = org.token;
    const api = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) =>
      call(h, { method, path: `/api/v2${path}`, token, body, headers: body !== undefined ? { 'content-type': 'application/json' } : {} });
    const refusals = [
      await api('DELETE', `/oauth/clients/${org.clientId}`),
      await api('PUT', `/oauth/clients/${org.clientId}`, { name: 'Admin client', state: 'inactive' }),
      await api('PUT', `/oauth/clients/${org.clientId}`, { name: 'Admin client', roleDivisions: [{ roleId: org.adminRoleId, divisionId: org.homeDivisionId }] }),
      await api('PUT', `/authorization/roles/${org.adminRoleId}`, { name: 'Admin', permissions: ['directory:user:*'] }),
    ];
    for (const r of refusals) {
      assert.equal(r.status, 409, r.raw);
      assert.match(r.body.message, /without an administrator/);
    }
    assert.equal((await api('GET', `/oauth/clients/${org.clientId}`)).body.state, 'active');
    // With a second administrator, the first may go.
    const second = await api('POST', '/oauth/clients', { name: 'Second admin', roleDivisions: [{ roleId: org.adminRoleId, divisionId: '*' }] });
    assert.equal(second.status, 201);
    assert.equal((await api('PUT', `/oauth/clients/${org.clientId}`, { name: 'Admin client', state: 'inactive' })).status, 200);
    token = await tokenFor(h, second.body.id, second.body.secret);
    assert.equal((await api('DELETE', `/oauth/clients/${second.body.id}`)).status, 409, 'the second is now the last active one');
    // A client that is not an administrator can be removed freely.
    await clientWith(h, org, ['directory:user:view']);
    const clients = (await api('GET', '/oauth/clients')).body.entities as { id: string; name: string }[];
    const limitedId = clients.find((c) => c.name === 'limited')!.id;
    assert.equal((await api('DELETE', `/oauth/clients/${limitedId}`)).status, 204);
  } finally {
    await h.close();
  }
});
