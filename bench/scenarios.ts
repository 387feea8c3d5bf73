// The request scenarios, each built for any of the three servers (Scimitar, the ceiling, the
// peer) from that server's directory, and the statistics the bench reports.
import { randomUUID } from 'node:crypto';
import type { Preloaded } from './preload.ts';

/** Per connection, from one request of a sequence to the next (autocannon clears it after the last). */
export type Context = Record<string, unknown>;
export type Req = { method: 'GET' | 'POST' | 'PATCH'; path: string; headers?: Record<string, string>; body?: string; setupRequest?: (r: Record<string, unknown>, context: Context) => Record<string, unknown> };

export interface Target {
  readonly name: 'scimitar' | 'ceiling' | 'peer';
  readonly url: string;
  /** The SCIM base path. */
  readonly base: string;
  readonly bearer: string;
  /** The Authorization header of the token request (none: the server has no token endpoint). */
  readonly basic?: string;
  readonly data: Preloaded;
}

export function pick<T>(xs: readonly T[]): T {
  return xs[Math.floor(Math.random() * xs.length)];
}

/** Entra's create (Genesys division and manager included). */
export const createBody = (manager: string) => JSON.stringify({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
  externalId: randomUUID(), userName: `new-${randomUUID()}@bench.test`, active: true, displayName: 'New Hire', meta: { resourceType: 'User' },
  emails: [{ primary: true, type: 'work', value: `n-${randomUUID()}@bench.test` }], name: { givenName: 'New', familyName: 'Hire' }, title: 'Agent',
  phoneNumbers: [{ type: 'work', value: 'tel:+13175550123;ext=1234' }],
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Sales', division: 'Home', manager: { value: manager } }, roles: [],
});

let n = 0;
const patchBody = () => JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'title', value: `Title ${n}` }, { op: 'Add', path: 'emails[type eq "work"].value', value: `w${n++}@bench.test` }] });
const memberOp = (op: 'Add' | 'Remove', id: string) => JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op, path: 'members', value: [{ value: id }] }] });
const memberBody = (d: Preloaded) => memberOp('Add', pick(d.candidates));
/** Entra's add, then its remove (by value list) of the same user: every request a real change, the group's size steady. */
const addThenRemove = (path: string, headers: Record<string, string>, d: Preloaded): Req[] => [
  { method: 'PATCH', path, headers, setupRequest: (r, c) => ({ ...r, body: memberOp('Add', (c.member = pick(d.candidates)) as string) }) },
  { method: 'PATCH', path, headers, setupRequest: (r, c) => ({ ...r, body: memberOp('Remove', c.member as string) }) },
];

export function scenarioNames(users: number, bigGroup: number): string[] {
  return ['match', 'get by id', 'create', 'patch', 'members (100)', `members (${bigGroup})`, 'member add/remove (100)', `member add/remove (${bigGroup})`, 'membership check', 'page K=1', `page K=${Math.floor(users * 0.9)}`, 'token'];
}

export const scenarioKind = (name: string): 'GET' | 'POST' => (['match', 'get by id', 'membership check'].includes(name) || name.startsWith('page') ? 'GET' : 'POST');

/** The request (or the sequence each connection repeats) of a scenario on a target, or undefined where the target has no such endpoint. */
export function scenarioRequest(name: string, t: Target): Req | Req[] | undefined {
  const d = t.data;
  const auth = { authorization: `Bearer ${t.bearer}`, 'content-type': 'application/scim+json' };
  const b = t.base;
  if (name === 'match') return { method: 'GET', path: '/', headers: auth, setupRequest: (r) => ({ ...r, path: `${b}/Users?filter=${encodeURIComponent(`userName eq "${pick(d.userNames)}"`)}` }) };
  if (name === 'get by id') return { method: 'GET', path: '/', headers: auth, setupRequest: (r) => ({ ...r, path: `${b}/Users/${pick(d.userIds)}` }) };
  if (name === 'create') return { method: 'POST', path: `${b}/Users`, headers: auth, setupRequest: (r) => ({ ...r, body: createBody(pick(d.userIds)) }) };
  if (name === 'patch') return { method: 'PATCH', path: '/', headers: auth, setupRequest: (r) => ({ ...r, path: `${b}/Users/${pick(d.userIds)}`, body: patchBody() }) };
  if (name === 'members (100)') return { method: 'PATCH', path: `${b}/Groups/${d.smallGroupId}`, headers: auth, setupRequest: (r) => ({ ...r, body: memberBody(d) }) };
  if (name === 'member add/remove (100)') return addThenRemove(`${b}/Groups/${d.smallGroupId}`, auth, d);
  if (name.startsWith('member add/remove (')) return addThenRemove(`${b}/Groups/${d.bigGroupId}`, auth, d);
  if (name.startsWith('members (')) return { method: 'PATCH', path: `${b}/Groups/${d.bigGroupId}`, headers: auth, setupRequest: (r) => ({ ...r, body: memberBody(d) }) };
  if (name === 'membership check') return { method: 'GET', path: `${b}/Groups?filter=${encodeURIComponent(`id eq "${d.bigGroupId}" and members[value eq "${d.bigGroupMember}"]`)}&excludedAttributes=members`, headers: auth };
  const page = /^page K=(\d+)$/.exec(name);
  if (page) return { method: 'GET', path: `${b}/Users?startIndex=${page[1]}&count=100`, headers: auth };
  if (name === 'token') return t.basic ? { method: 'POST', path: '/oauth/token', headers: { authorization: t.basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' } : undefined;
  throw new Error(`unknown scenario ${name}`);
}

export const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
/** "median (min–max)" with `digits` decimals. */
export const spread = (xs: readonly number[], digits: number) => (xs.length === 1 ? xs[0].toFixed(digits) : `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`);
