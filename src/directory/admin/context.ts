// Shared pieces of the administration API services: caller context, permission checks,
// Genesys-style pages, input readers that turn untrusted JSON into typed values once.
import { ALL_DIVISIONS, can, type Principal } from '../../auth/permissions.ts';
import { isObject, scimErrors, type JsonObject, type Registry } from '../../scim/index.ts';
import type { CallContext } from '../context.ts';
import { UniqueViolation, type Organization } from '../../store/contract.ts';

export interface AdminContext {
  readonly principal: Principal;
  readonly org: Organization;
  readonly requestId: string;
  /** Absolute base URL, for selfUri. */
  readonly publicUrl: string;
}

export const SCIM_BASE_PATH = '/api/v2/scim/v2';

/** The SCIM call context of an administration caller (admin actions run through the SCIM services). */
export function scimContextOf(ctx: AdminContext, registries: Readonly<Record<string, Registry>>): CallContext {
  return { principal: ctx.principal, org: ctx.org, registry: registries[ctx.org.scimProfile], scimBaseUrl: `${ctx.publicUrl}${SCIM_BASE_PATH}`, requestId: ctx.requestId };
}

export function requirePermission(ctx: AdminContext, permission: string, divisionId?: string): void {
  if (!can(ctx.principal, [permission], divisionId)) throw scimErrors.forbidden(`Missing permission ${permission}`);
}

/**
 * Changes to what the whole organization shares (divisions, roles, routing names, groups'
 * own attributes) need the permission on every division: a division-scoped caller never
 * changes anything outside its divisions.
 */
export function requireOrgWide(ctx: AdminContext, permission: string): void {
  if (!can(ctx.principal, [permission], ALL_DIVISIONS)) {
    throw scimErrors.forbidden(`Missing permission ${permission} on every division (this changes what the whole organization shares)`);
  }
}

export interface EntityPage<T> {
  readonly entities: readonly T[];
  readonly pageSize: number;
  readonly pageNumber: number;
  readonly total: number;
  readonly pageCount: number;
}

export interface PageParams {
  readonly pageSize: number;
  readonly pageNumber: number;
}

export function pageParams(query: Record<string, unknown>): PageParams {
  const num = (name: string, def: number, max: number) => {
    const raw = query[name];
    if (raw === undefined) return def;
    // A number when the route schema coerced it; a string from the CLI's direct calls.
    const n = Number(raw);
    if ((typeof raw !== 'string' && typeof raw !== 'number') || !Number.isInteger(n) || n < 1 || n > max) throw scimErrors.badRequest(`${name} must be an integer from 1 to ${max}`);
    return n;
  };
  return { pageSize: num('pageSize', 25, 500), pageNumber: num('pageNumber', 1, 1_000_000) };
}

export function toPage<T>(all: readonly T[], p: PageParams): EntityPage<T> {
  const start = (p.pageNumber - 1) * p.pageSize;
  return { entities: all.slice(start, start + p.pageSize), pageSize: p.pageSize, pageNumber: p.pageNumber, total: all.length, pageCount: Math.ceil(all.length / p.pageSize) };
}

export function body(input: unknown): JsonObject {
  if (!isObject(input)) throw scimErrors.badRequest('The request body must be a JSON object');
  return input;
}

export function requiredString(o: JsonObject, key: string, max = 255): string {
  const v = o[key];
  if (typeof v !== 'string' || v.trim() === '') throw scimErrors.badRequest(`"${key}" is required and must be a non-empty string`);
  if (v.length > max) throw scimErrors.badRequest(`"${key}" is longer than ${max} characters`);
  return v.trim();
}

export function optionalString(o: JsonObject, key: string, max = 1024): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw scimErrors.badRequest(`"${key}" must be a string`);
  if (v.length > max) throw scimErrors.badRequest(`"${key}" is longer than ${max} characters`);
  return v;
}

export function oneOf<T extends string>(o: JsonObject, key: string, allowed: readonly T[], def: T): T {
  const v = o[key];
  if (v === undefined || v === null) return def;
  const found = allowed.find((a) => typeof v === 'string' && a.toLowerCase() === v.toLowerCase());
  if (!found) throw scimErrors.badRequest(`"${key}" must be one of ${allowed.join(', ')}`);
  return found;
}

/** Runs a write; a unique-constraint violation becomes 409 with `message` (duplicate names). */
export async function orConflict<T>(write: Promise<T>, message: string): Promise<T> {
  try {
    return await write;
  } catch (e) {
    if (e instanceof UniqueViolation) throw scimErrors.conflict(message);
    throw e;
  }
}
