// Instructions per request, counted by valgrind's callgrind: a figure that does not move with
// what else the machine is doing, for differences too small for a req/s bench on a shared
// 2-core machine to resolve (the request log's cost on reads, whose target is 5%).
//
//   npm run bench:instructions -- [--requests N] [--users N] [--repeat N] [--scenario NAME] [--vary KEY=VALUE] [--node-flag FLAG]...
//
// Scimitar (compiled, as `npm start` runs it) runs under callgrind twice on one SQLite store:
// as configured (A) and with one environment variable set (B; by default
// SCIMITAR_REQUEST_LOG_DAYS=0, the request log off), each `--repeat` times (default 2,
// alternating). Each run is warmed with the same requests first; then callgrind's counters are
// zeroed, N requests of the scenario (default "get by id", from bench/scenarios.ts) are sent
// (8 connections, from this process, which is not counted) and the counters dumped per
// thread. Printed: instructions per request on the request thread (what bounds reads here: it
// runs at a full core under load) and in all threads together.
import autocannon from 'autocannon';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preload } from './preload.ts';
import { scenarioRequest, type Target } from './scenarios.ts';
import { startArgs } from '../scripts/start-command.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) || fallback : fallback);
const REQUESTS = opt('--requests', 3000);
const USERS = opt('--users', 2000);
const REPEAT = opt('--repeat', 2);
const WARMUP = Math.max(500, Math.floor(REQUESTS / 2));
const SCENARIO = args.includes('--scenario') ? args[args.indexOf('--scenario') + 1] : 'get by id';
/**
 * Node flags added before the entry; by default --predictable (one thread per isolate and a
 * fixed collection schedule: without it, the same build's counts moved by 10% between runs).
 */
const GIVEN_FLAGS = args.flatMap((a, i) => (a === '--node-flag' ? [args[i + 1]] : []));
const NODE_FLAGS = GIVEN_FLAGS.length > 0 ? GIVEN_FLAGS : ['--predictable'];
const VARY = args.includes('--vary') ? args[args.indexOf('--vary') + 1] : 'SCIMITAR_REQUEST_LOG_DAYS=0';
if (!VARY.includes('=')) throw new Error('--vary takes KEY=VALUE');
const [VARY_KEY, VARY_VALUE] = [VARY.slice(0, VARY.indexOf('=')), VARY.slice(VARY.indexOf('=') + 1)];

interface Counted {
  readonly requestThread: number;
  readonly allThreads: number;
}

/** Math.random as a seeded generator (mulberry32), so that runs pick the same users. */
function seedRandom(seed: number): void {
  let a = seed >>> 0;
  Math.random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The `summary:` (or `totals:`) instruction count of a callgrind dump file. */
function instructionsOf(file: string): number {
  const m = /^(?:summary|totals):\s+(\d+)/m.exec(readFileSync(file, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function runOnce(dir: string, env: Record<string, string>, label: string): Promise<Counted> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const out = join(dir, `cg-${label}-${Date.now()}`);
  const child: ChildProcess = spawn('valgrind', [
    '--tool=callgrind', '--separate-threads=yes', '--smc-check=all-non-file', `--callgrind-out-file=${out}.%p`,
    process.execPath, ...NODE_FLAGS, ...startArgs(),
  ], { env: { ...process.env, ...env, PORT: String(port), SCIMITAR_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const deadline = Date.now() + 600_000;
  while (!/Tenant URL/.test(text) && child.exitCode === null && Date.now() < deadline) await sleep(100);
  if (!/Tenant URL/.test(text)) throw new Error(`server did not start under valgrind: ${text.slice(-2000)}`);
  const url = `http://127.0.0.1:${port}`;
  try {
    const basic = `Basic ${Buffer.from(`${env.BENCH_CLIENT_ID}:${env.BENCH_CLIENT_SECRET}`).toString('base64')}`;
    const tok = await fetch(`${url}/oauth/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    const bearer = ((await tok.json()) as { access_token: string }).access_token;
    const data = JSON.parse(env.BENCH_DATA) as Target['data'];
    const request = scenarioRequest(SCENARIO, { name: 'scimitar', url, base: '/api/v2/scim/v2', bearer, data });
    if (!request) throw new Error(`no scenario ${JSON.stringify(SCENARIO)} (bench/scenarios.ts)`);
    const send = async (amount: number) => {
      const r = await autocannon({ url, connections: 8, amount, timeout: 120, requests: [request].flat() as never[] });
      if (r.non2xx + r.errors + r.timeouts > 0) throw new Error(`${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
    };
    // Both sides get the same sequence of users (bench/scenarios.ts picks with Math.random).
    seedRandom(1);
    await send(WARMUP);
    // Let the warm-up's request-log batch (flushed once a second) be written before counting.
    await sleep(3000);
    const ctl = (flag: string) => {
      const r = spawnSync('callgrind_control', [flag, String(child.pid)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`callgrind_control ${flag}: ${r.stderr}${r.stdout}`);
    };
    ctl('-z');
    seedRandom(2);
    await send(REQUESTS);
    // The counted requests' own batch is written too (its cost is part of what a request costs).
    await sleep(3000);
    const before = new Set(readdirSync(dir));
    ctl('-d');
    const dumps = readdirSync(dir).filter((f) => !before.has(f) && f.startsWith(`cg-${label}`));
    if (dumps.length === 0) throw new Error('callgrind wrote no dump');
    // Thread 1 is the main thread: Fastify's request thread.
    const main = dumps.find((f) => /-0*1$/.test(f));
    if (!main) throw new Error(`no main-thread dump among ${dumps.join(', ')}`);
    const all = dumps.reduce((s, f) => s + instructionsOf(join(dir, f)), 0);
    return { requestThread: instructionsOf(join(dir, main)) / REQUESTS, allThreads: all / REQUESTS };
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
}

async function main(): Promise<void> {
  if (spawnSync('valgrind', ['--version']).status !== 0) throw new Error('valgrind is not installed here (apt-get install -y valgrind)');
  const dir = mkdtempSync(join(tmpdir(), 'scimitar-instr-'));
  try {
    const dbPath = join(dir, 'bench.db');
    const clientId = 'bench-client';
    const clientSecret = 'bench-secret-0123456789abcdef';
    const d = await preload({ dbPath, clientId, clientSecret, users: USERS, bigGroupMembers: 100 });
    const env = { SCIMITAR_DB: dbPath, BENCH_CLIENT_ID: clientId, BENCH_CLIENT_SECRET: clientSecret, BENCH_DATA: JSON.stringify(d) };
    const runs: { a: Counted; b: Counted }[] = [];
    const vary = `${VARY_KEY}=${VARY_VALUE}`;
    for (let i = 0; i < REPEAT; i++) {
      const pair: Partial<{ a: Counted; b: Counted }> = {};
      const order = i % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
      for (const side of order) {
        pair[side] = await runOnce(dir, side === 'a' ? env : { ...env, [VARY_KEY]: VARY_VALUE }, side);
        console.log(`run ${i + 1} ${side === 'a' ? 'as configured' : vary}: ${pair[side]!.requestThread.toFixed(0)} instructions a request on the request thread, ${pair[side]!.allThreads.toFixed(0)} in all threads`);
      }
      runs.push(pair as { a: Counted; b: Counted });
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const a = { rt: mean(runs.map((r) => r.a.requestThread)), all: mean(runs.map((r) => r.a.allThreads)) };
    const b = { rt: mean(runs.map((r) => r.b.requestThread)), all: mean(runs.map((r) => r.b.allThreads)) };
    const pct = (x: number, y: number) => `${x >= y ? '+' : ''}${(100 * (x / y - 1)).toFixed(1)}%`;
    console.log(`${SCENARIO}, ${REQUESTS} requests, ${USERS} users, ${REPEAT} runs each (mean); A as configured, B with ${vary}:`);
    console.log(`  request thread: A ${a.rt.toFixed(0)}, B ${b.rt.toFixed(0)} instructions a request: A is ${pct(a.rt, b.rt)} of B`);
    console.log(`  all threads:    A ${a.all.toFixed(0)}, B ${b.all.toFixed(0)} instructions a request: A is ${pct(a.all, b.all)} of B`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
