// An organization always keeps one way in: at least one active OAuth client that can
// administer clients and roles on every division. A change that would leave none (deleting,
// disabling or regranting the last such client, or taking the permissions out of its role)
// is refused with 409; `scimitar recover-admin` on the store is the way back otherwise.
import { ALL_DIVISIONS, can, type Grant } from '../../auth/permissions.ts';
import { scimErrors } from '../../scim/index.ts';
import type { OAuthClient, Repository, Role } from '../../store/contract.ts';

/** What makes a client an administrator: it can create and regrant clients and edit roles, everywhere. */
export const ADMIN_PERMISSIONS = Object.freeze(['oauth:client:add', 'oauth:client:edit', 'authorization:role:edit']);

export function isAdministrator(client: OAuthClient, roles: ReadonlyMap<string, Role>): boolean {
  if (client.state !== 'active') return false;
  const grants: Grant[] = client.roleDivisions.flatMap((rd) => {
    const role = roles.get(rd.roleId);
    return role ? [{ permissions: role.permissions, divisionId: rd.divisionId }] : [];
  });
  const principal = { orgId: client.orgId, clientId: client.id, grants };
  return ADMIN_PERMISSIONS.every((p) => can(principal, [p], ALL_DIVISIONS));
}

/**
 * Refuses a change when the organization had an administrator client before it and would
 * have none after it. `change` gives the clients and roles as they would be (a client mapped
 * to undefined is deleted).
 */
export async function assertAdministratorRemains(
  tx: Repository,
  orgId: string,
  change: { readonly client?: { id: string; next: OAuthClient | undefined }; readonly role?: Role },
  what: string,
): Promise<void> {
  // Two nodes removing two administrators at once must not both see the other remain.
  await tx.lockOrganization(orgId);
  const roles = new Map((await tx.listRoles(orgId)).map((r) => [r.id, r]));
  const clients = await tx.listClients(orgId);
  const before = clients.some((c) => isAdministrator(c, roles));
  if (!before) return;
  if (change.role) roles.set(change.role.id, change.role);
  const after = clients.flatMap((c) => (change.client && c.id === change.client.id ? (change.client.next ? [change.client.next] : []) : [c]));
  if (!after.some((c) => isAdministrator(c, roles))) {
    throw scimErrors.conflict(
      `Refused: ${what} would leave this organization without an administrator (an active client holding ${ADMIN_PERMISSIONS.join(', ')} on every division). Create or grant another administrator client first.`,
    );
  }
}
