// Evaluates an expression against one source object (a user as Microsoft Graph returns it).
// Attribute references are case-insensitive; a missing attribute is null.
import { ExpressionError, type Expr } from './ast.ts';
import { DateValue } from './datetime.ts';
import { FUNCTION_NAMES, FUNCTIONS, type FnContext } from './functions.ts';
import { parseExpression } from './parser.ts';
import { SKIP, str, type Result, type Value } from './values.ts';

export type Source = Readonly<Record<string, unknown>>;

function lookup(source: Source, name: string): Value {
  if (Object.prototype.hasOwnProperty.call(source, name)) return toValue(source[name]);
  const lower = name.toLowerCase();
  const key = Object.keys(source).find((k) => k.toLowerCase() === lower);
  return key === undefined ? null : toValue(source[key]);
}

function toValue(v: unknown): Value {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(toValue);
  if (typeof v === 'object') return v as Record<string, unknown>;
  return String(v);
}

function compare(op: string, a: Value, b: Value): boolean {
  if (a === null || b === null) return op === '<>' ? a !== b : op === '=' ? a === b : false;
  const na = typeof a === 'number' ? a : a instanceof DateValue ? a.ms : NaN;
  const nb = typeof b === 'number' ? b : b instanceof DateValue ? b.ms : NaN;
  const numeric = !Number.isNaN(na) && !Number.isNaN(nb);
  const x: number | string = numeric ? na : str(a)!;
  const y: number | string = numeric ? nb : str(b)!;
  switch (op) {
    case '=': return x === y;
    case '<>': return x !== y;
    case '<': return x < y;
    case '>': return x > y;
    case '<=': return x <= y;
    default: return x >= y;
  }
}

export function evaluate(e: Expr, source: Source, ctx: FnContext = { now: () => new Date() }): Result {
  switch (e.kind) {
    case 'string':
    case 'number':
      return e.value;
    case 'ident':
      return e.name;
    case 'attr':
      return lookup(source, e.name);
    case 'compare': {
      const a = evaluate(e.left, source, ctx);
      const b = evaluate(e.right, source, ctx);
      return compare(e.op, a === SKIP ? null : a, b === SKIP ? null : b);
    }
    case 'call': {
      const f = FUNCTIONS[e.name];
      if (!f) throw new ExpressionError(`Unknown function "${e.name}"`, e.pos);
      if (e.args.length < f.min || e.args.length > f.max) {
        throw new ExpressionError(`${e.name} takes ${f.min === f.max ? f.min : `${f.min} to ${f.max === Infinity ? 'any number of' : f.max}`} arguments; got ${e.args.length}`, e.pos);
      }
      const args: Value[] = [];
      for (const a of e.args) {
        const v = a === null ? null : evaluate(a, source, ctx);
        // A skipped inner value makes the whole mapping skip.
        if (v === SKIP) return SKIP;
        args.push(v);
      }
      let out: Result;
      try {
        out = f.call(args, ctx);
      } catch (err) {
        if (err instanceof ExpressionError && err.position !== undefined) throw err;
        throw new ExpressionError(`${e.name}: ${(err as Error).message}`, e.pos);
      }
      // Functions can grow a value (ConvertToBase64 nearly triples it): nested, they would hold
      // the process for seconds and gigabytes before any target refused the result.
      if (typeof out === 'string' && out.length > MAX_VALUE_CHARS) throw new ExpressionError(`${e.name} makes a value longer than ${MAX_VALUE_CHARS} characters`, e.pos);
      return out;
    }
  }
}

/** The longest value a function may make: far above any attribute a SCIM server keeps. */
export const MAX_VALUE_CHARS = 1 << 20;

/** Parses with the function table, so an unknown or mis-cased function fails at once. */
export function compileExpression(src: string): Expr {
  return parseExpression(src, FUNCTION_NAMES);
}

/** The value to send: SKIP, null (nothing to send), or a JSON value (dates printed as Microsoft prints them). */
export function evaluateForTarget(e: Expr, source: Source, ctx?: FnContext): typeof SKIP | null | string | number | boolean | unknown[] | Record<string, unknown> {
  const v = evaluate(e, source, ctx);
  if (v === SKIP || v === null) return v;
  if (v instanceof DateValue) return v.toString();
  if (Array.isArray(v)) return v.map((x) => (x instanceof DateValue ? x.toString() : x));
  return v as string | number | boolean | Record<string, unknown>;
}
