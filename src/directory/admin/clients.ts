// /api/v2/oauth/clients: client-credentials clients with roles granted per division.
// The secret is returned once (create, rotate) as `secret`; only its digest is stored.
// Disabling, deleting or rotating a client revokes its tokens.
import { randomUUID } from 'node:crypto';
import { ALL_DIVISIONS, canGrant, divisionsWith } from '../../auth/permissions.ts';
import { digest, generateSecret } from '../../auth/secrets.ts';
import { TOKEN_LIFETIME_RANGE, type TokenService } from '../../auth/token-service.ts';
import { isObject, scimErrors } from '../../scim/index.ts';
import { UniqueViolation, type FederatedCredential, type OAuthClient, type Repository, type RoleDivision, type SecretTokenInfo, type Store } from '../../store/contract.ts';
import { checkIssuerUrl } from '../../auth/client-assertion.ts';
import { actorOf, diffAttributes, writeAudit } from '../../trail/audit.ts';
import { assertAdministratorRemains } from './last-admin.ts';
import { body, oneOf, pageParams, requiredString, requirePermission, toPage, type AdminContext, type EntityPage } from './context.ts';

/** Secret tokens (Entra's "Secret Token" field): the longest and the usual lifetime, in days. */
export const SECRET_TOKEN_DAYS = Object.freeze({ max: 365, default: 180 });
/** How long before its expiry a secret token is reported (the Connect page, the metric). */
export const SECRET_TOKEN_WARNING_MS = 7 * 86_400_000;

export interface SecretTokenEntity {
  id: string;
  clientId: string;
  clientName: string;
  dateCreated: string;
  dateExpires: string;
  /** Expires within SECRET_TOKEN_WARNING_MS. */
  expiresSoon: boolean;
  /** Only in the answer that issues it. */
  token?: string;
}

export interface ClientEntity {
  id: string;
  name: string;
  authorizedGrantType: 'CLIENT-CREDENTIALS';
  roleDivisions: RoleDivision[];
  state: OAuthClient['state'];
  /** Seconds its tokens live: its own setting, or the server's default. */
  accessTokenValiditySeconds: number;
  /** Workload identity federation: the JWTs that authenticate it instead of its secret. */
  federation?: FederatedCredential;
  dateCreated: string;
  selfUri: string;
  /** Only in the create and rotate responses. */
  secret?: string;
}

/** One client per issuer and subject: the JWT names the client it authenticates. */
async function federated(write: Promise<void>, f: FederatedCredential | undefined): Promise<void> {
  try {
    await write;
  } catch (e) {
    if (e instanceof UniqueViolation && f) throw scimErrors.conflict(`Another client already federates with issuer ${f.issuer} and subject ${f.subject}`);
    throw e;
  }
}

const actor = (ctx: AdminContext) => actorOf({ org: ctx.org, principal: ctx.principal, requestId: ctx.requestId });
/**
 * Whether every grant of the client lies in divisions where the caller holds `permission`:
 * a division-scoped administrator sees and manages only the clients of its own divisions.
 */
function withinScope(ctx: AdminContext, grants: readonly RoleDivision[], permission: string): boolean {
  const scope = divisionsWith(ctx.principal, [permission]);
  return scope === ALL_DIVISIONS || grants.every((rd) => rd.divisionId !== ALL_DIVISIONS && scope.includes(rd.divisionId));
}

const auditable = (c: OAuthClient) => ({ name: c.name, state: c.state, roleDivisions: c.roleDivisions, accessTokenValiditySeconds: c.accessTokenValiditySeconds, federation: c.federation });

/**
 * `federation`: who may authenticate as the client with a JWT instead of its secret (workload
 * identity federation, RFC 7523). `null` removes it; absent keeps `fallback`. The audience
 * defaults to this server's token endpoint.
 */
function readFederation(b: Record<string, unknown>, fallback: FederatedCredential | undefined, tokenEndpoint: string): FederatedCredential | undefined {
  const v = b.federation;
  if (v === undefined) return fallback;
  if (v === null) return undefined;
  if (!isObject(v)) throw scimErrors.badRequest('"federation" must be an object {issuer, subject, audience?, jwksUri?} or null');
  const text = (k: string, optional: boolean): string | undefined => {
    const x = v[k];
    if (x === undefined && optional) return undefined;
    if (typeof x !== 'string' || x.trim() === '' || x.length > 1024) throw scimErrors.badRequest(`federation.${k} must be a non-empty string of at most 1024 characters`);
    return x.trim();
  };
  const issuer = text('issuer', false)!;
  const jwksUri = text('jwksUri', true);
  try {
    checkIssuerUrl(issuer, 'federation.issuer');
    if (jwksUri) checkIssuerUrl(jwksUri, 'federation.jwksUri');
  } catch (e) {
    throw scimErrors.badRequest((e as Error).message);
  }
  return { issuer, subject: text('subject', false)!, audience: text('audience', true) ?? tokenEndpoint, ...(jwksUri ? { jwksUri } : {}) };
}

/** `accessTokenValiditySeconds` as Genesys takes it: whole seconds from 5 min to 48 h; absent keeps `fallback`. */
function readLifetime(b: Record<string, unknown>, fallback: number | undefined): number | undefined {
  const v = b.accessTokenValiditySeconds;
  if (v === undefined) return fallback;
  const { min, max } = TOKEN_LIFETIME_RANGE;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw scimErrors.badRequest(`accessTokenValiditySeconds must be a whole number of seconds from ${min} (5 minutes) to ${max} (48 hours)`);
  return v;
}

export class ClientAdmin {
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenService,
  ) {}

  private entity(c: OAuthClient, secret?: string): ClientEntity {
    return {
      id: c.id, name: c.name, authorizedGrantType: 'CLIENT-CREDENTIALS', roleDivisions: c.roleDivisions.map((rd) => ({ ...rd })),
      state: c.state, accessTokenValiditySeconds: c.accessTokenValiditySeconds ?? this.tokens.defaultLifetimeSeconds, ...(c.federation ? { federation: { ...c.federation } } : {}), dateCreated: c.created, selfUri: `/api/v2/oauth/clients/${c.id}`, ...(secret ? { secret } : {}),
    };
  }

  private async find(repo: Repository, ctx: AdminContext, id: string, permission: string): Promise<OAuthClient> {
    requirePermission(ctx, permission);
    const c = await repo.getClient(id);
    if (!c || c.orgId !== ctx.org.id || !withinScope(ctx, c.roleDivisions, permission)) throw scimErrors.notFound(`OAuth client ${id} not found`);
    return c;
  }

  /** Roles and divisions must exist in the caller's organization ('*' = every division). */
  private async readGrants(repo: Repository, ctx: AdminContext, raw: unknown, permission: string): Promise<RoleDivision[]> {
    if (!Array.isArray(raw)) throw scimErrors.badRequest('"roleDivisions" must be a list of {roleId, divisionId}');
    const out: RoleDivision[] = [];
    for (const rd of raw) {
      if (!isObject(rd) || typeof rd.roleId !== 'string' || typeof rd.divisionId !== 'string') throw scimErrors.badRequest('Each roleDivision needs a roleId and a divisionId');
      const roleId = rd.roleId;
      const divisionId = rd.divisionId;
      const role = await repo.getRole(ctx.org.id, roleId);
      if (!role) throw scimErrors.badRequest(`Role ${roleId} does not exist`);
      if (divisionId !== ALL_DIVISIONS && !(await repo.getDivision(ctx.org.id, divisionId))) throw scimErrors.badRequest(`Division ${divisionId} does not exist`);
      const beyond = role.permissions.filter((perm) => !canGrant(ctx.principal, perm, divisionId));
      if (beyond.length > 0) {
        throw scimErrors.forbidden(`Role "${role.name}" grants ${beyond.join(', ')} on ${divisionId === ALL_DIVISIONS ? 'every division' : `division ${divisionId}`}, which this client does not hold itself`);
      }
      out.push({ roleId, divisionId });
    }
    if (!withinScope(ctx, out, permission)) {
      throw scimErrors.forbidden(`This client may only grant roles on divisions where it holds ${permission}`);
    }
    return out;
  }

  private readGrantType(b: Record<string, unknown>): void {
    const t = b.authorizedGrantType;
    if (t !== undefined && t !== 'CLIENT-CREDENTIALS') throw scimErrors.badRequest('authorizedGrantType must be CLIENT-CREDENTIALS');
  }

  async list(ctx: AdminContext, query: Record<string, unknown>): Promise<EntityPage<ClientEntity>> {
    requirePermission(ctx, 'oauth:client:view');
    const visible = (await this.store.listClients(ctx.org.id)).filter((c) => withinScope(ctx, c.roleDivisions, 'oauth:client:view'));
    return toPage(visible.map((c) => this.entity(c)), pageParams(query));
  }

  async get(ctx: AdminContext, id: string): Promise<ClientEntity> {
    return this.entity(await this.find(this.store, ctx, id, 'oauth:client:view'));
  }

  async create(ctx: AdminContext, input: unknown): Promise<ClientEntity> {
    requirePermission(ctx, 'oauth:client:add');
    const b = body(input);
    this.readGrantType(b);
    const secret = generateSecret();
    const lifetime = readLifetime(b, undefined);
    const federation = readFederation(b, undefined, `${ctx.publicUrl}/oauth/token`);
    return this.store.transaction(async (tx) => {
      const c: OAuthClient = {
        id: randomUUID(), orgId: ctx.org.id, name: requiredString(b, 'name'), secretHash: digest(secret),
        state: oneOf(b, 'state', ['active', 'inactive'] as const, 'active'), roleDivisions: await this.readGrants(tx, ctx, b.roleDivisions ?? [], 'oauth:client:add'),
        created: new Date().toISOString(), ...(lifetime !== undefined ? { accessTokenValiditySeconds: lifetime } : {}), ...(federation ? { federation } : {}),
      };
      await federated(tx.createClient(c), federation);
      await writeAudit(tx, actor(ctx), 'create', 'OAuthClient', c.id, { ...diffAttributes(undefined, auditable(c)), secret: { after: '[redacted]' } });
      return this.entity(c, secret);
    });
  }

  async update(ctx: AdminContext, id: string, input: unknown): Promise<ClientEntity> {
    const b = body(input);
    this.readGrantType(b);
    const result = await this.store.transaction(async (tx) => {
      const c = await this.find(tx, ctx, id, 'oauth:client:edit');
      const lifetime = readLifetime(b, c.accessTokenValiditySeconds);
      const federation = readFederation(b, c.federation, `${ctx.publicUrl}/oauth/token`);
      const { federation: _old, ...rest } = c;
      const next: OAuthClient = {
        ...rest, ...(federation ? { federation } : {}), name: requiredString(b, 'name'), state: oneOf(b, 'state', ['active', 'inactive'] as const, c.state),
        roleDivisions: b.roleDivisions === undefined ? c.roleDivisions : await this.readGrants(tx, ctx, b.roleDivisions, 'oauth:client:edit'),
        ...(lifetime !== undefined ? { accessTokenValiditySeconds: lifetime } : {}),
      };
      await assertAdministratorRemains(tx, ctx.org.id, { client: { id, next } }, `changing client "${c.name}"`);
      await federated(tx.updateClient(next), federation);
      if (next.state === 'inactive' && c.state === 'active') await tx.deleteTokensOfClient(id);
      const changes = diffAttributes(auditable(c), auditable(next));
      if (Object.keys(changes).length > 0) await writeAudit(tx, actor(ctx), 'update', 'OAuthClient', id, changes);
      return this.entity(next);
    });
    await this.tokens.invalidateClient(id);
    return result;
  }

  async rotateSecret(ctx: AdminContext, id: string): Promise<ClientEntity> {
    const secret = generateSecret();
    const result = await this.store.transaction(async (tx) => {
      const c = await this.find(tx, ctx, id, 'oauth:client:edit');
      const next = { ...c, secretHash: digest(secret) };
      await tx.updateClient(next);
      await tx.deleteTokensOfClient(id);
      await writeAudit(tx, actor(ctx), 'rotateSecret', 'OAuthClient', id, { secret: { before: '[redacted]', after: '[redacted]' } });
      return this.entity(next, secret);
    });
    await this.tokens.invalidateClient(id);
    return result;
  }

  /**
   * A secret token for `id`: a bearer token that lives `expiresInDays` (1 to 365, default
   * 180), for identity providers that take a token rather than client credentials. Shown
   * once, stored as a digest, listed and revoked by its id; rotating the client's secret or
   * disabling the client revokes it too.
   */
  async issueSecretToken(ctx: AdminContext, id: string, input: unknown): Promise<SecretTokenEntity> {
    const b = input === undefined || input === null ? {} : body(input);
    const days = b.expiresInDays === undefined ? SECRET_TOKEN_DAYS.default : b.expiresInDays;
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > SECRET_TOKEN_DAYS.max) {
      throw scimErrors.badRequest(`expiresInDays must be a whole number of days from 1 to ${SECRET_TOKEN_DAYS.max}`);
    }
    const token = generateSecret();
    const now = Date.now();
    return this.store.transaction(async (tx) => {
      const c = await this.find(tx, ctx, id, 'oauth:client:edit');
      if (c.state !== 'active') throw scimErrors.badRequest(`OAuth client "${c.name}" is disabled: enable it first`);
      const secret = { id: randomUUID(), created: now };
      const expiresAt = now + days * 86_400_000;
      await tx.insertToken({ tokenHash: digest(token), clientId: c.id, orgId: c.orgId, expiresAt, secret });
      await writeAudit(tx, actor(ctx), 'issueSecretToken', 'OAuthClient', c.id, { secretToken: { after: secret.id }, expires: { after: new Date(expiresAt).toISOString() } });
      return { ...this.secretEntity(c, { id: secret.id, clientId: c.id, created: now, expiresAt }), token };
    });
  }

  private secretEntity(c: OAuthClient, t: SecretTokenInfo): SecretTokenEntity {
    return {
      id: t.id, clientId: c.id, clientName: c.name, dateCreated: new Date(t.created).toISOString(), dateExpires: new Date(t.expiresAt).toISOString(),
      expiresSoon: t.expiresAt - Date.now() <= SECRET_TOKEN_WARNING_MS,
    };
  }

  /** The secret tokens of one client, or of every client the caller may view; soonest to expire first. */
  async secretTokens(ctx: AdminContext, clientId?: string): Promise<EntityPage<SecretTokenEntity>> {
    let clients: OAuthClient[];
    if (clientId !== undefined) clients = [await this.find(this.store, ctx, clientId, 'oauth:client:view')];
    else {
      requirePermission(ctx, 'oauth:client:view');
      clients = (await this.store.listClients(ctx.org.id)).filter((c) => withinScope(ctx, c.roleDivisions, 'oauth:client:view'));
    }
    const byId = new Map(clients.map((c) => [c.id, c]));
    const tokens = (await this.store.listSecretTokens(ctx.org.id, clientId)).filter((t) => byId.has(t.clientId));
    const entities = tokens.map((t) => this.secretEntity(byId.get(t.clientId)!, t));
    return { entities, pageSize: entities.length, pageNumber: 1, total: entities.length, pageCount: 1 };
  }

  async revokeSecretToken(ctx: AdminContext, clientId: string, tokenId: string): Promise<void> {
    await this.store.transaction(async (tx) => {
      const c = await this.find(tx, ctx, clientId, 'oauth:client:edit');
      if (!(await tx.deleteSecretToken(ctx.org.id, c.id, tokenId))) throw scimErrors.notFound(`Secret token ${tokenId} of OAuth client ${c.name} not found`);
      await writeAudit(tx, actor(ctx), 'revokeSecretToken', 'OAuthClient', c.id, { secretToken: { before: tokenId } });
    });
    await this.tokens.invalidateClient(clientId);
  }

  async delete(ctx: AdminContext, id: string): Promise<void> {
    await this.store.transaction(async (tx) => {
      const c = await this.find(tx, ctx, id, 'oauth:client:delete');
      await assertAdministratorRemains(tx, ctx.org.id, { client: { id, next: undefined } }, `deleting client "${c.name}"`);
      await tx.deleteTokensOfClient(id);
      if (!(await tx.deleteClient(ctx.org.id, id))) throw scimErrors.notFound(`OAuth client ${id} not found`);
      await writeAudit(tx, actor(ctx), 'delete', 'OAuthClient', id, diffAttributes(auditable(c), undefined));
    });
    await this.tokens.invalidateClient(id);
  }
}
