// Prints a filter AST back to RFC 7644 syntax; parse(print(ast)) equals ast.
import { printAttrPath } from '../path.ts';
import type { Filter, Literal } from './ast.ts';

export function printLiteral(l: Literal): string {
  switch (l.kind) {
    case 'string':
      return JSON.stringify(l.value);
    case 'number':
      return l.raw;
    case 'boolean':
      return l.value ? 'true' : 'false';
    case 'null':
      return 'null';
  }
}

// Both logical operators associate to the left, so a right-hand child of the same
// operator, and an `or` under `and`, need parentheses to come back as the same tree.
const paren = (f: Filter, when: boolean): string => (when ? `(${printFilter(f)})` : printFilter(f));

export function printFilter(f: Filter): string {
  switch (f.kind) {
    case 'compare':
      return `${printAttrPath(f.path)} ${f.op} ${printLiteral(f.value)}`;
    case 'present':
      return `${printAttrPath(f.path)} pr`;
    case 'and':
      return `${paren(f.left, f.left.kind === 'or')} and ${paren(f.right, f.right.kind === 'and' || f.right.kind === 'or')}`;
    case 'or':
      return `${printFilter(f.left)} or ${paren(f.right, f.right.kind === 'or')}`;
    case 'not':
      return `not (${printFilter(f.filter)})`;
    case 'valuePath':
      return `${printAttrPath(f.path)}[${printFilter(f.filter)}]`;
  }
}

/**
 * A search box's text as a filter: `a co "text" or b co "text" ...` over `attributes`. The
 * text is a JSON string literal (RFC 7644 3.4.2.2), so quotes and backslashes in it are data.
 */
export function textSearchFilter(text: string, attributes: readonly string[]): string {
  const literal = JSON.stringify(text.trim());
  return attributes.map((a) => `${a} co ${literal}`).join(' or ');
}
