// Creating an organization: its Home division, an Admin role (every permission), a
// "SCIM Provisioning" role (what Entra's requests need, for scoped provisioning clients) and an
// admin client holding Admin on every division. Used by first-run bootstrap and
// `scimitar org create`.
import { randomUUID } from 'node:crypto';
import { ALL_DIVISIONS } from '../auth/permissions.ts';
import { digest, generateSecret } from '../auth/secrets.ts';
import { writeAudit } from '../trail/audit.ts';
import { UniqueViolation, type Organization, type ScimProfile, type Store } from '../store/contract.ts';

/**
 * What an identity provider's requests need (Genesys Cloud's names): users and groups, and
 * assigning skills, languages and extensions. Not `directory:user:setPassword` (no default
 * Entra mapping sends a password) nor `authorization:grant:*`: a provisioning token is no
 * administrator's key (docs/security.md). Migration 10 narrows the role of organizations
 * created with the earlier, wider default.
 */
export const SCIM_PROVISIONING_PERMISSIONS = Object.freeze([
  'directory:user:view',
  'directory:user:add',
  'directory:user:edit',
  'directory:user:delete',
  'directory:group:*',
  'routing:skill:assign',
  'routing:language:assign',
  'telephony:extension:assign',
]);
export const SCIM_PROVISIONING_DESCRIPTION = 'What an identity provider needs: users, groups, skills, languages and extensions';

export interface CreatedOrganization {
  readonly organization: Organization;
  readonly homeDivisionId: string;
  readonly adminRoleId: string;
  readonly scimRoleId: string;
  readonly clientId: string;
  /** Shown once; only its digest is stored. */
  readonly clientSecret: string;
}

export interface CreateOrganizationInput {
  readonly name: string;
  readonly scimProfile: ScimProfile;
  readonly clientId?: string;
  readonly clientSecret?: string;
}

export async function createOrganization(store: Store, input: CreateOrganizationInput): Promise<CreatedOrganization> {
  const now = new Date().toISOString();
  const organization: Organization = { id: randomUUID(), name: input.name, scimProfile: input.scimProfile, created: now };
  const homeDivisionId = randomUUID();
  const adminRoleId = randomUUID();
  const scimRoleId = randomUUID();
  const clientId = input.clientId ?? randomUUID();
  const clientSecret = input.clientSecret ?? generateSecret();
  await store.transaction(async (tx) => {
    await tx.createOrganization(organization);
    await tx.createDivision({ id: homeDivisionId, orgId: organization.id, name: 'Home', isHome: true, created: now });
    await tx.createRole({ id: adminRoleId, orgId: organization.id, name: 'Admin', description: 'Every permission', permissions: ['*'] });
    await tx.createRole({ id: scimRoleId, orgId: organization.id, name: 'SCIM Provisioning', description: SCIM_PROVISIONING_DESCRIPTION, permissions: SCIM_PROVISIONING_PERMISSIONS });
    await tx.createClient({
      id: clientId,
      orgId: organization.id,
      name: 'Admin client',
      secretHash: digest(clientSecret),
      state: 'active',
      roleDivisions: [{ roleId: adminRoleId, divisionId: ALL_DIVISIONS }],
      created: now,
    });
  });
  return { organization, homeDivisionId, adminRoleId, scimRoleId, clientId, clientSecret };
}

export interface BootstrapResult {
  readonly created?: CreatedOrganization;
  readonly organization: Organization;
}

/**
 * First run: with no organization yet, create "default" (genesys profile) with a SCIM client.
 * With SCIMITAR_BOOTSTRAP_CLIENT_ID/SECRET set, that client exists afterwards with that secret.
 */
export async function bootstrap(store: Store, clientId?: string, clientSecret?: string): Promise<BootstrapResult> {
  let orgs = await store.listOrganizations();
  if (orgs.length === 0) {
    try {
      const created = await createOrganization(store, { name: 'default', scimProfile: 'genesys', clientId, clientSecret });
      return { created, organization: created.organization };
    } catch (e) {
      // Another node bootstrapped the same empty database at the same moment: use its work.
      if (!(e instanceof UniqueViolation)) throw e;
      orgs = await store.listOrganizations();
    }
  }
  if (clientId && clientSecret) {
    const client = await store.getClient(clientId);
    if (client && client.secretHash !== digest(clientSecret)) await store.updateClient({ ...client, secretHash: digest(clientSecret) });
    if (!client) throw new Error(`SCIMITAR_BOOTSTRAP_CLIENT_ID ${clientId} does not exist in this store (it is only created on first run)`);
  }
  return { organization: orgs[0] };
}

export interface RecoveredAdmin {
  readonly clientId: string;
  /** Shown once; only its digest is stored. */
  readonly clientSecret: string;
}

/**
 * Recovery on the store itself (`scimitar recover-admin`): a new administrator client with
 * every permission on every division, for an organization whose administrator secrets are
 * lost. Audited as done by the local operator. Reuses a role holding `*`, or creates one.
 */
export async function recoverAdministrator(store: Store, orgId: string): Promise<RecoveredAdmin> {
  const clientId = randomUUID();
  const clientSecret = generateSecret();
  const now = new Date().toISOString();
  await store.transaction(async (tx) => {
    let role = (await tx.listRoles(orgId)).find((r) => r.permissions.includes('*'));
    if (!role) {
      role = { id: randomUUID(), orgId, name: `Admin (recovered ${now.slice(0, 10)})`, description: 'Every permission', permissions: ['*'] };
      await tx.createRole(role);
    }
    await tx.createClient({
      id: clientId, orgId, name: `Recovered admin ${now.slice(0, 19)}Z`, secretHash: digest(clientSecret), state: 'active',
      roleDivisions: [{ roleId: role.id, divisionId: ALL_DIVISIONS }], created: now,
    });
    await writeAudit(tx, { orgId, clientId: 'local-operator' }, 'recoverAdmin', 'OAuthClient', clientId, {
      name: { after: `Recovered admin ${now.slice(0, 19)}Z` }, roleDivisions: { after: [{ roleId: role.id, divisionId: ALL_DIVISIONS }] }, secret: { after: '[redacted]' },
    });
  });
  return { clientId, clientSecret };
}
