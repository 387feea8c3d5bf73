// The peer: SCIMMY with its Express routers (scimmy-routers), the TypeScript SCIM server a
// user would pick, over an in-memory directory (SCIMMY leaves storage to its user). Its
// handlers do what such a user writes: a Map by id, a Map by userName for the match (the
// filter's simple `userName eq` case, so the peer is not penalised for a full scan), and
// SCIMMY's own filter matching for anything else. SCIMMY has no token endpoint: the bench
// uses a fixed bearer token for it.
import express from 'express';
import { randomUUID } from 'node:crypto';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import { BIG_GROUP_ID, fixtureFromEnv, fixtureId, fixtureUser, PEER_TOKEN, SMALL_GROUP_ID } from './fixture.ts';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- SCIMMY's handlers take and give plain JSON

const users = new Map<string, Doc>();
const byName = new Map<string, string>();
const groups = new Map<string, Doc>();
const f = fixtureFromEnv();
const now = new Date().toISOString();
for (let i = 0; i < f.users + f.candidates; i++) {
  const u: Doc = { id: fixtureId(i), ...fixtureUser(i), meta: { created: now, lastModified: now } };
  users.set(u.id, u);
  byName.set(String(u.userName).toLowerCase(), u.id);
}
const members = (n: number) => Array.from({ length: Math.min(n, f.users) }, (_, i) => ({ value: fixtureId(i), display: `Bench User ${i}` }));
groups.set(SMALL_GROUP_ID, { id: SMALL_GROUP_ID, displayName: 'Small', members: members(100), meta: { created: now, lastModified: now } });
groups.set(BIG_GROUP_ID, { id: BIG_GROUP_ID, displayName: 'Big', members: members(f.bigGroup), meta: { created: now, lastModified: now } });

const notFound = (id: string) => new SCIMMY.Types.Error(404, null!, `Resource ${id} not found`);

function egress(store: Map<string, Doc>, index?: Map<string, string>) {
  return (resource: { id?: string; filter?: { expression: string; match(values: Doc[]): Doc[] }; constraints?: { startIndex?: number; count?: number; totalResults?: number } }) => {
    if (resource.id) {
      const hit = store.get(resource.id);
      if (!hit) throw notFound(resource.id);
      return hit;
    }
    const m = index && resource.filter ? /^userName eq "(.*)"$/i.exec(resource.filter.expression) : undefined;
    if (m) {
      const id = index!.get(m[1].toLowerCase());
      return id ? [store.get(id)!] : [];
    }
    // A page is cut here, as SCIMMY's docs have a store do (findMany with the constraints),
    // rather than every resource being handed to SCIMMY to cut after it has built them all.
    const all = [...store.values()];
    const list = resource.filter ? resource.filter.match(all) : all;
    const c = resource.constraints;
    if (!c) return list;
    const start = Math.max(1, c.startIndex ?? 1) - 1;
    c.totalResults = list.length;
    return list.slice(start, start + (c.count ?? 20));
  };
}

function ingress(store: Map<string, Doc>, index?: Map<string, string>) {
  return (resource: { id?: string }, instance: Doc) => {
    const at = new Date().toISOString();
    if (resource.id) {
      const old = store.get(resource.id);
      if (!old) throw notFound(resource.id);
      const next = { ...old, ...JSON.parse(JSON.stringify(instance)), id: resource.id, meta: { ...old.meta, lastModified: at } };
      store.set(resource.id, next);
      return next;
    }
    const doc = { ...JSON.parse(JSON.stringify(instance)), id: randomUUID(), meta: { created: at, lastModified: at } };
    if (index) {
      const key = String(doc.userName).toLowerCase();
      if (index.has(key)) throw new SCIMMY.Types.Error(409, 'uniqueness', 'userName is taken');
      index.set(key, doc.id);
    }
    store.set(doc.id, doc);
    return doc;
  };
}

SCIMMY.Resources.declare(SCIMMY.Resources.User)
  .ingress(ingress(users, byName) as never)
  .egress(egress(users, byName) as never)
  .degress(((resource: { id: string }) => void users.delete(resource.id)) as never);
SCIMMY.Resources.declare(SCIMMY.Resources.Group)
  .ingress(ingress(groups) as never)
  .egress(egress(groups) as never)
  .degress(((resource: { id: string }) => void groups.delete(resource.id)) as never);

const app = express();
app.use('/scim/v2', new SCIMMYRouters({
  type: 'bearer',
  docUri: 'http://127.0.0.1/',
  handler: (req) => {
    if (req.header('authorization') !== `Bearer ${PEER_TOKEN}`) throw new Error('Authorization not detected!');
    return 'bench-client';
  },
}) as unknown as express.Router);
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`ready http://127.0.0.1:${port}\n`);
});
