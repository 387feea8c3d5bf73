// The directory the ceiling and peer servers build for themselves at start, with ids the
// bench can compute: USERS users in groups, CANDIDATES users in none (the members scenarios
// add these), a 100-member group and a BIG_GROUP-member group.
export interface Fixture {
  readonly users: number;
  readonly candidates: number;
  readonly bigGroup: number;
}

export const fixtureId = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
export const fixtureUserName = (i: number) => `user${i}@bench.test`;
export const SMALL_GROUP_ID = '00000000-0000-4000-9000-000000000001';
export const BIG_GROUP_ID = '00000000-0000-4000-9000-000000000002';
export const PEER_TOKEN = 'bench-peer-token';

export function fixtureFromEnv(): Fixture {
  return { users: Number(process.env.FIXTURE_USERS ?? 1000), candidates: Number(process.env.FIXTURE_CANDIDATES ?? 1000), bigGroup: Number(process.env.FIXTURE_BIG_GROUP ?? 1000) };
}

export const fixtureEnv = (f: Fixture): Record<string, string> => ({ FIXTURE_USERS: String(f.users), FIXTURE_CANDIDATES: String(f.candidates), FIXTURE_BIG_GROUP: String(f.bigGroup) });

/** The stored form of fixture user i (the same attributes as the Scimitar preload's). */
export function fixtureUser(i: number): Record<string, unknown> {
  return { userName: fixtureUserName(i), externalId: `ext-${i}`, displayName: `Bench User ${i}`, active: true, title: 'Agent', emails: [{ type: 'work', value: `work${i}@bench.test` }] };
}
