import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preload } from '../bench/preload.ts';
import { scenarioRequest, type Target } from '../bench/scenarios.ts';
import { startArgs } from '../scripts/start-command.ts';
const SCENARIO = process.argv[2] ?? 'page K=1';
const dir = mkdtempSync(join(tmpdir(), 'prof-'));
const dbPath = join(dir, 'b.db');
const d = await preload({ dbPath, clientId: 'c', clientSecret: 'bench-secret-0123456789abcdef', users: 20000, bigGroupMembers: 100 });
const port = 31000;
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...startArgs()], { env: { ...process.env, SCIMITAR_DB: dbPath, PORT: String(port), SCIMITAR_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
let text = '';
child.stdout!.on('data', (x) => (text += x)); child.stderr!.on('data', (x) => (text += x));
while (!/Tenant URL/.test(text)) await new Promise((r) => setTimeout(r, 100));
const url = `http://127.0.0.1:${port}`;
const basic = `Basic ${Buffer.from('c:bench-secret-0123456789abcdef').toString('base64')}`;
const tok = await fetch(`${url}/oauth/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
const bearer = ((await tok.json()) as { access_token: string }).access_token;
const request = scenarioRequest(SCENARIO, { name: 'scimitar', url, base: '/api/v2/scim/v2', bearer, data: d } as Target)!;
const r = await autocannon({ url, connections: 8, duration: 10, requests: [request].flat() as never[] });
console.log('req/s', r.requests.average, 'non2xx', r.non2xx);
child.kill('SIGINT');
await new Promise((res) => child.once('exit', res));
const f = readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'));
console.log(dir, f);
for (const file of f) {
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number }[]; samples: number[] };
  const total = p.samples.length;
  const self = new Map<string, number>();
  for (const n of p.nodes) {
    const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*\/(dist|node_modules)\//, '$1/')}:${n.callFrame.lineNumber}`;
    self.set(k, (self.get(k) ?? 0) + n.hitCount);
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 45);
  console.log(file, total, 'samples');
  for (const [k, v] of top) console.log((100 * v / total).toFixed(1).padStart(5), k);
}
