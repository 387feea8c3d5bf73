// `scimitar user ...`, `scimitar group members ...`, `scimitar audit`: the directory as an
// operator reads and changes it, on the store or on a server (--url), with names in tables.
import { Option, type Command } from 'commander';
import { CliError, type AdminBackend, type Entity, type Kind } from './backend.ts';
import { print, printOne } from './output.ts';

export interface CommandHelpers {
  withBackend<T>(cmd: Command, fn: (b: AdminBackend, g: { json?: boolean }) => Promise<T>): Promise<T>;
  find(b: AdminBackend, kind: Kind, key: string): Promise<Entity>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A user by id or by userName (the login email). */
export async function findUser(b: AdminBackend, key: string): Promise<Entity> {
  if (UUID.test(key)) return b.user(key).catch(() => {
    throw new CliError(`No user "${key}"`);
  });
  const page = await b.users({ filter: `userName eq ${JSON.stringify(key)}`, pageSize: '2' });
  if (page.entities.length === 0) throw new CliError(`No user "${key}"`);
  return page.entities[0];
}

const userRow = (u: Entity) => ({ ...u, division: (u.division as { name?: string } | undefined)?.name ?? '' });

/** "title, active" from an audit record's changes; "members +2 -1" for membership changes. */
export function changeSummary(changes: Record<string, { before?: unknown; after?: unknown }>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(changes)) {
    if (k === 'members.added') parts.push(`members +${(v.after as unknown[] | undefined)?.length ?? 0}`);
    else if (k === 'members.removed') parts.push(`members -${(v.before as unknown[] | undefined)?.length ?? 0}`);
    else parts.push(k);
  }
  return parts.join(', ');
}

/** The userName a user record carries (a create or a delete names it). */
const userNameIn = (r: Entity): string | undefined => {
  const c = (r.changes as Record<string, { before?: unknown; after?: unknown }> | undefined)?.userName;
  const v = c?.after ?? c?.before;
  return typeof v === 'string' ? v : undefined;
};

/** A user's id for `audit --user`: a live user by id or email, or a deleted one by the userName its records carry. */
async function auditedUserId(b: AdminBackend, key: string): Promise<string> {
  try {
    return (await findUser(b, key)).id as string;
  } catch (e) {
    if (!(e instanceof CliError) || UUID.test(key)) throw e;
    // Gone from the directory: its create and delete records still name it (newest first, bounded).
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await b.audits({ pageSize: '500', order: 'desc', ...(cursor ? { cursor } : {}) });
      const hit = page.entities.find((r) => r.resourceType === 'User' && userNameIn(r)?.toLowerCase() === key.toLowerCase());
      if (hit) return hit.resourceId as string;
      cursor = page.cursor;
      if (!cursor) break;
    }
    throw new CliError(`No user "${key}", and no audit record names one`);
  }
}

/** `user:<id>` -> userName, for the users the records name (console actors and User records). */
async function peopleNames(b: AdminBackend, records: readonly Entity[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const r of records) {
    const n = r.resourceType === 'User' ? userNameIn(r) : undefined;
    if (n) names.set(`user:${String(r.resourceId)}`, n);
  }
  const wanted = new Set<string>();
  for (const r of records) {
    if (typeof r.clientId === 'string' && r.clientId.startsWith('user:')) wanted.add(r.clientId);
    if (r.resourceType === 'User') wanted.add(`user:${String(r.resourceId)}`);
  }
  for (const key of wanted) {
    if (names.has(key)) continue;
    const u = await b.user(key.slice(5)).catch(() => undefined);
    if (u && typeof u.email === 'string') names.set(key, u.email);
  }
  return names;
}

export function directoryCommands(program: Command, h: CommandHelpers): Command[] {
  const user = program.command('user').description('users (those the caller may see)');
  user
    .command('list')
    .description('list users, inactive ones too')
    .option('--search <text>', 'text in userName or displayName')
    .option('--filter <scim-filter>', 'a SCIM filter, e.g. \'title eq "Manager"\'')
    .option('--limit <n>', 'most users to show (1-500)', '100')
    .action(async (opts: { search?: string; filter?: string; limit: string }, cmd: Command) =>
      h.withBackend(cmd, async (b, g) => {
        const page = await b.users({ ...(opts.search ? { q: opts.search } : {}), ...(opts.filter ? { filter: opts.filter } : {}), pageSize: opts.limit, sortBy: 'userName' });
        print(page.entities.map(userRow), ['id', 'email', 'name', 'state', 'division', 'title'], g.json ?? false);
        if (!g.json && page.total > page.entities.length) process.stdout.write(`(${page.entities.length} of ${page.total}; narrow with --search or --filter)\n`);
      }),
    );
  user
    .command('show <id|email>')
    .action(async (key: string, _o, cmd: Command) => h.withBackend(cmd, async (b, g) => printOne(g.json ? await findUser(b, key) : userRow(await findUser(b, key)), g.json ?? false)));
  for (const [verb, state] of [['disable', 'inactive'], ['enable', 'active']] as const) {
    user
      .command(`${verb} <id|email>`)
      .description(`${verb} a user (SCIM active=${state === 'active'}; audited)`)
      .action(async (key: string, _o, cmd: Command) =>
        h.withBackend(cmd, async (b, g) => {
          const u = await b.setUserState((await findUser(b, key)).id as string, state);
          printOne(g.json ? u : { id: u.id, email: u.email, state: u.state }, g.json ?? false);
        }),
      );
  }
  user
    .command('delete <id|email>')
    .description('delete a user (its memberships go with it; the audit trail keeps the record)')
    .action(async (key: string, _o, cmd: Command) =>
      h.withBackend(cmd, async (b, g) => {
        const u = await findUser(b, key);
        await b.deleteUser(u.id as string);
        printOne(g.json ? { id: u.id, deleted: true } : { deleted: u.email, id: u.id }, g.json ?? false);
      }),
    );

  const members = program.commands.find((c) => c.name() === 'group')!.command('members').description('a group\'s members (`group members <group>` lists them)')
    .argument('[group]', 'a group: its members are listed')
    .action(async (key: string | undefined, _o, cmd: Command) => {
      if (key === undefined) return cmd.help();
      return h.withBackend(cmd, async (b, g) => print(await b.members((await h.find(b, 'groups', key)).id as string), ['id', 'name'], g.json ?? false));
    });
  members
    .command('list <group>')
    .action(async (key: string, _o, cmd: Command) =>
      h.withBackend(cmd, async (b, g) => print(await b.members((await h.find(b, 'groups', key)).id as string), ['id', 'name'], g.json ?? false)),
    );
  for (const verb of ['add', 'remove'] as const) {
    members
      .command(`${verb} <group> <users...>`)
      .description(`${verb} users (ids or emails) ${verb === 'add' ? 'to' : 'from'} a group`)
      .action(async (key: string, users: string[], _o, cmd: Command) =>
        h.withBackend(cmd, async (b, g) => {
          const groupId = (await h.find(b, 'groups', key)).id as string;
          const ids: string[] = [];
          for (const u of users) ids.push((await findUser(b, u)).id as string);
          await b.changeMembers(groupId, verb === 'add' ? ids : [], verb === 'remove' ? ids : []);
          printOne({ group: key, [verb === 'add' ? 'added' : 'removed']: ids.length }, g.json ?? false);
        }),
      );
  }

  const audit = program
    .command('audit')
    .description('the audit trail, newest first: who changed what')
    .option('--user <id|email>', 'records of this user')
    .option('--resource <id>', 'records of this resource (any type)')
    .option('--client <id|name>', 'changes made by this OAuth client')
    .option('--from <iso-time>', 'from this time (inclusive)')
    .option('--to <iso-time>', 'until this time (exclusive)')
    .option('--limit <n>', 'most records (1-500)', '50')
    .action(async (opts: { user?: string; resource?: string; client?: string; from?: string; to?: string; limit: string }, cmd: Command) =>
      h.withBackend(cmd, async (b, g) => {
        const clients = await b.list('clients').catch(() => [] as Entity[]);
        const clientName = new Map(clients.map((c) => [c.id as string, c.name as string]));
        const query: Record<string, string> = { pageSize: opts.limit, order: 'desc' };
        if (opts.user) query.resourceId = await auditedUserId(b, opts.user);
        if (opts.resource) query.resourceId = opts.resource;
        if (opts.client) query.clientId = (clients.find((c) => c.id === opts.client || String(c.name).toLowerCase() === opts.client!.toLowerCase())?.id as string | undefined) ?? opts.client;
        if (opts.from) query.from = opts.from;
        if (opts.to) query.to = opts.to;
        const page = await b.audits(query);
        if (g.json) return print(page.entities, [], true);
        // People by name: a console user's email for `user:<id>`, a user by its userName (from
        // the record when it carries it: a deleted user is named too).
        const names = await peopleNames(b, page.entities);
        print(
          page.entities.map((r) => ({
            ...r,
            actor: r.clientId === 'cli' ? 'CLI on the store' : r.clientId ? clientName.get(r.clientId as string) ?? names.get(r.clientId as string) ?? r.clientId : '',
            resource: `${r.resourceType} ${r.resourceType === 'User' ? names.get(`user:${String(r.resourceId)}`) ?? r.resourceId : r.resourceId}`,
            changed: changeSummary(r.changes as Record<string, { before?: unknown; after?: unknown }>),
          })),
          ['time', 'actor', 'action', 'resource', 'changed'],
          false,
        );
      }),
    );
  const activity = program
    .command('activity')
    .description('what every client did and why requests were refused, newest first, in words')
    .addOption(new Option('--outcome <o>', 'accepted changes or refused requests').choices(['accepted', 'refused']))
    .option('--client <id|name>', 'what this OAuth client did')
    .option('--kind <type>', 'User, Group, Division, Role, OAuthClient, Bulk, Request')
    .option('--limit <n>', 'most entries (1-200)', '50')
    .action(async (opts: { outcome?: string; client?: string; kind?: string; limit: string }, cmd: Command) =>
      h.withBackend(cmd, async (b, g) => {
        const query: Record<string, string> = { pageSize: opts.limit };
        if (opts.outcome) query.outcome = opts.outcome;
        if (opts.kind) query.kind = opts.kind;
        if (opts.client) {
          const clients = await b.list('clients');
          query.actor = (clients.find((c) => c.id === opts.client || String(c.name).toLowerCase() === opts.client!.toLowerCase())?.id as string | undefined) ?? opts.client;
        }
        const page = await b.activity(query);
        if (g.json) return print(page.entries, [], true);
        for (const e of page.entries) {
          process.stdout.write(`${e.time}  ${e.outcome === 'refused' ? 'REFUSED ' : ''}${e.text}\n`);
          for (const d of (e.details as string[]).slice(0, 5)) process.stdout.write(`    ${d}\n`);
        }
        if (page.entries.length === 0) process.stdout.write('No activity yet.\n');
      }),
    );
  return [...user.commands, ...members.commands, audit, activity];
}
