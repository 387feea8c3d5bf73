// What every directory operation knows about its caller.
import type { Principal } from '../auth/permissions.ts';
import { scimErrors, type Registry } from '../scim/index.ts';
import type { Organization } from '../store/contract.ts';

export interface CallContext {
  readonly principal: Principal;
  readonly org: Organization;
  readonly registry: Registry;
  /** Absolute SCIM base URL, e.g. https://host/api/v2/scim/v2, for `$ref` and `meta.location`. */
  readonly scimBaseUrl: string;
  readonly requestId: string;
}

/** `If-Match` / `If-None-Match` values: `*`, `"3"`, `W/"3"`, or a comma-separated list of those. */
/** Refuses a write whose If-Match names another version than `version`: 400 invalidVers (RFC 7644 3.12's scimType for a version mismatch). */
export function requireVersion(header: string | undefined, version: number): void {
  if (!etagMatches(header, version)) throw scimErrors.invalidVers(`If-Match does not match the current version "${version}"`);
}

export function etagMatches(header: string | undefined, version: number): boolean {
  if (header === undefined) return true;
  return header
    .split(',')
    .map((s) => s.trim())
    .some((tag) => tag === '*' || tag.replace(/^W\//, '') === `"${version}"`);
}

export const etagOf = (version: number) => `"${version}"`;
