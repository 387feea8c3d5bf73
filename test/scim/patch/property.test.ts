import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyPatch, checkResourceRules, createRegistry, parsePatchRequest, parseResource, ScimError, type JsonObject } from '../../../src/scim/index.ts';
import { bjensen, genesysUser } from '../../fixtures/users.ts';

const registries = [createRegistry('genesys'), createRegistry('standard')];
const paths = fc.oneof(
  fc.constantFrom(
    'displayName', 'title', 'active', 'userName', 'name', 'name.givenName', 'emails', 'emails.value', 'emails[type eq "work"]',
    'emails[type eq "work"].value', 'emails[type eq "work" and primary eq true].value', 'phoneNumbers[type eq "work2"].value',
    'members', 'members[value eq "x"]', 'id', 'meta', 'meta.version', 'groups', 'password', 'schemas', 'nosuch', '__proto__',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value', 'manager', 'emails[', 'emails[type eq "x"].',
    'urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User:externalIds[authority eq "a"].value',
    'urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User:routingSkills',
    'addresses[type eq "home"].locality', 'x509Certificates', 'emails[not (type eq "work")]',
  ),
  fc.string(),
);
const operation = fc.record(
  { op: fc.constantFrom('add', 'Add', 'replace', 'Replace', 'remove', 'Remove', 'move', 7), path: fc.option(paths, { nil: undefined }), value: fc.jsonValue() },
  { requiredKeys: ['op'] },
);

test('the PATCH engine fails only with ScimError, and every result satisfies the schema rules', () => {
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 6 }), fc.constantFrom('User', 'Group'), fc.boolean(), (ops, type, useBabs) => {
      for (const registry of registries) {
        const rt = registry.resourceType(type)!;
        const start: JsonObject = type === 'Group' ? { id: 'g', displayName: 'G', members: [{ value: 'x' }] } : useBabs ? bjensen() : genesysUser();
        const before = structuredClone(start);
        try {
          const { resource } = applyPatch(registry, rt, start, parsePatchRequest({ Operations: ops }));
          checkResourceRules(registry, rt, resource);
          assert.equal(({} as JsonObject).polluted, undefined);
        } catch (e) {
          assert.ok(e instanceof ScimError, `not a ScimError: ${String(e)}`);
          assert.ok(e.status === 400 || e.status === 409, String(e.status));
        }
        assert.deepEqual(start, before, 'the input resource is never mutated');
      }
    }),
    { numRuns: 1500 },
  );
});

test('resource parsing fails only with ScimError on arbitrary JSON', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.dictionary(fc.constantFrom('userName', 'displayName', 'emails', 'name', 'active', 'phoneNumbers', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', '__proto__'), fc.jsonValue()), (a, b) => {
      for (const registry of registries) {
        for (const body of [a, b]) {
          try {
            parseResource(registry, registry.resourceType('User')!, body);
          } catch (e) {
            assert.ok(e instanceof ScimError, String(e));
          }
        }
      }
    }),
    { numRuns: 1500 },
  );
});
