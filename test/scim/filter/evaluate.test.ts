import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindFilter, createRegistry, matchesFilter, parseFilter, ScimError, type JsonObject } from '../../../src/scim/index.ts';
import { bjensen } from '../../fixtures/users.ts';

const standard = createRegistry('standard');
const genesys = createRegistry('genesys');
const User = standard.resourceType('User')!;

function matches(filter: string, resource: JsonObject = bjensen(), registry = standard): boolean {
  const rt = registry.resourceType('User')!;
  return matchesFilter(bindFilter(registry, rt, parseFilter(filter)), resource);
}

// [filter, expected on Babs Jensen]
const TABLE: [string, boolean][] = [
  ['userName eq "bjensen@example.com"', true],
  ['USERNAME eq "BJENSEN@example.com"', true], // userName is caseExact=false
  ['externalId eq "BJENSEN"', false], // externalId is caseExact=true
  ['externalId eq "bjensen"', true],
  ['name.familyName co "O\'Malley"', true],
  ['userName sw "bj"', true],
  ['userName ew "example.com"', true],
  ['urn:ietf:params:scim:schemas:core:2.0:User:userName sw "B"', true],
  ['title pr', true],
  ['nickName pr', false],
  ['meta.lastModified gt "2011-05-13T04:42:34Z"', false],
  ['meta.lastModified ge "2011-05-13T04:42:34Z"', true],
  ['meta.lastModified lt "2011-05-13T04:42:35Z"', true],
  ['meta.lastModified le "2011-05-13T04:42:33Z"', false],
  ['meta.lastModified gt "2011-05-13T00:42:34-05:00"', false], // same instant, other zone
  ['title pr and userType eq "Employee"', true],
  ['title pr or userType eq "Intern"', true],
  ['schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"', true],
  ['userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")', true],
  ['userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")', false],
  ['userType eq "Employee" and (emails.type eq "work")', true],
  ['userType eq "Employee" and emails[type eq "work" and value co "@example.com"]', true],
  ['emails[type eq "home" and value co "@example.com"]', false],
  ['emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]', true],
  ['emails[type eq "work"].value eq "bjensen@example.com"', true],
  ['emails[type eq "home"].value eq "bjensen@example.com"', false],
  ['active eq true', true],
  ['active eq "True"', true], // Entra's booleans as strings
  ['active ne true', false],
  ['nickName ne "x"', true], // absent attribute: nothing is equal
  ['nickName eq null', true],
  ['title eq null', false],
  ['emails[primary eq "True"].value eq "bjensen@example.com"', true],
  ['manager eq "26118915-6090-4610-87e4-49d8ca9f808d"', true], // unqualified extension name (Genesys)
  ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"', true],
  ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq 701984', true], // unquoted number vs string
  ['not (title pr)', false],
  ['userName gt "a" and userName lt "c"', true],
];

test('evaluates filters as RFC 7644 3.4.2.2 defines, honouring caseExact and types', () => {
  for (const [filter, expected] of TABLE) assert.equal(matches(filter), expected, filter);
});

test('resolves Genesys short names and the externalIds filter', () => {
  const u: JsonObject = {
    userName: 'a@x.com',
    emails: [{ type: 'work', value: 'work@x.com' }],
    'urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User': {
      externalIds: [{ authority: 'microsoftteams', value: 'oid-1' }],
    },
  };
  const ext = 'urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User';
  assert.equal(matches(`${ext}:externalIds[authority eq "microsoftteams" and value eq "oid-1"]`, u, genesys), true);
  assert.equal(matches(`${ext}:externalIds[authority eq "MICROSOFTTEAMS" and value eq "oid-1"]`, u, genesys), false);
  assert.equal(matches('email eq "work@x.com"', u, genesys), true);
});

test('rejects filters that do not fit the schema with invalidFilter', () => {
  const bad = [
    'nosuch eq "x"',
    'name eq "x"', // complex without value sub-attribute
    'active gt true',
    'active eq "maybe"',
    'emails[nosuch eq "x"]',
    'title[value eq "x"]',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:nosuch eq "x"',
    'meta.lastModified gt "not a date"',
    'title gt null',
  ];
  for (const f of bad) {
    assert.throws(
      () => bindFilter(standard, User, parseFilter(f)),
      (e: unknown) => e instanceof ScimError && e.scimType === 'invalidFilter',
      f,
    );
  }
});

test('group membership filters match on members.value', () => {
  const Group = standard.resourceType('Group')!;
  const g = { id: 'g1', displayName: 'Sales', members: [{ value: 'u1' }, { value: 'u2' }] };
  const m = (f: string) => matchesFilter(bindFilter(standard, Group, parseFilter(f)), g);
  assert.equal(m('id eq "g1" and members[value eq "u1"]'), true);
  assert.equal(m('id eq "g1" and members[value eq "u3"]'), false);
  assert.equal(m('members eq "u2"'), true);
  assert.equal(m('members.value eq "u2"'), true);
  assert.equal(m('displayName eq "sales"'), true);
});
