import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScimError, scimErrors } from '../../src/scim/index.ts';

test('renders the RFC 7644 3.12 error message with status as a string', () => {
  assert.deepEqual(scimErrors.uniqueness('taken').toJSON(), {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
    status: '409',
    scimType: 'uniqueness',
    detail: 'taken',
  });
  assert.deepEqual(scimErrors.notFound('gone').toJSON(), { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404', detail: 'gone' });
});

test('only accepts the status/scimType pairs RFC 7644 3.12 allows', () => {
  assert.throws(() => new ScimError(404, 'uniqueness', 'x'), TypeError);
  assert.throws(() => new ScimError(400, 'sensitive', 'x'), TypeError);
  assert.throws(() => new ScimError(418, undefined, 'x'), TypeError);
  assert.equal(new ScimError(403, 'sensitive', 'x').status, 403);
});

test('carries Retry-After for 429 and 503', () => {
  assert.equal(scimErrors.tooManyRequests('slow down', 30).headers['retry-after'], '30');
  assert.equal(scimErrors.unavailable('db down', 5).headers['retry-after'], '5');
});
