import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry, parsePatchPath, parseFilter, bindFilter, schemaDocument, resourceTypeDocument } from '../../src/scim/index.ts';

const genesys = createRegistry('genesys');
const User = genesys.resourceType('User')!;

// Every target path of the default mapping table (Genesys' Entra guide; src/provision/mappings.ts), plus the
// Microsoft Teams mappings of genesys-scim.md.
const MAPPING_TARGETS = [
  'userName',
  'active',
  'displayName',
  'title',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:dateHire',
  'emails[type eq "work"].value',
  'phoneNumbers[type eq "work"].value',
  'phoneNumbers[type eq "work2"].value',
  'phoneNumbers[type eq "microsoftteams"].value',
  'urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User:externalIds[authority eq "microsoftteams"].value',
  'urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User:routingSkills',
  'urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User:routingLanguages',
  'roles',
];

test('every target path of the default mapping table resolves against the registry', () => {
  for (const text of MAPPING_TARGETS) {
    const p = parsePatchPath(text);
    const r = genesys.resolve(User, p.attrPath);
    assert.ok(r?.attribute, text);
    if (p.filter) {
      const target = { schema: r.schema, core: r.core, attribute: r.attribute, leaf: r.attribute, relative: false };
      assert.ok(target.attribute.type === 'complex', text);
      assert.ok(p.subAfterFilter === undefined || genesys.subAttribute(r.attribute, p.subAfterFilter), text);
    }
  }
});

test('names resolve case-insensitively and to their canonical spelling', () => {
  const r = genesys.resolve(User, { uri: 'URN:IETF:params:scim:schemas:extension:enterprise:2.0:user', attr: 'MANAGER', sub: 'Value' });
  assert.equal(r?.attribute?.name, 'manager');
  assert.equal(r?.sub?.name, 'value');
  assert.equal(r?.schema, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User');
  assert.equal(genesys.resolve(User, { attr: 'emails', sub: 'Value' })?.sub?.name, 'value');
  const whole = genesys.resolve(User, { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0', attr: 'User' });
  assert.equal(whole?.attribute, undefined);
  assert.equal(whole?.schema, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User');
});

test('the standard profile has no Genesys extension and no required displayName', () => {
  const standard = createRegistry('standard');
  const rt = standard.resourceType('users')!;
  assert.deepEqual(rt.schemaExtensions.map((e) => e.schema), ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']);
  assert.equal(standard.resolve(rt, { attr: 'displayName' })?.attribute?.required, false);
  assert.equal(genesys.resolve(User, { attr: 'displayName' })?.attribute?.required, true);
  assert.throws(() => bindFilter(standard, rt, parseFilter('routingSkills.name eq "x"')));
});

test('discovery documents come from the registry', () => {
  const doc = schemaDocument(genesys.schema('urn:ietf:params:scim:schemas:core:2.0:User')!, 'https://h/scim');
  const attrs = doc.attributes as { name: string; returned: string; subAttributes?: unknown[] }[];
  assert.equal(attrs.find((a) => a.name === 'password')?.returned, 'never');
  assert.ok(attrs.find((a) => a.name === 'emails')?.subAttributes?.length);
  const rtDoc = resourceTypeDocument(User, 'https://h/scim');
  assert.equal(rtDoc.endpoint, '/Users');
  assert.equal((rtDoc.meta as { location: string }).location, 'https://h/scim/ResourceTypes/User');
});

test('profile differences are capabilities of the registry, each the opposite in the other profile', () => {
  const [genesys, standard] = [createRegistry('genesys'), createRegistry('standard')];
  const flags = ['enforceCanonicalValues', 'groupLifecycle', 'divisionByName', 'managerMustBeUser', 'ignoreUnknownAttributes', 'userNameIsEmail', 'derivedUserValues', 'phonesAsTel', 'rolesByName', 'publicGroupsOnly', 'groupRenames', 'activeOnlyByDefault'] as const;
  for (const f of flags) assert.equal(typeof genesys[f], 'boolean', f);
  for (const f of flags) assert.notEqual(genesys[f], standard[f], `${f} differs between the profiles`);
  assert.deepEqual(flags.filter((f) => genesys[f]), ['enforceCanonicalValues', 'divisionByName', 'managerMustBeUser', 'userNameIsEmail', 'derivedUserValues', 'phonesAsTel', 'rolesByName', 'publicGroupsOnly', 'activeOnlyByDefault']);
  assert.match(genesys.note, /login email/);
  assert.match(standard.note, /RFC 7643/);
});
