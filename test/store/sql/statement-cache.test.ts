// The bounded prepared-statement caches (src/store/sql/statement-cache.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StatementCache, StatementNames } from '../../../src/store/sql/statement-cache.ts';

test('the statement cache keeps the most recently used texts and prepares a text again once it fell out', () => {
  const prepared: string[] = [];
  const cache = new StatementCache(2, (sql) => (prepared.push(sql), { sql }));
  const a = cache.get('A');
  assert.equal(cache.get('A'), a, 'a kept text is not prepared again');
  cache.get('B');
  cache.get('A'); // A is now the most recently used
  cache.get('C'); // B falls out, not A
  assert.equal(cache.size, 2);
  assert.equal(cache.get('A'), a);
  cache.get('B');
  assert.deepEqual(prepared, ['A', 'B', 'C', 'B']);
});

test('the statement cache behaves as a least-recently-used list of its capacity, whatever the texts', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.string({ maxLength: 3 }), { maxLength: 200 }), (capacity, texts) => {
    let prepares = 0;
    const cache = new StatementCache(capacity, (sql) => (prepares++, { sql }));
    const model: string[] = []; // most recently used last
    for (const t of texts) {
      const kept = model.includes(t);
      const before = prepares;
      assert.equal(cache.get(t).sql, t);
      assert.equal(prepares - before, kept ? 0 : 1, kept ? `${JSON.stringify(t)} was kept` : `${JSON.stringify(t)} was not kept`);
      if (kept) model.splice(model.indexOf(t), 1);
      model.push(t);
      if (model.length > capacity) model.shift();
      assert.equal(cache.size, model.length);
    }
  }));
});

test('statement names: the first texts are named (once each, names unique), the rest run unnamed', () => {
  const names = new StatementNames(3, (sql) => sql.toLowerCase());
  const a = names.of('A');
  assert.deepEqual(names.of('A'), a);
  const named = ['B', 'C'].map((t) => names.of(t));
  assert.deepEqual([a, ...named].map((n) => n.text), ['a', 'b', 'c']);
  assert.equal(new Set([a, ...named].map((n) => n.name)).size, 3);
  const unnamed = names.of('D');
  assert.equal(unnamed.name, undefined, 'beyond the capacity a text runs unnamed');
  assert.equal(unnamed.text, 'd');
  assert.equal(names.of('A').name, a.name, 'a named text keeps its name');
  assert.equal(names.size, 3);
});

test('a capacity below one is refused', () => {
  assert.throws(() => new StatementCache(0, () => 1), /capacity/);
  assert.throws(() => new StatementNames(0, (s) => s), /capacity/);
});
