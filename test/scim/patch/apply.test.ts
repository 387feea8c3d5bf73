import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, createRegistry, parsePatchRequest, ScimError, type JsonObject } from '../../../src/scim/index.ts';
import { bjensen, genesysUser } from '../../fixtures/users.ts';

const standard = createRegistry('standard');
const genesys = createRegistry('genesys');
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GEN = 'urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User';

function patch(resource: JsonObject, operations: unknown[], registry = standard, type = 'User'): JsonObject {
  const rt = registry.resourceType(type)!;
  return applyPatch(registry, rt, resource, parsePatchRequest({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations })).resource;
}

function rejects(resource: JsonObject, operations: unknown[], scimType: string, registry = standard, type = 'User'): void {
  assert.throws(
    () => patch(resource, operations, registry, type),
    (e: unknown) => e instanceof ScimError && e.scimType === scimType,
    JSON.stringify(operations),
  );
}

const group = (): JsonObject => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
  id: 'acbf3ae7-8463-4692-b4fd-9b4da3f908ce',
  displayName: 'Tour Guides',
  members: [
    { value: '2819c223-7f76-453a-919d-413861904646', display: 'Babs Jensen' },
    { value: '902c246b-6245-4190-8e05-00816be7344a', display: 'Mandy Pepperidge' },
  ],
});

// ---- RFC 7644 3.5.2.1 (add) ----
test('RFC 3.5.2.1: add a member to a group', () => {
  const out = patch(group(), [{ op: 'add', path: 'members', value: [{ display: 'Babs Jensen', $ref: 'https://example.com/v2/Users/x', value: 'x' }] }], standard, 'Group');
  assert.deepEqual((out.members as JsonObject[]).map((m) => m.value), ['2819c223-7f76-453a-919d-413861904646', '902c246b-6245-4190-8e05-00816be7344a', 'x']);
});

test('RFC 3.5.2.1: add without path adds emails and sets nickname (names case-insensitive)', () => {
  const out = patch(bjensen(), [{ op: 'add', value: { emails: [{ value: 'babs@jensen.org', type: 'home' }, { value: 'new@x.org', type: 'other' }], nickname: 'Babs' } }]);
  assert.equal(out.nickName, 'Babs');
  assert.equal((out.emails as JsonObject[]).length, 3, 'the existing home email is not duplicated');
});

test('add of an existing member is idempotent', () => {
  const out = patch(group(), [{ op: 'add', path: 'members', value: [{ value: '902c246b-6245-4190-8e05-00816be7344a' }] }], standard, 'Group');
  assert.equal((out.members as JsonObject[]).length, 2);
});

// ---- RFC 7644 3.5.2.2 (remove) ----
test('RFC 3.5.2.2: remove one member by value filter', () => {
  const out = patch(group(), [{ op: 'remove', path: 'members[value eq "2819c223-7f76-453a-919d-413861904646"]' }], standard, 'Group');
  assert.deepEqual((out.members as JsonObject[]).map((m) => m.value), ['902c246b-6245-4190-8e05-00816be7344a']);
});

test('RFC 3.5.2.2: remove all members', () => {
  const out = patch(group(), [{ op: 'remove', path: 'members' }], standard, 'Group');
  assert.equal(out.members, undefined);
});

test('RFC 3.5.2.2: remove a complex value by filter', () => {
  const out = patch(bjensen(), [{ op: 'remove', path: 'emails[type eq "work" and value ew "example.com"]' }]);
  assert.deepEqual(out.emails, [{ value: 'babs@jensen.org', type: 'home' }]);
});

test('RFC 3.5.2.2: remove all members then add new ones, in one request', () => {
  const out = patch(group(), [{ op: 'remove', path: 'members' }, { op: 'add', path: 'members', value: [{ value: 'a' }, { value: 'b' }] }], standard, 'Group');
  assert.deepEqual((out.members as JsonObject[]).map((m) => m.value), ['a', 'b']);
});

test('RFC 3.5.2.2: remove without path fails with noTarget', () => {
  assert.throws(() => parsePatchRequest({ Operations: [{ op: 'remove' }] }), (e: unknown) => e instanceof ScimError && e.scimType === 'noTarget');
});

test('RFC 3.5.2.2: removing a required or read-only attribute fails with mutability', () => {
  rejects(bjensen(), [{ op: 'remove', path: 'userName' }], 'mutability');
  rejects(bjensen(), [{ op: 'remove', path: 'id' }], 'mutability');
  rejects(bjensen(), [{ op: 'replace', path: 'meta.version', value: '1' }], 'mutability');
});

// ---- RFC 7644 3.5.2.3 (replace) ----
test('RFC 3.5.2.3: replace all members', () => {
  const out = patch(group(), [{ op: 'replace', path: 'members', value: [{ value: 'n1', display: 'N' }] }], standard, 'Group');
  // `display` is readOnly (the server derives it), so the client's copy is ignored.
  assert.deepEqual(out.members, [{ value: 'n1' }]);
});

test('RFC 3.5.2.3: replace a filtered complex value', () => {
  const out = patch(bjensen(), [{ op: 'replace', path: 'addresses[type eq "work"]', value: { type: 'work', streetAddress: '911 Universal City Plaza', locality: 'Hollywood', region: 'CA', postalCode: '91608', country: 'US', formatted: '911 Universal City Plaza\nHollywood, CA 91608 US', primary: true } }]);
  const a = (out.addresses as JsonObject[])[0];
  assert.equal(a.streetAddress, '911 Universal City Plaza');
  assert.equal(a.country, 'US');
});

test('RFC 3.5.2.3: replace a sub-attribute of a filtered value', () => {
  const out = patch(bjensen(), [{ op: 'replace', path: 'addresses[type eq "work"].streetAddress', value: '1010 Broadway Ave' }]);
  assert.equal((out.addresses as JsonObject[])[0].streetAddress, '1010 Broadway Ave');
  assert.equal((out.addresses as JsonObject[])[0].locality, 'Hollywood');
});

test('RFC 3.5.2.3: replace without path replaces emails and sets nickname', () => {
  const out = patch(bjensen(), [{ op: 'replace', value: { emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }, { value: 'babs@jensen.org', type: 'home' }], nickname: 'Babs' } }]);
  assert.equal((out.emails as JsonObject[]).length, 2);
  assert.equal(out.nickName, 'Babs');
});

// ---- Entra, as its SCIM tutorial and known-issues page document it, on the genesys profile ----
test('Entra update: capitalised ops, value-filter Add creates the element, URN paths', () => {
  const out = patch(genesysUser(), [
    { op: 'Replace', path: 'displayName', value: 'Jane Q. Doe' },
    { op: 'Add', path: 'emails[type eq "work"].value', value: 'jq@contoso.com' },
    { op: 'Replace', path: 'name.familyName', value: 'Doe-Smith' },
    { op: 'Add', path: 'phoneNumbers[type eq "work2"].value', value: '+13175550199' },
    { op: 'Add', path: `${ENT}:department`, value: 'Support' },
  ], genesys);
  assert.equal(out.displayName, 'Jane Q. Doe');
  assert.deepEqual((out.emails as JsonObject[]).find((e) => e.type === 'work'), { type: 'work', value: 'jq@contoso.com' });
  assert.deepEqual(out.name, { familyName: 'Doe-Smith' });
  assert.deepEqual(out.phoneNumbers, [{ type: 'work2', value: '+13175550199' }]);
  assert.deepEqual(out[ENT], { department: 'Support' });
  assert.ok((out.schemas as string[]).includes(ENT));
});

test('Entra: Add on an existing value-filter element replaces its value, never duplicates', () => {
  const once = patch(genesysUser(), [{ op: 'Add', path: 'phoneNumbers[type eq "work2"].value', value: '+1' }], genesys);
  const twice = patch(once, [{ op: 'Add', path: 'phoneNumbers[type eq "work2"].value', value: '+2' }], genesys);
  assert.deepEqual(twice.phoneNumbers, [{ type: 'work2', value: '+2' }]);
});

test('several operations on the same value filter build one element', () => {
  const out = patch(bjensen(), [
    { op: 'add', path: 'addresses[type eq "home"].locality', value: 'Springfield' },
    { op: 'add', path: 'addresses[type eq "home"].postalCode', value: '12345' },
  ]);
  const home = (out.addresses as JsonObject[]).filter((a) => a.type === 'home');
  assert.deepEqual(home, [{ type: 'home', locality: 'Springfield', postalCode: '12345' }]);
});

test('Entra manager: bare id, {value}, one-element array, URN or short path; remove and "" clear it', () => {
  for (const value of ['m-1', { value: 'm-1' }, [{ $ref: 'https://x/Users/m-1', value: 'm-1' }]]) {
    for (const path of [`${ENT}:manager`, 'manager']) {
      const out = patch(genesysUser(), [{ op: 'Add', path, value }], genesys);
      assert.equal((out[ENT] as JsonObject).manager && ((out[ENT] as JsonObject).manager as JsonObject).value, 'm-1', JSON.stringify({ path, value }));
    }
  }
  const withManager = patch(genesysUser(), [{ op: 'Add', path: `${ENT}:manager`, value: 'm-1' }], genesys);
  assert.equal(patch(withManager, [{ op: 'Remove', path: `${ENT}:manager` }], genesys)[ENT], undefined);
  assert.equal(patch(withManager, [{ op: 'Replace', path: `${ENT}:manager`, value: '' }], genesys)[ENT], undefined);
  assert.equal(patch(withManager, [{ op: 'Replace', path: `${ENT}:manager`, value: null }], genesys)[ENT], undefined);
});

test('Entra disable: booleans as strings', () => {
  assert.equal(patch(genesysUser(), [{ op: 'Replace', path: 'active', value: 'False' }], genesys).active, false);
  assert.equal(patch(genesysUser(), [{ op: 'replace', path: 'active', value: false }], genesys).active, false);
  assert.equal(patch({ ...genesysUser(), active: false }, [{ op: 'Replace', path: 'active', value: 'True' }], genesys).active, true);
  rejects(genesysUser(), [{ op: 'Replace', path: 'active', value: 'nope' }], 'invalidValue', genesys);
});

test('Entra flagged mode: one replace without path whose keys are paths', () => {
  const out = patch(genesysUser(), [{ op: 'replace', value: { displayName: 'Bjfe', 'name.givenName': 'Kkom', 'name.familyName': 'Unua', [`${ENT}:employeeNumber`]: 'Aklq' } }], genesys);
  assert.equal(out.displayName, 'Bjfe');
  assert.deepEqual(out.name, { givenName: 'Kkom', familyName: 'Unua' });
  assert.deepEqual(out[ENT], { employeeNumber: 'Aklq' });
});

test('Entra group member add with $ref null, and both remove shapes', () => {
  const g = { id: 'g', displayName: 'Sales', members: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] };
  const added = patch(g, [{ op: 'Add', path: 'members', value: [{ $ref: null, value: 'd' }] }], genesys, 'Group');
  assert.deepEqual((added.members as JsonObject[]).map((m) => m.value), ['a', 'b', 'c', 'd']);
  const removedByList = patch(g, [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: 'b' }] }], genesys, 'Group');
  assert.deepEqual((removedByList.members as JsonObject[]).map((m) => m.value), ['a', 'c'], 'only the listed member goes');
  const removedByFilter = patch(g, [{ op: 'remove', path: 'members[value eq "c"]' }], genesys, 'Group');
  assert.deepEqual((removedByFilter.members as JsonObject[]).map((m) => m.value), ['a', 'b']);
  const missing = patch(g, [{ op: 'remove', path: 'members[value eq "zz"]' }], genesys, 'Group');
  assert.equal((missing.members as JsonObject[]).length, 3, 'removing an absent member is a no-op');
});

test('Microsoft Teams mappings: phone type and externalIds authority created by Add', () => {
  const out = patch(genesysUser(), [
    { op: 'Add', path: 'phoneNumbers[type eq "microsoftteams"].value', value: '+13175550123' },
    { op: 'Add', path: `${GEN}:externalIds[authority eq "microsoftteams"].value`, value: 'oid-1' },
    { op: 'Add', path: `${GEN}:externalIds[authority eq 'zoomphone'].value`, value: 'z-1' },
  ], genesys);
  assert.deepEqual(out.phoneNumbers, [{ type: 'microsoftteams', value: '+13175550123' }]);
  assert.deepEqual((out[GEN] as JsonObject).externalIds, [{ authority: 'microsoftteams', value: 'oid-1' }, { authority: 'zoomphone', value: 'z-1' }]);
});

test('replace with "" clears a simple attribute; Add on a single-valued attribute replaces', () => {
  const u = { ...genesysUser(), title: 'Engineer' };
  assert.equal(patch(u, [{ op: 'Replace', path: 'title', value: '' }], genesys).title, undefined);
  assert.equal(patch(u, [{ op: 'Add', path: 'title', value: 'Lead' }], genesys).title, 'Lead');
  assert.equal(patch(u, [{ op: 'Replace', path: 'emails[type eq "other"].value', value: '' }], genesys).emails, undefined, 'an element without value is dropped');
});

test('an empty Operations array is a no-op', () => {
  const rt = genesys.resourceType('User')!;
  const r = applyPatch(genesys, rt, genesysUser(), parsePatchRequest({ Operations: [] }));
  assert.equal(r.changed, false);
});

test('a new primary value clears the other primaries', () => {
  const out = patch(bjensen(), [{ op: 'add', path: 'emails', value: [{ value: 'x@y.z', type: 'other', primary: true }] }]);
  const primaries = (out.emails as JsonObject[]).filter((e) => e.primary === true);
  assert.deepEqual(primaries.map((e) => e.value), ['x@y.z']);
});

test('PATCH is atomic: a failing operation leaves the input untouched and nothing applied', () => {
  const u = genesysUser();
  const before = structuredClone(u);
  rejects(u, [{ op: 'Replace', path: 'displayName', value: 'Changed' }, { op: 'Replace', path: 'nosuch', value: 1 }], 'invalidPath', genesys);
  assert.deepEqual(u, before);
});

test('rejects bad paths, values and prototype keys', () => {
  rejects(genesysUser(), [{ op: 'add', path: 'nosuch', value: 'x' }], 'invalidPath', genesys);
  rejects(genesysUser(), [{ op: 'add', path: '__proto__', value: { polluted: true } }], 'invalidPath', genesys);
  rejects(genesysUser(), [{ op: 'add', path: 'constructor.prototype', value: 'x' }], 'invalidPath', genesys);
  rejects(genesysUser(), [{ op: 'add', value: { ['__proto__']: { polluted: true } } }], 'invalidPath', genesys);
  rejects(genesysUser(), [{ op: 'add', value: JSON.parse('{"__proto__": {"polluted": true}}') }], 'invalidPath', genesys);
  rejects(genesysUser(), [{ op: 'add', path: 'emails[type eq "work"', value: 'x' }], 'invalidPath', genesys);
  rejects(genesysUser(), [{ op: 'add', path: 'emails[nosuch eq "work"].value', value: 'x' }], 'invalidPath', genesys);
  rejects(genesysUser(), [{ op: 'add', path: 'phoneNumbers[type ne "work"].value', value: 'x' }], 'noTarget', genesys);
  rejects(genesysUser(), [{ op: 'add', path: 'phoneNumbers[type eq "fax"].value', value: '+1' }], 'invalidValue', genesys);
  rejects(genesysUser(), [{ op: 'replace', path: 'displayName', value: { nested: 1 } }], 'invalidValue', genesys);
  rejects(genesysUser(), [{ op: 'remove', path: 'displayName' }], 'mutability', genesys);
  assert.equal(({} as JsonObject).polluted, undefined);
});

test('rejects malformed PATCH messages with invalidSyntax', () => {
  const bad: unknown[] = [null, [], {}, { Operations: {} }, { Operations: [1] }, { Operations: [{ op: 'move', path: 'x' }] }, { Operations: [{ path: 'x' }] }, { Operations: [{ op: 'add', path: 'title' }] }, { Operations: [{ op: 'add', value: 'x' }] }];
  for (const body of bad) {
    assert.throws(() => parsePatchRequest(body), (e: unknown) => e instanceof ScimError && e.status === 400, JSON.stringify(body));
  }
});
