// Syntax tree of Entra's attribute-mapping expressions. Nodes are frozen and carry a `kind`
// and their 0-based position in the source, for errors.

export type CompareOp = '=' | '<>' | '<' | '>' | '<=' | '>=';

export type Expr =
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly (Expr | null)[]; readonly pos: number }
  | { readonly kind: 'attr'; readonly name: string; readonly pos: number }
  | { readonly kind: 'string'; readonly value: string; readonly pos: number }
  | { readonly kind: 'number'; readonly value: number; readonly pos: number }
  /** Bare words used as constants: vbTextCompare, UTF8, ... */
  | { readonly kind: 'ident'; readonly name: string; readonly pos: number }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly left: Expr; readonly right: Expr; readonly pos: number };

export class ExpressionError extends Error {
  constructor(
    message: string,
    /** 0-based offset into the expression, when the error has a place. */
    readonly position?: number,
  ) {
    super(position === undefined ? message : `${message} (at position ${position + 1})`);
    this.name = 'ExpressionError';
  }
}

/** The source attributes an expression reads (`[name]`): what a connector must fetch. */
export function attributesOf(e: Expr | null): string[] {
  if (!e) return [];
  switch (e.kind) {
    case 'attr':
      return [e.name];
    case 'call':
      return e.args.flatMap(attributesOf);
    case 'compare':
      return [...attributesOf(e.left), ...attributesOf(e.right)];
    default:
      return [];
  }
}
