// `scimitar job ...`: provisioning jobs of a running server, over its administration API
// (/api/v2/provisioning/jobs). Jobs run inside the server, so these commands take --url and
// --token; `scimitar sync` and `provision run` stay the way to run the engine from here.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { CliError } from './backend.ts';
import { print, printOne } from './output.ts';

type Json = Record<string, unknown>;
interface JobGlobals { url?: string; token?: string; json?: boolean }

/** One call to the server's administration API; its error message on a refusal. */
async function api(g: JobGlobals, method: string, path: string, body?: unknown): Promise<Json> {
  if (!g.url || !g.token) throw new CliError('scimitar job talks to a running server (jobs run there): give --url <server> and --token (or SCIMITAR_TOKEN)');
  let res: Response;
  try {
    res = await fetch(`${g.url.replace(/\/+$/, '')}/api/v2/provisioning/jobs${path}`, {
      method, headers: { authorization: `Bearer ${g.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new CliError(`${g.url}: ${(e as Error).message}`);
  }
  const text = await res.text();
  const json = text ? (JSON.parse(text) as Json) : {};
  if (!res.ok) throw new CliError(`${res.status}: ${String(json.message ?? text)}`);
  return json;
}

const row = (j: Json) => {
  const health = j.health as { quarantined?: boolean; reason?: string } | undefined;
  const last = j.lastCycle as { finishedAt?: string; counts?: Record<string, number> } | undefined;
  return {
    id: j.id, name: j.name, target: (j.target as Json).url, state: health?.quarantined ? `quarantined: ${health.reason ?? ''}` : j.status, pilot: j.pilot,
    lastCycle: last ? `${last.finishedAt} ${Object.entries(last.counts ?? {}).filter(([k, v]) => v > 0 && k !== 'requests').map(([k, v]) => `${v} ${k}`).join(', ')}` : '',
  };
};

export function jobCommands(program: Command, globals: (cmd: Command) => JobGlobals): readonly Command[] {
  const job = program.command('job').description('provisioning jobs of a running server (--url, --token): push its directory to other SCIM services');
  const g = (cmd: Command) => globals(cmd);
  job.command('list').action(async (_o, cmd: Command) => print(((await api(g(cmd), 'GET', '')).entities as Json[]).map(row), ['id', 'name', 'target', 'state', 'pilot', 'lastCycle'], g(cmd).json ?? false));
  job.command('create <name>')
    .requiredOption('--target-url <url>', 'the target\'s SCIM base URL')
    .option('--target-token <token>', 'a bearer token for the target')
    .option('--target-token-url <url>', 'the target\'s OAuth token endpoint (client credentials)')
    .option('--target-client-id <id>')
    .addOption(new Option('--target-client-secret <secret>').env('SCIMITAR_TARGET_CLIENT_SECRET'))
    .option('--graph-tenant <tenant>', 'read Microsoft Graph (this tenant) instead of the server\'s own directory')
    .option('--graph-client-id <id>', 'the Graph app registration (User.Read.All, GroupMember.Read.All)')
    .addOption(new Option('--graph-client-secret <secret>').env('GRAPH_CLIENT_SECRET'))
    .option('--graph-every <minutes>', 'minutes between Graph cycles (default 40)')
    .option('--mappings <file.json>', 'attribute mappings (default: the Genesys app\'s)')
    .addOption(new Option('--deprovision <how>').choices(['disable', 'delete', 'none']))
    .option('--live', 'make writes from the first cycle (default: a validate-only pilot)')
    .action(async (name: string, o: Record<string, string | boolean | undefined>, cmd: Command) => {
      const target = o.targetToken ? { url: o.targetUrl, token: o.targetToken } : { url: o.targetUrl, tokenUrl: o.targetTokenUrl, clientId: o.targetClientId, clientSecret: o.targetClientSecret };
      const source = o.graphTenant
        ? { type: 'graph', tenantId: o.graphTenant, clientId: o.graphClientId, clientSecret: o.graphClientSecret, ...(o.graphEvery ? { intervalMinutes: Number(o.graphEvery) } : {}) }
        : { type: 'directory' };
      const mappings = typeof o.mappings === 'string' ? (JSON.parse(readFileSync(o.mappings, 'utf8')) as Json) : undefined;
      const made = await api(g(cmd), 'POST', '', { name, source, target, ...(mappings ? { mappings } : {}), ...(o.deprovision ? { deprovision: o.deprovision } : {}), pilot: !o.live });
      printOne(row(made), g(cmd).json ?? false);
    });
  job.command('show <id>').description('the job\'s status').action(async (id: string, _o, cmd: Command) => printOne(await api(g(cmd), 'GET', `/${encodeURIComponent(id)}/status`), g(cmd).json ?? false));
  for (const verb of ['start', 'stop', 'restart'] as const) {
    job.command(`${verb} <id>`).action(async (id: string, _o, cmd: Command) => printOne(row(await api(g(cmd), 'POST', `/${encodeURIComponent(id)}/${verb}`)), g(cmd).json ?? false));
  }
  job.command('live <id>').description('leave the pilot: writes are made on the target').action(async (id: string, _o, cmd: Command) => printOne(row(await api(g(cmd), 'PATCH', `/${encodeURIComponent(id)}`, { pilot: false })), g(cmd).json ?? false));
  job.command('on-demand <id> <user>').description('provision one user now (id or userName) and print each request and answer').action(async (id: string, user: string, _o, cmd: Command) => {
    const r = await api(g(cmd), 'POST', `/${encodeURIComponent(id)}/provision-on-demand`, { user });
    if (g(cmd).json) return printOne(r, true);
    process.stdout.write(`${(r.user as Json).name}: ${r.action}${r.reason ? ` (${r.reason})` : ''}${r.pilot ? ' [pilot]' : ''}\n`);
    for (const s of r.steps as { request: Json; response: Json }[]) process.stdout.write(`  ${s.request.method} ${s.request.path}${s.request.validateOnly ? ' (validate-only)' : ''} -> ${s.response.status}\n`);
    for (const e of (r.errors as string[]) ?? []) process.stdout.write(`  error: ${e}\n`);
  });
  job.command('logs <id>').option('--user <id|userName>').option('--action <action>').action(async (id: string, o: { user?: string; action?: string }, cmd: Command) => {
    const q = new URLSearchParams({ ...(o.user ? { user: o.user } : {}), ...(o.action ? { action: o.action } : {}) }).toString();
    const rows = ((await api(g(cmd), 'GET', `/${encodeURIComponent(id)}/logs${q ? `?${q}` : ''}`)).entities as Json[]).map((e) => ({ ...e, errors: ((e.errors as string[]) ?? []).join('; ') }));
    print(rows, ['time', 'cycle', 'objectKind', 'name', 'action', 'reason', 'errors'], g(cmd).json ?? false);
  });
  job.command('delete <id>').action(async (id: string, _o, cmd: Command) => {
    await api(g(cmd), 'DELETE', `/${encodeURIComponent(id)}`);
    process.stdout.write(`deleted ${id}\n`);
  });
  return job.commands;
}
