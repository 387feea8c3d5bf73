// Fuzzing the SCIM write routes over the in-process app on the real stores: generated POST,
// PUT and PATCH bodies for Users and Groups (wrong types, prototype keys, huge and deep
// values, NUL, lone surrogates, garbage paths). Never a 5xx; a refused request changes
// nothing. Seeded and bounded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { call, createOrg, ENT, GEN, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';

const RUNS = 400;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const USER_KEYS = ['userName', 'displayName', 'active', 'title', 'externalId', 'emails', 'phoneNumbers', 'name', 'addresses', 'roles', 'password', 'id', 'meta', 'groups', 'schemas', ENT, GEN, '__proto__', 'constructor', 'prototype', 'bogus'];
const GROUP_KEYS = ['displayName', 'members', 'externalId', 'id', 'meta', 'schemas', '__proto__', 'constructor', 'bogus'];
const SUB_KEYS = ['value', 'type', 'primary', 'display', 'givenName', 'familyName', 'locality', 'division', 'manager', 'department', 'externalIds', 'authority', '$ref', '__proto__', 'constructor'];
const PATHS = [
  'title', 'displayName', 'active', 'userName', 'emails', 'emails[type eq "work"].value', 'emails[type eq "work"]', 'phoneNumbers[type eq "work"].value', 'name.givenName',
  `${ENT}:manager`, `${ENT}:division`, `${ENT}:department`, `${GEN}:externalIds[authority eq "microsoftteams"].value`, 'members', 'members[value eq "x"]',
  'id', 'meta.created', 'groups', 'emails[', 'a..b', '__proto__', 'constructor.prototype', 'bogus', '', 'emails[value co "\u0000"]',
];

// Strings a careless or hostile client sends.
const nasty = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', ' ', 'a@b.c', 'x@contoso.com', '+13175550123', 'tel:+13175550123;ext=1', 'True', 'false', 'Home', 'Sales', 'work', 'null', '\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '%', '"', '\\'),
  fc.constant('x'.repeat(70_000)),
);

function valueArb(keys: readonly string[]): fc.Arbitrary<unknown> {
  return fc.letrec<{ v: unknown }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small', maxDepth: 3 },
      nasty,
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('v'), { maxLength: 4 }),
      fc.dictionary(fc.constantFrom(...SUB_KEYS, ...keys), tie('v'), { maxKeys: 4 }),
      fc.constant(Array.from({ length: 150 }, (_, i) => ({ value: `v${i}@x.com`, type: 'work' }))),
      fc.constant(JSON.parse(`${'{"a":'.repeat(100)}1${'}'.repeat(100)}`)),
    ),
  })).v;
}

// Mostly small changes to a valid body, so that many requests get past the first check and
// reach the store with their odd values.
const bodyArb = (keys: readonly string[]) => fc.dictionary(fc.constantFrom(...keys), fc.oneof({ weight: 3, arbitrary: nasty }, { weight: 2, arbitrary: valueArb(keys) }), { maxKeys: 3 });
const patchArb = (keys: readonly string[]) =>
  fc.record({
    schemas: fc.oneof({ weight: 8, arbitrary: fc.constant([PATCH_OP]) }, fc.constant(undefined), fc.constant('nope')),
    Operations: fc.oneof(
      fc.array(
        fc.record(
          {
            op: fc.constantFrom('add', 'replace', 'remove', 'Add', 'Replace', 'Remove', 'merge', ''),
            path: fc.constantFrom(...PATHS),
            value: fc.oneof({ weight: 3, arbitrary: nasty }, { weight: 2, arbitrary: valueArb(keys) }),
          },
          { requiredKeys: ['op'] },
        ),
        { maxLength: 4 },
      ),
      valueArb(keys),
    ),
  });

/** JSON text, with `__proto__` kept as a real key (JSON.stringify of a parsed object keeps it). */
const text = (v: unknown) => JSON.stringify(v);

for (const { name: dialect, skip } of DIALECTS) {
  describe(`fuzzing the write routes (${dialect})`, async () => {
    let h: Harness;
    let genesys: Org;
    let standard: Org;
    before(async () => {
      if (skip) return;
      h = await startHarness({ dialect, bodyLimitBytes: 4 << 20 });
      genesys = await createOrg(h, 'genesys');
      standard = await createOrg(h, 'standard');
    });
    after(async () => {
      if (!skip) await h.close();
    });

    const snapshot = async (org: Org, path: string) => {
      const r = await call(h, { path, token: org.token });
      return { etag: r.headers.etag, body: r.raw };
    };
    const count = async (org: Org, type: 'Users' | 'Groups') => (await call(h, { path: `/${type}?count=0&filter=${encodeURIComponent('id pr')}`, token: org.token })).body.totalResults as number;

    test('generated filter, sort and paging parameters never answer 5xx on Users or Groups', { skip, timeout: 300_000 }, async () => {
      const token = fc.constantFrom('userName', 'displayName', 'members', 'members.value', 'groups.display', 'emails[type eq "work"]', 'meta.created', `${ENT}:manager.value`, 'eq', 'ne', 'co', 'sw', 'gt', 'pr', 'and', 'or', 'not', '(', ')', '[', ']', '"x"', '"\u0000"', 'true', 'null', '1e999', '-0', '"', '\\', ' ', '.');
      const filter = fc.oneof(fc.array(token, { maxLength: 12 }).map((t) => t.join(' ')), fc.string({ maxLength: 40 }));
      const params = fc.record({ filter, sortBy: fc.oneof(fc.constant(undefined), token), startIndex: fc.oneof(fc.constant(undefined), fc.constantFrom('0', '-1', '1', 'x', '99999999999999999999')), count: fc.oneof(fc.constant(undefined), fc.constantFrom('0', '-5', '10', '1001', 'NaN')) });
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('Users', 'Groups'), fc.constantFrom(genesys, standard), params, async (type, org, p) => {
          const q = Object.entries(p).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${encodeURIComponent(v as string)}`).join('&');
          const r = await call(h, { path: `/${type}?${q}`, token: org.token });
          assert.ok(r.status < 500, `/${type}?${q} -> ${r.status} ${r.raw.slice(0, 200)}`);
          if (r.status >= 400) assert.equal(r.body?.schemas?.[0], 'urn:ietf:params:scim:api:messages:2.0:Error');
        }),
        { numRuns: 1000, seed: 11_2026, endOnFailure: true },
      );
    });

    for (const [type, keys, orgName] of [['Users', USER_KEYS, 'genesys'], ['Users', USER_KEYS, 'standard'], ['Groups', GROUP_KEYS, 'standard']] as const) {
      test(`${type} (${orgName}): POST, PUT and PATCH never answer 5xx, and a refusal writes nothing`, { skip, timeout: 300_000 }, async () => {
        const org = orgName === 'genesys' ? genesys : standard;
        const seedBody = type === 'Users' ? { userName: `fuzz.${orgName}@contoso.com`, displayName: 'Fuzz' } : { displayName: `Fuzz ${orgName}` };
        const seeded = await call(h, { method: 'POST', path: `/${type}`, token: org.token, body: seedBody });
        assert.equal(seeded.status, 201, seeded.raw);
        const id = seeded.body.id as string;
        let n = 0;
        await fc.assert(
          fc.asyncProperty(fc.constantFrom('POST', 'PUT', 'PATCH'), bodyArb(keys), patchArb(keys), async (method, body, patch) => {
            const before = await snapshot(org, `/${type}/${id}`);
            const total = method === 'POST' ? await count(org, type) : 0;
            const fresh = type === 'Users' ? { userName: `new.${n++}@contoso.com`, displayName: 'New' } : { displayName: `New ${n++}` };
            const payload = method === 'PATCH' ? text(patch) : text({ ...(method === 'PUT' ? seedBody : fresh), ...body });
            const r = await call(h, { method, path: method === 'POST' ? `/${type}` : `/${type}/${id}`, token: org.token, body: payload });
            assert.ok(r.status < 500, `${method} ${payload.slice(0, 300)} -> ${r.status} ${r.raw.slice(0, 300)}`);
            assert.ok(r.status !== 404, `${method} lost the resource: ${r.raw.slice(0, 200)}`);
            if (r.status >= 400) {
              assert.equal(r.body?.schemas?.[0], 'urn:ietf:params:scim:api:messages:2.0:Error', r.raw.slice(0, 200));
              const afterwards = await snapshot(org, `/${type}/${id}`);
              assert.equal(afterwards.etag, before.etag, `refused ${method} changed the resource: ${payload.slice(0, 300)}`);
              assert.equal(afterwards.body, before.body);
              if (method === 'POST') assert.equal(await count(org, type), total, 'a refused POST created something');
            } else if (method === 'POST') {
              // Keep the organization small: remove what a successful POST made.
              assert.equal((await call(h, { method: 'DELETE', path: `/${type}/${r.body.id}`, token: org.token })).status, 204);
            }
          }),
          { numRuns: RUNS, seed: 7_2026 + (type === 'Groups' ? 1 : 0) + (orgName === 'standard' ? 2 : 0), endOnFailure: true },
        );
      });
    }
  });
}
