// The ceiling: a minimal Fastify handler per bench scenario doing by hand the essential
// storage work of an audited SCIM store, on a schema of its own (so that it inherits none of
// Scimitar's statements): one indexed SELECT of the user with its groups for a match or a
// read; INSERT user + INSERT audit in one transaction for a create; SELECT + UPDATE + INSERT
// audit for a patch; a checked INSERT of the member + audit for a member add (a DELETE + audit
// for a remove), counted in a version slot on PostgreSQL; the client lookup, secret digest and token INSERT for a token. Bearer tokens
// are cached in memory after their first lookup, as Scimitar's are. The same envelopes and
// status codes as Scimitar's, but a user is its stored document with groups and meta: none of
// what the Genesys view derives (the enterprise extension's division and manager, the `other`
// email, the SCIM external id, `$ref` and `type` on groups), so its users are about half the
// bytes of Scimitar's (783 against 1,485 for a fixture user). The storage is in ceiling-store.ts,
// on the store the bench runs Scimitar on (SQLite or PostgreSQL).
import Fastify from 'fastify';
import { randomBytes, randomUUID } from 'node:crypto';
import { fixtureFromEnv } from './fixture.ts';
import { openCeilingStore, sha256, type UserRow as Row } from './ceiling-store.ts';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

// The fixture (see fixture.ts) and the bench's client, on SQLite (CEILING_DB, or in memory) or
// on PostgreSQL (CEILING_DATABASE_URL: the bench gives it a schema of its own).
const store = await openCeilingStore(fixtureFromEnv(), { id: process.env.CEILING_CLIENT_ID ?? 'bench-client', secret: process.env.CEILING_CLIENT_SECRET ?? 'bench-secret' }, {
  sqlitePath: process.env.CEILING_DB, databaseUrl: process.env.CEILING_DATABASE_URL,
});

const resource = (r: Row) => ({
  schemas: [USER_SCHEMA], id: r.id, ...(JSON.parse(r.doc) as object), groups: JSON.parse(r.groups) as unknown[],
  meta: { resourceType: 'User', created: r.created, lastModified: r.modified, version: `W/"${r.version}"`, location: `/api/v2/scim/v2/Users/${r.id}` },
});

const principals = new Map<string, { client: string; expires: number }>();
async function authorized(header: string | undefined): Promise<string | undefined> {
  if (!header?.startsWith('Bearer ')) return undefined;
  const hash = sha256(header.slice(7));
  let p = principals.get(hash);
  if (!p) {
    p = await store.token(hash);
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
  const client = await authorized(req.headers.authorization);
  if (!client) return reply.code(401).send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
  (req as unknown as { client: string }).client = client;
});
const base = '/api/v2/scim/v2';
const notFound = { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' };

app.post('/oauth/token', async (req, reply) => {
  const basic = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
  const [id, secret] = basic.split(':');
  const c = await store.client(id);
  if (!c || c.secret_hash !== sha256(secret ?? '')) return reply.code(401).send({ error: 'invalid_client' });
  const token = randomBytes(32).toString('base64url');
  await store.insertToken(sha256(token), c.id, Date.now() + 86_400_000);
  return { access_token: token, token_type: 'bearer', expires_in: 86400 };
});
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));

app.get(`${base}/Users`, async (req) => {
  const q = req.query as { filter?: string; startIndex?: string; count?: string };
  const m = q.filter ? /^userName eq "(.*)"$/.exec(q.filter) : undefined;
  if (m) {
    const r = await store.byName(m[1]);
    return { schemas: [LIST], totalResults: r ? 1 : 0, startIndex: 1, itemsPerPage: r ? 1 : 0, Resources: r ? [resource(r)] : [] };
  }
  const start = Math.max(1, Number(q.startIndex ?? 1));
  const count = Math.min(100, Number(q.count ?? 100));
  const { rows, total } = await store.page(count, start - 1);
  return { schemas: [LIST], totalResults: total, startIndex: start, itemsPerPage: rows.length, Resources: rows.map(resource) };
});

app.get(`${base}/Users/:id`, async (req, reply) => {
  const r = await store.byId((req.params as { id: string }).id);
  return r ? resource(r) : reply.code(404).send(notFound);
});

app.post(`${base}/Users`, async (req, reply) => {
  const body = req.body as Record<string, unknown>;
  const { schemas: _s, meta: _m, ...doc } = body;
  if (typeof doc.userName !== 'string') return reply.code(400).send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'invalidValue' });
  const id = randomUUID();
  const at = new Date().toISOString();
  if (!(await store.createUser(id, doc, at, { actor: (req as unknown as { client: string }).client, action: 'user.create', detail: JSON.stringify({ userName: doc.userName }) }))) {
    return reply.code(409).send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '409', scimType: 'uniqueness' });
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
  const out = await store.patchUser(id, (doc) => {
    for (const op of ops) applyOp(doc, op);
  }, at, { actor: (req as unknown as { client: string }).client, action: 'user.update', detail: JSON.stringify(ops.map((o) => o.path)) });
  return out ? resource(out) : reply.code(404).send(notFound);
});

app.patch(`${base}/Groups/:id`, async (req, reply) => {
  const id = (req.params as { id: string }).id;
  const ops = (req.body as { Operations: { op: string; path: string; value: { value: string }[] }[] }).Operations;
  const at = new Date().toISOString();
  const status = await store.changeMembers(id, ops.map((o) => ({ remove: o.op.toLowerCase() === 'remove', ids: o.value.map((v) => v.value) })), at, {
    actor: (req as unknown as { client: string }).client,
    action: ops.some((o) => o.op.toLowerCase() === 'remove') ? 'group.members.remove' : 'group.members.add',
    detail: JSON.stringify(ops.flatMap((o) => o.value.map((v) => v.value))),
  });
  return reply.code(status).send(status === 204 ? undefined : notFound);
});

app.get(`${base}/Groups`, async (req) => {
  const m = /^id eq "(.+)" and members\[value eq "(.+)"\]$/.exec((req.query as { filter?: string }).filter ?? '');
  const g = m ? await store.isMember(m[1], m[2]) : undefined;
  const r = g ? [{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: g.id, displayName: g.display_name, meta: { resourceType: 'Group', lastModified: g.modified, version: `W/"${g.version}"` } }] : [];
  return { schemas: [LIST], totalResults: r.length, startIndex: 1, itemsPerPage: r.length, Resources: r };
});

const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`ready ${address}\n`);
