// Who is signed in to the console. Console users are directory users with a password; what
// they may do comes from roles granted to them per division (user_grants), through the
// same permission model as OAuth clients. Their principal's client id is `user:<id>`, so
// the audit trail and the activity feed name them. SCIM `roles` values are data only and
// grant nothing here: provisioning can never make a console administrator.
//
// Sessions: a 256-bit random cookie value, stored as its SHA-256 digest with a CSRF token;
// idle expiry 30 minutes, absolute 12 hours. Sign-in failures back off per user and per
// address (the token endpoint's throttle) and every sign-in, failed or not, is audited.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ALL_DIVISIONS, canGrant, permissionsBeyond, type Grant, type Principal } from '../auth/permissions.ts';
import { digest, generateSecret, hashPassword, passwordMatches } from '../auth/secrets.ts';
import { LOGIN_THROTTLE_DEFAULTS, LoginThrottle, type LoginThrottleOptions } from '../auth/login-throttle.ts';
import { writeAudit } from '../trail/audit.ts';
import { PATCH_OP_SCHEMA, scimErrors } from '../scim/index.ts';
import type { ConsoleSession, Organization, Store, UserGrant, UserRow } from '../store/contract.ts';
import type { Services } from '../services.ts';
import { scimContextOf, type AdminContext } from './admin/context.ts';

export const IDLE_MS = 30 * 60_000;
export const ABSOLUTE_MS = 12 * 3600_000;
export const SETUP_TTL_MS = 24 * 3600_000;
export const MIN_PASSWORD_LENGTH = 12;

export interface ConsoleCaller {
  readonly user: UserRow;
  readonly org: Organization;
  readonly principal: Principal;
  readonly session: ConsoleSession;
}

export class SignInError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds = 0,
  ) {
    super(message);
  }
}

const systemPrincipal = (orgId: string, clientId: string): Principal => ({ orgId, clientId, grants: [{ permissions: ['*'], divisionId: ALL_DIVISIONS }] });

export class ConsoleAuth {
  private readonly throttle: LoginThrottle;
  private readonly now: () => number;

  constructor(
    private readonly services: Services,
    options: { now?: () => number; loginThrottle?: LoginThrottleOptions } = {},
  ) {
    this.now = options.now ?? Date.now;
    const rules = { ...(options.loginThrottle ?? LOGIN_THROTTLE_DEFAULTS), now: this.now };
    this.throttle = new LoginThrottle(rules, services.throttles?.ledger('console', rules));
  }

  private get store(): Store {
    return this.services.store;
  }

  /** A one-time link that creates the organization's first console administrator. */
  async createSetupToken(orgId: string): Promise<string> {
    const token = generateSecret();
    await this.store.insertSetupToken(digest(token), orgId, this.now() + SETUP_TTL_MS);
    return token;
  }

  /** The principal a console user's grants make (roles resolved now: a role change applies at the next request). */
  async principalOf(orgId: string, userId: string): Promise<Principal> {
    const grants: Grant[] = [];
    for (const g of await this.store.listUserGrants(orgId, userId)) {
      const role = await this.store.getRole(orgId, g.roleId);
      if (role) grants.push({ permissions: role.permissions, divisionId: g.divisionId });
    }
    return { orgId, clientId: `user:${userId}`, grants };
  }

  private async userByName(org: Organization, userName: string): Promise<UserRow | undefined> {
    const ctx: AdminContext = { principal: systemPrincipal(org.id, 'console'), org, requestId: 'console', publicUrl: '' };
    const page = await this.services.users.rows(scimContextOf(ctx, this.services.registries), { filter: `userName eq ${JSON.stringify(userName)}`, count: '1' });
    return page.items[0];
  }

  /**
   * Uses the setup token: creates the user (Home division) with `password` and grants it the
   * organization's Admin role on every division. Single use, expiring, audited.
   */
  async completeSetup(token: string, input: { userName: string; displayName: string; password: string }, address: string): Promise<{ org: Organization; user: UserRow }> {
    if (input.password.length < MIN_PASSWORD_LENGTH) throw new SignInError(`The password needs at least ${MIN_PASSWORD_LENGTH} characters`);
    const orgId = await this.store.consumeSetupToken(digest(token), this.now());
    if (!orgId) throw new SignInError('This setup link was used already or has expired. Ask for a new one: scimitar console setup-link');
    const org = (await this.store.getOrganization(orgId))!;
    const ctx: AdminContext = { principal: systemPrincipal(org.id, 'console-setup'), org, requestId: `setup-${randomBytes(6).toString('hex')}`, publicUrl: '' };
    const admin = (await this.store.listRoles(org.id)).find((r) => r.permissions.includes('*'));
    if (!admin) throw new SignInError('This organization has no role with every permission to give its first administrator');
    const created = await this.services.users.create(scimContextOf(ctx, this.services.registries), { userName: input.userName, displayName: input.displayName, password: input.password, active: true });
    const userId = created.resource.id as string;
    await this.store.transaction(async (tx) => {
      await tx.setUserGrants(org.id, userId, [{ roleId: admin.id, divisionId: ALL_DIVISIONS }]);
      await writeAudit(tx, { orgId: org.id, clientId: 'console-setup', requestId: ctx.requestId }, 'console.setup', 'User', userId, { grants: { after: [`${admin.name} on all divisions`] }, address: { after: address } });
    });
    return { org, user: (await this.store.getUser(org.id, userId))! };
  }

  /** Checks the password; returns a new session's cookie value. */
  async signIn(org: Organization, userName: string, password: string, address: string): Promise<{ cookie: string; session: ConsoleSession }> {
    const keys = [`console:${org.id}:${userName.toLowerCase()}`, `console-address:${address}`];
    return this.throttle.guard(keys, (wait) => new SignInError(`Too many failed sign-ins: try again in ${wait} s`, wait), async () => {
      const user = await this.userByName(org, userName);
      const ok = user?.passwordHash ? await passwordMatches(password, user.passwordHash) : (await hashPassword(password), false);
      const grants = user && ok ? await this.store.listUserGrants(org.id, user.id) : [];
      const reason = !user ? 'unknown user' : !ok ? 'wrong password' : !user.active ? 'inactive user' : grants.length === 0 ? 'no console role' : undefined;
      if (reason) {
        await this.throttle.failed(keys);
        if (user) await writeAudit(this.store, { orgId: org.id, clientId: `user:${user.id}` }, 'console.signIn.failed', 'User', user.id, { address: { after: address }, reason: { after: reason } }, user.divisionId);
        // One answer for every reason but the last two, so that sign-in does not reveal which userNames exist.
        throw new SignInError(reason === 'inactive user' ? 'This user is disabled' : reason === 'no console role' ? 'This user holds no console role: an administrator can grant one' : 'Wrong email or password');
      }
      await this.throttle.succeeded(keys[0]);
      const cookie = generateSecret();
      const now = this.now();
      const session: ConsoleSession = { idHash: digest(cookie), orgId: org.id, userId: user!.id, csrf: generateSecret(), created: now, lastSeen: now };
      await this.store.insertSession(session);
      await writeAudit(this.store, { orgId: org.id, clientId: `user:${user!.id}` }, 'console.signIn', 'User', user!.id, { address: { after: address } }, user!.divisionId);
      return { cookie, session };
    });
  }

  /** The caller of a request bearing `cookie`, or undefined (no, expired or revoked session; a user disabled since). */
  async caller(cookie: string | undefined): Promise<ConsoleCaller | undefined> {
    if (!cookie) return undefined;
    const session = await this.store.getSession(digest(cookie));
    const now = this.now();
    if (!session) return undefined;
    if (now - session.lastSeen > IDLE_MS || now - session.created > ABSOLUTE_MS) {
      await this.store.deleteSession(session.idHash);
      return undefined;
    }
    const [user, org] = await Promise.all([this.store.getUser(session.orgId, session.userId), this.store.getOrganization(session.orgId)]);
    if (!user || !user.active || !org) return undefined;
    // Touched at most once a minute: a page view is not a write.
    if (now - session.lastSeen > 60_000) await this.store.touchSession(session.idHash, now);
    return { user, org, principal: await this.principalOf(org.id, user.id), session };
  }

  async signOut(caller: ConsoleCaller): Promise<void> {
    await this.store.deleteSession(caller.session.idHash);
    await writeAudit(this.store, { orgId: caller.org.id, clientId: caller.principal.clientId }, 'console.signOut', 'User', caller.user.id, {}, caller.user.divisionId);
  }

  /** The form's CSRF token equals the session's (constant time). */
  static csrfMatches(caller: ConsoleCaller, presented: unknown): boolean {
    if (typeof presented !== 'string') return false;
    const a = Buffer.from(presented);
    const b = Buffer.from(caller.session.csrf);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /**
   * Replaces a user's console grants. The caller needs `authorization:grant:add` and may only
   * grant roles whose every permission it holds on that division itself (as for clients).
   */
  async setGrants(ctx: AdminContext, userId: string, grants: readonly UserGrant[]): Promise<void> {
    if (!grants.every((g) => typeof g.roleId === 'string' && typeof g.divisionId === 'string')) throw scimErrors.badRequest('Each grant needs a roleId and a divisionId');
    const user = await this.services.admin.users.get(ctx, userId); // 404 outside the caller's divisions
    const current = await this.store.listUserGrants(ctx.org.id, userId);
    const key = (g: UserGrant) => `${g.roleId}@${g.divisionId}`;
    const added = grants.filter((g) => !current.some((c) => key(c) === key(g)));
    for (const g of added) {
      if (!canGrant(ctx.principal, 'authorization:grant:add', g.divisionId)) throw scimErrors.forbidden('Granting roles needs authorization:grant:add on that division');
      const role = await this.store.getRole(ctx.org.id, g.roleId);
      if (!role) throw scimErrors.badRequest(`Role ${g.roleId} does not exist`);
      if (g.divisionId !== ALL_DIVISIONS && !(await this.store.getDivision(ctx.org.id, g.divisionId))) throw scimErrors.badRequest(`Division ${g.divisionId} does not exist`);
      const beyond = permissionsBeyond(ctx.principal, role.permissions, g.divisionId);
      if (beyond.length > 0) throw scimErrors.forbidden(`Role "${role.name}" grants ${beyond.join(', ')}, which you do not hold on ${g.divisionId === ALL_DIVISIONS ? 'every division' : 'that division'}`);
    }
    const removed = current.filter((c) => !grants.some((g) => key(g) === key(c)));
    for (const g of removed) {
      if (!canGrant(ctx.principal, 'authorization:grant:delete', g.divisionId)) throw scimErrors.forbidden('Removing a grant needs authorization:grant:delete');
    }
    await this.store.transaction(async (tx) => {
      await tx.setUserGrants(ctx.org.id, userId, grants);
      await writeAudit(tx, { orgId: ctx.org.id, clientId: ctx.principal.clientId, requestId: ctx.requestId }, 'update', 'User', userId, { grants: { before: current.map(key), after: grants.map(key) } }, user.division.id);
    });
  }

  /**
   * A password set by an administrator (or its owner), through the SCIM user service's rules
   * (a console user's password only by a caller that could grant all its grants) and audit;
   * the user's sessions end there.
   */
  async setPassword(ctx: AdminContext, userId: string, password: string): Promise<void> {
    if (password.length < MIN_PASSWORD_LENGTH) throw scimErrors.badRequest(`The password needs at least ${MIN_PASSWORD_LENGTH} characters`);
    await this.services.users.patch(scimContextOf(ctx, this.services.registries), userId, { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'replace', path: 'password', value: password }] }, undefined);
  }
}

