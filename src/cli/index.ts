// `scimitar`: serve, and administer organizations, clients, divisions, groups and roles,
// either on the store directly or against a server's administration API (--url, --token).
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ConfigError, configFromEnv, DEFAULTS } from '../config.ts';
import { createOrganization, recoverAdministrator } from '../directory/organizations.ts';
import { PUBLIC_URL_KEY, serve } from '../serve.ts';
import { CliError, localBackend, openStore, remoteBackend, resolveOrg, type AdminBackend, type Entity, type Kind } from './backend.ts';
import { print, printOne } from './output.ts';
import { StoreOpenError } from '../store/sqlite/sqlite-store.ts';
import { provisionCommands } from './provision.ts';
import { validateCommand } from './validate.ts';
import { packageVersion } from '../version.ts';
import { directoryCommands } from './directory-commands.ts';
import { jobCommands } from './job-commands.ts';
import { ConsoleAuth } from '../directory/console-users.ts';
import { createServices } from '../services.ts';
import { InputFileError } from '../provision/input-file.ts';
import { MappingError } from '../provision/mappings.ts';


interface Globals {
  db: string;
  databaseUrl?: string;
  org?: string;
  url?: string;
  token?: string;
  json?: boolean;
  create?: boolean;
}

const program = new Command('scimitar')
  .description('Scimitar: a self-hostable SCIM 2.0 identity-management service')
  .version(packageVersion(), '-V, --version')
  .addOption(new Option('--db <path>', 'SQLite store').env('SCIMITAR_DB').default(DEFAULTS.dbPath))
  .addOption(new Option('--database-url <url>', 'PostgreSQL store (instead of --db)').env('DATABASE_URL'))
  .option('--org <id|name>', 'organization (default: the only one)')
  .option('--url <url>', 'administer a running server at this base URL instead of the store')
  .addOption(new Option('--token <token>', 'bearer token for --url').env('SCIMITAR_TOKEN'))
  .option('--json', 'print JSON instead of tables')
  .option('--create', 'allow commands that read a store to create a new, empty one at --db')
  // Global options go before the command, so `sync --url` and `test-connection --token`
  // belong to those commands, not to the administration backend.
  .enablePositionalOptions()
  .showHelpAfterError();

const globals = (cmd: Command) => cmd.optsWithGlobals<Globals>();

/** Commands that work on the store alone say so when given --url. */
function storeOnly(cmd: Command, name: string, why = ''): Globals {
  const g = globals(cmd);
  if (g.url) throw new CliError(`${name} works on the store (--db or --database-url), not on a server${why || ' (organizations are not visible through the administration API)'}`);
  return g;
}
const storeConfig = (g: Globals) => ({ dbPath: g.db, databaseUrl: g.databaseUrl || undefined });

/** The store of a command that reads one: a mistyped --db must not quietly create an empty store. */
function existingStoreConfig(g: Globals) {
  const config = storeConfig(g);
  if (!config.databaseUrl && !g.create && !existsSync(config.dbPath)) {
    throw new CliError(`No store at ${config.dbPath}: check --db (or SCIMITAR_DB), or pass --create to make a new, empty one`);
  }
  return config;
}

async function withBackend<T>(cmd: Command, fn: (b: AdminBackend, g: Globals) => Promise<T>): Promise<T> {
  const g = globals(cmd);
  if (g.url && !g.token) throw new CliError('--url needs --token (or SCIMITAR_TOKEN)');
  const backend = g.url ? remoteBackend(g.url, g.token!) : await localBackend(existingStoreConfig(g), g.org);
  try {
    return await fn(backend, g);
  } finally {
    await backend.close();
  }
}

program
  .command('serve')
  .description('run the service (same as npm start; configured from the environment)')
  .action(async (_opts, cmd: Command) => {
    const g = globals(cmd);
    await serve(configFromEnv({ ...process.env, SCIMITAR_DB: g.db, DATABASE_URL: g.databaseUrl ?? '' }));
  });

program
  .command('migrate')
  .description('bring the store\'s schema up to date and exit (servers also migrate on start, under a lock)')
  .action(async (_o, cmd: Command) => {
    const store = await openStore(storeConfig(globals(cmd)));
    await store.close();
    process.stdout.write('schema is up to date\n');
  });

program
  .command('recover-admin')
  .description('issue a new administrator client and secret for an organization (on the store only; audited)')
  .option('--json', 'print JSON instead of tables')
  .action(async (_o, cmd: Command) => {
    const g = storeOnly(cmd, 'recover-admin', ': it is the way in when no administrator secret is left');
    const store = await openStore(existingStoreConfig(g));
    try {
      const organization = await resolveOrg(store, g.org);
      const r = await recoverAdministrator(store, organization.id);
      if (g.json) process.stdout.write(`${JSON.stringify({ organizationId: organization.id, clientId: r.clientId, clientSecret: r.clientSecret })}\n`);
      else printOne({ organization: organization.name, clientId: r.clientId, clientSecret: r.clientSecret, note: 'the secret is shown this once; the recovery is in the audit trail' }, false);
    } finally {
      await store.close();
    }
  });

program
  .command('console')
  .description('the web console')
  .command('setup-link')
  .description('issue a one-time link (24 h) that creates a console administrator (store only; for the first one, or when none is left)')
  .action(async (_o, cmd: Command) => {
    const g = storeOnly(cmd, 'console setup-link', ': it is the way in when no console administrator is left');
    const store = await openStore(existingStoreConfig(g));
    try {
      const organization = await resolveOrg(store, g.org);
      const token = await new ConsoleAuth(createServices(store, { tokenTtlSeconds: 86400, tokenCacheTtlMs: 0 })).createSetupToken(organization.id);
      // SCIMITAR_PUBLIC_URL when set here, else the address the server last served from this store.
      const publicUrl = process.env.SCIMITAR_PUBLIC_URL
        ? configFromEnv({ ...process.env, SCIMITAR_DB: g.db, DATABASE_URL: '' }).publicUrl
        : ((await store.readServerValue(PUBLIC_URL_KEY)) ?? configFromEnv({ ...process.env, SCIMITAR_DB: g.db, DATABASE_URL: '' }).publicUrl);
      process.stdout.write(`${publicUrl}/console/setup?token=${token}\n`);
    } finally {
      await store.close();
    }
  });

const org = program.command('org').description('organizations (on the store only)');
org
  .command('create <name>')
  .description('create an organization with its Home division, Admin and SCIM roles and an admin client')
  .addOption(new Option('--profile <profile>', 'SCIM profile').choices(['genesys', 'standard']).default('genesys'))
  .action(async (name: string, opts: { profile: 'genesys' | 'standard' }, cmd: Command) => {
    const g = storeOnly(cmd, 'org create');
    const store = await openStore(storeConfig(g));
    try {
      if ((await store.listOrganizations()).some((o) => o.name.toLowerCase() === name.toLowerCase())) throw new CliError(`An organization named "${name}" exists`);
      const c = await createOrganization(store, { name, scimProfile: opts.profile });
      if (g.json) process.stdout.write(`${JSON.stringify({ organizationId: c.organization.id, clientId: c.clientId, clientSecret: c.clientSecret })}\n`);
      else printOne({ organization: c.organization.name, organizationId: c.organization.id, profile: c.organization.scimProfile, clientId: c.clientId, clientSecret: c.clientSecret, note: 'the secret is shown this once' }, false);
    } finally {
      await store.close();
    }
  });
org
  .command('list')
  .description('list organizations')
  .action(async (_o, cmd: Command) => {
    const g = storeOnly(cmd, 'org list');
    const store = await openStore(existingStoreConfig(g));
    try {
      print((await store.listOrganizations()) as unknown as Entity[], ['id', 'name', 'scimProfile', 'created'], g.json ?? false);
    } finally {
      await store.close();
    }
  });

/** Finds an entity by id or name (case-insensitive). */
async function find(b: AdminBackend, kind: Kind, key: string): Promise<Entity> {
  const all = await b.list(kind);
  const found = all.find((e) => e.id === key || String(e.name).toLowerCase() === key.toLowerCase());
  if (!found) throw new CliError(`No ${kind.slice(0, -1)} "${key}"`);
  return found;
}

async function pick(b: AdminBackend, kind: 'roles' | 'divisions', key: string): Promise<string> {
  if (kind === 'divisions' && key === '*') return '*';
  return (await find(b, kind, key)).id as string;
}

/** `<noun> delete <id|name>` for an administration kind. */
function deleteCommand(parent: Command, kind: Kind): void {
  parent
    .command('delete <id|name>')
    .description(`delete a ${kind.slice(0, -1)} (by id or name)`)
    .action(async (key: string, _o, cmd: Command) =>
      withBackend(cmd, async (b, g) => {
        const e = await find(b, kind, key);
        await b.remove(kind, e.id as string);
        printOne(g.json ? { id: e.id, deleted: true } : { deleted: e.name, id: e.id }, g.json ?? false);
      }),
    );
}

/** `<noun> rename <id|name> <new-name>`: the other fields stay as they are. */
function renameCommand(parent: Command, kind: 'divisions' | 'roles'): void {
  parent
    .command('rename <id|name> <newName>')
    .description(`rename a ${kind.slice(0, -1)}`)
    .action(async (key: string, newName: string, _o, cmd: Command) =>
      withBackend(cmd, async (b, g) => {
        const e = await find(b, kind, key);
        const next = await b.update(kind, e.id as string, kind === 'roles' ? { name: newName, description: e.description, permissions: e.permissions } : { name: newName, description: e.description });
        printOne(g.json ? next : { id: next.id, name: next.name, was: e.name }, g.json ?? false);
      }),
    );
}

const client = program.command('client').description('OAuth clients (client-credentials grant)');
client
  .command('create <name>')
  .description('create a client; prints its secret once')
  .requiredOption('--role <id|name...>', 'role(s) to grant')
  .option('--division <id|name>', 'division the roles apply to')
  .option('--all-divisions', 'grant the roles on every division, present and future')
  .option('--token-lifetime <seconds>', 'seconds its tokens live, 300 to 172800 (default: the server\'s, 24 h)')
  .action(async (name: string, opts: { role: string[]; division?: string; allDivisions?: boolean; tokenLifetime?: string }, cmd: Command) =>
    withBackend(cmd, async (b, g) => {
      // A grant on every division is never a default: it must be asked for.
      if ((opts.division === undefined) === (opts.allDivisions !== true)) throw new CliError('Choose where the roles apply: --division <id|name> or --all-divisions');
      const divisionId = opts.allDivisions ? '*' : await pick(b, 'divisions', opts.division!);
      const roleDivisions = [];
      for (const r of opts.role) roleDivisions.push({ roleId: await pick(b, 'roles', r), divisionId });
      const c = await b.create('clients', { name, authorizedGrantType: 'CLIENT-CREDENTIALS', roleDivisions, ...(opts.tokenLifetime !== undefined ? { accessTokenValiditySeconds: Number(opts.tokenLifetime) } : {}) });
      printOne(g.json ? c : { id: c.id, name: c.name, secret: c.secret, roleDivisions: c.roleDivisions, accessTokenValiditySeconds: c.accessTokenValiditySeconds, note: 'the secret is shown this once' }, g.json ?? false);
    }),
  );
client
  .command('rotate <clientId>')
  .description('issue a new secret (revokes the client\'s tokens)')
  .action(async (clientId: string, _o, cmd: Command) =>
    withBackend(cmd, async (b, g) => {
      const c = await b.rotateSecret(clientId);
      printOne(g.json ? c : { id: c.id, secret: c.secret, note: 'the secret is shown this once' }, g.json ?? false);
    }),
  );
for (const [verb, state] of [['disable', 'inactive'], ['enable', 'active']] as const) {
  client
    .command(`${verb} <id|name>`)
    .description(`${verb} a client${verb === 'disable' ? ' (revokes its tokens; refused for the last administrator)' : ''}`)
    .action(async (key: string, _o, cmd: Command) =>
      withBackend(cmd, async (b, g) => {
        const c = await find(b, 'clients', key);
        const next = await b.update('clients', c.id as string, { name: c.name, state });
        printOne(g.json ? next : { id: next.id, name: next.name, state: next.state }, g.json ?? false);
      }),
    );
}
client
  .command('lifetime <id|name> <seconds>')
  .description('set how long the client\'s tokens live: 300 (5 min) to 172800 (48 h); Entra\'s gallery wants 3600 to 21600')
  .action(async (key: string, seconds: string, _o, cmd: Command) =>
    withBackend(cmd, async (b, g) => {
      const c = await find(b, 'clients', key);
      const next = await b.update('clients', c.id as string, { name: c.name, accessTokenValiditySeconds: Number(seconds) });
      printOne(g.json ? next : { id: next.id, name: next.name, accessTokenValiditySeconds: next.accessTokenValiditySeconds }, g.json ?? false);
    }),
  );
deleteCommand(client, 'clients');
client
  .command('list')
  .action(async (_o, cmd: Command) =>
    withBackend(cmd, async (b, g) => {
      const clients = await b.list('clients');
      if (g.json) return print(clients, [], true);
      // Names, not ids: "Provisioner on Sales".
      const roles = new Map((await b.list('roles')).map((r) => [r.id, r.name]));
      const divisions = new Map((await b.list('divisions')).map((d) => [d.id, d.name]));
      const grants = (c: Entity) => (c.roleDivisions as { roleId: string; divisionId: string }[]).map((rd) => `${roles.get(rd.roleId) ?? rd.roleId} on ${rd.divisionId === '*' ? 'all divisions' : divisions.get(rd.divisionId) ?? rd.divisionId}`).join('; ');
      print(clients.map((c) => ({ ...c, grants: grants(c) })), ['id', 'name', 'state', 'grants', 'accessTokenValiditySeconds'], false);
    }),
  );

const division = program.command('division').description('divisions');
division
  .command('create <name>')
  .option('--description <text>')
  .action(async (name: string, opts: { description?: string }, cmd: Command) => withBackend(cmd, async (b, g) => printOne(await b.create('divisions', { name, description: opts.description }), g.json ?? false)));
deleteCommand(division, 'divisions');
renameCommand(division, 'divisions');
division.command('list').action(async (_o, cmd: Command) => withBackend(cmd, async (b, g) => print(await b.list('divisions'), ['id', 'name', 'homeDivision', 'description'], g.json ?? false)));

const group = program.command('group').description('groups (only public ones are visible over SCIM)');
group
  .command('create <name>')
  .addOption(new Option('--visibility <v>').choices(['public', 'members', 'owners']).default('public'))
  .addOption(new Option('--type <t>').choices(['official', 'social']).default('official'))
  .option('--description <text>')
  .action(async (name: string, opts: { visibility: string; type: string; description?: string }, cmd: Command) =>
    withBackend(cmd, async (b, g) => printOne(await b.create('groups', { name, visibility: opts.visibility, type: opts.type, description: opts.description }), g.json ?? false)),
  );
deleteCommand(group, 'groups');
group.command('list').action(async (_o, cmd: Command) => withBackend(cmd, async (b, g) => print(await b.list('groups'), ['id', 'name', 'visibility', 'type'], g.json ?? false)));

const role = program.command('role').description('roles: named sets of domain:entity:action permissions');
role
  .command('create <name>')
  .requiredOption('--permission <perm...>', 'e.g. directory:user:* directory:group:edit')
  .option('--description <text>')
  .action(async (name: string, opts: { permission: string[]; description?: string }, cmd: Command) =>
    withBackend(cmd, async (b, g) => printOne(await b.create('roles', { name, permissions: opts.permission, description: opts.description }), g.json ?? false)),
  );
deleteCommand(role, 'roles');
renameCommand(role, 'roles');
role.command('list').action(async (_o, cmd: Command) => withBackend(cmd, async (b, g) => print(await b.list('roles'), ['id', 'name', 'permissions'], g.json ?? false)));

const directoryLeaves = directoryCommands(program, { withBackend, find });
const jobLeaves = jobCommands(program, globals);

// Options may also follow an administration command (`scimitar client list --json --url ...`):
// each leaf takes them too, with no default of its own, so that one given before the
// command is not overridden.
const storeLeaves = [program.commands.find((c) => c.name() === 'recover-admin')!, ...program.commands.find((c) => c.name() === 'console')!.commands];
const leaves = [...[org, client, division, group, role].flatMap((p) => p.commands.filter((c) => c.commands.length === 0)), ...directoryLeaves, ...storeLeaves, ...jobLeaves];
for (const leaf of leaves) {
  if (!leaf.options.some((o) => o.long === '--json')) leaf.option('--json', 'print JSON instead of tables');
  leaf.option('--db <path>', 'SQLite store').option('--database-url <url>', 'PostgreSQL store').option('--org <id|name>', 'organization');
  leaf.option('--url <url>', 'administer a running server').option('--token <token>', 'bearer token for --url').option('--create', 'allow creating a new store at --db');
}

provisionCommands(program);
validateCommand(program);

/** Runs the command `argv` names (bin/scimitar.js passes process.argv); a user's error is one line on stderr and exit 1. */
export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CliError || e instanceof ConfigError || e instanceof StoreOpenError || e instanceof InputFileError || e instanceof MappingError || (e instanceof Error && 'status' in e)) {
      process.stderr.write(`scimitar: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}
