// `npm run bench`: Scimitar, a bare-Fastify baseline, the ceiling (a hand-written handler per
// scenario doing the essential storage work, on the same store as Scimitar) and the peer
// (SCIMMY) run side by side, scenario by scenario, at concurrency 8 and 32, in interleaved rounds. Prints a table (req/s, p50,
// p99, errors, ratios to bare Fastify, to the ceiling and to the peer: medians with the
// spread) and prepends it to docs/benchmarks.md.
//   --quick         one-minute smoke run (smaller store, short runs, concurrency 32 only)
//   --db postgres   run Scimitar on PostgreSQL (DATABASE_URL or the local test database)
//   --no-write      do not touch docs/benchmarks.md
//   --only <text>   run only the scenarios whose names contain <text> (e.g. "bulk", "cycle", "jobs", "memory", "request log", "events", "two nodes")
//   --table-only    the request scenarios only (no bulk, cursor, console, request log, events, two nodes, cycle or memory runs)
//   --rounds <n>    interleaved rounds (default 3; 1 with --quick)
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { preload, type Preloaded } from './preload.ts';
import { BIG_GROUP_ID, fixtureEnv, fixtureId, fixtureUserName, PEER_TOKEN, SMALL_GROUP_ID } from './fixture.ts';
import { createBody, median, pick, scenarioKind, scenarioNames, scenarioRequest, spread, sum, type Req, type Target } from './scenarios.ts';
import { runFilterParseBench } from './filter-parse.ts';
import { startArgs } from '../scripts/start-command.ts';
import { compileMappings } from '../src/provision/mappings.ts';
import { ScimClient } from '../src/provision/scim-client.ts';
import { readDirectory } from '../src/provision/source.ts';
import { runSync } from '../src/provision/sync.ts';
import { StateStore } from '../src/provision/state.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const dialect = args.includes('--db') && args[args.indexOf('--db') + 1] === 'postgres' ? 'postgres' : 'sqlite';
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const write = !args.includes('--no-write') && only === undefined;
const tableOnly = args.includes('--table-only');
const wanted = (name: string) => only === undefined || name.toLowerCase().includes(only.toLowerCase());
/** The runs beside the request table (bulk, cursor, console, request log, cycle, memory). */
const wantedExtra = (name: string) => !tableOnly && wanted(name);
const DURATION = quick ? 2 : 5;

/** The webhook receiver of the events bench, in a process of its own (bench/receiver.ts). */
async function startReceiver(): Promise<{ port: number; count(): Promise<number>; report(): Promise<number[]>; close(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./receiver.ts', import.meta.url).pathname], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(cmd: string, key: string) => new Promise<T>((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (!(key in m)) return;
      child.off('message', on);
      resolve(m[key] as T);
    };
    child.on('message', on);
    child.send({ cmd });
  });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  return { port, count: () => ask<number>('count', 'count'), report: () => ask<number[]>('report', 'latencies'), close: () => child.send({ cmd: 'close' }) };
}

/** The events bench's control (bench/bare-sender.ts): deliveries at `rate` a second with nothing of Scimitar's; stop() says how many were sent. */
function startBareSender(port: number, rate: number): { stop(): Promise<number> } {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./bare-sender.ts', import.meta.url).pathname, String(port), String(Math.max(1, Math.round(rate)))], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  return {
    stop: () => new Promise((resolve) => {
      child.once('exit', () => resolve(Number(out.trim()) || 0));
      child.kill('SIGTERM');
    }),
  };
}

const CONCURRENCY = quick ? [32] : [8, 32];
const USERS = quick ? 20_000 : 100_000;
const BIG_GROUP = quick ? 20_000 : 100_000;
const MEMORY_USERS = quick ? 100_000 : 1_000_000;
// Users in no group, added by the members scenarios (so each add is a real insert).
const CANDIDATES = quick ? 20_000 : 200_000;
const CYCLE_USERS = quick ? 2_000 : 100_000;
const BULK_MEMBERS = 20_000;
const ROUNDS = args.includes('--rounds') ? Math.max(1, Number(args[args.indexOf('--rounds') + 1]) || 1) : quick ? 1 : 3;
const SCENARIOS = scenarioNames(USERS, BIG_GROUP);

interface Server {
  readonly url: string;
  readonly child: ChildProcess;
  readonly startedAt: number;
}

/** Scimitar as `npm start` runs it (its node flags included). */
const SCIMITAR = startArgs();

async function start(cmd: string[], env: Record<string, string>, readyText: RegExp): Promise<Server> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const startedAt = Date.now();
  // TypeScript (the baseline) through tsx; Scimitar compiled, as `npm start` runs it.
  const child = spawn(process.execPath, [...(cmd[0].endsWith('.ts') ? ['--import', 'tsx'] : []), ...cmd], { env: { ...process.env, ...env, PORT: String(port), SCIMITAR_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 120_000;
  while (!readyText.test(out) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (!readyText.test(out)) throw new Error(`server did not start: ${out}`);
  return { url: `http://127.0.0.1:${port}`, child, startedAt };
}

const stop = (s: Server) => new Promise<void>((resolve) => {
  if (s.child.exitCode !== null) return resolve();
  s.child.once('exit', () => resolve());
  s.child.kill('SIGTERM');
});

interface Figure {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}


async function load(url: string, connections: number, request: Req | Req[], duration = DURATION): Promise<Figure> {
  const result = await autocannon({ url, connections, duration, requests: [request].flat() as never[] });
  const errors = result.errors + result.timeouts + result.non2xx;
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors };
}

const peerVersion = () => (JSON.parse(readFileSync('node_modules/scimmy/package.json', 'utf8')) as { version: string }).version;

/**
 * Waits until a server has worked off the requests still queued when a run ended (a slow
 * scenario would otherwise eat into the next one's run): until a read answers within 50 ms.
 * False when it is still busy after two minutes.
 */
async function drain(t: Target): Promise<boolean> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const t0 = Date.now();
    // Each probe gives up after 2 s, so that a server too busy to answer at all is noticed.
    await fetch(`${t.url}${t.base}/ServiceProviderConfig`, { headers: { authorization: `Bearer ${t.bearer}` }, signal: AbortSignal.timeout(2000) })
      .then((r) => r.arrayBuffer()).catch(() => undefined);
    if (Date.now() - t0 < 50) return true;
  }
  return false;
}

/** A token by client credentials in an Authorization: Basic header (RFC 6749 2.3.1), which every server here takes. */
async function token(url: string, id: string, secret: string): Promise<string> {
  const basic = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  const res = await fetch(`${url}/oauth/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function storeEnv(dir: string, name: string): Promise<{ env: Record<string, string>; dbPath: string; databaseUrl?: string; cleanup(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dbPath = join(dir, `${name}.db`);
    return { env: { SCIMITAR_DB: dbPath }, dbPath, cleanup: async () => undefined };
  }
  const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `scimitar_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const databaseUrl = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    env: { DATABASE_URL: databaseUrl }, dbPath: '', databaseUrl,
    async cleanup() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Bulk {
  readonly status: number;
  readonly ms: number;
  readonly others: { n: number; rps: number; p50: number; p99: number; max: number; errors: number };
}

async function bulkMembers(url: string, tok: string, ids: readonly string[], userNames?: readonly string[]): Promise<Bulk> {
  const auth = { authorization: `Bearer ${tok}` };
  const group = (await (await fetch(`${url}/api/v2/groups`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: `Bulk ${randomUUID()}`, visibility: 'public' }) })).json()) as { id: string };
  const body = JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Add', path: 'members', value: ids.map((value) => ({ value })) }] });
  const samples: { at: number; ms: number; ok: boolean }[] = [];
  let stopReaders = false;
  const names = userNames ?? ['nobody@bench.test'];
  const readers = Array.from({ length: 8 }, async () => {
    while (!stopReaders) {
      const at = performance.now();
      const r = await fetch(`${url}/api/v2/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${pick(names)}"`)}`, { headers: auth });
      await r.arrayBuffer();
      samples.push({ at, ms: performance.now() - at, ok: r.status === 200 });
    }
  });
  await new Promise((r) => setTimeout(r, 300));
  const start = performance.now();
  const res = await fetch(`${url}/api/v2/scim/v2/Groups/${group.id}`, { method: 'PATCH', headers: { ...auth, 'content-type': 'application/scim+json' }, body });
  await res.arrayBuffer();
  const end = performance.now();
  stopReaders = true;
  await Promise.all(readers);
  const during = samples.filter((x) => x.at >= start && x.at <= end);
  const lat = during.map((x) => x.ms).sort((a, b) => a - b);
  const q = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] : NaN);
  return {
    status: res.status, ms: end - start,
    others: { n: lat.length, rps: lat.length / ((end - start) / 1000), p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1] ?? NaN, errors: during.filter((x) => !x.ok).length },
  };
}

/**
 * The provisioning engine against Scimitar: the initial cycle of CYCLE_USERS Graph-shaped
 * users (managers, 2 groups) into an empty server, then an incremental cycle with 1% of the
 * users changed. Both run as `scimitar sync` does: the state in its SQLite file, each
 * acknowledged write recorded as it lands, the state loaded and the source read inside the
 * timed cycle. The incremental cycle must cost requests only for the changed users.
 */
async function provisioningCycles(dir: string, clientId: string, clientSecret: string, rows: string[], notes: string[], fail: () => void): Promise<void> {
    const cycleStore = await storeEnv(dir, 'cycle');
    await preload({ dbPath: cycleStore.dbPath, databaseUrl: cycleStore.databaseUrl, clientId, clientSecret, users: 0, bigGroupMembers: 0 });
    const cycleServer = await start(SCIMITAR, { ...cycleStore.env, SCIMITAR_BOOTSTRAP_CLIENT_ID: clientId, SCIMITAR_BOOTSTRAP_CLIENT_SECRET: clientSecret }, /Tenant URL/);
    const graphUsers: Record<string, unknown>[] = Array.from({ length: CYCLE_USERS }, (_, i) => ({
      id: `u${i}`, userPrincipalName: `cycle${i}@bench.test`, displayName: `Cycle ${i}`, jobTitle: 'Agent', mail: `c${i}@bench.test`,
      department: 'Sales', telephoneNumber: `+1 317 555 ${String(i % 10000).padStart(4, '0')}`, ...(i > 0 ? { manager: { id: `u${Math.floor(i / 10)}` } } : {}),
    }));
    const usersFile = join(dir, 'users.json');
    const groupsFile = join(dir, 'groups.json');
    writeFileSync(usersFile, JSON.stringify({ value: graphUsers }));
    writeFileSync(groupsFile, JSON.stringify({ value: [{ id: 'g1', displayName: 'Small', members: graphUsers.slice(0, CYCLE_USERS / 2).map((u) => ({ id: u.id })) }, { id: 'g2', displayName: 'Big', members: graphUsers.slice(CYCLE_USERS / 2).map((u) => ({ id: u.id })) }] }));
    const statePath = join(dir, 'cycle-state.db');
    const runCycle = async () => {
      const t0 = Date.now();
      const store = StateStore.open(statePath);
      try {
        const report = await runSync({
          client: new ScimClient({ baseUrl: `${cycleServer.url}/api/v2/scim/v2`, tokenUrl: `${cycleServer.url}/oauth/token`, clientId, clientSecret, dryRun: false }),
          mappings: compileMappings({}), directory: readDirectory({ users: usersFile, groups: groupsFile }), scope: { mode: 'all' },
          profile: 'entra', dryRun: false, clearEmpty: false, deprovision: 'none', concurrency: 8, state: store.load(), journal: store,
        });
        return { report, seconds: (Date.now() - t0) / 1000 };
      } finally {
        store.close();
      }
    };
    process.stderr.write(`initial provisioning cycle of ${CYCLE_USERS} users...\n`);
    const initial = await runCycle();
    if (initial.report.summary.fail > 0) fail();
    const initialFailures = initial.report.objects.filter((o) => o.action === 'fail' || o.errors.length > 0);
    for (const o of initialFailures.slice(0, 5)) notes.push(`initial cycle failure: ${o.kind} ${o.name}: ${o.errors.join('; ')}`);
    rows.push(`| initial cycle (${CYCLE_USERS} users, 2 groups) | 8 | ${(CYCLE_USERS / initial.seconds).toFixed(0)} users/s | | | ${initial.report.summary.fail} | |`);
    notes.push(`initial cycle: ${CYCLE_USERS} users created, managers set and 2 groups filled in ${initial.seconds.toFixed(1)} s with ${initial.report.summary.requests} requests (${(CYCLE_USERS / initial.seconds).toFixed(0)} users/s; state in SQLite, one record per acknowledged write)`);
    // 1% of the users changed in the source (a new job title).
    const changed = Math.floor(CYCLE_USERS / 100);
    for (let i = 0; i < CYCLE_USERS; i += 100) graphUsers[i] = { ...graphUsers[i], jobTitle: 'Lead' };
    writeFileSync(usersFile, JSON.stringify({ value: graphUsers }));
    process.stderr.write(`incremental cycle, ${changed} users changed...\n`);
    const incremental = await runCycle();
    const s = incremental.report.summary;
    // A changed user costs its read and its PATCH, plus one token request for the cycle; an
    // object that failed in the initial cycle is tried again (at most 4 requests each).
    const onlyChanged = s.update >= changed && s.requests <= 2 * changed + 1 + 4 * initialFailures.length && s.fail === 0;
    if (!onlyChanged || incremental.seconds >= 30) fail();
    rows.push(`| incremental cycle, ${CYCLE_USERS} users, ${changed} changed (target < 30 s, requests only for the changed) | 8 | | ${(incremental.seconds * 1000).toFixed(0)} | | ${onlyChanged ? 0 : 1} | |`);
    notes.push(`incremental cycle over ${CYCLE_USERS} users with ${changed} changed: ${incremental.seconds.toFixed(1)} s (${incremental.seconds < 30 ? 'met' : 'NOT met'}: < 30 s), ${s.update} updated, ${s.requests} requests (${onlyChanged ? 'only for the changed users' : 'NOT only for the changed users'})`);
    await stop(cycleServer);
    await cycleStore.cleanup();
}

/** Memory and start-up with a large store. */
async function memoryRun(dir: string, clientId: string, clientSecret: string, rows: string[], notes: string[]): Promise<void> {
    // Memory and start-up with a large store.
    const big = await storeEnv(dir, 'memory');
    process.stderr.write(`preloading ${MEMORY_USERS} users for the memory run...\n`);
    const t1 = Date.now();
    const bigData = await preload({ dbPath: big.dbPath, databaseUrl: big.databaseUrl, clientId, clientSecret, users: MEMORY_USERS, bigGroupMembers: 100 });
    notes.push(`preload of ${MEMORY_USERS} users: ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    const spawnAt = Date.now();
    const mem = await start(SCIMITAR, { ...big.env, SCIMITAR_BOOTSTRAP_CLIENT_ID: clientId, SCIMITAR_BOOTSTRAP_CLIENT_SECRET: clientSecret }, /Tenant URL/);
    const memTok = await token(mem.url, clientId, clientSecret);
    let firstOk = 0;
    while (!firstOk) {
      const r = await fetch(`${mem.url}${'/api/v2/scim/v2'}/Users?filter=${encodeURIComponent(`userName eq "${bigData.userNames[0]}"`)}`, { headers: { authorization: `Bearer ${memTok}` } });
      if (r.status === 200) firstOk = Date.now();
    }
    const match: Req = { method: 'GET', path: '/', headers: { authorization: `Bearer ${memTok}` }, setupRequest: (r) => ({ ...r, path: `/api/v2/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${pick(bigData.userNames)}"`)}` }) };
    // Concurrency 8 is the target's (p99 under 10 ms); 32 as the request table runs.
    for (const c of [8, 32]) {
      const f = await load(mem.url, c, match);
      rows.push(`| match, ${MEMORY_USERS} users | ${c} | ${f.rps.toFixed(0)} | ${f.p50} | ${f.p99} | ${f.errors} | |`);
      await drain({ name: 'scimitar', url: mem.url, base: '/api/v2/scim/v2', bearer: memTok, data: bigData });
    }
    const rss = peakRssMb(mem.child.pid!);
    notes.push(`${MEMORY_USERS} users: peak RSS of the server while serving match ${rss.toFixed(0)} MB; process start to first 200 ${firstOk - spawnAt} ms (compiled build)`);
    await stop(mem);
    await big.cleanup();
}

async function cursorWalk(url: string, tok: string): Promise<{ pages: number; seen: number; total: number; firstMs: number; lastMs: number }> {
  const times: number[] = [];
  const seen = new Set<string>();
  let cursor = '';
  let total = 0;
  for (;;) {
    const t = performance.now();
    const r = await fetch(`${url}/api/v2/scim/v2/Users?count=100&attributes=id&cursor=${encodeURIComponent(cursor)}`, { headers: { authorization: `Bearer ${tok}` } });
    const body = (await r.json()) as { totalResults: number; Resources: { id: string }[]; nextCursor?: string };
    times.push(performance.now() - t);
    total = body.totalResults;
    for (const u of body.Resources) seen.add(u.id);
    if (!body.nextCursor) break;
    cursor = body.nextCursor;
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return { pages: times.length, seen: seen.size, total, firstMs: mean(times.slice(0, 10)), lastMs: mean(times.slice(-10)) };
}

/**
 * The console's user list over the preloaded users: a session from a setup link (the CLI on
 * the same store), then each page timed 10 times in a row, end to end on loopback.
 */
async function consolePages(url: string, storeArgs: string[], sample: string): Promise<{ label: string; ms: number; ok: boolean }[]> {
  const { execFileSync } = await import('node:child_process');
  const link = execFileSync(process.execPath, ['bin/scimitar.js', ...storeArgs, 'console', 'setup-link'], { encoding: 'utf8', env: { ...process.env, SCIMITAR_PUBLIC_URL: url } }).trim();
  const token = new URL(link).searchParams.get('token')!;
  const setup = await fetch(`${url}/console/setup`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token, userName: 'bench-admin@bench.test', displayName: 'Bench', password: 'bench password 1234' }) });
  const cookie = (setup.headers.get('set-cookie') ?? '').split(';')[0];
  const pages = Math.ceil(USERS / 50);
  const out: { label: string; ms: number; ok: boolean }[] = [];
  for (const [label, path] of [['page 1', '/console/users'], [`page ${Math.floor(pages / 2)}`, `/console/users?page=${Math.floor(pages / 2)}`], [`page ${pages} (last)`, `/console/users?page=${pages}`], ['search', `/console/users?q=${encodeURIComponent(sample)}`], ['sorted by name, descending, page 100', '/console/users?sort=displayName&order=descending&page=100']] as const) {
    const times: number[] = [];
    let ok = true;
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      const r = await fetch(`${url}${path}`, { headers: { cookie } });
      const body = await r.text();
      times.push(performance.now() - t);
      ok &&= r.status === 200 && body.includes('<tbody>');
    }
    out.push({ label, ms: times.sort((x, y) => x - y)[Math.floor(times.length / 2)], ok });
  }
  return out;
}

const JOB_USERS = quick ? 2_000 : 100_000;
const JOB_CHANGE_RATE = 100;

/**
 * Provisioning jobs: hub A (JOB_USERS users, SCIMITAR_SECRET_KEY) pushes to downstream B, both
 * Scimitar servers in their own processes. Measured: the first full cycle (every user created
 * on B), a full reconciliation after a restart (every user matched and compared on B), and the
 * time from a change accepted by A to the PATCH B answered, at JOB_CHANGE_RATE changes a second
 * (read off B's request log: the end of B's PATCH of that user).
 */
async function provisioningJobs(dir: string, clientId: string, clientSecret: string, rows: string[], notes: string[], fail: () => void): Promise<void> {
  const hubStore = await storeEnv(dir, 'hub');
  const downStore = await storeEnv(dir, 'downstream');
  process.stderr.write(`jobs: preloading ${JOB_USERS} users on the hub...\n`);
  const hubData = await preload({ dbPath: hubStore.dbPath, databaseUrl: hubStore.databaseUrl, clientId, clientSecret, users: JOB_USERS, bigGroupMembers: 0 });
  await preload({ dbPath: downStore.dbPath, databaseUrl: downStore.databaseUrl, clientId, clientSecret, users: 0, bigGroupMembers: 0 });
  const creds = { SCIMITAR_BOOTSTRAP_CLIENT_ID: clientId, SCIMITAR_BOOTSTRAP_CLIENT_SECRET: clientSecret };
  const hub = await start(SCIMITAR, { ...hubStore.env, ...creds, SCIMITAR_SECRET_KEY: 'bench secret key for provisioning jobs, 32+', SCIMITAR_WEBHOOK_ALLOW_HTTP_LOOPBACK: '1' }, /Tenant URL/);
  const down = await start(SCIMITAR, { ...downStore.env, ...creds, SCIMITAR_RATE_LIMIT: '0' }, /Tenant URL/);
  try {
    const hubTok = await token(hub.url, clientId, clientSecret);
    const downTok = await token(down.url, clientId, clientSecret);
    const api = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${hub.url}/api/v2/provisioning/jobs${path}`, { method, headers: { authorization: `Bearer ${hubTok}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      return (await r.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    const job = await api('POST', '', { name: 'bench', pilot: false, deprovision: 'none', target: { url: `${down.url}/api/v2/scim/v2`, tokenUrl: `${down.url}/oauth/token`, clientId, clientSecret } });
    /** Starts (or restarts) the job and waits for its full cycle: seconds, and the cycle's counts. */
    const fullCycle = async (verb: 'start' | 'restart') => {
      const t0 = Date.now();
      await api('POST', `/${job.id}/${verb}`);
      for (;;) {
        await new Promise((r) => setTimeout(r, 250));
        const st = await api('GET', `/${job.id}/status`);
        if (st.lastCycle?.kind === 'full' && Date.parse(st.lastCycle.startedAt) >= t0 - 1000) return { seconds: (Date.parse(st.lastCycle.finishedAt) - t0) / 1000, counts: st.lastCycle.counts as Record<string, number>, health: st.health };
        if (Date.now() - t0 > 3_600_000) throw new Error('jobs: the full cycle did not end within an hour');
      }
    };
    process.stderr.write('jobs: first full cycle...\n');
    const first = await fullCycle('start');
    if (first.counts.fail > 0 || first.health.quarantined) fail();
    rows.push(`| job: first full cycle, ${JOB_USERS} users created on the target | 4 | ${(JOB_USERS / first.seconds).toFixed(0)} users/s | | | ${first.counts.fail} | |`);
    process.stderr.write(`${rows.at(-1)}\n`);
    process.stderr.write('jobs: full reconciliation (restart)...\n');
    const recon = await fullCycle('restart');
    if (recon.counts.fail > 0) fail();
    rows.push(`| job: full reconciliation of ${JOB_USERS} users (each matched and compared) | 4 | ${(JOB_USERS / recon.seconds).toFixed(0)} users/s | | | ${recon.counts.fail} | |`);
    process.stderr.write(`${rows.at(-1)}\n`);

    // Changes at JOB_CHANGE_RATE a second, each user once: a new title, A's answer time recorded.
    const n = JOB_CHANGE_RATE * DURATION * 2;
    const picked = hubData.userIds.slice(0, n);
    const names = hubData.userNames.slice(0, n);
    const changedAt = new Map<string, number>();
    const t0 = Date.now();
    await Promise.all(picked.map(async (id, i) => {
      await new Promise((r) => setTimeout(r, Math.max(0, t0 + (i * 1000) / JOB_CHANGE_RATE - Date.now())));
      const r = await fetch(`${hub.url}/api/v2/scim/v2/Users/${id}`, { signal: AbortSignal.timeout(30_000), method: 'PATCH', headers: { authorization: `Bearer ${hubTok}`, 'content-type': 'application/scim+json' }, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: `Changed ${i}` }] }) });
      if (r.status === 200) changedAt.set(names[i], Date.now());
      else await r.text();
    }).map((p) => p.catch(() => undefined)));
    // B's ids of those users, then B's PATCHes of them (the request log: start and duration).
    const downId = new Map<string, string>();
    for (const name of names) {
      const r = (await (await fetch(`${down.url}/api/v2/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${name}"`)}&attributes=id`, { headers: { authorization: `Bearer ${downTok}` } })).json()) as { Resources?: { id: string }[] };
      if (r.Resources?.[0]) downId.set(r.Resources[0].id, name);
    }
    const arrived = new Map<string, number>();
    const deadline = Date.now() + 120_000;
    while (arrived.size < changedAt.size && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      let cursor: string | undefined;
      do {
        const page = (await (await fetch(`${down.url}/api/v2/requests?pageSize=200&from=${new Date(t0 - 1000).toISOString()}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: { authorization: `Bearer ${downTok}` } })).json()) as { entries: { time: string; method: string; path: string; status: number; durationMs: number }[]; cursor?: string };
        for (const e of page.entries) {
          const name = e.method === 'PATCH' && e.status < 300 ? downId.get(e.path.split('?')[0].split('/').at(-1)!) : undefined;
          if (name && changedAt.has(name)) {
            const end = Date.parse(e.time) + e.durationMs;
            if (end >= changedAt.get(name)! - 50 && !(arrived.get(name)! <= end)) arrived.set(name, end);
          }
        }
        cursor = page.cursor;
      } while (cursor);
    }
    const lat = [...arrived].map(([name, end]) => Math.max(0, end - changedAt.get(name)!)).sort((a, b) => a - b);
    const q = (x: number) => lat[Math.min(lat.length - 1, Math.floor(x * lat.length))] ?? NaN;
    if (arrived.size < changedAt.size) fail();
    rows.push(`| job: change in A to PATCH answered by B, at ${JOB_CHANGE_RATE} changes/s | 1 | ${arrived.size} of ${changedAt.size} arrived | ${q(0.5).toFixed(0)} | ${q(0.99).toFixed(0)} | ${changedAt.size - arrived.size} | |`);
    notes.push(`provisioning job: first full cycle of ${JOB_USERS} users ${first.seconds.toFixed(1)} s (${(JOB_USERS / first.seconds).toFixed(0)} users/s); full reconciliation after a restart ${recon.seconds.toFixed(1)} s (${(JOB_USERS / recon.seconds).toFixed(0)} users/s); ${changedAt.size} changes at ${JOB_CHANGE_RATE}/s reached the target with p50 ${q(0.5).toFixed(0)} ms, p99 ${q(0.99).toFixed(0)} ms (${arrived.size} of ${changedAt.size} seen in the target's request log)`);
  } finally {
    await stop(hub);
    await stop(down);
    await hubStore.cleanup();
    await downStore.cleanup();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'scimitar-bench-'));
  const clientId = 'bench-client';
  const clientSecret = 'bench-secret-0123456789-0123456789-abcdef';
  const rows: string[] = [];
  const notes: string[] = [];
  try {
    const baseline = await start(['bench/baseline-server.ts'], {}, /ready/);
    const store = await storeEnv(dir, 'bench');
    process.stderr.write(`preloading ${USERS} users on ${dialect}...\n`);
    const t0 = Date.now();
    const data: Preloaded = await preload({ dbPath: store.dbPath, databaseUrl: store.databaseUrl, clientId, clientSecret, users: USERS, bigGroupMembers: BIG_GROUP, candidates: CANDIDATES });
    notes.push(`preload of ${USERS} users and a ${BIG_GROUP}-member group: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const scim = await start(SCIMITAR, { ...store.env, SCIMITAR_BOOTSTRAP_CLIENT_ID: clientId, SCIMITAR_BOOTSTRAP_CLIENT_SECRET: clientSecret, SCIMITAR_BODY_LIMIT: String(8 << 20), SCIMITAR_WEBHOOK_ALLOW_HTTP_LOOPBACK: '1' }, /Tenant URL/);
    const tok = await token(scim.url, clientId, clientSecret);
    const userNames = data.userNames;
    let failed = false;
    // The ceiling and the peer build the same directory for themselves (bench/fixture.ts).
    const fixture = { users: USERS, candidates: CANDIDATES, bigGroup: BIG_GROUP };
    const againstOthers = only === undefined || SCENARIOS.some((x) => wanted(x));
    // The ceiling on the same store as Scimitar: on PostgreSQL a schema of its own in the same database.
    const ceilingStore = againstOthers && dialect === 'postgres' ? await storeEnv(dir, 'ceiling') : undefined;
    const ceilingEnv: Record<string, string> = ceilingStore ? { CEILING_DATABASE_URL: ceilingStore.databaseUrl! } : { CEILING_DB: join(dir, 'ceiling.db') };
    const ceiling = againstOthers ? await start(['bench/ceiling-server.ts'], { ...fixtureEnv(fixture), ...ceilingEnv, CEILING_CLIENT_ID: clientId, CEILING_CLIENT_SECRET: clientSecret }, /ready/) : undefined;
    const startPeer = () => start(['bench/peer-server.ts'], fixtureEnv(fixture), /ready/);
    let peer = againstOthers ? await startPeer() : undefined;
    const fixtureData: Preloaded = {
      userIds: Array.from({ length: USERS }, (_, i) => fixtureId(i)), candidates: Array.from({ length: CANDIDATES }, (_, i) => fixtureId(USERS + i)),
      userNames: Array.from({ length: USERS }, (_, i) => fixtureUserName(i)), smallGroupId: SMALL_GROUP_ID, bigGroupId: BIG_GROUP_ID, bigGroupMember: fixtureId(Math.min(BIG_GROUP, USERS) - 1),
    };
    const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    const targets: Target[] = [
      { name: 'scimitar', url: scim.url, base: '/api/v2/scim/v2', bearer: tok, basic, data },
      ...(ceiling ? [{ name: 'ceiling' as const, url: ceiling.url, base: '/api/v2/scim/v2', bearer: await token(ceiling.url, clientId, clientSecret), basic, data: fixtureData }] : []),
      ...(peer ? [{ name: 'peer' as const, url: peer.url, base: '/scim/v2', bearer: PEER_TOKEN, data: fixtureData }] : []),
    ];
    // A server's first seconds under load include its JIT warming up (and, on PostgreSQL, cold
    // buffers and plans), which fell on whichever scenario came first (a single PostgreSQL round
    // once measured match at 3,869 req/s against 6,000+ warmed). Scimitar and the ceiling each
    // answer every read scenario for a second before anything is recorded. The peer is left
    // out: its slow scenarios would leave a backlog in the way of the first measurement.
    for (const t of targets.filter((x) => x.name !== 'peer')) {
      for (const name of SCENARIOS.filter((x) => wanted(x) && scenarioKind(x) === 'GET')) {
        const req = scenarioRequest(name, t);
        if (req) await load(t.url, 8, req, 1);
      }
      await drain(t);
    }
    // Rounds interleave the servers scenario by scenario, so that drift of a noisy machine
    // falls on all of them alike; each figure is the median of the rounds, with the spread.
    const results = new Map<string, Figure[]>();
    const keep = (key: string, f: Figure) => results.set(key, [...(results.get(key) ?? []), f]);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of CONCURRENCY) {
        keep(`baseline GET@${c}`, await load(baseline.url, c, { method: 'GET', path: '/json' }));
        keep(`baseline POST@${c}`, await load(baseline.url, c, { method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: createBody('x') }));
        for (const name of SCENARIOS.filter((x) => wanted(x))) {
          for (const t of [...targets]) {
            const req = scenarioRequest(name, t);
            if (!req) continue;
            // A server that answered nothing in a whole run (the peer on a 100,000-member group)
            // is not run again: its later rounds would only wait out its backlog.
            const earlier = results.get(`${name}@${c}@${t.name}`);
            if (earlier?.[0] && earlier[0].rps < 1) {
              keep(`${name}@${c}@${t.name}`, earlier[0]);
              continue;
            }
            process.stderr.write(`round ${round}: ${name} @${c} on ${t.name}...\n`);
            const f = await load(t.url, c, req);
            if (t.name === 'scimitar' && f.errors > 0) failed = true;
            keep(`${name}@${c}@${t.name}`, f);
            // The peer still working off a backlog after two minutes (SCIMMY on a 100,000-member
            // group) would take a core from every later run: it starts afresh instead.
            if (!(await drain(t)) && t.name === 'peer' && peer) {
              process.stderr.write('the peer is still busy after two minutes: restarting it\n');
              await stop(peer);
              peer = await startPeer();
              targets[targets.indexOf(t)] = { ...t, url: peer.url };
            }
          }
        }
      }
    }
    for (const c of CONCURRENCY) {
      const bGet = results.get(`baseline GET@${c}`)!;
      const bPost = results.get(`baseline POST@${c}`)!;
      rows.push(`| baseline GET | ${c} | ${spread(bGet.map((f) => f.rps), 0)} | ${median(bGet.map((f) => f.p50))} | ${median(bGet.map((f) => f.p99))} | ${sum(bGet.map((f) => f.errors))} | 1.00 | | | | |`);
      rows.push(`| baseline POST | ${c} | ${spread(bPost.map((f) => f.rps), 0)} | ${median(bPost.map((f) => f.p50))} | ${median(bPost.map((f) => f.p99))} | ${sum(bPost.map((f) => f.errors))} | 1.00 | | | | |`);
      for (const name of SCENARIOS.filter((x) => wanted(x))) {
        const base = scenarioKind(name) === 'GET' ? bGet : bPost;
        const of = (t: string) => results.get(`${name}@${c}@${t}`);
        const sc = of('scimitar')!;
        // Ratios per round (figures taken minutes apart would mix the machine's moods).
        const ratio = (xs: Figure[] | undefined, ys: Figure[] | undefined) => (!xs || !ys ? 'n/a' : ys.some((y) => y.rps < 1) ? '∞ (no answer)' : spread(xs.map((x, i) => x.rps / ys[i].rps), 2));
        const errs = (xs: Figure[]) => sum(xs.map((f) => f.errors));
        const other = (xs: Figure[] | undefined) => (xs ? `${median(xs.map((f) => f.rps)).toFixed(0)}${errs(xs) ? ` (${errs(xs)} errors)` : ''}` : 'n/a');
        rows.push(`| ${name} | ${c} | ${spread(sc.map((f) => f.rps), 0)} | ${median(sc.map((f) => f.p50))} | ${median(sc.map((f) => f.p99))} | ${errs(sc)} | ${ratio(sc, base)} | ${other(of('ceiling'))} | ${ratio(sc, of('ceiling'))} | ${other(of('peer'))} | ${ratio(sc, of('peer'))} |`);
      }
    }
    if (ceiling) await stop(ceiling);
    await ceilingStore?.cleanup();
    if (peer) await stop(peer);

    // One PATCH adding BULK_MEMBERS members while 8 other clients match users: the PATCH's
    // duration, and the other clients' latency while it runs (targets: < 2 s, p99 < 100 ms).
    const bulk = !wantedExtra('bulk members') ? undefined : await bulkMembers(scim.url, tok, data.candidates.slice(0, BULK_MEMBERS), userNames);
    if (bulk && (bulk.status !== 204 || bulk.others.errors > 0)) failed = true;
    if (bulk) rows.push(`| one PATCH adding ${BULK_MEMBERS} members (target < 2000 ms) | 1 | | ${bulk.ms.toFixed(0)} | | ${bulk.status === 204 ? 0 : 1} | |`);
    if (bulk) rows.push(`| match by 8 other clients during it (target p99 < 100 ms) | 8 | ${bulk.others.rps.toFixed(0)} | ${bulk.others.p50.toFixed(0)} | ${bulk.others.p99.toFixed(0)} | ${bulk.others.errors} | |`);
    if (bulk) notes.push(`bulk membership: one PATCH of ${BULK_MEMBERS} members took ${bulk.ms.toFixed(0)} ms (${bulk.ms < 2000 ? 'met' : 'NOT met'}: < 2000 ms); ${bulk.others.n} match requests of 8 other clients during it: p99 ${bulk.others.p99.toFixed(0)} ms, max ${bulk.others.max.toFixed(0)} ms (${bulk.others.p99 < 100 ? 'met' : 'NOT met'}: p99 < 100 ms)`);

    // A cursor walk (RFC 9865) over every user: keyset pages cost the same at the end as at the start.
    if (wantedExtra('cursor walk')) {
      const walk = await cursorWalk(scim.url, tok);
      rows.push(`| cursor walk, ${walk.pages} pages of 100: first 10 / last 10 (ms per page) | 1 | | ${walk.firstMs.toFixed(1)} / ${walk.lastMs.toFixed(1)} | | ${walk.seen === walk.total ? 0 : 1} | |`);
      notes.push(`cursor walk: ${walk.seen} users in ${walk.pages} pages (totalResults ${walk.total}), ${walk.firstMs.toFixed(1)} ms per page over the first 10, ${walk.lastMs.toFixed(1)} ms over the last 10`);
      if (walk.seen !== walk.total) failed = true;
    }

    // The console's user pages over every preloaded user (target: under 200 ms per page).
    if (wantedExtra('console')) {
      const storeArgs = store.databaseUrl ? ['--database-url', store.databaseUrl] : ['--db', store.dbPath];
      const pages = await consolePages(scim.url, storeArgs, userNames[Math.floor(userNames.length / 3)].slice(0, 10));
      for (const pg of pages) {
        rows.push(`| console users, ${pg.label} (median of 10, target < 200 ms) | 1 | | ${pg.ms.toFixed(1)} | | ${pg.ok ? 0 : 1} | |`);
        if (!pg.ok) failed = true;
      }
      notes.push(`console user list over ${USERS} users: ${pages.map((pg) => `${pg.label} ${pg.ms.toFixed(0)} ms`).join(', ')} (${pages.every((pg) => pg.ms < 200) ? 'met' : 'NOT met'}: < 200 ms per page)`);
    }

    // What recording every request costs reads: GET by id against this server (log on) and a
    // second one on the same store with SCIMITAR_REQUEST_LOG_DAYS=0, alternately (target >= 0.95).
    if (wantedExtra('request log')) {
      const off = await start(SCIMITAR, { ...store.env, SCIMITAR_REQUEST_LOG_DAYS: '0' }, /Tenant URL/);
      const offTarget: Target = { name: 'scimitar', url: off.url, base: '/api/v2/scim/v2', bearer: await token(off.url, clientId, clientSecret), data };
      const onTarget: Target = { name: 'scimitar', url: scim.url, base: '/api/v2/scim/v2', bearer: tok, data };
      const runs: { on: number; off: number }[] = [];
      // A run each first, not recorded: the new server's code is cold, the other's is warm.
      for (const t of [onTarget, offTarget]) await load(t.url, 32, scenarioRequest('get by id', t)!);
      for (let round = 0; round < ROUNDS; round++) {
        const pair = { on: 0, off: 0 };
        // Each goes first in every other round, so that neither always follows the other's backlog.
        const order = [['on', onTarget], ['off', offTarget]] as const;
        for (const [side, t] of round % 2 === 0 ? order : [...order].reverse()) {
          await drain(t);
          const f = await load(t.url, 32, scenarioRequest('get by id', t)!);
          if (f.errors > 0) failed = true;
          pair[side] = f.rps;
        }
        runs.push(pair);
      }
      await stop(off);
      const ratio = median(runs.map((r) => r.on / r.off));
      rows.push(`| GET by id with the request log on / off (target >= 0.95) | 32 | ${median(runs.map((r) => r.on)).toFixed(0)} / ${median(runs.map((r) => r.off)).toFixed(0)} | | | 0 | ${ratio.toFixed(2)} |`);
      notes.push(`request log: GET by id ${runs.map((r) => `${r.on.toFixed(0)} on / ${r.off.toFixed(0)} off`).join(', ')}; median ratio ${ratio.toFixed(2)} (${ratio >= 0.95 ? 'met' : 'NOT met'}: >= 0.95)`);
    }

    // Change events: PATCHes at a steady 1,000 a second with a webhook subscribed; each event's
    // time from its change (the audit row's time) to its receipt at a receiver on loopback
    // (target p99 < 1 s); and PATCH at full speed with and without the subscription (target:
    // no more than 10% slower).
    if (wantedExtra('events')) {
      const onTarget: Target = { name: 'scimitar', url: scim.url, base: '/api/v2/scim/v2', bearer: tok, data };
      const patch = () => scenarioRequest('patch', onTarget)!;
      await load(scim.url, 32, patch());
      const rx = await startReceiver();
      const subscribe = async () => {
        const made = await fetch(`${scim.url}/api/v2/webhooks`, { method: 'POST', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' }, body: JSON.stringify({ url: `http://127.0.0.1:${rx.port}/hook`, eventTypes: ['user.updated'] }) });
        const id = ((await made.json()) as { id: string }).id;
        return () => fetch(`${scim.url}/api/v2/webhooks/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${tok}` } });
      };
      const unsubscribe = await subscribe();
      const paced = await autocannon({ url: scim.url, connections: 16, duration: DURATION * 2, overallRate: 1000, requests: [patch()] as never[] });
      const sent = paced.requests.total - paced.non2xx - paced.errors;
      const deadline = Date.now() + 60_000;
      while ((await rx.count()) < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      const received = await rx.report();
      await unsubscribe();
      // Full speed with and without a subscription, alternating, ROUNDS times (the ratio moves by
      // more than the difference between two single runs); a new subscription each time starts at
      // the newest event, so no backlog of the run before is sent. Each round ends with the
      // control: no subscription, and a bare sender (bench/bare-sender.ts) POSTing as many
      // deliveries a second to the same receiver as the subscription's run sent. PATCHes beside it
      // lose what the deliveries themselves cost this machine; `with / control` is what
      // Scimitar's sender costs beyond them.
      const runs: { with: Figure; without: Figure; control: Figure; bareSent: number }[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const off = await load(scim.url, 32, patch());
        const done = await subscribe();
        const on = await load(scim.url, 32, patch());
        await done();
        await drain(onTarget);
        const bare = startBareSender(rx.port, on.rps);
        const control = await load(scim.url, 32, patch());
        const bareSent = await bare.stop();
        runs.push({ with: on, without: off, control, bareSent });
      }
      rx.close();
      const withHook = { rps: median(runs.map((r) => r.with.rps)), errors: sum(runs.map((r) => r.with.errors)) };
      const without = { rps: median(runs.map((r) => r.without.rps)) };
      const control = median(runs.map((r) => r.control.rps));
      const sorted = [...received].sort((a, b) => a - b);
      const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
      const ratio = median(runs.map((r) => r.with.rps / r.without.rps));
      const floor = median(runs.map((r) => r.control.rps / r.without.rps));
      const beyond = median(runs.map((r) => r.with.rps / r.control.rps));
      if (received.length < sent) failed = true;
      rows.push(`| events: PATCH at 1,000/s with a webhook; change to receipt (target p99 < 1000 ms) | 16 | ${(received.length / (DURATION * 2)).toFixed(0)} delivered/s | ${p(0.5).toFixed(0)} | ${p(0.99).toFixed(0)} | ${sent - Math.min(sent, received.length)} | |`);
      rows.push(`| events: PATCH with / without a subscribed webhook, median of ${ROUNDS} (target >= 0.90) | 32 | ${withHook.rps.toFixed(0)} / ${without.rps.toFixed(0)} | | | ${withHook.errors} | ${ratio.toFixed(2)} (${runs.map((r) => (r.with.rps / r.without.rps).toFixed(2)).join(', ')}) |`);
      rows.push(`| events, control: PATCH beside a bare sender of as many deliveries / without (informative) | 32 | ${control.toFixed(0)} / ${without.rps.toFixed(0)} | | | ${sum(runs.map((r) => r.control.errors))} | ${floor.toFixed(2)} (${runs.map((r) => (r.control.rps / r.without.rps).toFixed(2)).join(', ')}) |`);
      rows.push(`| events: PATCH with the subscription / beside the bare sender: Scimitar's sender beyond the deliveries (informative) | 32 | ${withHook.rps.toFixed(0)} / ${control.toFixed(0)} | | | | ${beyond.toFixed(2)} (${runs.map((r) => (r.with.rps / r.control.rps).toFixed(2)).join(', ')}) |`);
      notes.push(`change events: ${sent} PATCHes at ${(sent / (DURATION * 2)).toFixed(0)}/s, ${received.length} events received once each; change to receipt p50 ${p(0.5).toFixed(0)} ms, p99 ${p(0.99).toFixed(0)} ms (${p(0.99) < 1000 ? 'met' : 'NOT met'}: < 1000 ms); PATCH ${withHook.rps.toFixed(0)} req/s with the subscription vs ${without.rps.toFixed(0)} without: ${ratio.toFixed(2)} (${ratio >= 0.9 ? 'met' : 'NOT met'}: >= 0.90)`);
      notes.push(`change events, control: beside a bare sender POSTing as many deliveries to the same receiver (${runs.map((r) => `${(r.bareSent / DURATION).toFixed(0)}/s`).join(', ')}; no subscription), PATCH ${control.toFixed(0)} req/s: ${floor.toFixed(2)} of without, so the deliveries alone leave at most that on this machine; with the subscription / beside the bare sender ${beyond.toFixed(2)}`);
    }

    // Two nodes on one PostgreSQL: the bench's server and a second one on the same store, the
    // same client concurrency spread over both (autocannon splits its connections between the
    // URLs), against the one node alone, alternating. Informative, not a target: on a machine
    // whose cores the nodes, PostgreSQL and autocannon share, a second node adds no CPU.
    if (dialect === 'postgres' && wantedExtra('two nodes')) {
      const second = await start(SCIMITAR, store.env, /Tenant URL/);
      const one: Target = { name: 'scimitar', url: scim.url, base: '/api/v2/scim/v2', bearer: tok, data };
      for (const name of ['get by id', 'patch', 'members (100)']) {
        const req = scenarioRequest(name, one);
        if (!req) continue;
        await autocannon({ url: second.url, connections: 8, duration: 1, requests: [req].flat() as never[] }); // the second node's code warm
        const pairs: { one: number; two: number }[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const alone = await load(scim.url, 32, req);
          const both = await autocannon({ url: [scim.url, second.url] as never, connections: 32, duration: DURATION, requests: [req].flat() as never[] });
          if (alone.errors > 0 || both.errors + both.non2xx + both.timeouts > 0) failed = true;
          pairs.push({ one: alone.rps, two: both.requests.average });
        }
        const ratio = median(pairs.map((x) => x.two / x.one));
        rows.push(`| two nodes / one: ${name} | 32 | ${median(pairs.map((x) => x.two)).toFixed(0)} / ${median(pairs.map((x) => x.one)).toFixed(0)} | | | 0 | ${ratio.toFixed(2)} (informative) |`);
        notes.push(`two nodes on one PostgreSQL, ${name} at concurrency 32: ${pairs.map((x) => `${x.two.toFixed(0)} two / ${x.one.toFixed(0)} one`).join(', ')}; median ${ratio.toFixed(2)}x (informative on ${cpus().length} cores)`);
      }
      await stop(second);
    }

    await stop(scim);
    await stop(baseline);
    await store.cleanup();

    // The provisioning cycles, then memory and start-up with a large store.
    if (wantedExtra('cycle')) await provisioningCycles(dir, clientId, clientSecret, rows, notes, () => (failed = true));
    if (wantedExtra('jobs')) await provisioningJobs(dir, clientId, clientSecret, rows, notes, () => (failed = true));
    if (wantedExtra('memory')) await memoryRun(dir, clientId, clientSecret, rows, notes);

    const header = [
      `## ${new Date().toISOString().slice(0, 10)} — ${dialect}${quick ? ' (quick)' : ''}`,
      '',
      `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}. ${DURATION} s per run, autocannon in the bench process, each server in its own process.`,
      '',
      `Scimitar req/s and ratios: median of ${ROUNDS} round${ROUNDS > 1 ? 's' : ''} (min–max); a ratio is taken within each round. Ceiling: a minimal Fastify handler per scenario doing the essential storage work by hand, on ${dialect === 'postgres' ? 'PostgreSQL (a schema of its own)' : 'SQLite (a file of its own)'} (bench/ceiling-server.ts). Peer: SCIMMY ${peerVersion()} with scimmy-routers over an in-memory directory (bench/peer-server.ts).`,
      '',
      '| scenario | conc. | Scimitar req/s | p50 ms | p99 ms | errors | × bare Fastify | ceiling req/s | × ceiling | peer req/s | × peer |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      ...notes.map((x) => `- ${x}`),
      '',
      'Filter parser cost per character (linear when the ns/char column stays flat or falls):',
      '',
      ...runFilterParseBench(),
      '',
    ];
    process.stdout.write(`${header.join('\n')}\n`);
    if (write) {
      const file = 'docs/benchmarks.md';
      const intro = '# Benchmarks\n\nProduced by `npm run bench` (see README). Newest first; older results are kept below for comparison.\n\n';
      const old = existsSync(file) ? readFileSync(file, 'utf8').replace(/^# Benchmarks\n\n[^\n]*\n\n/, '') : '';
      // The file opens with where each target stands; new tables go right after that section.
      const standing = /^## Where each target stands[^\n]*\n[\s\S]*?(?=^## )/m.exec(old);
      const kept = standing && standing.index === 0 ? standing[0] : '';
      writeFileSync(file, `${intro}${kept}${header.join('\n')}\n${old.slice(kept.length)}`);
    }
    if (failed) {
      process.stderr.write('some scenarios returned errors\n');
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
