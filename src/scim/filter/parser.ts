// Recursive-descent parser for the RFC 7644 section 3.4.2.2 filter grammar.
// Precedence: not (with its parentheses) > and > or; both logical operators are
// left-associative. Written by hand because it must yield a typed AST that the stores
// compile to SQL and that fuzzing can round-trip (see docs/scim-core.md).
//
// Leniencies, all documented: unquoted values (`userName eq a@b.c`, Genesys' own examples),
// single-quoted strings (Entra's docs), and `attr[filter].sub op value` (Entra's matching
// filter on emails[type eq "work"].value), which becomes attr[filter and sub op value].
import { scimErrors } from '../errors.ts';
import { parseAttrPath } from '../path.ts';
import type { AttrPath } from '../schema/registry.ts';
import { COMPARE_OPS, and, not, or, type CompareOp, type Filter, type Literal } from './ast.ts';
import { tokenize, type Token } from './lexer.ts';

export interface FilterLimits {
  /** Longest accepted filter, in characters. */
  readonly maxLength: number;
  /** Deepest accepted nesting of parentheses, `not` and value paths. */
  readonly maxDepth: number;
}

export const DEFAULT_FILTER_LIMITS: FilterLimits = Object.freeze({ maxLength: 4096, maxDepth: 32 });

const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly input: string,
    private readonly limits: FilterLimits,
  ) {}

  private fail(detail: string, tok?: Token): never {
    const at = tok ? ` at position ${tok.pos + 1}` : ' at end of filter';
    throw scimErrors.invalidFilter(`${detail}${at}: ${JSON.stringify(this.input.length > 200 ? `${this.input.slice(0, 200)}...` : this.input)}`);
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private isKeyword(tok: Token | undefined, kw: string): boolean {
    return tok !== undefined && tok.kind === 'word' && tok.value.toLowerCase() === kw;
  }

  parseAll(): Filter {
    const f = this.parseOr(0, false);
    const rest = this.peek();
    if (rest) this.fail(`Unexpected ${describe(rest)}`, rest);
    return f;
  }

  private parseOr(depth: number, inValuePath: boolean): Filter {
    let left = this.parseAnd(depth, inValuePath);
    while (this.isKeyword(this.peek(), 'or')) {
      this.i++;
      left = or(left, this.parseAnd(depth, inValuePath));
    }
    return left;
  }

  private parseAnd(depth: number, inValuePath: boolean): Filter {
    let left = this.parseUnary(depth, inValuePath);
    while (this.isKeyword(this.peek(), 'and')) {
      this.i++;
      left = and(left, this.parseUnary(depth, inValuePath));
    }
    return left;
  }

  private enter(depth: number, tok: Token): number {
    if (depth + 1 > this.limits.maxDepth) this.fail(`Filter nests deeper than ${this.limits.maxDepth} levels`, tok);
    return depth + 1;
  }

  private parseUnary(depth: number, inValuePath: boolean): Filter {
    const tok = this.peek();
    if (!tok) this.fail('Expected an expression');
    if (this.isKeyword(tok, 'not') && this.tokens[this.i + 1]?.kind === '(') {
      this.i++;
      return not(this.parseGroup(this.enter(depth, tok), inValuePath));
    }
    if (tok.kind === '(') return this.parseGroup(this.enter(depth, tok), inValuePath);
    if (tok.kind !== 'word') this.fail(`Expected an attribute path, found ${describe(tok)}`, tok);
    return this.parseAttrExpression(depth, inValuePath);
  }

  private parseGroup(depth: number, inValuePath: boolean): Filter {
    const open = this.tokens[this.i++];
    const inner = this.parseOr(depth, inValuePath);
    const close = this.peek();
    if (close?.kind !== ')') this.fail(`Expected ")" to close the "(" at position ${open.pos + 1}`, close);
    this.i++;
    return inner;
  }

  private path(tok: Token & { kind: 'word' }): AttrPath {
    return parseAttrPath(tok.value, (detail) => scimErrors.invalidFilter(`${detail} at position ${tok.pos + 1}`));
  }

  private parseAttrExpression(depth: number, inValuePath: boolean): Filter {
    const tok = this.tokens[this.i++] as Token & { kind: 'word' };
    const path = this.path(tok);
    if (this.peek()?.kind === '[') {
      const open = this.peek()!;
      if (inValuePath) this.fail('Value filters cannot be nested', open);
      if (path.sub !== undefined) this.fail('A value filter applies to an attribute, not a sub-attribute', open);
      this.i++;
      const inner = this.parseOr(this.enter(depth, open), true);
      const close = this.peek();
      if (close?.kind !== ']') this.fail(`Expected "]" to close the "[" at position ${open.pos + 1}`, close);
      this.i++;
      const next = this.peek();
      // Entra: emails[type eq "work"].value eq "x" (the sub-attribute glued to the bracket).
      if (next?.kind === 'word' && !next.spaceBefore && next.value.startsWith('.')) {
        this.i++;
        const sub = parseAttrPath(next.value.slice(1), (d) => scimErrors.invalidFilter(`${d} at position ${next.pos + 1}`));
        if (sub.uri !== undefined || sub.sub !== undefined) this.fail('Expected a sub-attribute name', next);
        const tail = this.parseOperation({ attr: sub.attr });
        return Object.freeze({ kind: 'valuePath', path, filter: and(inner, tail) });
      }
      return Object.freeze({ kind: 'valuePath', path, filter: inner });
    }
    return this.parseOperation(path);
  }

  private parseOperation(path: AttrPath): Filter {
    const opTok = this.peek();
    if (opTok?.kind !== 'word') this.fail(`Expected an operator after "${describePath(path)}"`, opTok);
    const op = opTok.value.toLowerCase();
    this.i++;
    if (op === 'pr') return Object.freeze({ kind: 'present', path });
    if (!(COMPARE_OPS as readonly string[]).includes(op)) {
      this.fail(`Unknown operator "${opTok.value}" (expected one of eq ne co sw ew gt ge lt le pr)`, opTok);
    }
    const valueTok = this.peek();
    if (!valueTok) this.fail(`Expected a value after "${opTok.value}"`);
    if (valueTok.kind !== 'string' && valueTok.kind !== 'word') this.fail(`Expected a value, found ${describe(valueTok)}`, valueTok);
    this.i++;
    return Object.freeze({ kind: 'compare', path, op: op as CompareOp, value: literalOf(valueTok) });
  }
}

function literalOf(tok: Token & { kind: 'string' | 'word' }): Literal {
  if (tok.kind === 'string') return Object.freeze({ kind: 'string', value: tok.value });
  const v = tok.value;
  const lower = v.toLowerCase();
  if (lower === 'true' || lower === 'false') return Object.freeze({ kind: 'boolean', value: lower === 'true' });
  if (lower === 'null') return Object.freeze({ kind: 'null' });
  if (NUMBER.test(v)) return Object.freeze({ kind: 'number', value: Number(v), raw: v });
  // Genesys documents unquoted values (`userName eq search@sample.org`).
  return Object.freeze({ kind: 'string', value: v });
}

function describe(tok: Token): string {
  return tok.kind === 'word' ? `"${tok.value}"` : tok.kind === 'string' ? 'a string' : `"${tok.kind}"`;
}

function describePath(p: AttrPath): string {
  return `${p.uri ? `${p.uri}:` : ''}${p.attr}${p.sub ? `.${p.sub}` : ''}`;
}

export function parseFilter(input: string, limits: FilterLimits = DEFAULT_FILTER_LIMITS): Filter {
  if (input.length > limits.maxLength) {
    throw scimErrors.invalidFilter(`Filter is longer than ${limits.maxLength} characters`);
  }
  if (input.trim() === '') throw scimErrors.invalidFilter('Filter is empty');
  return new Parser(tokenize(input), input, limits).parseAll();
}
