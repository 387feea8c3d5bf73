// The audit trail: one record per accepted change, written in the change's own transaction,
// with the before/after of each changed attribute. Secrets never reach it. Below both the
// token service (failed logins) and the directory (changes): it needs only the store and the
// SCIM core's values.
import { randomUUID } from 'node:crypto';
import { deepEqual, isObject, type JsonObject } from '../scim/index.ts';
import type { AuditRecord, Repository } from '../store/contract.ts';

export interface Actor {
  readonly orgId: string;
  readonly clientId?: string;
  readonly requestId?: string;
}

const REDACTED = '[redacted]';
const SECRET_KEYS = new Set(['password', 'secret', 'secrethash', 'passwordhash', 'clientsecret']);
const IGNORED = new Set(['meta', 'schemas']);

function redact(key: string, v: unknown): unknown {
  if (v === undefined) return undefined;
  return SECRET_KEYS.has(key.toLowerCase()) ? REDACTED : v;
}

/** Top-level attributes (extension attributes as `urn:...:name`) whose values differ. */
export function diffAttributes(before: JsonObject | undefined, after: JsonObject | undefined): AuditRecord['changes'] {
  const flat = (r: JsonObject | undefined): Map<string, unknown> => {
    const m = new Map<string, unknown>();
    for (const [k, v] of Object.entries(r ?? {})) {
      if (IGNORED.has(k)) continue;
      if (k.startsWith('urn:') && isObject(v)) for (const [sk, sv] of Object.entries(v)) m.set(`${k}:${sk}`, sv);
      else m.set(k, v);
    }
    return m;
  };
  const a = flat(before);
  const b = flat(after);
  const changes: Record<string, { before?: unknown; after?: unknown }> = {};
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key);
    const y = b.get(key);
    if (deepEqual(x, y)) continue;
    const leaf = key.slice(key.lastIndexOf(':') + 1);
    changes[key] = { ...(x !== undefined ? { before: redact(leaf, x) } : {}), ...(y !== undefined ? { after: redact(leaf, y) } : {}) };
  }
  return changes;
}

/**
 * The audit key that names attributes a write left out because no schema defines them
 * (standard profile, Registry.ignoreUnknownAttributes). `@` starts no attribute name.
 */
export const IGNORED_ATTRIBUTES = '@ignored';
const MAX_IGNORED_NAMES = 20;

/** The audit entry for attributes a write ignored, or nothing when it ignored none. */
export function ignoredChange(ignored: readonly string[]): AuditRecord['changes'] {
  if (ignored.length === 0) return {};
  const names = ignored.slice(0, MAX_IGNORED_NAMES).map((n) => n.slice(0, 200));
  return { [IGNORED_ATTRIBUTES]: { after: ignored.length > MAX_IGNORED_NAMES ? [...names, `and ${ignored.length - MAX_IGNORED_NAMES} more`] : names } };
}

export function auditRecord(
  actor: Actor,
  action: string,
  resourceType: string,
  resourceId: string,
  changes: AuditRecord['changes'],
  /** The division of the user the record describes, so that division-scoped viewers see it. */
  divisionId?: string,
): AuditRecord {
  return {
    divisionId,
    id: randomUUID(),
    orgId: actor.orgId,
    time: new Date().toISOString(),
    clientId: actor.clientId,
    requestId: actor.requestId,
    action,
    resourceType,
    resourceId,
    changes,
  };
}

export async function writeAudit(repo: Repository, ...record: Parameters<typeof auditRecord>): Promise<void> {
  await repo.insertAudit(auditRecord(...record));
}

export const actorOf = (ctx: { org: { id: string }; principal: { clientId: string }; requestId: string }): Actor => ({
  orgId: ctx.org.id,
  clientId: ctx.principal.clientId,
  requestId: ctx.requestId,
});
