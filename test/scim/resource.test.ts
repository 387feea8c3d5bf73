import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry, parseResource, ScimError, type JsonObject } from '../../src/scim/index.ts';

const genesys = createRegistry('genesys');
const standard = createRegistry('standard');
const User = genesys.resourceType('User')!;
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

// The create body Entra sends to the Genesys app (Microsoft's SCIM tutorial, https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups), verbatim.
const ENTRA_CREATE = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
  externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
  userName: 'jdoe@contoso.com',
  active: true,
  displayName: 'Jane Doe',
  emails: [{ primary: true, type: 'work', value: 'jane.doe@contoso.com' }],
  meta: { resourceType: 'User' },
  name: { formatted: 'Jane Doe', familyName: 'Doe', givenName: 'Jane' },
  title: 'Engineer',
  phoneNumbers: [{ type: 'work', value: 'tel:+13175550123;ext=1234' }],
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Sales', division: 'Home' },
  roles: [],
};

test("parses Entra's create body: ignores meta, drops empty arrays, keeps the extension", () => {
  const r = parseResource(genesys, User, ENTRA_CREATE);
  assert.equal(r.meta, undefined);
  assert.equal(r.roles, undefined);
  assert.deepEqual(r[ENT], { department: 'Sales', division: 'Home' });
  assert.deepEqual(r.schemas, ['urn:ietf:params:scim:schemas:core:2.0:User', ENT]);
  assert.equal(r.userName, 'jdoe@contoso.com');
});

test('canonicalises attribute names and extension URNs case-insensitively, ignores unknown schemas', () => {
  const r = parseResource(genesys, User, { USERNAME: 'a@b.c', DisplayName: 'A', [ENT.toUpperCase()]: { Department: 'X' }, 'http://schemas.microsoft.com/x': {}, 'urn:acme:custom:2.0:User': { shoe: 9 } });
  assert.deepEqual(r, { userName: 'a@b.c', displayName: 'A', [ENT]: { department: 'X' }, schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENT] });
});

test('refuses attributes the schemas do not define, as PATCH refuses paths to them', () => {
  for (const body of [{ userName: 'a@b.c', displayName: 'A', favouriteColour: 'red' }, { userName: 'a@b.c', displayName: 'A', [ENT]: { shoeSize: 9 } }]) {
    assert.throws(() => parseResource(genesys, User, body), (e: ScimError) => e.scimType === 'invalidValue' && /favouriteColour|shoeSize/.test(e.message));
  }
});

test('bounds multi-valued attributes (100 values; group members 100,000 per request)', () => {
  const emails = Array.from({ length: 101 }, (_, i) => ({ value: `e${i}@b.c`, type: 'work' }));
  assert.throws(() => parseResource(standard, User, { userName: 'a', emails }), (e: ScimError) => e.scimType === 'invalidValue' && /at most 100 values/.test(e.message));
  assert.equal((parseResource(standard, User, { userName: 'a', emails: emails.slice(1) }).emails as unknown[]).length, 100);
});

test('ignores readOnly input (id, meta, groups) and coerces string booleans', () => {
  const r = parseResource(genesys, User, { id: 'client-chosen', userName: 'a@b.c', displayName: 'A', active: 'False', groups: [{ value: 'g' }] });
  assert.equal(r.id, undefined);
  assert.equal(r.groups, undefined);
  assert.equal(r.active, false);
});

test('rejects wrong types with invalidValue and non-objects with invalidSyntax', () => {
  const cases: [unknown, string][] = [
    [{ userName: 'a@b.c', displayName: 'A', active: 'maybe' }, 'invalidValue'],
    [{ userName: { x: 1 }, displayName: 'A' }, 'invalidValue'],
    [{ userName: 'a@b.c', displayName: 'A', name: 'flat' }, 'invalidValue'],
    [{ userName: 'a@b.c', displayName: 'A', phoneNumbers: [{ type: 'fax', value: '+1' }] }, 'invalidValue'],
    [{ userName: 'a@b.c', displayName: 'A', title: ['a', 'b'] }, 'invalidValue'],
    [[], 'invalidSyntax'],
    ['x', 'invalidSyntax'],
    [JSON.parse('{"userName":"a@b.c","displayName":"A","__proto__":{"x":1}}'), 'invalidSyntax'],
  ];
  for (const [body, scimType] of cases) {
    assert.throws(() => parseResource(genesys, User, body), (e: unknown) => e instanceof ScimError && e.scimType === scimType, JSON.stringify(body));
  }
});

test('the standard profile accepts any email and phone type', () => {
  const rt = standard.resourceType('User')!;
  const r = parseResource(standard, rt, { userName: 'anything', phoneNumbers: [{ type: 'fax', value: '1' }], emails: [{ type: 'custom', value: 'x' }] });
  assert.equal((r.phoneNumbers as JsonObject[])[0].type, 'fax');
});

test('type values are stored in their canonical spelling (genesys profile)', () => {
  const r = parseResource(genesys, User, { userName: 'a@b.c', displayName: 'A', phoneNumbers: [{ type: 'Work2', value: '+1' }] });
  assert.equal((r.phoneNumbers as JsonObject[])[0].type, 'work2');
});
