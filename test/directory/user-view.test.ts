import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry, deepClone } from '../../src/scim/index.ts';
import { SCIM_AUTHORITY, userResource } from '../../src/directory/user-view.ts';
import type { UserRow } from '../../src/store/contract.ts';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GEN = 'urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User';
const base = 'https://scim.example/api/v2/scim/v2';

const row = (data: Record<string, unknown>): UserRow => ({
  id: 'u1', orgId: 'o1', userName: 'ada@example.com', externalId: 'ext-1', displayName: 'Ada', active: true, divisionId: 'd1', managerId: 'm1',
  version: 3, created: '2026-01-01T00:00:00.000Z', lastModified: '2026-01-02T00:00:00.000Z', data, divisionName: 'Home', managerDisplayName: 'Grace',
});

const stored = () => ({
  userName: 'ada@example.com', displayName: 'Ada', active: true, title: 'Engineer',
  emails: [{ value: 'ada@work.example', type: 'work', primary: true }, { value: 'stale@example.com', type: 'other' }],
  [ENT]: { department: 'R&D' },
  [GEN]: { externalIds: [{ authority: 'hr', value: 'H1' }, { authority: SCIM_AUTHORITY, value: 'old' }] },
});

test('the genesys view derives the other email, the SCIM external id, division, manager, groups and meta from the row', () => {
  const r = userResource(createRegistry('genesys'), base, row(stored()), [{ groupId: 'g1', displayName: 'Sales' }]);
  assert.deepEqual(r.emails, [{ value: 'ada@work.example', type: 'work', primary: true }, { value: 'ada@example.com', type: 'other', primary: false }]);
  assert.deepEqual(r[GEN], { externalIds: [{ authority: SCIM_AUTHORITY, value: 'ext-1' }, { authority: 'hr', value: 'H1' }] });
  assert.deepEqual(r[ENT], { department: 'R&D', division: 'Home', manager: { value: 'm1', $ref: `${base}/Users/m1`, displayName: 'Grace' } });
  assert.deepEqual(r.groups, [{ value: 'g1', $ref: `${base}/Groups/g1`, display: 'Sales', type: 'direct' }]);
  assert.deepEqual(r.meta, { resourceType: 'User', created: '2026-01-01T00:00:00.000Z', lastModified: '2026-01-02T00:00:00.000Z', location: `${base}/Users/u1`, version: '"3"' });
  assert.equal(r.id, 'u1');
  assert.deepEqual(r.schemas, ['urn:ietf:params:scim:schemas:core:2.0:User', ENT, GEN]);
});

test('the view never changes the stored document it is built from', () => {
  const data = stored();
  const before = deepClone(data);
  userResource(createRegistry('genesys'), base, row(data), []);
  userResource(createRegistry('standard'), base, row(data), []);
  assert.deepEqual(data, before);
});

test('the standard view derives nothing Genesys-specific, and a manager without a visible name has no displayName', () => {
  const r = userResource(createRegistry('standard'), base, { ...row(stored()), managerDisplayName: undefined }, undefined);
  assert.deepEqual(r.emails, stored().emails);
  assert.deepEqual(r[ENT], { department: 'R&D', manager: { value: 'm1', $ref: `${base}/Users/m1` } });
  assert.equal(r.groups, undefined);
});
