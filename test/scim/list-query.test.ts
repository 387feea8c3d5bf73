import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry, listResponse, parseListQuery, ScimError } from '../../src/scim/index.ts';

const registry = createRegistry('genesys');
const User = registry.resourceType('User')!;

test('normalises paging as RFC 7644 3.4.2.4 says', () => {
  assert.deepEqual([parseListQuery(registry, User, {}).startIndex, parseListQuery(registry, User, {}).count], [1, 25]);
  const q = parseListQuery(registry, User, { startIndex: '0', count: '-5' });
  assert.deepEqual([q.startIndex, q.count], [1, 0]);
  assert.equal(parseListQuery(registry, User, { count: '100000' }).count, 1000);
  assert.equal(parseListQuery(registry, User, { count: '0' }).count, 0);
});

test('rejects non-integer paging and bad sort parameters with invalidValue', () => {
  for (const raw of [{ count: 'ten' }, { startIndex: '1.5' }, { sortBy: 'nosuch' }, { sortBy: 'userName', sortOrder: 'sideways' }]) {
    assert.throws(() => parseListQuery(registry, User, raw), (e: unknown) => e instanceof ScimError && e.scimType === 'invalidValue', JSON.stringify(raw));
  }
});

test('binds the filter and the sort key against the registry', () => {
  const q = parseListQuery(registry, User, { filter: 'userName eq "a@b.c"', sortBy: 'meta.lastModified', sortOrder: 'Descending' });
  assert.equal(q.filter?.kind, 'compare');
  assert.equal(q.sort?.descending, true);
  assert.equal(q.sort?.sub?.name, 'lastModified');
  assert.throws(() => parseListQuery(registry, User, { filter: 'nosuch eq 1' }), (e: unknown) => e instanceof ScimError && e.scimType === 'invalidFilter');
});

test('the ListResponse shape', () => {
  assert.deepEqual(listResponse([{ id: 'a' }], 7, 3), {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
    totalResults: 7,
    startIndex: 3,
    itemsPerPage: 1,
    Resources: [{ id: 'a' }],
  });
});
