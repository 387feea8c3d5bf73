import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { copyOf, deepClone } from '../../src/scim/index.ts';

test('copyOf gives what spread gives: the same own keys in the same order, the same values, a plain prototype', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (o) => {
      const copy = copyOf(o);
      assert.notEqual(copy, o);
      assert.deepEqual(Object.keys(copy), Object.keys({ ...o }));
      for (const k of Object.keys(o)) assert.equal(copy[k], o[k]);
      assert.equal(Object.getPrototypeOf(copy), Object.prototype);
      assert.equal(JSON.stringify(copy), JSON.stringify({ ...o }));
    }),
  );
});

test('copyOf keeps a parsed "__proto__" key as an own property and never changes the prototype', () => {
  const parsed = JSON.parse('{"a":1,"__proto__":{"polluted":true}}') as Record<string, unknown>;
  const copy = copyOf(parsed);
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.equal((copy as { polluted?: unknown }).polluted, undefined);
  assert.deepEqual(Object.keys(copy), ['a', '__proto__']);
  assert.equal(JSON.stringify(copy), '{"a":1,"__proto__":{"polluted":true}}');
});

test('adding to a copy leaves the original as it was', () => {
  const o = { a: 1, nested: { b: 2 } };
  const copy = copyOf(o) as Record<string, unknown>;
  copy.c = 3;
  delete copy.a;
  assert.deepEqual(o, { a: 1, nested: { b: 2 } });
  assert.equal(copy.nested, o.nested, 'shallow: nested values are shared');
});

test('deepClone of a JSON value equals what structuredClone gives and shares nothing with the original', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const copy = deepClone(v);
      assert.deepEqual(copy, structuredClone(v));
      assert.equal(JSON.stringify(copy), JSON.stringify(v));
      const walk = (a: unknown, b: unknown): void => {
        if (typeof a !== 'object' || a === null) return;
        assert.notEqual(a, b, 'a nested object or array is shared');
        for (const k of Object.keys(a)) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]);
      };
      walk(copy, v);
    }),
  );
});

test('deepClone keeps a nested parsed "__proto__" key as an own property', () => {
  const parsed = JSON.parse('{"a":[{"__proto__":{"polluted":true},"b":1}]}') as { a: Record<string, unknown>[] };
  const copy = deepClone(parsed);
  assert.equal(Object.getPrototypeOf(copy.a[0]), Object.prototype);
  assert.deepEqual(Object.keys(copy.a[0]), ['__proto__', 'b']);
  assert.equal(JSON.stringify(copy), JSON.stringify(parsed));
});
