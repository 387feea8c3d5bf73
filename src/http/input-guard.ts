// Hostile-input limits at the HTTP edge, the same for every route and both stores: JSON
// nested deeper than MAX_DEPTH, strings longer than MAX_STRING, and text that no store keeps
// faithfully (NUL, which PostgreSQL refuses and SQLite's LIKE stops at; lone UTF-16
// surrogates, which become U+FFFD on the way to either) are refused before anything runs.
// The walk is iterative: a deep body cannot overflow the stack while being checked.
import { scimErrors, unstorable, type ScimError } from '../scim/index.ts';

export const INPUT_LIMITS = Object.freeze({
  /** Deepest nesting of objects and arrays in a body. */
  maxDepth: 64,
  /** Longest string value (characters) anywhere in a body, a query or a path parameter. */
  maxString: 65_536,
  /** Longest object key (characters). */
  maxKey: 1024,
});

function checkString(s: string, where: string, max: number, error: (detail: string) => ScimError): void {
  if (s.length > max) throw error(`${where} is longer than ${max} characters`);
  const why = unstorable(s);
  if (why) throw error(`${where} ${why}`);
}

/** Checks a parsed JSON body; throws a 400 SCIM error naming the first problem (by its attribute name). */
export function checkJsonBody(body: unknown): void {
  // Parallel stacks, no per-node strings: this runs over every value of every body.
  const values: unknown[] = [body];
  const depths: number[] = [0];
  const keys: string[] = ['the body'];
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop()!;
    const key = keys.pop()!;
    if (typeof value === 'string') {
      checkString(value, `The value of "${key.slice(0, 64)}"`, INPUT_LIMITS.maxString, scimErrors.invalidValue);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= INPUT_LIMITS.maxDepth) throw scimErrors.invalidSyntax(`The body is nested deeper than ${INPUT_LIMITS.maxDepth} levels`);
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        values.push(value[i]);
        depths.push(depth + 1);
        keys.push(key);
      }
      continue;
    }
    for (const k in value) {
      if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
      checkString(k, 'An attribute name', INPUT_LIMITS.maxKey, scimErrors.invalidSyntax);
      values.push((value as Record<string, unknown>)[k]);
      depths.push(depth + 1);
      keys.push(k);
    }
  }
}

/** Checks the query and path parameters of a request; the filter parameter's errors are invalidFilter. */
export function checkParameters(query: unknown, params: unknown): void {
  for (const [source, values] of [['query parameter', query], ['path parameter', params]] as const) {
    if (!values || typeof values !== 'object') continue;
    for (const [k, raw] of Object.entries(values as Record<string, unknown>)) {
      for (const v of [raw].flat()) {
        if (typeof v !== 'string') continue;
        const error = source === 'query parameter' && k.toLowerCase() === 'filter' ? scimErrors.invalidFilter : scimErrors.invalidValue;
        checkString(v, `The ${source} "${k.slice(0, 64)}"`, INPUT_LIMITS.maxString, error);
      }
    }
  }
}
