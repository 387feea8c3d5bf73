import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { copyOf } from '../../src/scim/index.ts';

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
