// The OAuth 2.0 client-credentials grant (RFC 6749 4.4) and bearer-token resolution.
// Resolved principals are cached per token for `cacheTtlMs`, so the hot path costs no
// database round trip. A change to a client or role clears the cache of the node that made
// it at once and, on PostgreSQL, every other node's through the store's broadcast
// (LISTEN/NOTIFY); `cacheTtlMs` bounds what a lost notification can keep alive.
import type { OAuthClient, Store } from '../store/contract.ts';
import { oauthErrors } from './oauth-error.ts';
import type { Grant, Principal } from './permissions.ts';
import { LOGIN_THROTTLE_DEFAULTS, LoginThrottle, type LoginThrottleOptions } from './login-throttle.ts';
import type { ThrottleLedgers } from './throttle-ledger.ts';
import { AssertionError, AssertionVerifier, claimedIdentity } from './client-assertion.ts';
import { writeAudit } from '../trail/audit.ts';
import { digest, generateSecret, secretMatches } from './secrets.ts';

export interface TokenServiceOptions {
  readonly tokenTtlSeconds: number;
  readonly cacheTtlMs: number;
  readonly cacheMaxEntries: number;
  readonly now?: () => number;
  readonly loginThrottle?: LoginThrottleOptions;
  /** Ledgers shared by every node (Redis); without, this node's memory. */
  readonly throttles?: ThrottleLedgers;
}

/** The client a token request turned out to be, for the request log (the service has read it already). */
export interface ClientRef {
  readonly id: string;
  readonly orgId: string;
}

/** A token, and the client it was issued to. */
export interface Issue {
  readonly token: IssuedToken;
  readonly client: ClientRef;
}

/** A refused token request carries why (`reason`) and, when it named a known client, which one. */
const refused = (error: Error, reason: string | undefined, client: ClientRef | undefined) =>
  Object.assign(error, { reason, ...(client ? { client: { id: client.id, orgId: client.orgId } } : {}) });

export interface IssuedToken {
  readonly access_token: string;
  readonly token_type: 'bearer';
  readonly expires_in: number;
}

interface CacheEntry {
  readonly principal: Principal;
  readonly tokenExpiresAt: number;
  readonly cachedAt: number;
}

/** Genesys' range for a client's token lifetime (accessTokenValiditySeconds): 5 min to 48 h. */
export const TOKEN_LIFETIME_RANGE = Object.freeze({ min: 300, max: 172_800 });

export class TokenService {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly now: () => number;
  private readonly throttle: LoginThrottle;
  private readonly assertions: AssertionVerifier;

  /** The lifetime of tokens of a client that sets none (SCIMITAR_TOKEN_TTL, 24 h by default as Genesys). */
  get defaultLifetimeSeconds(): number {
    return this.options.tokenTtlSeconds;
  }

  constructor(
    private readonly store: Store,
    private readonly options: TokenServiceOptions,
  ) {
    this.now = options.now ?? Date.now;
    const rules = { ...(options.loginThrottle ?? LOGIN_THROTTLE_DEFAULTS), now: this.now };
    this.throttle = new LoginThrottle(rules, options.throttles?.ledger('token', rules));
    this.assertions = new AssertionVerifier(this.now);
  }

  /**
   * Client authentication and token issue (RFC 6749 4.4), throttled per client id and per
   * source address. Every evaluated failure of a known client writes an audit record in its
   * organization (address and reason, never the presented secret); the thrown error carries
   * the reason for the log line of an unknown client, which has no organization to audit in.
   */
  async issue(clientId: string, clientSecret: string, address: string): Promise<Issue> {
    const keys = [`client:${clientId}`, `address:${address}`];
    return this.throttle.guard(keys, (wait) => oauthErrors.throttled(wait), async () => {
      const client = await this.store.getClient(clientId);
      // Same answer whether the id or the secret is wrong: no client enumeration.
      const reason = !client ? 'unknown client' : !secretMatches(clientSecret, client.secretHash) ? 'wrong secret' : client.state !== 'active' ? 'inactive client' : undefined;
      if (reason || !client) {
        await this.throttle.failed(keys);
        if (client) {
          await writeAudit(this.store, { orgId: client.orgId, clientId: client.id }, 'login.failed', 'OAuthClient', client.id, { address: { after: address }, reason: { after: reason } });
        }
        throw refused(reason === 'inactive client' ? oauthErrors.invalidClient('Client is inactive') : oauthErrors.invalidClient(), reason, client);
      }
      await this.throttle.succeeded(keys[0]);
      return this.mint(client);
    });
  }

  /**
   * Token issue for a client that authenticates with a JWT (RFC 7523 2.2: workload identity
   * federation) instead of a secret, throttled and audited as `issue`. The JWT's issuer and
   * subject name the client; `clientId`, when the request sends one, must be that client.
   */
  async issueForAssertion(assertion: string, clientId: string | undefined, address: string): Promise<Issue> {
    let claimed: { issuer: string; subject: string };
    try {
      claimed = claimedIdentity(assertion);
    } catch (e) {
      throw oauthErrors.invalidClient(e instanceof AssertionError ? e.message : 'client_assertion is not a JWT');
    }
    const client = await this.store.getClientByFederation(claimed.issuer, claimed.subject);
    const keys = [`client:${client?.id ?? `${claimed.issuer} ${claimed.subject}`.slice(0, 512)}`, `address:${address}`];
    return this.throttle.guard(keys, (wait) => oauthErrors.throttled(wait), async () => {
      let reason: string | undefined;
      if (!client?.federation || (clientId !== undefined && clientId !== client.id)) reason = 'no client federates with this issuer and subject';
      else {
        try {
          await this.assertions.verify(client.federation, assertion);
          if (client.state !== 'active') reason = 'inactive client';
        } catch (e) {
          if (!(e instanceof AssertionError)) throw e;
          reason = e.message;
        }
      }
      if (reason || !client) {
        await this.throttle.failed(keys);
        if (client) await writeAudit(this.store, { orgId: client.orgId, clientId: client.id }, 'login.failed', 'OAuthClient', client.id, { address: { after: address }, reason: { after: reason } });
        // The reason is the client's to know (it holds the JWT it sent); no client is enumerated by it.
        throw refused(oauthErrors.invalidClient(reason === 'inactive client' ? 'Client is inactive' : `Client authentication failed: ${reason}`), reason, client);
      }
      await this.throttle.succeeded(keys[0]);
      return this.mint(client);
    });
  }

  private async mint(client: OAuthClient): Promise<Issue> {
    const token = generateSecret();
    const lifetime = client.accessTokenValiditySeconds ?? this.options.tokenTtlSeconds;
    const expiresAt = this.now() + lifetime * 1000;
    // One statement: one round trip on PostgreSQL; on SQLite it shares the batch's commit.
    await this.store.insertToken({ tokenHash: digest(token), clientId: client.id, orgId: client.orgId, expiresAt });
    return { token: { access_token: token, token_type: 'bearer', expires_in: lifetime }, client: { id: client.id, orgId: client.orgId } };
  }

  /**
   * Why a token that `authenticate` refused was refused (RFC 6750 3.1 error_description), and
   * whose it was when it is known (an expired token, or one of a disabled client).
   */
  async refusal(token: string): Promise<{ readonly why: string; readonly owner?: { readonly clientId: string; readonly orgId: string } }> {
    const record = await this.store.getToken(digest(token));
    if (!record) return { why: 'The access token is unknown or revoked' };
    const owner = { clientId: record.clientId, orgId: record.orgId };
    return { why: record.expiresAt <= this.now() ? 'The access token has expired' : 'The access token\'s client is disabled', owner };
  }

  /** The principal a bearer token stands for, or undefined for an unknown, expired or revoked token. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const hash = digest(token);
    const now = this.now();
    const hit = this.cache.get(hash);
    if (hit && now - hit.cachedAt < this.options.cacheTtlMs && now < hit.tokenExpiresAt) return hit.principal;
    if (hit) this.cache.delete(hash);
    const record = await this.store.getToken(hash);
    if (!record || record.expiresAt <= now) return undefined;
    const principal = await this.principalOf(record.clientId);
    if (!principal) return undefined;
    if (this.cache.size >= this.options.cacheMaxEntries) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(hash, { principal, tokenExpiresAt: record.expiresAt, cachedAt: now });
    return principal;
  }

  private async principalOf(clientId: string): Promise<Principal | undefined> {
    const client = await this.store.getClient(clientId);
    if (!client || client.state !== 'active') return undefined;
    const grants: Grant[] = [];
    for (const rd of client.roleDivisions) {
      const role = await this.store.getRole(client.orgId, rd.roleId);
      if (role) grants.push(Object.freeze({ permissions: role.permissions, divisionId: rd.divisionId }));
    }
    return Object.freeze({ orgId: client.orgId, clientId: client.id, grants: Object.freeze(grants) });
  }

  /** Revokes every token of a client; effective at once on every node. */
  async revokeClient(clientId: string): Promise<number> {
    const n = await this.store.deleteTokensOfClient(clientId);
    await this.invalidateClient(clientId);
    return n;
  }

  /** Forgets every cached principal, here and on every node (after a role changed). Call after the change committed. */
  async invalidateAll(): Promise<void> {
    this.forget('*');
    await this.tell('*');
  }

  /** Forgets a client's cached principals, here and on every node (after it changed). Call after the change committed. */
  async invalidateClient(clientId: string): Promise<void> {
    this.forget(`client:${clientId}`);
    await this.tell(`client:${clientId}`);
  }

  /** Hears the other nodes' invalidations (PostgreSQL); returns the stop function. */
  listen(): Promise<() => Promise<void>> {
    return this.store.subscribe((message) => this.forget(message));
  }

  /** The change has committed: a failed notification must not make it look failed (the cache bound still holds). */
  private async tell(message: string): Promise<void> {
    await this.store.broadcast(message).catch(() => undefined);
  }

  private forget(message: string): void {
    // '*': anything may have changed (or messages were missed). Other nodes' messages that are
    // not about clients (change signals) concern the cache not at all.
    if (message === '*') {
      this.cache.clear();
      return;
    }
    if (!message.startsWith('client:')) return;
    const clientId = message.slice('client:'.length);
    for (const [hash, entry] of this.cache) if (entry.principal.clientId === clientId) this.cache.delete(hash);
  }
}
