// The Bulk messages (RFC 7644 3.7): parsing a BulkRequest, and the `bulkId:` cross-references
// between its operations (finding, resolving, and setting aside those that form a cycle).
import { scimErrors } from './errors.ts';
import { BULK_REQUEST_SCHEMA } from './schema/urns.ts';
import { isObject, type JsonObject } from './values.ts';

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface BulkOperation {
  readonly method: BulkMethod;
  readonly bulkId?: string;
  readonly version?: string;
  readonly path: string;
  readonly data?: unknown;
}

export interface BulkRequest {
  /** Stop after this many errors (RFC 7644 3.7.3); undefined: never stop. */
  readonly failOnErrors?: number;
  readonly operations: readonly BulkOperation[];
}

const METHODS: readonly BulkMethod[] = ['POST', 'PUT', 'PATCH', 'DELETE'];
const REF = /^bulkId:(.+)$/;

export function parseBulkRequest(body: unknown, maxOperations: number): BulkRequest {
  if (!isObject(body)) throw scimErrors.invalidSyntax('The request body must be a BulkRequest JSON object');
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === BULK_REQUEST_SCHEMA.toLowerCase())) {
    throw scimErrors.invalidSyntax(`"schemas" must list ${BULK_REQUEST_SCHEMA}`);
  }
  const raw = body.Operations ?? body.operations;
  if (!Array.isArray(raw)) throw scimErrors.invalidSyntax('A BulkRequest needs "Operations", a list');
  // RFC 7644 3.7.4: more operations than maxOperations is 413.
  if (raw.length > maxOperations) throw scimErrors.payloadTooLarge(`The bulk request holds ${raw.length} operations; the maximum is ${maxOperations}`);
  const f = body.failOnErrors;
  if (f !== undefined && (typeof f !== 'number' || !Number.isInteger(f) || f < 1)) throw scimErrors.invalidValue('"failOnErrors" must be a positive integer');
  const seen = new Set<string>();
  const operations = raw.map((op, i): BulkOperation => {
    const where = `Operations[${i}]`;
    if (!isObject(op)) throw scimErrors.invalidSyntax(`${where} must be an object`);
    const method = typeof op.method === 'string' ? METHODS.find((m) => m === (op.method as string).toUpperCase()) : undefined;
    if (!method) throw scimErrors.invalidValue(`${where}.method must be one of ${METHODS.join(', ')}`);
    if (typeof op.path !== 'string' || !op.path.startsWith('/')) throw scimErrors.invalidValue(`${where}.path must be a resource path such as /Users or /Users/{id}`);
    if (op.bulkId !== undefined && (typeof op.bulkId !== 'string' || op.bulkId === '')) throw scimErrors.invalidValue(`${where}.bulkId must be a non-empty string`);
    if (method === 'POST' && op.bulkId === undefined) throw scimErrors.invalidValue(`${where}: a POST needs a bulkId (RFC 7644 3.7)`);
    if (typeof op.bulkId === 'string') {
      if (seen.has(op.bulkId)) throw scimErrors.invalidValue(`bulkId "${op.bulkId}" is used twice`);
      seen.add(op.bulkId);
    }
    if (op.version !== undefined && typeof op.version !== 'string') throw scimErrors.invalidValue(`${where}.version must be a string (an ETag)`);
    if (method !== 'DELETE' && op.data === undefined) throw scimErrors.invalidValue(`${where}: ${method} needs "data"`);
    return Object.freeze({ method, path: op.path, ...(op.bulkId !== undefined ? { bulkId: op.bulkId as string } : {}), ...(op.version !== undefined ? { version: op.version as string } : {}), ...(op.data !== undefined ? { data: op.data } : {}) });
  });
  return Object.freeze({ ...(f !== undefined ? { failOnErrors: f as number } : {}), operations: Object.freeze(operations) });
}

/** Every `bulkId:` reference in a value (strings, and path segments such as /Groups/bulkId:x). */
export function bulkRefsIn(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    for (const part of value.split('/')) {
      const m = REF.exec(part);
      if (m) out.add(m[1]);
    }
  } else if (Array.isArray(value)) for (const v of value) bulkRefsIn(v, out);
  else if (isObject(value)) for (const v of Object.values(value)) bulkRefsIn(v, out);
  return out;
}

/** The value with each resolved `bulkId:` reference replaced by the id it stands for (input unchanged). */
export function resolveBulkRefs<T>(value: T, ids: ReadonlyMap<string, string>): T {
  if (typeof value === 'string') return value.split('/').map((part) => { const m = REF.exec(part); return m && ids.has(m[1]) ? ids.get(m[1])! : part; }).join('/') as T;
  if (Array.isArray(value)) return value.map((v) => resolveBulkRefs(v, ids)) as T;
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveBulkRefs(v, ids)])) as T;
  return value;
}

/**
 * Breaks a cycle (RFC 7644 3.7.1): the POST data without the attributes that refer to
 * unresolved bulkIds, and those attributes apart, to be added by a PATCH once every resource
 * exists. Attributes are set aside whole (top level, or one level inside an extension).
 */
export function setAsideRefs(data: JsonObject, unresolved: ReadonlySet<string>): { data: JsonObject; aside: JsonObject } {
  const refersUnresolved = (v: unknown) => [...bulkRefsIn(v)].some((r) => unresolved.has(r));
  const kept: JsonObject = {};
  const aside: JsonObject = {};
  for (const [k, v] of Object.entries(data)) {
    if (!refersUnresolved(v)) kept[k] = v;
    else if (isObject(v) && k.toLowerCase().startsWith('urn:')) {
      const inner: JsonObject = {};
      const innerAside: JsonObject = {};
      for (const [ik, iv] of Object.entries(v)) (refersUnresolved(iv) ? innerAside : inner)[ik] = iv;
      kept[k] = inner;
      aside[k] = innerAside;
    } else aside[k] = v;
  }
  return { data: kept, aside };
}
