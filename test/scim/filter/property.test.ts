import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseFilter, printFilter, ScimError, unstorable, type AttrPath, type Filter, type Literal } from '../../../src/scim/index.ts';

const RESERVED = new Set(['constructor', 'prototype']);
const name = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_-]{0,8}$/).filter((s) => !RESERVED.has(s.toLowerCase()));
const uri = fc.constantFrom(
  'urn:ietf:params:scim:schemas:core:2.0:User',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  'urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User',
);
const topPath: fc.Arbitrary<AttrPath> = fc.record({ uri: fc.option(uri, { nil: undefined }), attr: name, sub: fc.option(name, { nil: undefined }) }).map((p) =>
  Object.freeze({ ...(p.uri ? { uri: p.uri } : {}), attr: p.attr, ...(p.sub ? { sub: p.sub } : {}) }),
);
const relPath: fc.Arbitrary<AttrPath> = name.map((attr) => Object.freeze({ attr }));
const num = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })).filter((n) => !Object.is(n, -0));
const literal: fc.Arbitrary<Literal> = fc.oneof(
  // Text a store keeps faithfully; the rest is refused (the property below).
  fc.string({ unit: 'binary' }).filter((s) => unstorable(s) === undefined).map((value) => Object.freeze({ kind: 'string' as const, value })),
  num.map((value) => Object.freeze({ kind: 'number' as const, value, raw: String(value) })),
  fc.boolean().map((value) => Object.freeze({ kind: 'boolean' as const, value })),
  fc.constant(Object.freeze({ kind: 'null' as const })),
);
const op = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le' as const);

function filterArb(path: fc.Arbitrary<AttrPath>, allowValuePath: boolean): fc.Arbitrary<Filter> {
  return fc.letrec<{ f: Filter }>((tie) => ({
    f: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ path, op, value: literal }).map((x) => Object.freeze({ kind: 'compare' as const, ...x })),
      path.map((p) => Object.freeze({ kind: 'present' as const, path: p })),
      fc.tuple(tie('f'), tie('f')).map(([left, right]) => Object.freeze({ kind: 'and' as const, left, right })),
      fc.tuple(tie('f'), tie('f')).map(([left, right]) => Object.freeze({ kind: 'or' as const, left, right })),
      tie('f').map((filter) => Object.freeze({ kind: 'not' as const, filter })),
      ...(allowValuePath
        ? [fc.tuple(fc.record({ uri: fc.option(uri, { nil: undefined }), attr: name }), filterArb(relPath, false)).map(([p, filter]) =>
            Object.freeze({ kind: 'valuePath' as const, path: Object.freeze({ ...(p.uri ? { uri: p.uri } : {}), attr: p.attr }), filter }),
          )]
        : []),
    ),
  })).f;
}

function depth(f: Filter): number {
  switch (f.kind) {
    case 'and':
    case 'or':
      return Math.max(depth(f.left), depth(f.right)) + (f.right.kind === 'and' || f.right.kind === 'or' || f.left.kind === 'or' ? 1 : 0);
    case 'not':
    case 'valuePath':
      return depth(f.filter) + 1;
    default:
      return 0;
  }
}

test('parse(print(ast)) equals ast for generated filters', () => {
  fc.assert(
    fc.property(filterArb(topPath, true), (ast) => {
      const text = printFilter(ast);
      fc.pre(text.length <= 4096 && depth(ast) < 30);
      assert.deepEqual(parseFilter(text), ast);
    }),
    { numRuns: 500 },
  );
});

test('the parser fails only with invalidFilter on arbitrary input', () => {
  const alphabet = fc.constantFrom('a', 'b', ' ', '(', ')', '[', ']', '"', "'", '\\', '.', ':', 'eq', 'and', 'or', 'not', 'pr', '1', 'urn:x', 'true', 'null');
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.array(alphabet, { maxLength: 40 }).map((a) => a.join(''))), (input) => {
      try {
        const ast = parseFilter(input);
        assert.deepEqual(parseFilter(printFilter(ast)), ast);
      } catch (e) {
        assert.ok(e instanceof ScimError && e.scimType === 'invalidFilter', String(e));
      }
    }),
    { numRuns: 2000 },
  );
});

test('a literal holding NUL or a lone surrogate is refused with invalidFilter, however the printer escapes it', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.constantFrom('\u0000', '\uD800', '\uDBFF', '\uDC00', '\uDFFF'), fc.string({ unit: 'binary' }), (a, bad, b) => {
      const value = `${a}${bad}${b}`;
      fc.pre(unstorable(value) !== undefined);
      const text = printFilter({ kind: 'compare', path: { attr: 'userName' }, op: 'co', value: { kind: 'string', value } });
      assert.throws(() => parseFilter(text), (e: unknown) => e instanceof ScimError && e.scimType === 'invalidFilter', text);
    }),
    { numRuns: 500 },
  );
});
