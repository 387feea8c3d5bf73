// RFC 6749 section 5.2 error responses of the token endpoint.
export type OAuthErrorCode =
  | 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope'
  // RFC 6749 4.1.2.1's code for a temporary refusal: failed authentications are being throttled.
  | 'temporarily_unavailable';

export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: OAuthErrorCode,
    description: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(description);
    this.name = 'OAuthError';
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.message };
  }
}

export const oauthErrors = {
  invalidRequest: (d: string) => new OAuthError(400, 'invalid_request', d),
  invalidClient: (d = 'Client authentication failed') => new OAuthError(401, 'invalid_client', d),
  unsupportedGrantType: (d: string) => new OAuthError(400, 'unsupported_grant_type', d),
  unauthorizedClient: (d: string) => new OAuthError(400, 'unauthorized_client', d),
  throttled: (retryAfterSeconds: number) =>
    new OAuthError(429, 'temporarily_unavailable', `Too many failed client authentications; retry after ${retryAfterSeconds} s`, { 'retry-after': String(retryAfterSeconds) }),
};
