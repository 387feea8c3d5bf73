// The Bulk reference graph: every operation handed out once, in a component with the
// operations it forms a cycle with, never before the components it refers to are done,
// lowest index first, and at a cost that grows linearly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { referenceGraph } from '../../src/directory/bulk-graph.ts';
import type { BulkOperation } from '../../src/scim/index.ts';

const post = (bulkId: string, refs: string[], extra: Record<string, unknown> = {}): BulkOperation => ({
  method: 'POST', path: '/Users', bulkId,
  data: { userName: `${bulkId}@x.test`, members: refs.map((r) => ({ value: `bulkId:${r}` })), ...extra },
});

/** Hands out every component, marking each done as it comes; returns them in order. */
function drain(ops: readonly BulkOperation[]) {
  const g = referenceGraph(ops);
  const out: { members: readonly number[]; cyclic: boolean }[] = [];
  for (let c = g.next(); c !== undefined; c = g.next()) {
    out.push({ members: c.members, cyclic: c.cyclic });
    g.done(c);
  }
  return { g, out };
}
const single = (...indexes: number[]) => indexes.map((i) => ({ members: [i], cyclic: false }));

test('references in any order run after what they refer to; independent ones keep their order', () => {
  const ops = [post('a', ['c']), post('b', []), post('c', ['b'])];
  assert.deepEqual(drain(ops).out, single(1, 2, 0));
});

test('a cycle is one component, a self-reference too; what refers to a cycle runs after it', () => {
  const ops = [post('z', ['a']), post('a', ['b']), post('b', ['a']), post('s', ['s']), post('free', [])];
  assert.deepEqual(drain(ops).out, [{ members: [1, 2], cyclic: true }, { members: [0], cyclic: false }, { members: [3], cyclic: true }, { members: [4], cyclic: false }]);
});

test('only reference positions count: a title or displayName that reads "bulkId:x" is data', () => {
  const g = referenceGraph([
    post('a', [], { title: 'bulkId:b', displayName: 'bulkId:b', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: { value: 'bulkId:m' }, department: 'bulkId:d' } }),
    { method: 'PATCH', path: '/Users/bulkId:p', data: { Operations: [{ op: 'replace', path: 'title', value: 'bulkId:t' }, { op: 'replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', value: 'bulkId:m2' }] } },
  ]);
  assert.deepEqual([...g.refs(0)].sort(), ['m']);
  assert.deepEqual([...g.refs(1)].sort(), ['m2', 'p']);
});

test('property: each operation once; a component only after every component it refers to', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 60 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.array(fc.integer({ min: 0, max: n + 2 }), { maxLength: 3 }), { minLength: n, maxLength: n }), fc.array(fc.boolean(), { minLength: n, maxLength: n }))),
    ([n, refs, isPost]) => {
      const ops: BulkOperation[] = refs.map((r, i) => isPost[i]
        ? post(`b${i}`, r.map((x) => `b${x}`))
        : { method: 'PATCH', path: `/Groups/g${i}`, bulkId: `b${i}`, data: { Operations: [{ op: 'add', path: 'members', value: r.map((x) => ({ value: `bulkId:b${x}` })) }] } });
      const { out } = drain(ops);
      assert.deepEqual(out.flatMap((c) => c.members).sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
      const step = new Map(out.flatMap((c, k) => c.members.map((i) => [i, k] as const)));
      for (let i = 0; i < n; i++) {
        for (const x of refs[i]) {
          if (x >= n) continue;
          assert.ok(step.get(x)! <= step.get(i)!, `op ${i} ran before b${x}`);
          // Same component only when they reach each other (a cycle).
          if (step.get(x) === step.get(i)) assert.ok(out[step.get(i)!].cyclic);
        }
      }
      for (const c of out) assert.equal(c.cyclic, c.members.length > 1 || refs[c.members[0]].includes(c.members[0]));
    },
  ), { numRuns: 300 });
});

test('cost grows linearly: a chain of 1,000 operations in the worst order costs about ten chains of 100', () => {
  // Each operation refers to the next, so each one waits on all that follow (the order that
  // made the old scheduler rescan every operation at every step).
  const chain = (n: number) => Array.from({ length: n }, (_, i) => post(`c${i}`, i + 1 < n ? [`c${i + 1}`] : [], { title: 'x'.repeat(800) }));
  const time = (ops: BulkOperation[]) => {
    const best: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      drain(ops);
      best.push(performance.now() - t);
    }
    return Math.min(...best);
  };
  const small = chain(100);
  const large = chain(1000);
  time(small);
  const ratio = time(large) / Math.max(time(small), 0.05);
  // Linear is 10; the quadratic scheduler was about 100. Generous, so a busy machine passes.
  assert.ok(ratio < 40, `1,000 operations cost ${ratio.toFixed(1)} times 100`);
  assert.deepEqual(drain(large).out.map((c) => c.members[0]), Array.from({ length: 1000 }, (_, i) => 999 - i));
  // One cycle through all of them: a single component.
  const ring = Array.from({ length: 1000 }, (_, i) => post(`r${i}`, [`r${(i + 1) % 1000}`]));
  assert.deepEqual(drain(ring).out.map((c) => c.members.length), [1000]);
});
