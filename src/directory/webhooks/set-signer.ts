// Security Event Tokens are signed with an organization's own key (ES256), made on first use
// and kept in the store so that every node signs with it; its public half is published as a
// JWKS at the organization's issuer URL. One key per organization: a receiver that trusts one
// organization's issuer cannot be handed another organization's events as if they were its own.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Store } from '../../store/contract.ts';
import { SET_TYPE, securityEventOf } from '../../trail/security-events.ts';
import type { ChangeEvent } from '../../trail/events.ts';

const ALG = 'ES256';

interface OrgKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/** Where an organization's SETs say they come from; its JWKS is at `${issuer}/jwks`. */
export const issuerOf = (publicUrl: string, orgId: string) => `${publicUrl}/api/v2/events/issuers/${orgId}`;

export class SetSigner {
  private readonly keys = new Map<string, Promise<OrgKey>>();

  constructor(
    private readonly store: Store,
    readonly publicUrl: string,
  ) {}

  private key(orgId: string): Promise<OrgKey> {
    let k = this.keys.get(orgId);
    if (!k) {
      k = this.load(orgId);
      // A failed load (the store was away) is tried again next time.
      k.catch(() => this.keys.delete(orgId));
      this.keys.set(orgId, k);
    }
    return k;
  }

  private async load(orgId: string): Promise<OrgKey> {
    const name = `set-signing-key:${orgId}`;
    let stored = await this.store.readServerValue(name);
    if (!stored) {
      const pair = await generateKeyPair(ALG, { extractable: true });
      // Of two nodes making a key at once, the first one stored wins and both use it.
      stored = await this.store.serverKey(name, JSON.stringify(await exportJWK(pair.privateKey)));
    }
    const jwk = JSON.parse(stored) as JWK;
    const { d: _private, ...publicJwk } = jwk;
    const kid = await calculateJwkThumbprint(publicJwk);
    return { kid, privateKey: (await importJWK({ ...jwk, alg: ALG }, ALG)) as CryptoKey, publicJwk: { ...publicJwk, kid, alg: ALG, use: 'sig' } };
  }

  issuer(orgId: string): string {
    return issuerOf(this.publicUrl, orgId);
  }

  /** The organization's public keys (RFC 7517 JWK Set). */
  async jwks(orgId: string): Promise<{ keys: JWK[] }> {
    return { keys: [(await this.key(orgId)).publicJwk] };
  }

  /** The compact JWS of `event`'s SET for `audience`. */
  async sign(orgId: string, event: ChangeEvent, audience: string, now = Date.now()): Promise<string> {
    const k = await this.key(orgId);
    const claims = securityEventOf(event, { issuer: this.issuer(orgId), audience, issuedAt: now });
    return new SignJWT({ ...claims }).setProtectedHeader({ alg: ALG, typ: SET_TYPE, kid: k.kid }).sign(k.privateKey);
  }

  /**
   * A SET that only tests the connection: the Shared Signals Framework's verification event
   * (no resource changed), which SET receivers know to acknowledge and otherwise ignore.
   */
  async signTest(orgId: string, jti: string, audience: string, now = Date.now()): Promise<string> {
    const k = await this.key(orgId);
    return new SignJWT({ iss: this.issuer(orgId), iat: Math.floor(now / 1000), jti, aud: audience, events: { [VERIFICATION_EVENT]: { state: 'A test event from Scimitar: no resource changed.' } } })
      .setProtectedHeader({ alg: ALG, typ: SET_TYPE, kid: k.kid })
      .sign(k.privateKey);
  }
}

/** OpenID Shared Signals Framework 1.0 §8.1.4.1. */
export const VERIFICATION_EVENT = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
