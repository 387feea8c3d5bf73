import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSearchRequest, ScimError } from '../../src/scim/index.ts';

const SR = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

test('RFC 7644 3.4.3 example SearchRequest becomes the GET parameters', () => {
  const body = { schemas: [SR], attributes: ['displayName', 'userName'], excludedAttributes: [], filter: 'displayName sw "smith"', startIndex: 1, count: 10 };
  assert.deepEqual(parseSearchRequest(body), { filter: 'displayName sw "smith"', startIndex: '1', count: '10', attributes: 'displayName,userName' });
});

test('names match case-insensitively; sortBy and sortOrder carry over', () => {
  assert.deepEqual(parseSearchRequest({ SCHEMAS: [SR], SortBy: 'userName', sortorder: 'descending' }), { sortBy: 'userName', sortOrder: 'descending' });
});

test('refuses what is not a SearchRequest, with the RFC scimType', () => {
  const cases: [unknown, string][] = [
    [[], 'invalidSyntax'],
    [{ filter: 'x pr' }, 'invalidSyntax'],
    [{ schemas: [SR], bogus: 1 }, 'invalidSyntax'],
    [{ schemas: [SR], count: '10' }, 'invalidValue'],
    [{ schemas: [SR], count: 1.5 }, 'invalidValue'],
    [{ schemas: [SR], filter: 7 }, 'invalidValue'],
    [{ schemas: [SR], attributes: [1] }, 'invalidValue'],
  ];
  for (const [body, scimType] of cases) assert.throws(() => parseSearchRequest(body), (e: ScimError) => e.scimType === scimType, JSON.stringify(body));
});
