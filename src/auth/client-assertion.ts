// Workload identity federation (RFC 7523 2.2, JWT bearer client authentication): instead of a
// secret, a client presents a JWT that its identity provider signed (Microsoft Entra ID's
// provisioning service can). No secret is stored at all. The JWT names its client by issuer
// and subject; it must be signed by a key the issuer publishes (jose: JWKS fetched and
// cached), addressed to this token endpoint (or the audience configured), unexpired, not
// older than MAX_AGE, signed with an asymmetric algorithm, and not presented before (its
// `jti`, per node, until it expires).
import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { FederatedCredential } from '../store/contract.ts';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Asymmetric only: a symmetric key would have to be shared, which is a secret again. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** An assertion is for one token request: a few minutes of life is plenty. */
const MAX_AGE = '1h';
const CLOCK_TOLERANCE_SECONDS = 60;
const MAX_ASSERTION_CHARS = 16_384;
/** JWKS lookups that hang fail instead. */
const FETCH_TIMEOUT_MS = 5000;

export class AssertionError extends Error {}

/** The issuer and subject an assertion claims, unverified: they say which client to verify it as. */
export function claimedIdentity(assertion: string): { issuer: string; subject: string } {
  if (assertion.length > MAX_ASSERTION_CHARS) throw new AssertionError('client_assertion is too long');
  let claims;
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw new AssertionError('client_assertion is not a JWT');
  }
  if (typeof claims.iss !== 'string' || typeof claims.sub !== 'string') throw new AssertionError('client_assertion needs "iss" and "sub"');
  return { issuer: claims.iss, subject: claims.sub };
}

/** Loopback issuers may use http (tests, a local identity provider); every other must use https. */
export function checkIssuerUrl(url: string, what: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AssertionError(`${what} must be an absolute URL`);
  }
  const loopback = u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]';
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) throw new AssertionError(`${what} must be an https URL`);
}

export class AssertionVerifier {
  private readonly keySets = new Map<string, JWTVerifyGetKey>();
  private readonly jwksByIssuer = new Map<string, Promise<string>>();
  private readonly seen = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The issuer's JWKS URI: configured, or from its OpenID configuration (cached). */
  private jwksUri(f: FederatedCredential): Promise<string> {
    if (f.jwksUri) return Promise.resolve(f.jwksUri);
    let found = this.jwksByIssuer.get(f.issuer);
    if (!found) {
      found = (async () => {
        const res = await fetch(`${f.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
        const doc = (await res.json().catch(() => ({}))) as { jwks_uri?: unknown };
        if (!res.ok || typeof doc.jwks_uri !== 'string') throw new AssertionError(`the issuer publishes no jwks_uri in its OpenID configuration (${res.status})`);
        checkIssuerUrl(doc.jwks_uri, 'jwks_uri');
        return doc.jwks_uri;
      })();
      found.catch(() => this.jwksByIssuer.delete(f.issuer));
      this.jwksByIssuer.set(f.issuer, found);
    }
    return found;
  }

  private keySet(uri: string): JWTVerifyGetKey {
    let set = this.keySets.get(uri);
    if (!set) {
      set = createRemoteJWKSet(new URL(uri), { timeoutDuration: FETCH_TIMEOUT_MS });
      this.keySets.set(uri, set);
    }
    return set;
  }

  /** Throws AssertionError saying why `assertion` does not authenticate the client `f` belongs to. */
  async verify(f: FederatedCredential, assertion: string): Promise<void> {
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, this.keySet(await this.jwksUri(f)), {
        issuer: f.issuer, subject: f.subject, audience: f.audience, algorithms: ALGORITHMS,
        maxTokenAge: MAX_AGE, clockTolerance: CLOCK_TOLERANCE_SECONDS, requiredClaims: ['exp'], currentDate: new Date(this.now()),
      }));
    } catch (e) {
      if (e instanceof AssertionError) throw e;
      if (e instanceof joseErrors.JWTExpired) throw new AssertionError('client_assertion has expired');
      if (e instanceof joseErrors.JWTClaimValidationFailed) throw new AssertionError(`client_assertion's "${e.claim}" claim is not accepted (${e.reason})`);
      if (e instanceof joseErrors.JWSSignatureVerificationFailed || e instanceof joseErrors.JWKSNoMatchingKey) throw new AssertionError('client_assertion is not signed by a key of its issuer');
      if (e instanceof joseErrors.JOSEAlgNotAllowed) throw new AssertionError('client_assertion is signed with an algorithm that is not accepted (asymmetric ones only)');
      if (e instanceof joseErrors.JWKSTimeout || e instanceof joseErrors.JWKSInvalid) throw new AssertionError('the issuer\'s keys could not be read');
      throw new AssertionError('client_assertion could not be verified');
    }
    // One use per assertion (RFC 7523 3: the server may keep jti to refuse a replay).
    const exp = (payload.exp ?? 0) * 1000;
    for (const [k, until] of this.seen) if (until < this.now()) this.seen.delete(k);
    if (typeof payload.jti === 'string') {
      const key = `${f.issuer}\n${payload.jti}`;
      if (this.seen.has(key)) throw new AssertionError('client_assertion was presented before (jti)');
      this.seen.set(key, exp);
    }
  }
}
