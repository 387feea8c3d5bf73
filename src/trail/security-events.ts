// Change events as SCIM Security Event Tokens (RFC 9967, a profile of RFC 8417): the claims a
// SET carries for one change event. Scimitar sends notices, never full payloads (§2.4: a
// `notice` names the changed attributes; a receiver that wants the values GETs the `uri`), so a
// SET never holds a user's data beyond its path.
import type { ChangeEvent } from './events.ts';

/** RFC 9967 §2.4's provisioning event URIs that Scimitar emits. */
export const SET_EVENT_URIS = {
  create: 'urn:ietf:params:scim:event:prov:create:notice',
  patch: 'urn:ietf:params:scim:event:prov:patch:notice',
  delete: 'urn:ietf:params:scim:event:prov:delete',
  activate: 'urn:ietf:params:scim:event:prov:activate',
  deactivate: 'urn:ietf:params:scim:event:prov:deactivate',
} as const;

/** The JWS header type of a SET (RFC 8417 §2.3) and the media type it is pushed with (RFC 8935 §2). */
export const SET_TYPE = 'secevent+jwt';
export const SET_MEDIA_TYPE = 'application/secevent+jwt';

export interface SecurityEventClaims {
  readonly iss: string;
  readonly iat: number;
  readonly jti: string;
  readonly aud: string;
  /** RFC 9967 §2.1: the subject is named by `sub_id` of format `scim` with the resource's relative path. */
  readonly sub_id: { readonly format: 'scim'; readonly uri: string; readonly id: string };
  /** The change's transaction: the same for every event one write caused (one audit row). */
  readonly txn: string;
  /** When the change was committed (RFC 8417 §2.2 `toe`). */
  readonly toe: number;
  readonly events: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * The events object of one change event: a created resource is a create notice, a deleted one a
 * delete, everything else a patch notice naming what changed (members for a membership change);
 * a deactivation or reactivation also carries `prov:deactivate` or `prov:activate` (§2.4.5,
 * §2.4.6). `version` is the resource's ETag after the change.
 */
function eventsOf(e: ChangeEvent): Record<string, Record<string, unknown>> {
  const version = e.resource.version !== undefined ? { version: e.resource.version } : {};
  switch (e.type) {
    case 'user.created':
    case 'group.created':
      return { [SET_EVENT_URIS.create]: { ...version, attributes: e.attributes ?? [] } };
    case 'user.deleted':
    case 'group.deleted':
      return { [SET_EVENT_URIS.delete]: { ...version } };
    case 'group.members_added':
    case 'group.members_removed':
    case 'group.members_cleared':
      return { [SET_EVENT_URIS.patch]: { ...version, attributes: ['members'] } };
    case 'user.deactivated':
      return { [SET_EVENT_URIS.patch]: { ...version, attributes: e.attributes ?? ['active'] }, [SET_EVENT_URIS.deactivate]: {} };
    case 'user.reactivated':
      return { [SET_EVENT_URIS.patch]: { ...version, attributes: e.attributes ?? ['active'] }, [SET_EVENT_URIS.activate]: {} };
    default:
      return { [SET_EVENT_URIS.patch]: { ...version, attributes: e.attributes ?? [] } };
  }
}

/** The claims of the SET for `event`, issued by `issuer` to `audience` at `issuedAt` (epoch ms). */
export function securityEventOf(event: ChangeEvent, o: { readonly issuer: string; readonly audience: string; readonly issuedAt: number }): SecurityEventClaims {
  const path = `/${event.resource.type === 'User' ? 'Users' : 'Groups'}/${event.resource.id}`;
  return {
    iss: o.issuer, iat: Math.floor(o.issuedAt / 1000), jti: event.id, aud: o.audience,
    sub_id: { format: 'scim', uri: path, id: event.resource.id },
    // One audit row is one transaction: its events share the row's id before any suffix.
    txn: event.id.split(':')[0],
    toe: seconds(event.time),
    events: eventsOf(event),
  };
}
