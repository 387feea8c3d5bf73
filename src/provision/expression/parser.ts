// Lexer and recursive-descent parser for the expression language
// (learn.microsoft.com "Reference for writing expressions for attribute mappings"):
// function calls with possibly empty arguments, [attribute] references, "strings" with \" and
// \\ escapes, numbers (and VB hex &HFF), bare identifiers, and comparisons (`[country]="USA"`).
// Function names are case-sensitive; they are checked against the function table here, so a
// typo fails before any request is sent.
import { ExpressionError, type CompareOp, type Expr } from './ast.ts';

type Token =
  | { kind: 'attr' | 'string' | 'ident'; value: string; pos: number }
  | { kind: 'number'; value: number; pos: number }
  | { kind: '(' | ')' | ','; pos: number }
  | { kind: 'op'; value: CompareOp; pos: number };

const MAX_LENGTH = 10_000;
const MAX_DEPTH = 64;

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ kind: c, pos: i++ });
    } else if (c === '[') {
      const end = src.indexOf(']', i + 1);
      if (end < 0) throw new ExpressionError('Unclosed "[" of an attribute reference', i);
      const name = src.slice(i + 1, end).trim();
      if (name === '') throw new ExpressionError('Empty attribute reference "[]"', i);
      out.push({ kind: 'attr', value: name, pos: i });
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= src.length) throw new ExpressionError('Unterminated string', i);
        const d = src[j];
        if (d === '\\' && (src[j + 1] === '"' || src[j + 1] === '\\')) {
          value += src[j + 1];
          j += 2;
        } else if (d === '"') {
          break;
        } else {
          value += d;
          j++;
        }
      }
      out.push({ kind: 'string', value, pos: i });
      i = j + 1;
    } else if (c === '&' && /[hH]/.test(src[i + 1] ?? '')) {
      const m = /^&[hH]([0-9a-fA-F]+)/.exec(src.slice(i));
      if (!m) throw new ExpressionError('Invalid hexadecimal number', i);
      out.push({ kind: 'number', value: parseInt(m[1], 16), pos: i });
      i += m[0].length;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^-?[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
      out.push({ kind: 'number', value: Number(m[0]), pos: i });
      i += m[0].length;
    } else if (c === '=' || c === '<' || c === '>') {
      const two = src.slice(i, i + 2);
      const op = (['<>', '<=', '>='] as const).find((o) => o === two) ?? (c as CompareOp);
      out.push({ kind: 'op', value: op, pos: i });
      i += op.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ kind: 'ident', value: m[0], pos: i });
      i += m[0].length;
    } else {
      throw new ExpressionError(`Unexpected character "${c}"`, i);
    }
  }
  return out;
}

export function parseExpression(src: string, knownFunctions?: ReadonlySet<string>): Expr {
  if (src.length > MAX_LENGTH) throw new ExpressionError(`Expression is longer than ${MAX_LENGTH} characters`);
  const tokens = tokenize(src);
  let i = 0;
  const peek = () => tokens[i];
  const describe = (t: Token | undefined) => (t === undefined ? 'end of expression' : 'value' in t ? `"${t.value}"` : `"${t.kind}"`);

  function primary(depth: number): Expr {
    if (depth > MAX_DEPTH) throw new ExpressionError(`Expression nests deeper than ${MAX_DEPTH} levels`, peek()?.pos);
    const t = tokens[i++];
    if (!t) throw new ExpressionError('Expected a value', src.length);
    switch (t.kind) {
      case 'attr':
        return Object.freeze({ kind: 'attr', name: t.value, pos: t.pos });
      case 'string':
        return Object.freeze({ kind: 'string', value: t.value, pos: t.pos });
      case 'number':
        return Object.freeze({ kind: 'number', value: t.value, pos: t.pos });
      case 'ident': {
        if (peek()?.kind !== '(') return Object.freeze({ kind: 'ident', name: t.value, pos: t.pos });
        if (knownFunctions && !knownFunctions.has(t.value)) {
          const near = [...knownFunctions].find((f) => f.toLowerCase() === t.value.toLowerCase());
          throw new ExpressionError(`Unknown function "${t.value}"${near ? ` (function names are case-sensitive: did you mean ${near}?)` : ''}`, t.pos);
        }
        i++; // (
        const args: (Expr | null)[] = [];
        if (peek()?.kind === ')') {
          i++;
          return Object.freeze({ kind: 'call', name: t.value, args: Object.freeze(args), pos: t.pos });
        }
        for (;;) {
          const next = peek();
          // Empty arguments: `FormatDateTime([x], , "a", "b")`.
          if (next?.kind === ',' || next?.kind === ')') args.push(null);
          else args.push(comparison(depth + 1));
          const sep = tokens[i++];
          if (sep?.kind === ')') break;
          if (sep?.kind !== ',') throw new ExpressionError(`Expected "," or ")" in the arguments of ${t.value}, found ${describe(sep)}`, sep?.pos ?? src.length);
        }
        return Object.freeze({ kind: 'call', name: t.value, args: Object.freeze(args), pos: t.pos });
      }
      default:
        throw new ExpressionError(`Unexpected ${describe(t)}`, t.pos);
    }
  }

  function comparison(depth: number): Expr {
    const left = primary(depth);
    const t = peek();
    if (t?.kind !== 'op') return left;
    i++;
    const right = primary(depth);
    return Object.freeze({ kind: 'compare', op: t.value, left, right, pos: t.pos });
  }

  const e = comparison(0);
  if (i < tokens.length) throw new ExpressionError(`Unexpected ${describe(tokens[i])} after the expression`, tokens[i].pos);
  return e;
}

/** Prints an expression back to source; parseExpression(printExpression(e)) has the same shape. */
export function printExpression(e: Expr): string {
  switch (e.kind) {
    case 'attr':
      return `[${e.name}]`;
    case 'string':
      return `"${e.value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    case 'number':
      return String(e.value);
    case 'ident':
      return e.name;
    case 'compare':
      return `${printExpression(e.left)}${e.op}${printExpression(e.right)}`;
    case 'call':
      return `${e.name}(${e.args.map((a) => (a === null ? '' : printExpression(a))).join(', ')})`;
  }
}
