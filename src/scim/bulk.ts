// The Bulk messages (RFC 7644 3.7): parsing a BulkRequest, and the `bulkId:` cross-references
// between its operations (finding, resolving, and setting aside those that form a cycle).
import { scimErrors } from './errors.ts';
import { BULK_REQUEST_SCHEMA } from './schema/urns.ts';
import { copyOf, isObject, setOwn, type JsonObject } from './values.ts';

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

// RFC 7644 3.7.2: a `bulkId:` reference stands where a resource id would, so only there: the
// `value` of a reference (members, manager, any `{value, $ref}`), a manager given as a bare
// id (Entra's and Genesys' form), a PATCH operation's value when its path names such an
// attribute, and a segment of an operation's path (/Groups/bulkId:x). Any other string that
// happens to contain "bulkId:" (a title, a display name) is data and stays as sent.
const REF_ATTRIBUTES = new Set(['members', 'manager']);

/** Whether a PATCH path names a reference attribute: `members`, `manager`, `...:manager.value`, `members[...]`. */
function pathNamesReference(path: string): boolean {
  const plain = path.replace(/\[[^\]]*\]/g, '');
  return plain.slice(plain.lastIndexOf(':') + 1).toLowerCase().split('.').some((a) => REF_ATTRIBUTES.has(a));
}

/**
 * Visits every reference position of a resource or PatchOp body; `visit` returns the
 * replacement string. `atRef`: the value stands where an id would (a member, a manager).
 * Returns a copy only when something was replaced, so that the walk also serves to collect.
 */
function mapRefPositions(value: unknown, visit: (ref: string) => string | undefined, atRef = false): unknown {
  if (typeof value === 'string') {
    const m = atRef ? REF.exec(value) : null;
    return m ? (visit(m[1]) ?? value) : value;
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((v, i) => {
      const r = mapRefPositions(v, visit, atRef);
      if (r !== v) (out ??= value.slice())[i] = r;
    });
    return out ?? value;
  }
  if (!isObject(value)) return value;
  const isRef = atRef || Object.keys(value).some((k) => k.toLowerCase() === '$ref');
  // A PATCH operation: its value is a reference when its path names a reference attribute.
  const patchOp = typeof value.op === 'string' && 'value' in value;
  let out: JsonObject | undefined;
  for (const [k, v] of Object.entries(value)) {
    const lower = k.toLowerCase();
    const childAtRef = REF_ATTRIBUTES.has(lower) || (lower === 'value' && (isRef || (patchOp && typeof value.path === 'string' && pathNamesReference(value.path))));
    const r = mapRefPositions(v, visit, childAtRef);
    if (r !== v) setOwn((out ??= copyOf(value)), k, r);
  }
  return out ?? value;
}

/** Visits each `bulkId:x` segment of an operation's path; `visit` returns the replacement. */
function mapPathRefs(path: string, visit: (ref: string) => string | undefined): string {
  return path.split('/').map((part) => { const m = REF.exec(part); return m ? (visit(m[1]) ?? part) : part; }).join('/');
}

/** The bulkIds an operation's path refers to (its `bulkId:x` segments). */
export function bulkRefsInPath(path: string, out = new Set<string>()): Set<string> {
  mapPathRefs(path, (ref) => {
    out.add(ref);
    return undefined;
  });
  return out;
}

/** Every `bulkId:` reference in a resource or PatchOp body, at the positions RFC 7644 3.7.2 gives them. */
export function bulkRefsIn(value: unknown, out = new Set<string>()): Set<string> {
  mapRefPositions(value, (ref) => {
    out.add(ref);
    return undefined;
  });
  return out;
}

/** The path with each resolved `bulkId:` segment replaced by the id it stands for. */
export function resolveBulkPath(path: string, ids: ReadonlyMap<string, string>): string {
  return mapPathRefs(path, (ref) => ids.get(ref));
}

/** The body with each resolved `bulkId:` reference replaced by the id it stands for (input unchanged). */
export function resolveBulkRefs<T>(value: T, ids: ReadonlyMap<string, string>): T {
  return mapRefPositions(value, (ref) => ids.get(ref)) as T;
}

/**
 * Breaks a cycle (RFC 7644 3.7.1): the POST data without the attributes that refer to
 * unresolved bulkIds, and those attributes apart, to be added by a PATCH once every resource
 * exists. Attributes are set aside whole (top level, or one level inside an extension).
 */
export function setAsideRefs(data: JsonObject, unresolved: ReadonlySet<string>): { data: JsonObject; aside: JsonObject } {
  // An attribute of the resource (or of an extension) is a reference position when it is one of REF_ATTRIBUTES.
  const refersUnresolved = (k: string, v: unknown) => {
    let found = false;
    mapRefPositions(v, (ref) => {
      found ||= unresolved.has(ref);
      return undefined;
    }, REF_ATTRIBUTES.has(k.toLowerCase()));
    return found;
  };
  const kept: JsonObject = {};
  const aside: JsonObject = {};
  for (const [k, v] of Object.entries(data)) {
    if (!refersUnresolved(k, v)) setOwn(kept, k, v);
    else if (isObject(v) && k.toLowerCase().startsWith('urn:')) {
      const inner: JsonObject = {};
      const innerAside: JsonObject = {};
      for (const [ik, iv] of Object.entries(v)) setOwn(refersUnresolved(ik, iv) ? innerAside : inner, ik, iv);
      setOwn(kept, k, inner);
      setOwn(aside, k, innerAside);
    } else setOwn(aside, k, v);
  }
  return { data: kept, aside };
}
