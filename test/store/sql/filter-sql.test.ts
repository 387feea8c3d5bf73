import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindFilter, createRegistry, parseFilter } from '../../../src/scim/index.ts';
import { compileFilter, GROUP_COLUMNS, USER_COLUMNS } from '../../../src/store/sql/filter-sql.ts';

const registry = createRegistry('genesys');
const user = (f: string) => compileFilter(bindFilter(registry, registry.resourceType('User')!, parseFilter(f)), USER_COLUMNS);
const group = (f: string) => compileFilter(bindFilter(registry, registry.resourceType('Group')!, parseFilter(f)), GROUP_COLUMNS);

// [filter, sql, params, exact]
const USER_TABLE: [string, string, unknown[], boolean][] = [
  ['userName eq "JDoe@X.com"', 'u.user_name_lower = ?', ['jdoe@x.com'], true],
  ['externalId eq "AbC"', 'u.external_id = ?', ['AbC'], true],
  ['id eq "u1" and active eq true', '(u.id = ? AND u.active = ?)', ['u1', 1], true],
  ['active ne true', 'u.active = ?', [0], true],
  ['displayName sw "Ja_n%"', "u.display_name_lower LIKE ? ESCAPE '\\'", ['ja\\_n\\%%'], true],
  ['externalId co "x"', "u.external_id LIKE ? ESCAPE '\\'", ['%x%'], false],
  ['userName eq "a" or externalId eq "b"', '(u.user_name_lower = ? OR u.external_id = ?)', ['a', 'b'], true],
  ['not (externalId eq "b")', 'NOT COALESCE(u.external_id = ?, FALSE)', ['b'], true],
  ['externalId pr', "(u.external_id IS NOT NULL AND u.external_id <> '')", [], true],
  ['meta.lastModified gt "2011-05-13T04:42:34Z"', 'u.last_modified > ?', ['2011-05-13T04:42:34.000Z'], true],
  ['manager eq "m1"', 'u.manager_id = ?', ['m1'], true],
  ['division eq "Sales"', 'u.division_id IN (SELECT d.id FROM divisions d WHERE d.org_id = u.org_id AND d.name_lower = ?)', ['sales'], true],
  ['userName eq "a" and title eq "b"', 'u.user_name_lower = ?', ['a'], false],
];

test('user filters compile to the exact SQL and parameters, with exactness', () => {
  for (const [f, sql, params, exact] of USER_TABLE) {
    const c = user(f);
    assert.ok(c, f);
    assert.deepEqual([c.sql, c.params, c.exact], [sql, params, exact], f);
  }
});

test('equality on a column unique within the organization selects at most one row (the plain lookup)', () => {
  for (const f of ['userName eq "a"', 'id eq "u1"', 'id eq "u1" and active eq true', 'active eq true and userName eq "a"']) assert.equal(user(f)?.single, true, f);
  for (const f of ['externalId eq "a"', 'displayName eq "a"', 'userName ne "a"', 'userName sw "a"', 'userName eq "a" or userName eq "b"', 'not (userName eq "a")']) assert.notEqual(user(f)?.single, true, f);
  assert.equal(group('id eq "g1"')?.single, true);
});

test('what SQL cannot decide does not compile (the evaluator takes it)', () => {
  for (const f of ['title eq "x"', 'emails[type eq "work"]', 'userName eq "a" or title eq "b"', 'not (externalId co "x")', 'userName gt "a"']) {
    assert.equal(user(f), undefined, f);
  }
});

test("group filters: displayName and Entra's membership check", () => {
  assert.deepEqual(group('displayName eq "Sales"'), { sql: 'g.display_name_lower = ?', params: ['sales'], exact: true, single: true });
  const c = group('id eq "g" and members[value eq "u"]');
  assert.deepEqual(c, { sql: '(g.id = ? AND EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id AND gm.user_id = ?))', params: ['g', 'u'], exact: true, single: true });
  assert.deepEqual(group('members eq "u"')?.params, ['u']);
  assert.equal(group('members[display eq "x"]'), undefined);
});
