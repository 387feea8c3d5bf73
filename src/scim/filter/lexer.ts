// Tokens of the filter and attribute-path grammar. Positions are 0-based offsets into the
// input, reported 1-based in error messages.
import { scimErrors } from '../errors.ts';
import { unstorable } from '../text.ts';

export type Token =
  | { readonly kind: '(' | ')' | '[' | ']'; readonly pos: number }
  | { readonly kind: 'string'; readonly value: string; readonly pos: number }
  | { readonly kind: 'word'; readonly value: string; readonly pos: number; readonly spaceBefore: boolean };

const PUNCT = new Set(['(', ')', '[', ']']);

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/** Reads a JSON string (RFC 8259 escapes) starting at the opening quote; single quotes are accepted too. */
function readString(input: string, start: number): { value: string; end: number } {
  const quote = input[start];
  let i = start + 1;
  let out = '';
  while (i < input.length) {
    const c = input[i];
    if (c === quote) {
      // Checked after decoding: `\u0000` is six harmless characters until it is read.
      const why = unstorable(out);
      if (why) throw scimErrors.invalidFilter(`The string at position ${start + 1} ${why}`);
      return { value: out, end: i + 1 };
    }
    if (c === '\\') {
      const e = input[i + 1];
      const simple: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e !== undefined && e in simple) {
        out += simple[e];
        i += 2;
        continue;
      }
      if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(input.slice(i + 2, i + 6))) {
        out += String.fromCharCode(parseInt(input.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      }
      throw scimErrors.invalidFilter(`Invalid escape sequence in string at position ${i + 1}`);
    }
    out += c;
    i++;
  }
  throw scimErrors.invalidFilter(`Unterminated string starting at position ${start + 1}`);
}

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let spaceBefore = false;
  while (i < input.length) {
    const c = input[i];
    if (isSpace(c)) {
      i++;
      spaceBefore = true;
      continue;
    }
    if (PUNCT.has(c)) {
      tokens.push(Object.freeze({ kind: c as '(' | ')' | '[' | ']', pos: i }));
      i++;
    } else if (c === '"' || c === "'") {
      const { value, end } = readString(input, i);
      tokens.push(Object.freeze({ kind: 'string', value, pos: i }));
      i = end;
    } else {
      const start = i;
      while (i < input.length && !isSpace(input[i]) && !PUNCT.has(input[i]) && input[i] !== '"' && input[i] !== "'") i++;
      tokens.push(Object.freeze({ kind: 'word', value: input.slice(start, i), pos: start, spaceBefore }));
    }
    spaceBefore = false;
  }
  return tokens;
}
