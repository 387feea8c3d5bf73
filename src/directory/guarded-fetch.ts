// The HTTP client of provisioning jobs' targets: the subset of fetch the SCIM client uses, over
// node:http with the webhook sender's address guard at every connection (target.ts): a target
// whose name resolves to a private or loopback address the operator did not allow is refused
// after DNS, not only when the job was saved (DNS rebinding, SSRF). Connections are kept alive
// between a cycle's requests.
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { HttpFetch } from '../provision/scim-client.ts';
import { guardedLookup, refusedLiteral, type TargetPolicy } from './webhooks/target.ts';

/** How long a target has to answer one request. */
export const TARGET_TIMEOUT_MS = 30_000;

const header = (headers: IncomingHttpHeaders, name: string): string | null => {
  const v = headers[name.toLowerCase()];
  return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
};

export function guardedFetch(policy: TargetPolicy, timeoutMs = TARGET_TIMEOUT_MS): HttpFetch {
  const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 16 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 16 }) };
  return (url, init) => new Promise((resolve, reject) => {
    const u = new URL(url);
    const refused = refusedLiteral(u, policy);
    if (refused) return reject(new Error(`refused: ${refused}`));
    const https = u.protocol === 'https:';
    const body = init.body === undefined ? undefined : Buffer.from(init.body);
    const req = (https ? httpsRequest : httpRequest)(u, {
      method: init.method, agent: https ? agents.https : agents.http, timeout: timeoutMs, lookup: guardedLookup(policy, u.protocol) as never,
      headers: { ...init.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: { get: (n) => header(res.headers, n) }, text: async () => Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`the target did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
