// The bounded prepared-statement caches (src/store/sql/statement-cache.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StatementCache, StatementNames } from '../../../src/store/sql/statement-cache.ts';

test('the statement cache keeps what was used since it was last passed over, and prepares a text again once it fell out', () => {
  const prepared: string[] = [];
  const cache = new StatementCache(2, (sql) => (prepared.push(sql), { sql }));
  const a = cache.get('A');
  assert.equal(cache.get('A'), a, 'a kept text is not prepared again');
  cache.get('B');
  cache.get('C'); // A was used after it came in: it gets a second chance, and B (never reused) goes
  assert.equal(cache.size, 2);
  assert.equal(cache.get('A'), a);
  cache.get('B');
  assert.deepEqual(prepared, ['A', 'B', 'C', 'B']);
});

test('the statement cache evicts by second chance, never holds more than its capacity, whatever the texts', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.string({ maxLength: 3 }), { maxLength: 200 }), (capacity, texts) => {
    let prepares = 0;
    const cache = new StatementCache(capacity, (sql) => (prepares++, { sql }));
    // The clock, oldest first: [text, used since it was last passed over].
    const model: [string, boolean][] = [];
    for (const t of texts) {
      const kept = model.find(([k]) => k === t);
      const before = prepares;
      assert.equal(cache.get(t).sql, t);
      assert.equal(prepares - before, kept ? 0 : 1, kept ? `${JSON.stringify(t)} was kept` : `${JSON.stringify(t)} was not kept`);
      if (kept) kept[1] = true;
      else {
        if (model.length >= capacity) {
          for (;;) {
            const oldest = model.shift()!;
            if (!oldest[1]) break;
            model.push([oldest[0], false]);
          }
        }
        model.push([t, false]);
      }
      assert.equal(cache.size, model.length);
      assert.ok(cache.size <= capacity);
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
