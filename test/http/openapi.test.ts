// /openapi.json is generated from the route schemas: it must be a valid OpenAPI 3.1 document
// and name every registered route, and the schemas it publishes must be the ones enforced.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { call, createOrg, startHarness, type Harness, type Org } from '../helpers/harness.ts';

describe('OpenAPI description', () => {
  let h: Harness;
  let org: Org;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an OpenAPI document, read by path
  let doc: any;
  before(async () => {
    h = await startHarness();
    org = await createOrg(h);
    const r = await call(h, { path: '/openapi.json' });
    assert.equal(r.status, 200);
    doc = r.body;
  });
  after(() => h.close());

  test('is a valid OpenAPI 3.1 document', async () => {
    assert.equal(doc.openapi, '3.1.0');
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors ?? null).slice(0, 2000));
    // The validator does look: a document with a broken operation is refused.
    const broken = structuredClone(doc);
    broken.paths['/healthz'].get.responses = 'none';
    assert.equal((await new Validator().validate(broken)).valid, false);
  });

  test('every registered route appears, with its method', () => {
    const missing: string[] = [];
    // The console's HTML routes (and the site root, a redirect to it) are hidden from the API
    // description (docs/console.md lists them).
    for (const r of h.app.routeTable.filter((x) => !x.url.startsWith('/console') && x.url !== '/')) {
      const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}').replace(/(.)\/$/, '$1');
      const entry = doc.paths[path] ?? doc.paths[`${path}/`];
      if (!entry?.[r.method.toLowerCase()]) missing.push(`${r.method} ${path}`);
    }
    assert.deepEqual(missing, []);
    assert.ok(Object.keys(doc.paths).length >= 50, `only ${Object.keys(doc.paths).length} paths`);
  });

  test('every operation has a summary and declares its responses; bearer routes declare the scheme', () => {
    for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) { // eslint-disable-line @typescript-eslint/no-explicit-any
      for (const [method, op] of Object.entries<any>(item)) { // eslint-disable-line @typescript-eslint/no-explicit-any
        assert.ok(op.summary, `${method} ${path} has no summary`);
        assert.ok(Object.keys(op.responses ?? {}).length > 0, `${method} ${path} declares no response`);
        const isPublic = path === '/oauth/token' || path === '/api/v2/events/issuers/{orgId}/jwks' || path === '/healthz' || path === '/readyz' || path === '/openapi.json';
        assert.equal(Boolean(op.security?.some((s: Record<string, unknown>) => 'bearer' in s)), !isPublic, `${method} ${path} security`);
      }
    }
    assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
  });

  test('the published schemas are enforced: an admin body and parameter the schema refuses are 400', async () => {
    const create = doc.paths['/api/v2/authorization/divisions'].post;
    assert.deepEqual(create.requestBody.content['application/json'].schema.required, ['name']);
    const noName = await call(h, { method: 'POST', path: '/api/v2/authorization/divisions', token: org.token, body: { description: 'x' } });
    assert.equal(noName.status, 400);
    assert.equal(noName.body.code, 'bad.request');
    assert.match(noName.body.message, /name/);
    const tooBig = await call(h, { path: '/api/v2/authorization/divisions?pageSize=501', token: org.token });
    assert.equal(tooBig.status, 400);
    assert.match(tooBig.body.message, /pageSize/);
  });

  test('responses are serialised from the schema: a listed division has exactly the declared fields', async () => {
    const declared = Object.keys(doc.paths['/api/v2/authorization/divisions/{id}'].get.responses['200'].content['application/json'].schema.properties).sort();
    const list = await call(h, { path: '/api/v2/authorization/divisions', token: org.token });
    assert.equal(list.status, 200);
    for (const d of list.body.entities) for (const k of Object.keys(d)) assert.ok(declared.includes(k), `undeclared field ${k}`);
    assert.ok(list.body.entities.some((d: { homeDivision: boolean }) => d.homeDivision));
  });
});
