// `scimitar expr`, `scimitar test-connection`, `scimitar sync`: the identity provider's side.
import type { Command } from 'commander';
import { Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { parseJsonText, readJsonFile, readText } from '../provision/input-file.ts';
import { compileExpression, evaluateForTarget } from '../provision/expression/evaluate.ts';
import { ExpressionError } from '../provision/expression/ast.ts';
import { SKIP } from '../provision/expression/values.ts';
import { loadMappings, MappingError, type MappingSet } from '../provision/mappings.ts';
import { htmlReport, summaryTable } from '../provision/report.ts';
import { errorDetail, ScimClient } from '../provision/scim-client.ts';
import type { ScopeConfig } from '../provision/scope.ts';
import { readDirectory, type Directory } from '../provision/source.ts';
import { GraphError, GraphSource } from '../provision/graph.ts';
import { attributesOf } from '../provision/expression/ast.ts';
import { loadState, saveState } from '../provision/state.ts';
import { runSync, type WireProfile } from '../provision/sync.ts';
import { CliError } from './backend.ts';

interface Conn {
  url: string;
  token?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
}

function client(o: Conn, dryRun: boolean): ScimClient {
  if (!o.token && !(o.clientId && o.clientSecret)) throw new CliError('give --token, or --client-id and --client-secret (with --token-url)');
  const tokenUrl = o.tokenUrl ?? `${new URL(o.url).origin}/oauth/token`;
  return new ScimClient({ baseUrl: o.url, token: o.token, tokenUrl, clientId: o.clientId, clientSecret: o.clientSecret, dryRun });
}

const connection = (c: Command) =>
  c
    .requiredOption('--url <tenant url>', 'SCIM base URL, e.g. https://host/api/v2/scim/v2')
    .option('--token <token>', 'bearer token')
    .option('--client-id <id>')
    .option('--client-secret <secret>')
    .option('--token-url <url>', 'OAuth token endpoint (default: <origin of --url>/oauth/token)');

/** The source: files, or Microsoft Graph when --graph-tenant is given. */
async function sourceDirectory(opts: Record<string, unknown>, mappings: MappingSet): Promise<Directory> {
  if (opts.graphTenant) {
    if (opts.source) throw new CliError('Give --source (files) or --graph-tenant (Microsoft Graph), not both');
    if (!opts.graphClientId || !opts.graphClientSecret) throw new CliError('--graph-tenant needs --graph-client-id and --graph-client-secret (or GRAPH_CLIENT_SECRET)');
    const graph = new GraphSource({
      tenantId: String(opts.graphTenant), clientId: String(opts.graphClientId), clientSecret: String(opts.graphClientSecret),
      authority: String(opts.graphAuthority), baseUrl: String(opts.graphBaseUrl), includeGroups: opts.graphGroups !== false,
      select: [...mappings.users, ...mappings.groups].flatMap((m) => attributesOf(m.expr)),
    });
    try {
      return await graph.readDirectory();
    } catch (e) {
      if (e instanceof GraphError) throw new CliError(e.message);
      throw e;
    }
  }
  if (!opts.source) throw new CliError('Give the source: --source <users.json|users.csv>, or --graph-tenant for Microsoft Graph');
  return readDirectory({ users: opts.source as string, groups: opts.groups as string | undefined });
}

function nonNegative(raw: unknown, name: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${name} must be a number of 0 or more`);
  return n;
}

export function provisionCommands(program: Command): void {
  program
    .command('expr <expression>')
    .description('evaluate an attribute-mapping expression; prints the value as JSON')
    .option('--source <json>', 'the source object, as JSON', '{}')
    .action((expression: string, opts: { source: string }) => {
      try {
        const v = evaluateForTarget(compileExpression(expression), parseJsonText(opts.source, '--source') as Record<string, unknown>);
        process.stdout.write(`${v === SKIP ? '"<skipped: IgnoreFlowIfNullOrEmpty>"' : JSON.stringify(v)}\n`);
      } catch (e) {
        if (e instanceof ExpressionError || e instanceof SyntaxError) throw new CliError(e.message);
        throw e;
      }
    });

  connection(program.command('test-connection').description("do what Entra's Test Connection does, and say why it fails")).action(async (opts: Conn) => {
    const c = client(opts, true);
    let r;
    try {
      r = await c.request('GET', `/Users?filter=${encodeURIComponent(`userName eq "${crypto.randomUUID()}"`)}`);
    } catch (e) {
      throw new CliError(`cannot reach ${opts.url}: ${(e as Error).message}`);
    }
    if (r.status === 401) throw new CliError('401: the token is not accepted (wrong, expired or revoked secret token)');
    if (r.status === 403) throw new CliError(`403: the token lacks permission to read users (${errorDetail(r)})`);
    if (r.status === 404) throw new CliError(`404: no SCIM Users endpoint at ${opts.url} (check the tenant URL; it should end in /scim/v2)`);
    if (r.status !== 200) throw new CliError(`unexpected ${errorDetail(r)}`);
    if (r.body?.totalResults !== 0 || !Array.isArray(r.body?.Resources)) throw new CliError(`200, but not an empty ListResponse: ${JSON.stringify(r.body).slice(0, 200)}`);
    process.stdout.write(`OK: ${opts.url} answered the test query with an empty list, as Entra expects\n`);
  });

  connection(program.command('sync').description('run a provisioning cycle from a Graph-shaped directory to a SCIM endpoint'))
    .option('--source <users.json|users.csv>', 'users as Microsoft Graph returns them (or read them from Graph: --graph-tenant)')
    .option('--groups <groups.json>', 'groups with members')
    .option('--graph-tenant <id>', 'read users and groups from Microsoft Graph: the tenant id (with --graph-client-id and GRAPH_CLIENT_SECRET)')
    .option('--graph-client-id <id>', 'the app registration\'s client id (application permissions User.Read.All, GroupMember.Read.All)')
    .addOption(new Option('--graph-client-secret <secret>', 'its client secret').env('GRAPH_CLIENT_SECRET'))
    .option('--graph-authority <url>', 'the identity platform (national clouds: https://login.microsoftonline.us, ...)', 'https://login.microsoftonline.com')
    .option('--graph-base-url <url>', 'Graph (national clouds: https://graph.microsoft.us, ...)', 'https://graph.microsoft.com')
    .option('--no-graph-groups', 'with Graph: users only')
    .option('--mappings <file.json>', 'attribute mappings (default: the Genesys app defaults)')
    .option('--scope <all|file>', '"all", or a file listing assigned user/group ids or names, one per line', 'all')
    .option('--scope-filters <file.json>', 'scoping filters: [{"clauses":[{"attribute","operator","value"}]}]')
    .option('--state <file>', 'state file for incremental cycles', '.scimitar-sync-state.json')
    .option('--dry-run', 'make no write; report what would happen')
    .option('--only <ids>', 'pilot test: only these users (comma-separated ids or userPrincipalNames)')
    .option('--report <file>', 'write the report as JSON (and HTML next to it)')
    .option('--clear-empty', 'send explicit removes where a mapped value became empty')
    .addOption(new Option('--deprovision <how>', 'users deleted from the source: disable (as Entra does by default), delete, or none; out-of-scope users are disabled unless none').choices(['delete', 'disable', 'none']).default('disable'))
    .option('--deletion-threshold <n>', 'refuse a cycle that would disable or delete more users than this (Entra: 500)', '500')
    .option('--deletion-threshold-percent <p>', 'also refuse one that would disable or delete more than this percentage of the provisioned users')
    .option('--allow-deletions <n>', 'let this cycle disable or delete up to n users despite the threshold')
    .addOption(new Option('--profile <wire>', 'request shapes').choices(['entra', 'rfc']).default('entra'))
    .option('--concurrency <n>', 'requests in flight', '4')
    .action(async (opts: Conn & Record<string, string | boolean | undefined>) => {
      let mappings;
      try {
        mappings = loadMappings(opts.mappings as string | undefined);
      } catch (e) {
        if (e instanceof MappingError) throw new CliError(e.message);
        throw e;
      }
      const directory = await sourceDirectory(opts, mappings);
      const scope: ScopeConfig = {
        mode: opts.scope === 'all' ? 'all' : 'assigned',
        ...(opts.scope !== 'all' ? { assigned: readText(opts.scope as string).split(/\r?\n/).map((s) => s.trim()).filter(Boolean) } : {}),
        ...(opts.scopeFilters ? { filters: readJsonFile(opts.scopeFilters as string) as ScopeConfig['filters'] } : {}),
      };
      const dryRun = Boolean(opts.dryRun);
      const statePath = opts.state as string;
      const state = loadState(statePath);
      const tty = process.stderr.isTTY;
      const report = await runSync({
        client: client(opts, dryRun), mappings, directory, scope, profile: opts.profile as WireProfile, dryRun,
        only: typeof opts.only === 'string' ? opts.only.split(',').map((s) => s.trim()) : undefined,
        clearEmpty: Boolean(opts.clearEmpty), deprovision: opts.deprovision as 'delete' | 'disable' | 'none',
        deletionThreshold: {
          count: nonNegative(opts.deletionThreshold, '--deletion-threshold'),
          ...(opts.deletionThresholdPercent !== undefined ? { percent: nonNegative(opts.deletionThresholdPercent, '--deletion-threshold-percent') } : {}),
          ...(opts.allowDeletions !== undefined ? { allow: nonNegative(opts.allowDeletions, '--allow-deletions') } : {}),
        },
        concurrency: Math.max(1, Number(opts.concurrency) || 4), state,
        onProgress: tty ? (d, t) => process.stderr.write(`\r[${'#'.repeat(Math.round((d / t) * 30)).padEnd(30)}] ${d}/${t}`) : undefined,
      });
      if (tty) process.stderr.write('\n');
      if (!dryRun) saveState(statePath, state);
      if (opts.report) {
        writeFileSync(opts.report as string, JSON.stringify(report, null, 2));
        writeFileSync(String(opts.report).replace(/\.json$/i, '') + '.html', htmlReport(report));
      }
      if (report.stopped) {
        process.stderr.write(`scimitar: ${report.stopped}\n`);
        for (const x of report.objects.slice(0, 20)) process.stderr.write(`  ${x.name}: ${x.reason}\n`);
        process.exitCode = 4;
        return;
      }
      process.stdout.write(summaryTable(report));
      for (const o of report.objects.filter((x) => x.action === 'fail')) process.stdout.write(`failed: ${o.kind} ${o.name}: ${o.errors.join('; ')}\n`);
      if (report.summary.fail > 0) process.exitCode = 3;
    });
}
