// Hostile and careless input gets a clear 4xx, the same on both stores: NUL and lone
// surrogates, deep nesting, oversized strings and lists, wrong media types, unknown attributes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createOrg, entraUser, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { MAX_DETAIL } from '../../src/scim/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';

for (const { name: dialect, skip } of DIALECTS) {
  describe(`hostile input (${dialect})`, async () => {
    let h: Harness;
    let org: Org;
    let user: string;
    let version: string;
    before(async () => {
      if (skip) return;
      h = await startHarness({ dialect, bodyLimitBytes: 4 << 20 });
      org = await createOrg(h);
      const r = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('target@contoso.com') });
      user = r.body.id;
      version = r.headers.etag as string;
    });
    after(async () => {
      if (!skip) await h.close();
    });
    const unchanged = async () => assert.equal((await call(h, { path: `/Users/${user}`, token: org.token })).headers.etag, version, 'a refused request wrote nothing');

    test('NUL and lone surrogates are refused everywhere, with the scimType of where they were', { skip }, async () => {
      const cases: [Parameters<typeof call>[1], string | undefined][] = [
        [{ path: `/Users?filter=${encodeURIComponent('userName co "\u0000"')}` }, 'invalidFilter'],
        [{ path: '/Users/a%00b' }, 'invalidValue'],
        [{ path: '/Users?attributes=user%00Name' }, 'invalidValue'],
        [{ method: 'POST', path: '/Users', body: entraUser('nul\u0000@contoso.com') }, 'invalidValue'],
        [{ method: 'PATCH', path: `/Users/${user}`, body: patchOp({ op: 'replace', path: 'title', value: 'a\u0000b' }) }, 'invalidValue'],
        [{ method: 'PATCH', path: `/Users/${user}`, body: '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"a\\udc00"}]}' }, 'invalidValue'],
        [{ method: 'PATCH', path: `/Users/${user}`, body: patchOp({ op: 'replace', value: { 'ti\u0000tle': 'x' } }) }, 'invalidSyntax'],
        [{ path: '/api/v2/users/a%00b' }, undefined],
        // The same through JSON escapes, which only the filter grammar decodes.
        ...['userName co "\\u0000"', 'userName eq "a\\u0000b"', 'displayName sw "\\u0000"', 'id eq "\\u0000"', 'groups.display co "\\u0000"', 'groups.display ew "\\u0000"', 'userName co "\\ud800"', 'displayName eq "x\\uDC00"']
          .map((f): [Parameters<typeof call>[1], string] => [{ path: `/Users?filter=${encodeURIComponent(f)}` }, 'invalidFilter']),
        [{ path: `/Groups?filter=${encodeURIComponent('displayName co "\\u0000"')}` }, 'invalidFilter'],
        [{ method: 'POST', path: '/Users/.search', body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName co "\\u0000"' } }, 'invalidFilter'],
        [{ method: 'PATCH', path: `/Users/${user}`, body: patchOp({ op: 'replace', path: 'emails[value co "\\u0000"].type', value: 'home' }) }, 'invalidPath'],
      ];
      for (const [c, scimType] of cases) {
        const r = await call(h, { ...c, token: org.token });
        assert.equal(r.status, 400, `${c.path}: ${r.raw}`);
        if (scimType) assert.equal(r.body.scimType, scimType, `${c.path}: ${r.raw}`);
      }
      await unchanged();
    });

    test('deep nesting, huge strings and huge lists are refused quickly and echo little', { skip }, async () => {
      let deep = '1';
      for (let i = 0; i < 20_000; i++) deep = `{"a":${deep}}`;
      const r1 = await call(h, { method: 'PATCH', path: `/Users/${user}`, token: org.token, body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":${deep}}]}` });
      assert.equal(r1.status, 400);
      assert.equal(r1.body.scimType, 'invalidSyntax');
      const arrays = await call(h, { method: 'POST', path: '/Users', token: org.token, body: `${'['.repeat(500_000)}${']'.repeat(500_000)}` });
      assert.equal(arrays.status, 400, arrays.raw.slice(0, 200));
      const big = await call(h, { method: 'PATCH', path: `/Users/${user}`, token: org.token, body: patchOp({ op: 'replace', path: 'displayName', value: 'x'.repeat(70_000) }) });
      assert.equal(big.status, 400);
      assert.match(big.body.detail, /longer than 65536/);
      // Many operations that each add to a list: bounded per attribute, so no quadratic work.
      const grow = await call(h, {
        method: 'PATCH', path: `/Users/${user}`, token: org.token,
        body: patchOp(...Array.from({ length: 1000 }, (_, i) => ({ op: 'add', path: 'emails', value: Array.from({ length: 20 }, (_, j) => ({ value: `e${i}.${j}@x.com`, type: 'work' })) }))),
      });
      assert.equal(grow.status, 400);
      assert.match(grow.body.detail, /at most 100 values/);
      const echo = await call(h, { method: 'PATCH', path: `/Users/${user}`, token: org.token, body: patchOp({ op: 'replace', path: 'active', value: 'y'.repeat(60_000) }) });
      assert.equal(echo.status, 400);
      assert.ok(echo.body.detail.length <= MAX_DETAIL + 20, `detail echoes ${echo.body.detail.length} characters`);
      await unchanged();
    });

    test('wire details: bodiless requests with a JSON type, 415 for other media types', { skip }, async () => {
      const scratch = (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`scratch.${dialect}@contoso.com`) })).body.id;
      const del = await h.app.inject({ method: 'DELETE', url: `/api/v2/scim/v2/Users/${scratch}`, headers: { authorization: `Bearer ${org.token}`, 'content-type': 'application/json' } });
      assert.equal(del.statusCode, 204);
      const empty = await h.app.inject({ method: 'POST', url: '/api/v2/scim/v2/Users', headers: { authorization: `Bearer ${org.token}`, 'content-type': 'application/scim+json' } });
      assert.equal(empty.statusCode, 400);
      assert.equal(empty.json().scimType, 'invalidSyntax');
      for (const [type, body] of [['text/plain', 'userName=x'], ['application/x-www-form-urlencoded', 'userName=x'], ['application/xml', '<user/>']]) {
        for (const path of ['/Users', '/api/v2/groups']) {
          const r = await call(h, { method: 'POST', path, token: org.token, body, headers: { 'content-type': type } });
          assert.equal(r.status, 415, `${type} on ${path}: ${r.raw}`);
        }
      }
    });

    test('standard profile: POST and PUT ignore attributes no schema defines, and name them in the activity entry (the log line: test/http/logging.test.ts)', { skip }, async () => {
      const std = await createOrg(h, 'standard');
      const post = await call(h, { method: 'POST', path: '/Users', token: std.token, body: { userName: 'misspelled', displayNmae: 'Typo', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { departmnet: 'Ops', department: 'Ops' } } });
      assert.equal(post.status, 201, post.raw);
      assert.equal(post.body.displayNmae, undefined);
      assert.equal(post.body['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'].department, 'Ops');
      // Microsoft's reference collection: "Put a user misspelled attribute" succeeds.
      const put = await call(h, { method: 'PUT', path: `/Users/${post.body.id}`, token: std.token, body: { userName: 'misspelled', title: 'Lead', emials: [{ value: 'x@y' }] } });
      assert.equal(put.status, 200, put.raw);
      assert.equal(put.body.title, 'Lead');
      const group = await call(h, { method: 'POST', path: '/Groups', token: std.token, body: { displayName: 'Typo group', descriptoin: 'x' } });
      assert.equal(group.status, 201, group.raw);
      const feed = (await call(h, { path: '/api/v2/activity?pageSize=10', token: std.token })).body.entries as { text: string; details: string[] }[];
      const details = feed.flatMap((e) => e.details);
      assert.ok(details.includes('ignored, not in the schema: displayNmae, urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:departmnet'), details.join('\n'));
      assert.ok(details.includes('ignored, not in the schema: emials'), details.join('\n'));
      assert.ok(details.includes('ignored, not in the schema: descriptoin'), details.join('\n'));
      // A PATCH path to an unknown attribute is still refused: it cannot be half-applied.
      const patch = await call(h, { method: 'PATCH', path: `/Users/${post.body.id}`, token: std.token, body: patchOp({ op: 'add', path: 'favouriteColour', value: 'red' }) });
      assert.equal(patch.status, 400);
      assert.equal(patch.body.scimType, 'invalidPath');
    });

    test('genesys profile: an attribute the schema does not define is refused by POST, PUT and PATCH alike', { skip }, async () => {
      const post = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('unknown.attr@contoso.com', { favouriteColour: 'red' }) });
      assert.equal(post.status, 400);
      assert.equal(post.body.scimType, 'invalidValue');
      const put = await call(h, { method: 'PUT', path: `/Users/${user}`, token: org.token, body: entraUser('target@contoso.com', { favouriteColour: 'red' }) });
      assert.equal(put.status, 400);
      const patch = await call(h, { method: 'PATCH', path: `/Users/${user}`, token: org.token, body: patchOp({ op: 'add', path: 'favouriteColour', value: 'red' }) });
      assert.equal(patch.status, 400);
      assert.equal(patch.body.scimType, 'invalidPath');
      const custom = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('custom.ext@contoso.com', { 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User': { shoe: 9 } }) });
      assert.equal(custom.status, 201, 'an unknown extension schema is ignored, as Entra custom extensions need');
      await unchanged();
    });
  });
}
