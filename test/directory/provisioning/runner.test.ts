// Which change events a cycle may handle by reading only the users they name: user creates and
// updates; a deletion, a move between divisions or any group change needs the whole directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changedUsersOf } from '../../../src/directory/provisioning/runner.ts';
import type { EventRow } from '../../../src/store/contract.ts';

let seq = 0;
const row = (resourceType: string, action: string, resourceId: string, changes: EventRow['changes'] = {}): EventRow => ({
  id: `a${++seq}`, orgId: 'o', time: '2026-12-07T10:00:00Z', action, resourceType, resourceId, changes, seq, position: { commit: '0', seq },
});

test('creates and updates of users: just those users, each once', () => {
  assert.deepEqual(changedUsersOf([row('User', 'create', 'u1', { userName: { after: 'a' } }), row('User', 'update', 'u2', { title: { after: 'x' } }), row('User', 'update', 'u1', { active: { before: true, after: false } })]), ['u1', 'u2']);
});

test('a deletion, a move, a group change, or nothing: the whole directory', () => {
  assert.equal(changedUsersOf([row('User', 'update', 'u1', { title: { after: 'x' } }), row('User', 'delete', 'u2')]), undefined);
  assert.equal(changedUsersOf([row('User', 'update', 'u1', { 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division': { before: 'Home', after: 'Sales' } })]), undefined);
  assert.equal(changedUsersOf([row('Group', 'update', 'g1', { 'members.added': { after: ['u1'] } })]), undefined);
  assert.equal(changedUsersOf([]), undefined);
  assert.equal(changedUsersOf([row('Role', 'update', 'r1', { name: { after: 'x' } })]), undefined, 'rows that are no events: nothing to read');
});
