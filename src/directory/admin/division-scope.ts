// What webhook subscriptions and provisioning jobs share: each may be limited to divisions,
// and a caller holding a permission only on some divisions sees and makes only ones that lie
// within them (one without divisions covers every division, so it needs every division).
import { ALL_DIVISIONS, divisionsWith } from '../../auth/permissions.ts';
import { scimErrors, type JsonObject } from '../../scim/index.ts';
import type { Store } from '../../store/contract.ts';
import type { AdminContext } from './context.ts';

/** The caller's divisions for `permission`: undefined for every division. */
export function callerDivisions(ctx: AdminContext, permission: string): readonly string[] | undefined {
  const d = divisionsWith(ctx.principal, [permission]);
  return d === ALL_DIVISIONS ? undefined : d;
}

/** Whether something limited to `divisions` (undefined: every division) lies within what the caller holds `permission` on. */
export function withinCaller(ctx: AdminContext, divisions: readonly string[] | undefined, permission: string): boolean {
  const scope = callerDivisions(ctx, permission);
  return scope === undefined || (divisions !== undefined && divisions.every((d) => scope.includes(d)));
}

/**
 * The divisions a body's `divisionIds` asks for (absent: `current`, or for a new one the
 * caller's own), checked: existing divisions, each one the caller holds `permission` on.
 */
export async function askedDivisions(ctx: AdminContext, store: Store, b: JsonObject, permission: string, current: readonly string[] | undefined, what: string): Promise<readonly string[] | undefined> {
  const scope = callerDivisions(ctx, permission);
  let d: readonly string[] | undefined = b.divisionIds === undefined ? current ?? scope : (b.divisionIds as readonly string[] | null) ?? undefined;
  if (d !== undefined) {
    if (!Array.isArray(d) || d.length === 0 || d.some((x) => typeof x !== 'string')) throw scimErrors.badRequest('divisionIds must be a non-empty list of division ids, or null for every division');
    for (const x of d) if (!(await store.getDivision(ctx.org.id, x))) throw scimErrors.badRequest(`Division ${x} does not exist`);
    d = [...new Set(d)];
  }
  if (scope !== undefined && (d === undefined || d.some((x) => !scope.includes(x)))) throw scimErrors.forbidden(`${permission} is held only on some divisions: ${what} those`);
  return d;
}
