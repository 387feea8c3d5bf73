// `scimitar sync` / `scimitar provision run` (one cycle, or cycles every --every with
// quarantine and graceful stop), the provisioning log and `scimitar provision logs`.
import type { Command } from 'commander';
import { Option } from 'commander';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readJsonFile, readText } from '../provision/input-file.ts';
import { loadMappings, MappingError, type MappingSet } from '../provision/mappings.ts';
import { htmlReport, summaryTable } from '../provision/report.ts';
import type { ScopeConfig } from '../provision/scope.ts';
import { readDirectory, type Directory } from '../provision/source.ts';
import { certificateFromPem, GraphError, GraphSource, type GraphCertificate, type GraphDeltaState } from '../provision/graph.ts';
import { attributesOf } from '../provision/expression/ast.ts';
import { peekState, StateFileError, StateStore } from '../provision/state.ts';
import { runSync, type SyncReport, type SyncState, type WireProfile } from '../provision/sync.ts';
import { assessCycle, parseInterval, quarantine, type CycleHealth } from '../provision/schedule.ts';
import { CliError } from './backend.ts';
import { client, connection, type Conn } from './connection.ts';

type SyncCliOptions = Conn & Record<string, string | boolean | undefined>;

/** The source: files, or Microsoft Graph when --graph-tenant is given. */
async function sourceDirectory(opts: Record<string, unknown>, mappings: MappingSet, state: SyncState): Promise<{ directory: Directory; graphDelta?: GraphDeltaState }> {
  if (opts.graphTenant) {
    if (opts.source) throw new CliError('Give --source (files) or --graph-tenant (Microsoft Graph), not both');
    if (!opts.graphClientId || (!opts.graphClientSecret && !opts.graphCertificate)) throw new CliError('--graph-tenant needs --graph-client-id and a credential: --graph-client-secret (or GRAPH_CLIENT_SECRET) or --graph-certificate');
    if (opts.graphClientSecret && opts.graphCertificate) throw new CliError('Give --graph-client-secret or --graph-certificate, not both');
    let certificate: GraphCertificate | undefined;
    try {
      certificate = opts.graphCertificate ? certificateFromPem(readText(String(opts.graphCertificate))) : undefined;
    } catch (e) {
      if (e instanceof GraphError) throw new CliError(`${String(opts.graphCertificate)}: ${e.message}`);
      throw e;
    }
    const graph = new GraphSource({
      tenantId: String(opts.graphTenant), clientId: String(opts.graphClientId),
      ...(certificate ? { certificate } : { clientSecret: String(opts.graphClientSecret) }),
      authority: String(opts.graphAuthority), baseUrl: String(opts.graphBaseUrl), includeGroups: opts.graphGroups !== false,
      select: [...mappings.users, ...mappings.groups].flatMap((m) => attributesOf(m.expr)),
    });
    try {
      if (opts.graphDelta === false) return { directory: await graph.readDirectory() };
      const { directory, delta } = await graph.readDirectoryDelta(state.graph);
      return { directory, graphDelta: delta };
    } catch (e) {
      if (e instanceof GraphError) throw new CliError(e.message);
      throw e;
    }
  }
  if (!opts.source) throw new CliError('Give the source: --source <users.json|users.csv>, or --graph-tenant for Microsoft Graph');
  return { directory: readDirectory({ users: opts.source as string, groups: opts.groups as string | undefined }) };
}

function nonNegative(raw: unknown, name: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${name} must be a number of 0 or more`);
  return n;
}

/** The options of a provisioning run (`sync` and `provision run` take the same). */
function syncOptions(c: Command, connection: (c: Command) => Command): Command {
  return connection(c)
    .option('--source <users.json|users.csv>', 'users as Microsoft Graph returns them (or read them from Graph: --graph-tenant)')
    .option('--groups <groups.json>', 'groups with members')
    .option('--graph-tenant <id>', 'read users and groups from Microsoft Graph: the tenant id (with --graph-client-id and GRAPH_CLIENT_SECRET)')
    .option('--graph-client-id <id>', 'the app registration\'s client id (application permissions User.Read.All, GroupMember.Read.All)')
    .addOption(new Option('--graph-client-secret <secret>', 'its client secret').env('GRAPH_CLIENT_SECRET'))
    .option('--graph-certificate <file.pem>', 'or its certificate: a PEM file with the certificate and its unencrypted private key')
    .option('--graph-authority <url>', 'the identity platform (national clouds: https://login.microsoftonline.us, ...)', 'https://login.microsoftonline.com')
    .option('--graph-base-url <url>', 'Graph (national clouds: https://graph.microsoft.us, ...)', 'https://graph.microsoft.com')
    .option('--no-graph-groups', 'with Graph: users only')
    .option('--no-graph-delta', 'with Graph: read every user each cycle instead of the changes since the last (delta query)')
    .option('--mappings <file.json>', 'attribute mappings (default: the Genesys app defaults)')
    .option('--scope <all|file>', '"all", or a file listing assigned user/group ids or names, one per line', 'all')
    .option('--scope-filters <file.json>', 'scoping filters: [{"clauses":[{"attribute","operator","value"}]}]')
    .option('--state <file>', 'provisioning state (SQLite) for incremental cycles', DEFAULT_STATE)
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
    .option('--every <interval>', 'run continuously: a cycle every interval (Entra: 40m); SIGTERM or Ctrl-C ends after the current cycle')
    .option('--log <file.jsonl>', 'provisioning log: one JSON line per object action (what changed, the answer)')
    .option('--log-retention-days <n>', 'drop log lines older than this at each cycle', '30');
}

const DEFAULT_STATE = '.scimitar-sync-state.db';
/** The default of earlier versions (a JSON file), imported once into DEFAULT_STATE. */
const LEGACY_DEFAULT_STATE = '.scimitar-sync-state.json';

/** The state store of a real cycle (a dry run only reads, and creates nothing). */
function openState(path: string, dryRun: boolean): { state: SyncState; store?: StateStore } {
  try {
    if (path === DEFAULT_STATE && !existsSync(path) && existsSync(LEGACY_DEFAULT_STATE)) {
      if (dryRun) return { state: peekState(LEGACY_DEFAULT_STATE) };
      renameSync(LEGACY_DEFAULT_STATE, path);
    }
    if (dryRun) return { state: peekState(path) };
    const store = StateStore.open(path);
    return { state: store.load(), store };
  } catch (e) {
    if (e instanceof StateFileError) throw new CliError(e.message);
    throw e;
  }
}

/** One cycle: read the source, sync (each acknowledged write recorded in the state as it lands), then the log. */
async function cycle(opts: SyncCliOptions, n: number): Promise<{ report: SyncReport; authRefusals: number }> {
  let mappings;
  try {
    mappings = loadMappings(opts.mappings as string | undefined);
  } catch (e) {
    if (e instanceof MappingError) throw new CliError(e.message);
    throw e;
  }
  const dryRun = Boolean(opts.dryRun);
  const { state, store } = openState(opts.state as string, dryRun);
  try {
    const previousGraph = state.graph;
    const { directory, graphDelta } = await sourceDirectory(opts, mappings, state);
    const scope: ScopeConfig = {
      mode: opts.scope === 'all' ? 'all' : 'assigned',
      ...(opts.scope !== 'all' ? { assigned: readText(opts.scope as string).split(/\r?\n/).map((s) => s.trim()).filter(Boolean) } : {}),
      ...(opts.scopeFilters ? { filters: readJsonFile(opts.scopeFilters as string) as ScopeConfig['filters'] } : {}),
    };
    const tty = process.stderr.isTTY && !opts.every;
    const scim = client(opts, dryRun);
    const report = await runSync({
      client: scim, mappings, directory, scope, profile: opts.profile as WireProfile, dryRun,
      only: typeof opts.only === 'string' ? opts.only.split(',').map((s) => s.trim()) : undefined,
      clearEmpty: Boolean(opts.clearEmpty), deprovision: opts.deprovision as 'delete' | 'disable' | 'none',
      deletionThreshold: {
        count: nonNegative(opts.deletionThreshold, '--deletion-threshold'),
        ...(opts.deletionThresholdPercent !== undefined ? { percent: nonNegative(opts.deletionThresholdPercent, '--deletion-threshold-percent') } : {}),
        ...(opts.allowDeletions !== undefined ? { allow: nonNegative(opts.allowDeletions, '--allow-deletions') } : {}),
      },
      concurrency: Math.max(1, Number(opts.concurrency) || 4), state, journal: store,
      onProgress: tty ? (d, t) => process.stderr.write(`\r[${'#'.repeat(Math.round((d / t) * 30)).padEnd(30)}] ${d}/${t}`) : undefined,
    });
    if (tty) process.stderr.write('\n');
    // The deltaLink moves on only with a cycle that ran (a stopped one must see the same changes again).
    if (graphDelta && !report.stopped) store?.saveGraph(graphDelta, previousGraph);
    if (opts.report) {
      writeFileSync(opts.report as string, JSON.stringify(report, null, 2));
      writeFileSync(String(opts.report).replace(/\.json$/i, '') + '.html', htmlReport(report));
    }
    if (opts.log) appendLog(opts.log as string, report, n, nonNegative(opts.logRetentionDays, '--log-retention-days'));
    return { report, authRefusals: scim.authRefusals };
  } finally {
    store?.close();
  }
}

function printCycle(report: SyncReport): void {
  if (report.stopped) {
    process.stderr.write(`scimitar: ${report.stopped}\n`);
    for (const x of report.objects.slice(0, 20)) process.stderr.write(`  ${x.name}: ${x.reason}\n`);
    return;
  }
  process.stdout.write(summaryTable(report));
  for (const o of report.objects.filter((x) => x.action === 'fail')) process.stdout.write(`failed: ${o.kind} ${o.name}: ${o.errors.join('; ')}\n`);
}

/** A cycle, or cycles every --every until SIGTERM/SIGINT (the current cycle is finished first). */
async function runProvisioning(opts: SyncCliOptions): Promise<void> {
  if (!opts.every) {
    const { report } = await cycle(opts, 1);
    printCycle(report);
    if (report.stopped) process.exitCode = 4;
    else if (report.summary.fail > 0) process.exitCode = 3;
    return;
  }
  let interval: number;
  try {
    interval = parseInterval(String(opts.every));
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  let stopping = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopping = true;
    wake?.();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  let health: CycleHealth | undefined;
  for (let n = 1; !stopping; n++) {
    const started = new Date().toISOString();
    let line: string;
    try {
      const { report, authRefusals } = await cycle(opts, n);
      printCycle(report);
      health = assessCycle(report, authRefusals, health, interval);
      const s = report.summary;
      const what = report.stopped ? 'stopped by the deletion threshold' : `${s.create} created, ${s.update} updated, ${s.disable} disabled, ${s.delete} deleted, ${s.fail} failed`;
      line = `cycle ${n} ${started}: ${what}; status ${health.quarantined ? `quarantined (${health.reason})` : 'active'}`;
    } catch (e) {
      health = quarantine((e as Error).message, health, interval);
      line = `cycle ${n} ${started}: failed (${(e as Error).message}); status quarantined`;
    }
    if (stopping) {
      process.stdout.write(`${line}; stopping\n`);
      break;
    }
    process.stdout.write(`${line}; next cycle in ${Math.round(health.nextInMs / 1000)} s\n`);
    const wait = health.nextInMs;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
}

/** Appends the cycle's actions to the provisioning log (atomically) and drops lines older than the retention. */
const ROUTINE_SKIPS = new Set(['unchanged since the last cycle', 'already in sync', 'membership in sync']);

function appendLog(path: string, report: SyncReport, n: number, retentionDays: number): void {
  const cutoff = new Date(Date.now() - retentionDays * 86_400_000).toISOString();
  const kept = existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l && (JSON.parse(l) as { time: string }).time >= cutoff) : [];
  const lines = report.objects
    // Skips are logged with their reason (out of scope, soft-deleted and never provisioned,
    // stopped by the deletion threshold), except the routine "nothing to do" of every cycle.
    .filter((o) => o.action !== 'skip' || o.errors.length > 0 || !ROUTINE_SKIPS.has(o.reason ?? ''))
    .map((o) => JSON.stringify({
      time: report.finishedAt, cycle: n, dryRun: report.dryRun, kind: o.kind, name: o.name, sourceId: o.sourceId, targetId: o.targetId, action: o.action,
      outcome: o.action === 'fail' || o.errors.length > 0 ? 'failed' : 'ok', changes: o.changes, errors: o.errors, reason: o.reason,
    }));
  writeFileSync(`${path}.tmp`, [...kept, ...lines].map((l) => `${l}\n`).join(''));
  renameSync(`${path}.tmp`, path);
}

export function provisionRunCommands(program: Command): void {
  syncOptions(program.command('sync').description('run a provisioning cycle (with --every, cycles) from Microsoft Graph or Graph-shaped files to a SCIM endpoint'), connection)
    .action((opts: SyncCliOptions) => runProvisioning(opts));
  const provision = program.command('provision').description('the provisioning engine as a service');
  syncOptions(provision.command('run').description('the same as sync; with --every 40m, a long-running service'), connection).action((opts: SyncCliOptions) => runProvisioning(opts));
  provision
    .command('logs')
    .description('search the provisioning log')
    .requiredOption('--log <file.jsonl>', 'the log written by sync --log')
    .option('--user <name|id>', 'one object, by userPrincipalName, group name or id')
    .option('--action <a>', 'create, update, disable, delete, fail, skip')
    .addOption(new Option('--outcome <o>', 'ok or failed').choices(['ok', 'failed']))
    .option('--since <iso-time>', 'from this time')
    .option('--json', 'one JSON object per line')
    .action((o: { log: string; user?: string; action?: string; outcome?: string; since?: string; json?: boolean }) => {
      const entries = readText(o.log).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      const match = entries.filter((l) =>
        (!o.user || [l.name, l.sourceId, l.targetId].some((v) => String(v ?? '').toLowerCase() === o.user!.toLowerCase())) &&
        (!o.action || l.action === o.action) && (!o.outcome || l.outcome === o.outcome) && (!o.since || String(l.time) >= o.since));
      for (const l of match) {
        if (o.json) process.stdout.write(`${JSON.stringify(l)}\n`);
        else {
          const changes = (l.changes as { path: string }[]).map((c) => c.path);
          process.stdout.write(`${l.time}  cycle ${l.cycle}  ${l.kind} ${l.name}: ${l.action}${l.outcome === 'failed' ? ` FAILED ${(l.errors as string[]).join('; ')}` : ''}${changes.length ? ` (${changes.join(', ')})` : ''}${l.action === 'skip' && l.reason ? `: ${String(l.reason)}` : ''}\n`);
        }
      }
      if (!o.json && match.length === 0) process.stdout.write('No matching log lines.\n');
    });
}
