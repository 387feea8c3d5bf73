// Text that no store keeps faithfully: NUL (PostgreSQL refuses it in text, SQLite's LIKE and
// C string handling stop at it) and lone UTF-16 surrogates (not Unicode: either store turns
// them into U+FFFD). Whether such text arrives raw or as a JSON escape (`\u0000` in a body or
// in a filter literal), it is refused before it reaches a store.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored or compared as sent, or undefined when it can. */
export function unstorable(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (LONE_SURROGATE.test(s)) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}
