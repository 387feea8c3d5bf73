import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileExpression, evaluate, evaluateForTarget, MAX_VALUE_CHARS } from '../../../src/provision/expression/evaluate.ts';
import { ExpressionError, type Expr } from '../../../src/provision/expression/ast.ts';
import { parseExpression, printExpression } from '../../../src/provision/expression/parser.ts';
import { FUNCTION_NAMES } from '../../../src/provision/expression/functions.ts';
import { SKIP } from '../../../src/provision/expression/values.ts';

const fails = (src: string, pattern: RegExp) =>
  assert.throws(() => compileExpression(src), (e: unknown) => e instanceof ExpressionError && pattern.test(e.message), src);

test('parse errors say what and where', () => {
  fails('Join(";", [a]', /Expected "," or "\)".*position/);
  fails('[unclosed', /Unclosed "\[".*position 1/);
  fails('Append("x', /Unterminated string.*position 8/);
  fails('stripSpaces([a])', /Unknown function "stripSpaces" \(function names are case-sensitive: did you mean StripSpaces\?\).*position 1/);
  fails('Append([a], "b") extra', /Unexpected "extra"/);
  fails('Append([a] # "b")', /Unexpected character "#"/);
  fails('[]', /Empty attribute reference/);
  fails(`${'Not('.repeat(70)}[a]${')'.repeat(70)}`, /nests deeper/);
});

test('wrong arity is an error that names the function', () => {
  for (const [src, msg] of [['Left("abc")', /Left takes 2 arguments; got 1/], ['Guid(1)', /Guid takes 0 arguments/], ['Switch([a])', /Switch takes 2 to any number/]] as const) {
    assert.throws(() => evaluate(compileExpression(src), {}), (e: unknown) => e instanceof ExpressionError && msg.test(e.message), src);
  }
});

test('strings take \\" and \\\\ escapes; empty arguments are allowed', () => {
  assert.equal(evaluate(compileExpression('Append("say \\"hi\\"", "\\\\")'), {}), 'say "hi"\\');
  assert.equal(evaluateForTarget(compileExpression('FormatDateTime("2020-01-02", , "yyyy-MM-dd", "dd/MM/yyyy")'), {}), '02/01/2020');
});

test('null and empty behaviour', () => {
  const v = (src: string, source: Record<string, unknown> = {}) => evaluateForTarget(compileExpression(src), source);
  assert.equal(v('Append([missing], "x")'), null, 'null in, null out');
  assert.equal(v('ToLower([missing])'), null);
  assert.equal(v('Left([missing], 2)'), '', 'Left on null is ""');
  assert.equal(v('Word([missing], 1, " ")'), '');
  assert.equal(v('Coalesce([a], [b], "default")'), 'default');
  assert.equal(v('Coalesce([a], [b], "default")', { b: 'B' }), 'B');
  assert.equal(v('IsNull([a])'), true);
  assert.equal(v('IsNullOrEmpty([a])', { a: '' }), true);
  assert.equal(v('IsPresent([a])', { a: 'x' }), true);
  assert.equal(v('Switch([a], "d", "", "empty")'), 'empty', 'null matches the key ""');
  assert.equal(v('IgnoreFlowIfNullOrEmpty([a])', { a: '' }), SKIP);
  assert.equal(v('Append(IgnoreFlowIfNullOrEmpty([a]), "x")'), SKIP, 'a skip inside skips the mapping');
  assert.equal(v('Join(",", [a], [b])', { a: ['x', 'y'], b: 'z' }), 'x,y,z', 'multi-valued sources contribute every value');
  assert.equal(v('Count([a])', { a: ['x', 'y'] }), 2);
  assert.deepEqual(v('RemoveDuplicates([a])', { a: ['x', 'y', 'x'] }), ['x', 'y']);
  assert.equal(v('[USERPRINCIPALNAME]', { userPrincipalName: 'u@x' }), 'u@x', 'attribute names are case-insensitive');
  assert.equal(v('SingleAppRoleAssignment([appRoleAssignments])', { appRoleAssignments: [{ value: 'Admin', displayName: 'Admin' }] }), 'Admin');
  assert.match(String(v('Guid()')), /^[0-9a-f-]{36}$/);
  assert.match(String(v('RandomString(10, 2, 2, 2, 1, "?,")')), /^[^?,]{10}$/);
  assert.throws(() => v('SelectUniqueValue("a", "b")'), /not for SCIM apps/);
  assert.throws(() => v('Item([a], 3)', { a: ['x'] }), /out of range/);
});

// ---- properties ----
const name = fc.constantFrom(...FUNCTION_NAMES);
const attr = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,12}$/);
const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small' },
    attr.map((n) => ({ kind: 'attr' as const, name: n, pos: 0 })),
    fc.string({ unit: 'binary' }).map((s) => ({ kind: 'string' as const, value: s, pos: 0 })),
    fc.nat(1_000_000).map((n) => ({ kind: 'number' as const, value: n, pos: 0 })),
    fc.tuple(name, fc.array(fc.option(tie('e'), { nil: null }), { maxLength: 4 })).map(([n, args]) => ({ kind: 'call' as const, name: n, args, pos: 0 })),
  ),
})).e;

function shape(e: Expr): unknown {
  const { pos: _p, ...rest } = e as Expr & { pos: number };
  if (e.kind === 'call') return { ...rest, args: e.args.map((a) => (a === null ? null : shape(a))) };
  if (e.kind === 'compare') return { ...rest, left: shape(e.left), right: shape(e.right) };
  return rest;
}

test('parse(print(e)) has the shape of e for generated expressions', () => {
  fc.assert(
    fc.property(exprArb, (e) => {
      // A call whose only argument is empty prints as `F()`, which means no arguments.
      fc.pre(!JSON.stringify(e).includes('"args":[null]'));
      assert.deepEqual(shape(parseExpression(printExpression(e))), shape(e));
    }),
    { numRuns: 500 },
  );
});

test('the parser and evaluator fail only with ExpressionError on arbitrary input', () => {
  const pieces = fc.constantFrom('Join(', 'Left(', ')', ',', '[a]', '"x"', '"', '[', '&HF', '-3', '=', '<>', 'IIF(', 'Switch(', ' ', 'x');
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.array(pieces, { maxLength: 30 }).map((a) => a.join(''))), (src) => {
      try {
        evaluate(compileExpression(src), { a: 'v' });
      } catch (e) {
        assert.ok(e instanceof ExpressionError, `${src}: ${String(e)}`);
      }
    }),
    { numRuns: 2000 },
  );
});

test('a value a function makes is bounded: nested ConvertToBase64 is an error at its place, not gigabytes', () => {
  const nested = (n: number) => `${'ConvertToBase64('.repeat(n)}"x"${')'.repeat(n)}`;
  assert.ok(String(evaluateForTarget(compileExpression(nested(12)), {})).length < MAX_VALUE_CHARS, 'a deep but small value is fine');
  assert.throws(() => evaluateForTarget(compileExpression(nested(40)), {}), (e: unknown) => e instanceof ExpressionError && /longer than 1048576 characters/.test(e.message) && e.position !== undefined);
});
