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

test('statement names: a text is named when it comes again (once, names unique); beyond the capacity texts run unnamed', () => {
  const names = new StatementNames(3, (sql) => sql.toLowerCase());
  const first = names.of('A');
  assert.deepEqual(first, { text: 'a' }, 'a text seen once runs unnamed');
  const a = names.of('A');
  assert.ok(a.name, 'the second time it is named');
  assert.equal(a.text, 'a');
  assert.deepEqual(names.of('A'), a, 'and keeps its name');
  const named = ['B', 'C'].map((t) => (names.of(t), names.of(t)));
  assert.deepEqual([a, ...named].map((n) => n.text), ['a', 'b', 'c']);
  assert.equal(new Set([a, ...named].map((n) => n.name)).size, 3);
  names.of('D');
  const unnamed = names.of('D');
  assert.equal(unnamed.name, undefined, 'beyond the capacity a text runs unnamed, however often it comes');
  assert.equal(unnamed.text, 'd');
  assert.equal(names.of('A').name, a.name, 'a named text keeps its name');
  assert.equal(names.size, 3);
});

test('statement names: texts that come once each (a new filter per request) name nothing', () => {
  const names = new StatementNames(5, (sql) => sql);
  for (let i = 0; i < 25_000; i++) assert.equal(names.of(`SELECT ${i}`).name, undefined);
  assert.equal(names.size, 0, 'the names are left for texts that repeat');
  names.of('SELECT hot');
  assert.ok(names.of('SELECT hot').name);
});

test('a capacity below one is refused', () => {
  assert.throws(() => new StatementCache(0, () => 1), /capacity/);
  assert.throws(() => new StatementNames(0, (s) => s), /capacity/);
});
