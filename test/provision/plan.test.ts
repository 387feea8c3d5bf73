// The deprovisioning plan: which provisioned users a cycle would disable or delete, with the
// cause as data (deleted, out of scope, soft-deleted), before anything is sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deprovisionPlan, emptyState, thresholdRefusal } from '../../src/provision/sync.ts';
import type { Directory, SourceUser } from '../../src/provision/source.ts';
import type { ScopeConfig } from '../../src/provision/scope.ts';

const user = (id: string, extra: Partial<SourceUser> = {}): SourceUser => ({ id, attributes: { userPrincipalName: `${id}@x.com`, department: 'Sales' }, softDeleted: false, ...extra }) as SourceUser;
const directory = (users: SourceUser[]): Directory => ({ users, groups: [], problems: [] }) as unknown as Directory;

test('each planned user carries its cause; disabled users are not planned twice; a pilot plans nothing', () => {
  const state = emptyState();
  for (const id of ['gone', 'gone-disabled', 'moved', 'soft', 'kept']) state.users[id] = { targetId: `t-${id}`, hash: 'h' };
  state.users['gone-disabled'].disabled = true;
  const dir = directory([user('moved', { attributes: { userPrincipalName: 'moved@x.com', department: 'Support' } }), user('soft', { softDeleted: true }), user('kept')]);
  const scope: ScopeConfig = { mode: 'all', filters: [{ clauses: [{ attribute: 'department', operator: 'EQUALS', value: 'Sales' }] }] };
  const plan = deprovisionPlan({ directory: dir, scope, state, deprovision: 'disable' });
  assert.deepEqual(plan.map((p) => [p.sourceId, p.action, p.cause]), [['gone', 'disable', 'deleted'], ['moved', 'disable', 'out-of-scope'], ['soft', 'disable', 'soft-deleted']]);
  assert.deepEqual(deprovisionPlan({ directory: dir, scope, state, deprovision: 'delete' }).filter((p) => p.cause === 'deleted').map((p) => [p.sourceId, p.action]), [['gone', 'delete'], ['gone-disabled', 'delete']]);
  assert.deepEqual(deprovisionPlan({ directory: dir, scope, state, deprovision: 'disable', only: ['kept'] }), []);
  assert.deepEqual(deprovisionPlan({ directory: dir, scope, state, deprovision: 'none' }), []);
  assert.match(thresholdRefusal(plan, 5, { count: 2 })!, /would disable or delete 3 users, more than the threshold of 2/);
  assert.equal(thresholdRefusal(plan, 5, { count: 2, allow: 3 }), undefined);
});
