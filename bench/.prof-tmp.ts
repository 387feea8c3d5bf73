import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { preload } from './preload.ts';
const db = '/tmp/prof/p.db';
const id = 'c', secret = 'bench-secret-0123456789-0123456789-abcdef';
const data = await preload({ dbPath: db, clientId: id, clientSecret: secret, users: 20000, bigGroupMembers: 100 });
const prof = process.argv[3] === 'prof';
const child = spawn(process.execPath, [...(prof ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []), '--import', 'tsx', 'src/main.ts'], { env: { ...process.env, SCIMITAR_DB: db, PORT: '18999', SCIMITAR_BOOTSTRAP_CLIENT_ID: id, SCIMITAR_BOOTSTRAP_CLIENT_SECRET: secret, SCIMITAR_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((r) => child.stdout!.on('data', (d) => String(d).includes('Tenant') && r(null)));
const tok = (await (await fetch('http://127.0.0.1:18999/oauth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=${id}&client_secret=${secret}` })).json()).access_token;
const paths: Record<string, string> = {
  match: `/api/v2/scim/v2/Users?filter=userName%20eq%20%22${encodeURIComponent(data.userNames[5])}%22`,
  byid: `/api/v2/scim/v2/Users/${data.userIds[5]}`,
  spc: '/api/v2/scim/v2/ServiceProviderConfig',
  page: '/api/v2/scim/v2/Users?count=100',
};
const mode = process.argv[2] ?? 'match';
let n = 0;
const req: any = mode === 'patch'
  ? { method: 'PATCH', path: '/', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/scim+json' }, setupRequest: (q: any) => ({ ...q, path: `/api/v2/scim/v2/Users/${data.userIds[Math.floor(Math.random() * 20000)]}`, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'title', value: `T${n++}` }] }) }) }
  : { method: 'GET', path: paths[mode], headers: { authorization: `Bearer ${tok}` } };
const r = await autocannon({ url: 'http://127.0.0.1:18999', connections: 32, duration: 5, requests: [req] });
console.log(mode, r.requests.average, r.latency.p50, r.non2xx);
child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));
