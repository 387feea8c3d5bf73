// Permissions are `domain:entity:action` strings; a granted permission may use `*` for any
// segment (`directory:user:*`, `*`). Roles are granted per division ('*' = every division).

export interface Grant {
  readonly permissions: readonly string[];
  readonly divisionId: string;
}

export interface Principal {
  readonly orgId: string;
  readonly clientId: string;
  readonly grants: readonly Grant[];
}

export const ALL_DIVISIONS = '*';

export function permissionMatches(granted: string, wanted: string): boolean {
  if (granted === '*') return true;
  const g = granted.split(':');
  const w = wanted.split(':');
  if (g.length !== w.length) return false;
  return g.every((seg, i) => seg === '*' || seg === w[i]);
}

/** Whether the principal holds any of `permissions`, in `divisionId` (or in any division when omitted). */
export function can(p: Principal, permissions: readonly string[], divisionId?: string): boolean {
  return p.grants.some(
    (g) =>
      (divisionId === undefined || g.divisionId === ALL_DIVISIONS || g.divisionId === divisionId) &&
      g.permissions.some((held) => permissions.some((w) => permissionMatches(held, w))),
  );
}

/**
 * Whether the principal may hand `permission` to someone else on `divisionId` ('*' = every
 * division): it must hold a permission at least as broad, on that division (or on every
 * division when granting '*'). Stops a client that may create clients or edit roles from
 * granting more than it has.
 */
export function canGrant(p: Principal, permission: string, divisionId: string): boolean {
  return p.grants.some(
    (g) => (g.divisionId === ALL_DIVISIONS || (divisionId !== ALL_DIVISIONS && g.divisionId === divisionId)) && g.permissions.some((held) => permissionMatches(held, permission)),
  );
}

/** The permissions among `permissions` that the principal could not grant on `divisionId` itself. */
export function permissionsBeyond(p: Principal, permissions: readonly string[], divisionId: string): string[] {
  return permissions.filter((permission) => !canGrant(p, permission, divisionId));
}

/** Divisions in which the principal holds any of `permissions`: '*' for all of them. */
export function divisionsWith(p: Principal, permissions: readonly string[]): typeof ALL_DIVISIONS | string[] {
  const out = new Set<string>();
  for (const g of p.grants) {
    if (!g.permissions.some((held) => permissions.some((w) => permissionMatches(held, w)))) continue;
    if (g.divisionId === ALL_DIVISIONS) return ALL_DIVISIONS;
    out.add(g.divisionId);
  }
  return [...out];
}

/** Every permission the service checks somewhere: what a role can usefully hold (the console offers these). */
export const PERMISSION_CATALOGUE: readonly string[] = Object.freeze([
  'directory:user:view', 'directory:user:add', 'directory:user:edit', 'directory:user:delete', 'directory:user:setPassword',
  'directory:group:view', 'directory:group:add', 'directory:group:edit', 'directory:group:delete',
  'authorization:division:view', 'authorization:division:add', 'authorization:division:edit', 'authorization:division:delete',
  'authorization:role:view', 'authorization:role:add', 'authorization:role:edit', 'authorization:role:delete',
  'authorization:grant:add', 'authorization:grant:delete',
  'oauth:client:view', 'oauth:client:add', 'oauth:client:edit', 'oauth:client:delete',
  'routing:skill:manage', 'routing:skill:assign', 'routing:language:assign', 'telephony:extension:assign',
  'audits:audit:view',
  'events:feed:view',
  'webhooks:subscription:view', 'webhooks:subscription:add', 'webhooks:subscription:edit', 'webhooks:subscription:delete',
  'provisioning:job:view', 'provisioning:job:add', 'provisioning:job:edit', 'provisioning:job:delete', 'provisioning:job:run',
]);

/** The permissions of the SCIM routes, as Genesys Cloud names them. */
export const SCIM_PERMISSIONS = Object.freeze({
  userView: ['directory:user:view', 'directory:user:edit'],
  userAdd: ['directory:user:add'],
  userEdit: ['directory:user:edit'],
  userSetPassword: ['directory:user:setPassword'],
  userDelete: ['directory:user:delete'],
  groupEdit: ['directory:group:edit'],
  groupAdd: ['directory:group:add'],
  groupDelete: ['directory:group:delete'],
});

/**
 * The divisions in which the caller may view users, as a store division filter: undefined
 * for every division. A division-scoped caller never reads, adds or removes a user outside
 * them (members, managers, audit records), exactly as it cannot GET that user.
 */
export function userViewScope(p: Principal): readonly string[] | undefined {
  const d = divisionsWith(p, SCIM_PERMISSIONS.userView);
  return d === ALL_DIVISIONS ? undefined : d;
}

export const inScope = (scope: readonly string[] | undefined, divisionId: string | undefined): boolean =>
  scope === undefined || (divisionId !== undefined && scope.includes(divisionId));
