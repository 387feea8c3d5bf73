// Every change event type has its RFC 9967 form: the event URIs, the attributes named, the
// version, the subject as sub_id of format scim, and the transaction shared by one write's events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT_TYPES, type ChangeEvent, type EventType } from '../../src/trail/events.ts';
import { SET_EVENT_URIS as U, securityEventOf } from '../../src/trail/security-events.ts';

const event = (type: EventType, extra: Partial<ChangeEvent> = {}): ChangeEvent => ({
  id: 'a1b2', type, sequence: 7, time: '2026-12-07T10:00:00.000Z', actor: { clientId: 'c' },
  resource: { type: type.startsWith('user') ? 'User' : 'Group', id: 'r-1', version: 'W/"3"' }, ...extra,
});
const at = { issuer: 'https://scim.test/api/v2/events/issuers/o', audience: 'https://rx.test/', issuedAt: Date.parse('2026-12-07T10:00:05Z') };

test('each event type maps to its RFC 9967 event URIs', () => {
  const expected: Record<EventType, string[]> = {
    'user.created': [U.create], 'user.updated': [U.patch], 'user.moved': [U.patch], 'user.deactivated': [U.patch, U.deactivate], 'user.reactivated': [U.patch, U.activate],
    'user.deleted': [U.delete], 'group.created': [U.create], 'group.updated': [U.patch], 'group.deleted': [U.delete],
    'group.members_added': [U.patch], 'group.members_removed': [U.patch], 'group.members_cleared': [U.patch],
  };
  for (const type of EVENT_TYPES) assert.deepEqual(Object.keys(securityEventOf(event(type, { attributes: ['active'] }), at).events).sort(), expected[type].sort(), type);
});

test('claims: subject, issuer, audience, times, version, attributes; membership names members, never ids', () => {
  const c = securityEventOf(event('group.members_added', { id: 'row9:added', memberIds: ['u1', 'u2'] }), at);
  assert.deepEqual(c.sub_id, { format: 'scim', uri: '/Groups/r-1', id: 'r-1' });
  assert.equal(c.txn, 'row9', 'one write, one transaction');
  assert.equal(c.jti, 'row9:added');
  assert.equal(c.iat, Date.parse('2026-12-07T10:00:05Z') / 1000);
  assert.equal(c.toe, Date.parse('2026-12-07T10:00:00Z') / 1000);
  assert.deepEqual(c.events[U.patch], { version: 'W/"3"', attributes: ['members'] });
  assert.ok(!JSON.stringify(c).includes('u1'));
  const u = securityEventOf(event('user.updated', { attributes: ['title', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department'] }), at);
  assert.deepEqual(u.events[U.patch].attributes, ['title', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department']);
  const d = securityEventOf(event('user.deleted', { resource: { type: 'User', id: 'gone' } }), at);
  assert.deepEqual(d.events[U.delete], {}, 'no version when the row has none');
});
