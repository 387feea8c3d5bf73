// The ceiling: a minimal Fastify handler per bench scenario doing by hand the essential
// storage work of an audited SCIM store, on a schema of its own (so that it inherits none of
// Scimitar's statements): one indexed SELECT of the user with its groups for a match or a
// read; INSERT user + INSERT audit in one transaction for a create; SELECT + UPDATE + INSERT
// audit for a patch; a checked INSERT of the member + audit for a member add (a DELETE + audit
// for a remove); the client lookup, secret digest and token INSERT for a token. Bearer tokens
// are cached in memory after their first lookup, as Scimitar's are. The same envelopes and
// status codes as Scimitar's, but a user is its stored document with groups and meta: none of
// what the Genesys view derives (the enterprise extension's division and manager, the `other`
// email, the SCIM external id, `$ref` and `type` on groups), so its users are about half the
// bytes of Scimitar's (783 against 1,485 for a fixture user).
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { BIG_GROUP_ID, fixtureFromEnv, fixtureId, fixtureUser, SMALL_GROUP_ID } from './fixture.ts';

const ORG = 'org-1';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

const db = new Database(process.env.CEILING_DB ?? ':memory:');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`
CREATE TABLE users (id TEXT PRIMARY KEY, org TEXT NOT NULL, user_name TEXT NOT NULL COLLATE NOCASE, version INTEGER NOT NULL, created TEXT NOT NULL, modified TEXT NOT NULL, doc TEXT NOT NULL);
CREATE UNIQUE INDEX users_name ON users (org, user_name);
CREATE TABLE groups (id TEXT PRIMARY KEY, org TEXT NOT NULL, display_name TEXT NOT NULL, version INTEGER NOT NULL, modified TEXT NOT NULL);
CREATE TABLE members (group_id TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (group_id, user_id)) WITHOUT ROWID;
CREATE INDEX members_user ON members (user_id, group_id);
CREATE TABLE audit (seq INTEGER PRIMARY KEY, org TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE clients (id TEXT PRIMARY KEY, org TEXT NOT NULL, secret_hash TEXT NOT NULL);
CREATE TABLE org_counts (org TEXT PRIMARY KEY, users INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE tokens (hash TEXT PRIMARY KEY, client TEXT NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;
`);

// The fixture (see fixture.ts) and the bench's client.
const f = fixtureFromEnv();
const now = new Date().toISOString();
const insertUser = db.prepare('INSERT INTO users (id, org, user_name, version, created, modified, doc) VALUES (?, ?, ?, 1, ?, ?, ?)');
db.transaction(() => {
  for (let i = 0; i < f.users + f.candidates; i++) {
    const doc = fixtureUser(i);
    insertUser.run(fixtureId(i), ORG, doc.userName, now, now, JSON.stringify(doc));
  }
  const g = db.prepare('INSERT INTO groups (id, org, display_name, version, modified) VALUES (?, ?, ?, 1, ?)');
  const m = db.prepare('INSERT INTO members (group_id, user_id) VALUES (?, ?)');
  g.run(SMALL_GROUP_ID, ORG, 'Small', now);
  g.run(BIG_GROUP_ID, ORG, 'Big', now);
  for (let i = 0; i < Math.min(100, f.users); i++) m.run(SMALL_GROUP_ID, fixtureId(i));
  for (let i = 0; i < Math.min(f.bigGroup, f.users); i++) m.run(BIG_GROUP_ID, fixtureId(i));
  db.prepare('INSERT INTO org_counts (org, users) VALUES (?, ?)').run(ORG, f.users + f.candidates);
  db.prepare('INSERT INTO clients (id, org, secret_hash) VALUES (?, ?, ?)').run(process.env.CEILING_CLIENT_ID ?? 'bench-client', ORG, sha256(process.env.CEILING_CLIENT_SECRET ?? 'bench-secret'));
})();

const userWithGroups = `SELECT u.id, u.version, u.created, u.modified, u.doc,
  (SELECT json_group_array(json_object('value', g.id, 'display', g.display_name)) FROM members m JOIN groups g ON g.id = m.group_id WHERE m.user_id = u.id) AS groups
  FROM users u`;
const byName = db.prepare(`${userWithGroups} WHERE u.org = ? AND u.user_name = ?`);
const byId = db.prepare(`${userWithGroups} WHERE u.org = ? AND u.id = ?`);
// `+u.org`: walk the table in rowid order (no sort), rather than the userName index and a sort.
const page = db.prepare(`${userWithGroups} WHERE +u.org = ? ORDER BY u.rowid LIMIT ? OFFSET ?`);
// A page's totalResults from a count kept by each create (COUNT(*) would scan the index).
const countUsers = db.prepare('SELECT users FROM org_counts WHERE org = ?').pluck();
const countCreate = db.prepare('UPDATE org_counts SET users = users + 1 WHERE org = ?');
const createUser = db.prepare('INSERT INTO users (id, org, user_name, version, created, modified, doc) VALUES (?, ?, ?, 1, ?, ?, ?)');
const updateUser = db.prepare('UPDATE users SET doc = ?, version = version + 1, modified = ? WHERE id = ? AND org = ?');
const audit = db.prepare('INSERT INTO audit (org, at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)');
const groupOf = db.prepare('SELECT id, version FROM groups WHERE id = ? AND org = ?');
const userExists = db.prepare('SELECT 1 FROM users WHERE id = ? AND org = ?').pluck();
const addMember = db.prepare('INSERT OR IGNORE INTO members (group_id, user_id) VALUES (?, ?)');
const removeMember = db.prepare('DELETE FROM members WHERE group_id = ? AND user_id = ?');
const bumpGroup = db.prepare('UPDATE groups SET version = version + 1, modified = ? WHERE id = ?');
const isMember = db.prepare('SELECT g.id, g.display_name, g.version, g.modified FROM groups g WHERE g.id = ? AND g.org = ? AND EXISTS (SELECT 1 FROM members m WHERE m.group_id = g.id AND m.user_id = ?)');
const clientOf = db.prepare('SELECT id, org, secret_hash FROM clients WHERE id = ?');
const insertToken = db.prepare('INSERT INTO tokens (hash, client, expires) VALUES (?, ?, ?)');
const tokenOf = db.prepare('SELECT client, expires FROM tokens WHERE hash = ?');

interface Row { id: string; version: number; created: string; modified: string; doc: string; groups: string }
const resource = (r: Row) => ({
  schemas: [USER_SCHEMA], id: r.id, ...(JSON.parse(r.doc) as object), groups: JSON.parse(r.groups) as unknown[],
  meta: { resourceType: 'User', created: r.created, lastModified: r.modified, version: `W/"${r.version}"`, location: `/api/v2/scim/v2/Users/${r.id}` },
});

const principals = new Map<string, { client: string; expires: number }>();
function authorized(header: string | undefined): string | undefined {
  if (!header?.startsWith('Bearer ')) return undefined;
  const hash = sha256(header.slice(7));
  let p = principals.get(hash);
  if (!p) {
    p = tokenOf.get(hash) as { client: string; expires: number } | undefined;
    if (p) principals.set(hash, p);
  }
  return p && p.expires > Date.now() ? p.client : undefined;
}

const app = Fastify({ logger: false });
app.addContentTypeParser(['application/scim+json'], { parseAs: 'string' }, (_req, body, done) => {
  try {
    done(null, JSON.parse(body as string));
  } catch (e) {
    done(e as Error, undefined);
  }
});
app.addHook('onRequest', async (req, reply) => {
  if (req.url === '/oauth/token') return;
  const client = authorized(req.headers.authorization);
  if (!client) return reply.code(401).send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
  (req as unknown as { client: string }).client = client;
});
const base = '/api/v2/scim/v2';
const notFound = { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' };

app.post('/oauth/token', async (req, reply) => {
  const basic = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
  const [id, secret] = basic.split(':');
  const c = clientOf.get(id) as { id: string; org: string; secret_hash: string } | undefined;
  if (!c || c.secret_hash !== sha256(secret ?? '')) return reply.code(401).send({ error: 'invalid_client' });
  const token = randomBytes(32).toString('base64url');
  insertToken.run(sha256(token), c.id, Date.now() + 86_400_000);
  return { access_token: token, token_type: 'bearer', expires_in: 86400 };
});
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));

app.get(`${base}/Users`, async (req) => {
  const q = req.query as { filter?: string; startIndex?: string; count?: string };
  const m = q.filter ? /^userName eq "(.*)"$/.exec(q.filter) : undefined;
  if (m) {
    const r = byName.get(ORG, m[1]) as Row | undefined;
    return { schemas: [LIST], totalResults: r ? 1 : 0, startIndex: 1, itemsPerPage: r ? 1 : 0, Resources: r ? [resource(r)] : [] };
  }
  const start = Math.max(1, Number(q.startIndex ?? 1));
  const count = Math.min(100, Number(q.count ?? 100));
  const rows = page.all(ORG, count, start - 1) as Row[];
  return { schemas: [LIST], totalResults: countUsers.get(ORG), startIndex: start, itemsPerPage: rows.length, Resources: rows.map(resource) };
});

app.get(`${base}/Users/:id`, async (req, reply) => {
  const r = byId.get(ORG, (req.params as { id: string }).id) as Row | undefined;
  return r ? resource(r) : reply.code(404).send(notFound);
});

app.post(`${base}/Users`, async (req, reply) => {
  const body = req.body as Record<string, unknown>;
  const { schemas: _s, meta: _m, ...doc } = body;
  if (typeof doc.userName !== 'string') return reply.code(400).send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'invalidValue' });
  const id = randomUUID();
  const at = new Date().toISOString();
  try {
    db.transaction(() => {
      createUser.run(id, ORG, doc.userName, at, at, JSON.stringify(doc));
      countCreate.run(ORG);
      audit.run(ORG, at, (req as unknown as { client: string }).client, 'user.create', id, JSON.stringify({ userName: doc.userName }));
    })();
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return reply.code(409).send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '409', scimType: 'uniqueness' });
    throw e;
  }
  return reply.code(201).send(resource({ id, version: 1, created: at, modified: at, doc: JSON.stringify(doc), groups: '[]' }));
});

/** The two operation shapes the bench sends: a plain path, and emails[type eq "x"].value. */
function applyOp(doc: Record<string, unknown>, op: { path: string; value: unknown }): void {
  const m = /^(\w+)\[type eq "(\w+)"\]\.value$/.exec(op.path);
  if (!m) {
    doc[op.path] = op.value;
    return;
  }
  const list = ((doc[m[1]] as { type: string; value: unknown }[] | undefined) ?? []).slice();
  const hit = list.find((x) => x.type === m[2]);
  if (hit) hit.value = op.value;
  else list.push({ type: m[2], value: op.value });
  doc[m[1]] = list;
}

app.patch(`${base}/Users/:id`, async (req, reply) => {
  const id = (req.params as { id: string }).id;
  const ops = (req.body as { Operations: { op: string; path: string; value: unknown }[] }).Operations;
  const at = new Date().toISOString();
  const out = db.transaction(() => {
    const r = byId.get(ORG, id) as Row | undefined;
    if (!r) return undefined;
    const doc = JSON.parse(r.doc) as Record<string, unknown>;
    for (const op of ops) applyOp(doc, op);
    updateUser.run(JSON.stringify(doc), at, id, ORG);
    audit.run(ORG, at, (req as unknown as { client: string }).client, 'user.update', id, JSON.stringify(ops.map((o) => o.path)));
    return { ...r, doc: JSON.stringify(doc), version: r.version + 1, modified: at };
  })();
  return out ? resource(out) : reply.code(404).send(notFound);
});

app.patch(`${base}/Groups/:id`, async (req, reply) => {
  const id = (req.params as { id: string }).id;
  const ops = (req.body as { Operations: { op: string; path: string; value: { value: string }[] }[] }).Operations;
  const at = new Date().toISOString();
  const status = db.transaction(() => {
    if (!groupOf.get(id, ORG)) return 404;
    for (const op of ops) {
      const remove = op.op.toLowerCase() === 'remove';
      for (const v of op.value) {
        if (remove) removeMember.run(id, v.value);
        else if (!userExists.get(v.value, ORG)) return 400;
        else addMember.run(id, v.value);
      }
    }
    bumpGroup.run(at, id);
    audit.run(ORG, at, (req as unknown as { client: string }).client, ops.some((o) => o.op.toLowerCase() === 'remove') ? 'group.members.remove' : 'group.members.add', id, JSON.stringify(ops.flatMap((o) => o.value.map((v) => v.value))));
    return 204;
  })();
  return reply.code(status).send(status === 204 ? undefined : notFound);
});

app.get(`${base}/Groups`, async (req) => {
  const m = /^id eq "(.+)" and members\[value eq "(.+)"\]$/.exec((req.query as { filter?: string }).filter ?? '');
  const g = m ? (isMember.get(m[1], ORG, m[2]) as { id: string; display_name: string; version: number; modified: string } | undefined) : undefined;
  const r = g ? [{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: g.id, displayName: g.display_name, meta: { resourceType: 'Group', lastModified: g.modified, version: `W/"${g.version}"` } }] : [];
  return { schemas: [LIST], totalResults: r.length, startIndex: 1, itemsPerPage: r.length, Resources: r };
});

const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`ready ${address}\n`);
