import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry, parseProjection, projectResource, type JsonObject } from '../../src/scim/index.ts';
import { bjensen } from '../fixtures/users.ts';

const registry = createRegistry('standard');
const User = registry.resourceType('User')!;
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const project = (attributes?: string, excluded?: string, resource: JsonObject = { ...bjensen(), password: 's3cret' }) =>
  projectResource(registry, User, resource, parseProjection(registry, User, attributes, excluded));

test('never returns password; always returns id, schemas and meta', () => {
  const all = project();
  assert.equal(all.password, undefined);
  const only = project('userName');
  assert.deepEqual(Object.keys(only).sort(), ['id', 'meta', 'schemas', 'userName']);
  assert.equal(project('password').password, undefined);
});

test('attributes selects attributes, sub-attributes and whole extensions', () => {
  const a = project('name.givenName,emails.value');
  assert.deepEqual(a.name, { givenName: 'Barbara' });
  assert.deepEqual(a.emails, [{ value: 'bjensen@example.com' }, { value: 'babs@jensen.org' }]);
  const ext = project(ENT);
  assert.equal((ext[ENT] as JsonObject).department, 'Tour Operations');
  assert.deepEqual(ext.schemas, ['urn:ietf:params:scim:schemas:core:2.0:User', ENT]);
  const urn = project(`${ENT}:department`);
  assert.deepEqual(urn[ENT], { department: 'Tour Operations' });
  assert.equal(urn.userName, undefined);
});

test('excludedAttributes removes defaults but never id', () => {
  const e = project(undefined, 'emails,name.familyName,id');
  assert.equal(e.emails, undefined);
  assert.deepEqual(e.name, { formatted: 'Ms. Barbara J Jensen III', givenName: 'Barbara' });
  assert.equal(e.id, bjensen().id);
  const noExt = project(undefined, ENT);
  assert.equal(noExt[ENT], undefined);
  assert.deepEqual(noExt.schemas, ['urn:ietf:params:scim:schemas:core:2.0:User']);
});

test('attribute names in the parameters are case-insensitive; unknown names select nothing', () => {
  assert.equal(project('USERNAME').userName, 'bjensen@example.com');
  assert.deepEqual(Object.keys(project('nosuch')).sort(), ['id', 'meta', 'schemas']);
});

test('excludedAttributes=members drops group members', () => {
  const Group = registry.resourceType('Group')!;
  const g = { id: 'g', displayName: 'G', members: [{ value: 'u' }], meta: { resourceType: 'Group' } };
  const out = projectResource(registry, Group, g, parseProjection(registry, Group, undefined, 'members'));
  assert.deepEqual(out, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'g', displayName: 'G', meta: { resourceType: 'Group' } });
});
