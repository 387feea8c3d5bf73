// Both stores keep a bounded number of prepared statements (statement-cache.ts) and answer
// correctly past that bound: batches of every size written whole and in order, and many
// distinct filter texts (an or-chain of n terms is a text of its own) each answered right.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { RequestRecord, Store } from '../../src/store/contract.ts';
import { bindFilter, createRegistry, parseFilter } from '../../src/scim/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';

const registry = createRegistry('genesys');
const User = registry.resourceType('User')!;
const now = () => new Date().toISOString();

for (const dialect of DIALECTS) {
  describe(`prepared statements are bounded: ${dialect.name}`, { skip: dialect.skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let orgId: string;
    let home: string;

    before(async () => {
      // Four statements at most: every test below runs far more distinct texts than that.
      ({ store, cleanup } = await dialect.open({ preparedStatements: 4 }));
      orgId = randomUUID();
      home = randomUUID();
      await store.createOrganization({ id: orgId, name: `o-${orgId}`, scimProfile: 'genesys', created: now() });
      await store.createDivision({ id: home, orgId, name: 'Home', isHome: true, created: now() });
    });
    after(() => cleanup());

    test('request log batches of every size around the statement sizes are written whole and in order', async () => {
      const sizes = [1, 2, 3, 7, 127, 128, 129, 255, 256, 257, 300, 513];
      const written: RequestRecord[] = [];
      for (const [b, n] of sizes.entries()) {
        const batch = Array.from({ length: n }, (_, i): RequestRecord => ({
          id: randomUUID(), orgId, time: new Date(Date.UTC(2026, 0, 1) + written.length + i).toISOString(), clientId: `c-${b}`, requestId: `r-${b}-${i}`,
          method: 'GET', path: `/api/v2/scim/v2/Users/${b}/${i}`, status: i % 7 === 0 ? 401 : 200, durationMs: i + 0.4, auth: 'token',
          ...(i % 7 === 0 ? { detail: `refused ${b}/${i}` } : {}),
        }));
        await store.transaction((tx) => tx.insertRequests(batch));
        written.push(...batch);
      }
      const read: RequestRecord[] = [];
      let after: number | undefined;
      for (;;) {
        const page = await store.queryRequests(orgId, { limit: 500, ...(after !== undefined ? { after } : {}) });
        read.push(...page.entities);
        if (page.next === undefined) break;
        after = page.next;
      }
      assert.equal(read.length, written.length);
      assert.deepEqual(read.map((r) => [r.id, r.time, r.clientId, r.requestId, r.path, r.status, r.durationMs, r.detail]),
        written.map((r) => [r.id, r.time, r.clientId, r.requestId, r.path, r.status, Math.round(r.durationMs), r.detail]));
    });

    test('refusals and webhook deliveries in batches of several sizes are written whole', async () => {
      let refusals = 0;
      for (const n of [1, 5, 64, 65, 300]) {
        await store.transaction((tx) => tx.insertRefusals(Array.from({ length: n }, (_, i) => ({
          id: randomUUID(), orgId, time: now(), clientId: 'c', requestId: `f-${n}-${i}`, method: 'POST', path: '/x', status: 400, scimType: 'invalidValue', detail: `bad ${i}`,
          ...(i % 2 === 0 ? { validateOnly: true, body: '{"a":1}' } : {}),
        }))));
        refusals += n;
      }
      const page = await store.queryRefusals(orgId, { limit: 1000 });
      assert.equal(page.entities.length, refusals);
      assert.equal(page.entities.filter((r) => r.validateOnly).length, [1, 5, 64, 65, 300].reduce((s, n) => s + Math.ceil(n / 2), 0));

      const hook = randomUUID();
      for (const n of [3, 130]) {
        await store.transaction((tx) => tx.insertDeliveries(Array.from({ length: n }, (_, i) => ({
          webhookId: hook, orgId, eventId: `e-${n}-${i}`, eventType: 'user.updated', attempt: 1, time: now(), status: 200, latencyMs: 3.2, response: 'ok',
        }))));
      }
      const deliveries = await store.listDeliveries(orgId, hook, 1000);
      assert.equal(deliveries.length, 133);
      assert.deepEqual(deliveries.map((d) => d.eventId), [...[3, 130].flatMap((n) => Array.from({ length: n }, (_, i) => `e-${n}-${i}`))].reverse(), 'newest first, each once');
    });

    test('many distinct filter texts are each answered right', async () => {
      const tag = randomUUID().slice(0, 8);
      for (let i = 0; i < 12; i++) {
        const userName = `sb-${tag}-${i}@x.com`;
        await store.insertUser({ id: randomUUID(), orgId, userName, active: true, divisionId: home, version: 1, created: now(), lastModified: now(), data: { userName }, displayName: userName });
      }
      // Or-chains of 1..12 terms, twice over (the second round after each text fell out or ran unnamed).
      for (const round of [1, 2]) {
        for (let n = 1; n <= 12; n++) {
          const text = Array.from({ length: n }, (_, i) => `userName eq "sb-${tag}-${i}@x.com"`).join(' or ');
          const page = await store.queryUsers(orgId, { filter: bindFilter(registry, User, parseFilter(text)), matches: () => true, startIndex: 1, count: 50, activeOnly: false });
          assert.equal(page.total, n, `round ${round}, ${n} terms`);
          assert.deepEqual(page.items.map((u) => u.userName).sort(), Array.from({ length: n }, (_, i) => `sb-${tag}-${i}@x.com`).sort());
        }
      }
    });
  });
}
