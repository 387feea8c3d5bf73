// Fills a store before the server starts: an organization with a known client, N users, a
// group of 100 members and a group of up to 100,000 members.
import { randomUUID } from 'node:crypto';
import { bootstrap } from '../src/directory/organizations.ts';
import { openStore } from '../src/store/open.ts';
import type { UserRecord } from '../src/store/contract.ts';

export interface Preloaded {
  readonly userIds: string[];
  /** Users in no group: the members scenarios add these, so every add is a real change. */
  readonly candidates: string[];
  readonly userNames: string[];
  readonly smallGroupId: string;
  readonly bigGroupId: string;
  readonly bigGroupMember: string;
}

export interface PreloadOptions {
  readonly dbPath: string;
  readonly databaseUrl?: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly users: number;
  readonly bigGroupMembers: number;
  /** Extra users kept out of every group. */
  readonly candidates?: number;
}

export async function preload(o: PreloadOptions): Promise<Preloaded> {
  const store = await openStore({ dbPath: o.dbPath, databaseUrl: o.databaseUrl });
  try {
    const { organization } = await bootstrap(store, o.clientId, o.clientSecret);
    const home = await store.homeDivision(organization.id);
    const userIds: string[] = [];
    const userNames: string[] = [];
    const now = new Date().toISOString();
    const BATCH = 5000;
    const total = o.users + (o.candidates ?? 0);
    for (let start = 0; start < total; start += BATCH) {
      await store.transaction(async (tx) => {
        for (let i = start; i < Math.min(total, start + BATCH); i++) {
          const userName = `user${i}@bench.test`;
          const u: UserRecord = {
            id: randomUUID(), orgId: organization.id, userName, externalId: `ext-${i}`, displayName: `Bench User ${i}`, active: true,
            divisionId: home.id, version: 1, created: now, lastModified: now,
            data: { userName, externalId: `ext-${i}`, displayName: `Bench User ${i}`, active: true, title: 'Agent', emails: [{ type: 'work', value: `work${i}@bench.test` }] },
          };
          await tx.insertUser(u);
          userIds.push(u.id);
          userNames.push(userName);
        }
      });
    }
    const group = async (name: string, members: readonly string[]) => {
      const id = randomUUID();
      await store.insertGroup({ id, orgId: organization.id, displayName: name, type: 'official', visibility: 'public', version: 1, created: now, lastModified: now });
      for (let i = 0; i < members.length; i += BATCH) await store.transaction((tx) => tx.addMembers(id, members.slice(i, i + BATCH)));
      return id;
    };
    const candidates = userIds.slice(o.users);
    const members = userIds.slice(0, o.users);
    const smallGroupId = await group('Small', members.slice(0, 100));
    const bigMembers = members.slice(0, Math.min(o.bigGroupMembers, members.length));
    const bigGroupId = await group('Big', bigMembers);
    return { userIds: members, candidates, userNames: userNames.slice(0, o.users), smallGroupId, bigGroupId, bigGroupMember: bigMembers[bigMembers.length - 1] };
  } finally {
    await store.close();
  }
}
