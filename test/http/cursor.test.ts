// Cursor pagination (RFC 9865) on both stores: a walk sees every user that existed
// throughout it exactly once while others are created and deleted; cursors are opaque,
// bound to the organization and the query, and expire.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createOrg, insertUsers, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { CURSOR_TIMEOUT_SECONDS } from '../../src/directory/cursor.ts';
import { Sealer } from '../../src/directory/sealed.ts';
import { DIALECTS } from '../helpers/dialects.ts';

const N = 1200;

for (const { name: dialect, skip } of DIALECTS) {
  describe(`cursor pagination (${dialect})`, async () => {
    let h: Harness;
    let org: Org;
    let now = Date.now();
    const initial: string[] = [];
    before(async () => {
      if (skip) return;
      h = await startHarness({ dialect, now: () => now });
      org = await createOrg(h, 'standard');
      initial.push(...(await insertUsers(h, org, N, 'walk')));
    });
    after(async () => {
      if (!skip) await h.close();
    });
    const list = (q: string) => call(h, { path: `/Users?${q}`, token: org.token });

    test('a walk returns every user that lived throughout it exactly once, while users come and go', { skip }, async () => {
      const seen: string[] = [];
      const deleted = new Set<string>();
      let cursor = '';
      let pages = 0;
      for (;;) {
        const r = await list(`count=50&attributes=id&cursor=${encodeURIComponent(cursor)}`);
        assert.equal(r.status, 200, r.raw);
        assert.equal(r.body.startIndex, undefined, 'cursor pages carry no startIndex');
        seen.push(...r.body.Resources.map((x: { id: string }) => x.id));
        pages++;
        // Meanwhile: one user created, one not yet seen deleted.
        await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: `new${pages}@x.com` } });
        const victim = initial[N - 1 - pages * 13];
        if (!seen.includes(victim) && !deleted.has(victim)) {
          assert.equal((await call(h, { method: 'DELETE', path: `/Users/${victim}`, token: org.token })).status, 204);
          deleted.add(victim);
        }
        if (!r.body.nextCursor) break;
        cursor = r.body.nextCursor;
        assert.ok(pages < 100, 'the walk ends');
      }
      assert.equal(new Set(seen).size, seen.length, 'no user twice');
      const survivors = initial.filter((id) => !deleted.has(id));
      const missing = survivors.filter((id) => !seen.includes(id));
      assert.deepEqual(missing, [], 'every user that lived throughout the walk was seen');
      assert.ok(deleted.size > 5);
    });

    test('previousCursor pages back to exactly the page before; POST .search takes cursors too', { skip }, async () => {
      const p1 = await list('count=7&attributes=id&cursor=');
      const p2 = await list(`count=7&attributes=id&cursor=${encodeURIComponent(p1.body.nextCursor)}`);
      assert.equal(p1.body.previousCursor, undefined);
      const back = await list(`count=7&attributes=id&cursor=${encodeURIComponent(p2.body.previousCursor)}`);
      assert.deepEqual(back.body.Resources, p1.body.Resources);
      const viaPost = await call(h, { method: 'POST', path: '/Users/.search', token: org.token, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], count: 7, attributes: ['id'], cursor: p1.body.nextCursor } });
      assert.deepEqual(viaPost.body.Resources, p2.body.Resources);
      const groups = await call(h, { path: '/Groups?cursor=&count=5', token: org.token });
      assert.equal(groups.status, 200);
      assert.equal(groups.body.totalResults, 0);
    });

    test('forged, foreign, mismatched and expired cursors are refused with the RFC 9865 scimTypes', { skip }, async () => {
      const p1 = await list('count=5&filter=displayName%20sw%20%22walk%22&cursor=');
      const c = p1.body.nextCursor as string;
      const expect = async (q: string, scimType: string, token = org.token) => {
        const r = await call(h, { path: `/Users?${q}`, token });
        assert.equal(r.status, 400, `${q}: ${r.raw}`);
        assert.equal(r.body.scimType, scimType, r.raw);
      };
      await expect('cursor=not-a-cursor', 'invalidCursor');
      await expect(`cursor=${'A'.repeat(5000)}`, 'invalidCursor');
      // Every single flipped bit of a real cursor is refused (the tag covers it all).
      const raw = Buffer.from(c, 'base64url');
      for (const i of [0, 12, raw.length >> 1, raw.length - 1]) {
        const flipped = Buffer.from(raw);
        flipped[i] ^= 1;
        await expect(`filter=displayName%20sw%20%22walk%22&cursor=${flipped.toString('base64url')}`, 'invalidCursor');
      }
      await expect(`cursor=${encodeURIComponent(c)}`, 'invalidCursor'); // another query (no filter)
      const other = await createOrg(h, 'standard');
      await expect(`filter=displayName%20sw%20%22walk%22&cursor=${encodeURIComponent(c)}`, 'invalidCursor', other.token);
      await expect(`filter=displayName%20sw%20%22walk%22&cursor=${encodeURIComponent(c)}&startIndex=2`, 'invalidValue');
      await expect('cursor=&sortBy=userName', 'invalidValue');
      now += (CURSOR_TIMEOUT_SECONDS + 1) * 1000;
      const fresh = await tokenAfterTimeTravel();
      await expect(`filter=displayName%20sw%20%22walk%22&cursor=${encodeURIComponent(c)}`, 'expiredCursor', fresh);
    });

    test('a cursor shows nothing of its position: no readable text, never the same twice for the same page', { skip }, async () => {
      const token = await tokenAfterTimeTravel();
      const page = (query: string) => call(h, { path: `/Users?${query}`, token });
      const q = 'count=3&filter=displayName%20sw%20%22walk%22';
      const a = (await page(`${q}&cursor=`)).body.nextCursor as string;
      const b = (await page(`${q}&cursor=`)).body.nextCursor as string;
      assert.ok(a && b, 'cursors were issued');
      assert.notEqual(a, b, 'a fresh nonce per cursor');
      for (const c of [a, b]) {
        assert.match(c, /^[A-Za-z0-9_-]+$/);
        const bytes = Buffer.from(c, 'base64url').toString('latin1');
        assert.doesNotMatch(bytes, /"p"|"d"|"q"|"e"/, 'no JSON keys in the clear');
      }
      // Both lead to the same page.
      const [pa, pb] = [await page(`${q}&cursor=${a}`), await page(`${q}&cursor=${b}`)];
      assert.equal(pa.body.Resources.length, 3, pa.raw);
      assert.deepEqual(pa.body.Resources, pb.body.Resources);
    });

    test('sealed but malformed cursor bodies are refused as invalidCursor, never a 500', { skip }, async () => {
      // Sealed with the server's own key, as a key that ever sealed another shape would have.
      const sealer = new Sealer(h.store, 'scim-cursor');
      const token = await tokenAfterTimeTravel();
      const q = 'count=2&filter=displayName%20sw%20%22walk%22';
      const opened = await sealer.openFresh(org.organization.id, (await call(h, { path: `/Users?${q}&cursor=`, token })).body.nextCursor as string, now);
      const good = (typeof opened === 'object' ? opened.value : undefined) as Record<string, unknown>;
      assert.equal(typeof good?.p, 'number', 'the test opens what the server sealed');
      const bodies = [null, [], 'x', 42, {}, { ...good, p: 'x' }, { ...good, p: -1 }, { ...good, p: 2 ** 64 }, { ...good, p: 1.5 }, { ...good, d: 'x' }, { ...good, q: 7 }];
      const sealed = [
        ...(await Promise.all(bodies.map((body) => sealer.sealFor(org.organization.id, body, 600, now)))),
        // Envelopes of another shape: no expiry, an expiry that is no number, no envelope at all.
        await sealer.seal(org.organization.id, { v: good }), await sealer.seal(org.organization.id, { v: good, e: 'soon' }), await sealer.seal(org.organization.id, good),
      ];
      for (const cursor of sealed) {
        const r = await call(h, { path: `/Users?${q}&cursor=${cursor}`, token });
        assert.equal(r.status, 400, r.raw);
        assert.equal(r.body.scimType, 'invalidCursor');
      }
      assert.equal((await call(h, { path: `/Users?${q}&cursor=${await sealer.sealFor(org.organization.id, good, 600, now)}`, token })).status, 200, 'the well-formed body itself is accepted');
      // Sealed for another purpose (an audit cursor) or another organization: refused.
      assert.equal((await call(h, { path: `/Users?${q}&cursor=${await new Sealer(h.store, 'audit-cursor').seal(org.organization.id, good)}`, token })).body.scimType, 'invalidCursor');
      assert.equal((await call(h, { path: `/Users?${q}&cursor=${await sealer.seal('another-org', good)}`, token })).body.scimType, 'invalidCursor');
    });

    async function tokenAfterTimeTravel(): Promise<string> {
      const r = await h.app.inject({
        method: 'POST', url: '/oauth/token', payload: 'grant_type=client_credentials',
        headers: { authorization: `Basic ${Buffer.from(`${org.clientId}:${org.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      });
      return r.json().access_token;
    }
  });
}
