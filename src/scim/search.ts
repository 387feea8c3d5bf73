// The SearchRequest message (RFC 7644 3.4.3): a query sent as a POST body to `/.search`. It
// becomes the same list parameters as the GET form, so both forms share every rule, limit
// and permission check downstream.
import { scimErrors } from './errors.ts';
import type { RawListParams } from './list-query.ts';
import { SEARCH_REQUEST_SCHEMA } from './schema/urns.ts';
import { isObject } from './values.ts';

const STRING_FIELDS = ['filter', 'sortBy', 'sortOrder', 'cursor'] as const;
const INTEGER_FIELDS = ['startIndex', 'count'] as const;
const LIST_FIELDS = ['attributes', 'excludedAttributes'] as const;
const KNOWN = new Set<string>(['schemas', ...STRING_FIELDS, ...INTEGER_FIELDS, ...LIST_FIELDS].map((k) => k.toLowerCase()));

/** The list parameters a SearchRequest body stands for; names are matched case-insensitively. */
export function parseSearchRequest(body: unknown): RawListParams {
  if (!isObject(body)) throw scimErrors.invalidSyntax('The request body must be a SearchRequest JSON object');
  const get = (name: string) => Object.entries(body).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  const schemas = get('schemas');
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === SEARCH_REQUEST_SCHEMA.toLowerCase())) {
    throw scimErrors.invalidSyntax(`"schemas" must list ${SEARCH_REQUEST_SCHEMA}`);
  }
  const unknown = Object.keys(body).filter((k) => !KNOWN.has(k.toLowerCase()));
  if (unknown.length > 0) throw scimErrors.invalidSyntax(`A SearchRequest has no "${unknown[0]}"`);
  const out: Record<string, string> = {};
  for (const name of STRING_FIELDS) {
    const v = get(name);
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw scimErrors.invalidValue(`"${name}" must be a string`);
    out[name] = v;
  }
  for (const name of INTEGER_FIELDS) {
    const v = get(name);
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw scimErrors.invalidValue(`"${name}" must be an integer`);
    out[name] = String(v);
  }
  for (const name of LIST_FIELDS) {
    const v = get(name);
    if (v === undefined || v === null) continue;
    // RFC 7644 3.4.3: a multi-valued list of strings; a comma-separated string is accepted too.
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) throw scimErrors.invalidValue(`"${name}" must be a list of attribute names`);
    if (list.length > 0) out[name] = list.join(',');
  }
  return out;
}
