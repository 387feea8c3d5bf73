// The PATCH request message (RFC 7644 section 3.5.2) and PATCH paths
// (`attrPath[valFilter].subAttr`), parsed once into frozen values.
//
// Entra leniencies: `op` in any case ("Replace"), extra members on an operation ("name"),
// `schemas` not strictly checked (Genesys' own examples put resource URNs there).
import { scimErrors } from '../errors.ts';
import { parseFilter, type Filter } from '../filter/index.ts';
import { parseAttrPath } from '../path.ts';
import type { AttrPath } from '../schema/registry.ts';
import { isObject, ownKeyInsensitive } from '../values.ts';

export type PatchOpName = 'add' | 'replace' | 'remove';

export interface PatchPath {
  readonly text: string;
  readonly attrPath: AttrPath;
  readonly filter?: Filter;
  /** The sub-attribute after a value filter: `emails[type eq "work"].value`. */
  readonly subAfterFilter?: string;
}

export interface PatchOperation {
  readonly op: PatchOpName;
  readonly path?: PatchPath;
  readonly value?: unknown;
}

export interface PatchLimits {
  readonly maxOperations: number;
}

export const DEFAULT_PATCH_LIMITS: PatchLimits = Object.freeze({ maxOperations: 1000 });

/** Index of the `]` closing the `[` at `open`, skipping quoted strings. */
function closingBracket(text: string, open: number): number {
  let quote: string | undefined;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ']') return i;
  }
  return -1;
}

function containsValuePath(f: Filter): boolean {
  switch (f.kind) {
    case 'valuePath':
      return true;
    case 'and':
    case 'or':
      return containsValuePath(f.left) || containsValuePath(f.right);
    case 'not':
      return containsValuePath(f.filter);
    default:
      return false;
  }
}

export function parsePatchPath(text: string): PatchPath {
  const trimmed = text.trim();
  const open = trimmed.indexOf('[');
  if (open < 0) return Object.freeze({ text, attrPath: parseAttrPath(trimmed) });
  const close = closingBracket(trimmed, open);
  if (close < 0) throw scimErrors.invalidPath(`"${text}" has an unclosed "["`);
  const attrPath = parseAttrPath(trimmed.slice(0, open));
  if (attrPath.sub !== undefined) throw scimErrors.invalidPath(`"${text}": a value filter applies to an attribute, not a sub-attribute`);
  let filter: Filter;
  try {
    filter = parseFilter(trimmed.slice(open + 1, close));
  } catch (e) {
    throw scimErrors.invalidPath(`"${text}" has an invalid value filter: ${(e as Error).message}`);
  }
  if (containsValuePath(filter)) throw scimErrors.invalidPath(`"${text}": value filters cannot be nested`);
  const rest = trimmed.slice(close + 1);
  if (rest === '') return Object.freeze({ text, attrPath, filter });
  if (!rest.startsWith('.')) throw scimErrors.invalidPath(`"${text}": unexpected "${rest}" after the value filter`);
  const sub = parseAttrPath(rest.slice(1));
  if (sub.uri !== undefined || sub.sub !== undefined) throw scimErrors.invalidPath(`"${text}": expected one sub-attribute after the value filter`);
  return Object.freeze({ text, attrPath, filter, subAfterFilter: sub.attr });
}

function parseOperation(raw: unknown, index: number): PatchOperation {
  const where = `Operations[${index}]`;
  if (!isObject(raw)) throw scimErrors.invalidSyntax(`${where} must be an object`);
  const opKey = ownKeyInsensitive(raw, 'op');
  const opRaw = opKey === undefined ? undefined : raw[opKey];
  if (typeof opRaw !== 'string') throw scimErrors.invalidSyntax(`${where} needs an "op" of add, replace or remove`);
  const op = opRaw.toLowerCase();
  if (op !== 'add' && op !== 'replace' && op !== 'remove') {
    throw scimErrors.invalidSyntax(`${where}: unknown op "${opRaw}" (expected add, replace or remove)`);
  }
  const pathKey = ownKeyInsensitive(raw, 'path');
  const pathRaw = pathKey === undefined ? undefined : raw[pathKey];
  if (pathRaw !== undefined && pathRaw !== null && typeof pathRaw !== 'string') throw scimErrors.invalidPath(`${where}: "path" must be a string`);
  const valueKey = ownKeyInsensitive(raw, 'value');
  const hasValue = valueKey !== undefined;
  const path = typeof pathRaw === 'string' && pathRaw.trim() !== '' ? parsePatchPath(pathRaw) : undefined;
  if (op === 'remove' && !path) throw scimErrors.noTarget(`${where}: remove needs a "path" (RFC 7644 3.5.2.2)`);
  if (op !== 'remove' && !hasValue) throw scimErrors.invalidSyntax(`${where}: ${op} needs a "value"`);
  if (op !== 'remove' && !path && !isObject(raw[valueKey!])) {
    throw scimErrors.invalidSyntax(`${where}: without "path", "value" must be an object of attributes`);
  }
  return Object.freeze({ op, ...(path ? { path } : {}), ...(hasValue ? { value: raw[valueKey!] } : {}) });
}

/** Parses a PatchOp message body. An empty Operations array is accepted: a no-op. */
export function parsePatchRequest(body: unknown, limits: PatchLimits = DEFAULT_PATCH_LIMITS): PatchOperation[] {
  if (!isObject(body)) throw scimErrors.invalidSyntax('The PATCH body must be a JSON object');
  const key = ownKeyInsensitive(body, 'Operations');
  const ops = key === undefined ? undefined : body[key];
  if (!Array.isArray(ops)) throw scimErrors.invalidSyntax('The PATCH body needs an "Operations" array (RFC 7644 3.5.2)');
  if (ops.length > limits.maxOperations) {
    throw scimErrors.invalidValue(`A PATCH may carry at most ${limits.maxOperations} operations; got ${ops.length}`);
  }
  return Object.freeze(ops.map(parseOperation)) as PatchOperation[];
}
