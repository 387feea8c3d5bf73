// What a user's console grants would hand to whoever can sign in as that user. Setting a
// password is signing in by another name: it needs the caller to be able to grant every one
// of the user's console grants itself (the rule setting grants follows), so that no path
// (SCIM, Bulk, the admin API, the console) hands a caller more than its own rights.
// docs/security.md, "Changing a console user".
import { ALL_DIVISIONS, permissionsBeyond, type Principal } from '../auth/permissions.ts';
import { scimErrors } from '../scim/index.ts';
import type { Repository, UserRow } from '../store/contract.ts';

/** The user's console grants that the caller could not grant itself, as people read them ("Admin on every division"). */
export async function grantsBeyond(store: Repository, principal: Principal, user: UserRow): Promise<string[]> {
  const out: string[] = [];
  for (const g of await store.listUserGrants(user.orgId, user.id)) {
    const role = await store.getRole(user.orgId, g.roleId);
    if (!role || permissionsBeyond(principal, role.permissions, g.divisionId).length === 0) continue;
    const where = g.divisionId === ALL_DIVISIONS ? 'every division' : `division "${(await store.getDivision(user.orgId, g.divisionId))?.name ?? g.divisionId}"`;
    out.push(`${role.name} on ${where}`);
  }
  return out;
}

/** 403 unless the caller could grant every console grant of `user` itself. */
export async function requireMaySignInAs(store: Repository, principal: Principal, user: UserRow, what: string): Promise<void> {
  const beyond = await grantsBeyond(store, principal, user);
  if (beyond.length > 0) {
    throw scimErrors.forbidden(`${what} of "${user.userName}" is refused: this user holds console rights (${beyond.join('; ')}) that you could not grant yourself, and whoever sets the password can sign in with them`);
  }
}
