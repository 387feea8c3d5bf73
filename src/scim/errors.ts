// One SCIM error type, rendered as the RFC 7644 section 3.12 error message.
// The allowed status/scimType pairs are the ones section 3.12 lists; anything else
// is a programming error and fails loudly at construction time.

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'
  // RFC 9865 section 2.5 (cursor pagination)
  | 'invalidCursor'
  | 'expiredCursor'
  | 'invalidCount';

// RFC 7644 3.12, table 9: each scimType belongs to exactly one status.
export const STATUS_OF_TYPE: Readonly<Record<ScimType, number>> = Object.freeze({
  invalidFilter: 400,
  tooMany: 400,
  uniqueness: 409,
  mutability: 400,
  invalidSyntax: 400,
  invalidPath: 400,
  noTarget: 400,
  invalidValue: 400,
  invalidVers: 400,
  sensitive: 403,
  invalidCursor: 400,
  expiredCursor: 400,
  invalidCount: 400,
});

// Statuses that may be sent without a scimType (RFC 7644 3.12 table 8, plus the
// HTTP statuses a server needs for method, media type and overload errors).
export const PLAIN_STATUSES: ReadonlySet<number> = new Set([
  400, 401, 403, 404, 405, 406, 409, 412, 413, 415, 429, 500, 501, 503,
]);

/** The longest error detail (characters); longer ones are cut, so errors never echo a large input. */
export const MAX_DETAIL = 500;

export interface ScimErrorBody {
  schemas: string[];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export class ScimError extends Error {
  readonly status: number;
  readonly scimType: ScimType | undefined;
  /** Extra response headers (e.g. Retry-After), set by the edge that knows them. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, scimType: ScimType | undefined, detail: string, headers: Record<string, string> = {}) {
    // An error never echoes more than MAX_DETAIL characters of what the client sent.
    super(detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL)}... (truncated)` : detail);
    if (scimType !== undefined) {
      if (STATUS_OF_TYPE[scimType] !== status) {
        throw new TypeError(`scimType ${scimType} is not allowed with status ${status}`);
      }
    } else if (!PLAIN_STATUSES.has(status)) {
      throw new TypeError(`status ${status} is not a SCIM error status`);
    }
    this.name = 'ScimError';
    this.status = status;
    this.scimType = scimType;
    this.headers = Object.freeze({ ...headers });
  }

  toJSON(): ScimErrorBody {
    const body: ScimErrorBody = { schemas: [ERROR_SCHEMA], status: String(this.status), detail: this.message };
    if (this.scimType) body.scimType = this.scimType;
    return body;
  }
}

/** Shorthand constructors, named after the scimType they carry. */
export const scimErrors = {
  invalidFilter: (detail: string) => new ScimError(400, 'invalidFilter', detail),
  tooMany: (detail: string) => new ScimError(400, 'tooMany', detail),
  uniqueness: (detail: string) => new ScimError(409, 'uniqueness', detail),
  mutability: (detail: string) => new ScimError(400, 'mutability', detail),
  invalidSyntax: (detail: string) => new ScimError(400, 'invalidSyntax', detail),
  invalidPath: (detail: string) => new ScimError(400, 'invalidPath', detail),
  noTarget: (detail: string) => new ScimError(400, 'noTarget', detail),
  invalidValue: (detail: string) => new ScimError(400, 'invalidValue', detail),
  invalidVers: (detail: string) => new ScimError(400, 'invalidVers', detail),
  invalidCursor: (detail: string) => new ScimError(400, 'invalidCursor', detail),
  expiredCursor: (detail: string) => new ScimError(400, 'expiredCursor', detail),
  invalidCount: (detail: string) => new ScimError(400, 'invalidCount', detail),
  badRequest: (detail: string) => new ScimError(400, undefined, detail),
  unauthorized: (detail: string) => new ScimError(401, undefined, detail),
  forbidden: (detail: string) => new ScimError(403, undefined, detail),
  notFound: (detail: string) => new ScimError(404, undefined, detail),
  methodNotAllowed: (detail: string) => new ScimError(405, undefined, detail),
  conflict: (detail: string) => new ScimError(409, undefined, detail),
  preconditionFailed: (detail: string) => new ScimError(412, undefined, detail),
  payloadTooLarge: (detail: string) => new ScimError(413, undefined, detail),
  unsupportedMediaType: (detail: string) => new ScimError(415, undefined, detail),
  tooManyRequests: (detail: string, retryAfterSeconds: number) =>
    new ScimError(429, undefined, detail, { 'retry-after': String(retryAfterSeconds) }),
  internal: () => new ScimError(500, undefined, 'Internal server error'),
  notImplemented: (detail: string) => new ScimError(501, undefined, detail),
  unavailable: (detail: string, retryAfterSeconds: number) =>
    new ScimError(503, undefined, detail, { 'retry-after': String(retryAfterSeconds) }),
} as const;
