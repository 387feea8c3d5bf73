// The SCIM routes' serialiser: the same JSON as fast-json-stringify would write from the same
// schema (differential, over generated envelopes and resources), undeclared envelope fields
// dropped, open resources written whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import fastJson from 'fast-json-stringify';
import { openSerializerCompiler } from '../../../src/http/schemas/open-serializer.ts';
import { listResponse, scimError } from '../../../src/http/schemas/scim.ts';
import { anyObject } from '../../../src/http/schemas/common.ts';

const json = fc.jsonValue({ maxDepth: 3 });
const resource = fc.dictionary(fc.string({ maxLength: 12 }), json, { maxKeys: 6 });

test('a list envelope: exactly what fast-json-stringify writes from the same schema', () => {
  const ours = openSerializerCompiler({ schema: listResponse });
  const reference = fastJson(listResponse as never);
  fc.assert(fc.property(
    fc.record({
      schemas: fc.constant(['urn:ietf:params:scim:api:messages:2.0:ListResponse']),
      totalResults: fc.nat(),
      startIndex: fc.integer({ min: 1 }),
      itemsPerPage: fc.nat(),
      Resources: fc.array(resource, { maxLength: 5 }),
      undeclared: json,
    }, { requiredKeys: ['schemas', 'totalResults'] }),
    (envelope) => {
      assert.deepEqual(JSON.parse(ours(envelope)), JSON.parse(reference(envelope)));
      assert.equal('undeclared' in JSON.parse(ours(envelope)), false);
    },
  ));
});

test('an open resource is written whole; an error body keeps its declared fields only', () => {
  const open = openSerializerCompiler({ schema: anyObject() });
  fc.assert(fc.property(resource, (r) => assert.deepEqual(JSON.parse(open(r)), JSON.parse(JSON.stringify(r)))));
  const error = openSerializerCompiler({ schema: scimError });
  assert.deepEqual(JSON.parse(error({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'invalidValue', detail: 'd', stack: 'at x' })), {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'invalidValue', detail: 'd',
  });
});
