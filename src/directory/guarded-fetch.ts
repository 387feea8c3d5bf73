// The outbound HTTP client of webhooks and provisioning jobs' targets: the subset of fetch the
// SCIM client uses, over node:http with the address guard at every connection (target.ts): a
// URL whose name resolves to a private or loopback address the operator did not allow is
// refused after DNS, not only when the subscription or job was saved (DNS rebinding, SSRF).
// Connections are kept alive between requests.
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { HttpFetch } from '../provision/scim-client.ts';
import { guardedLookup, refusedLiteral, type TargetPolicy } from './webhooks/target.ts';

/** How long a target has to answer one request. */
export const TARGET_TIMEOUT_MS = 30_000;

export interface GuardedFetchOptions {
  readonly timeoutMs?: number;
  /** Connections per host kept open. */
  readonly maxSockets?: number;
  /** Keep at most this much of an answer (a receiver's answer is logged, not read). */
  readonly maxBodyBytes?: number;
}

/** A guarded fetch, and how to close its open connections. */
export type GuardedFetch = HttpFetch & { close(): void };

/** A failure after the answer began: its status stays known. */
export class AnswerError extends Error {
  constructor(message: string, readonly status: number | undefined) {
    super(message);
  }
}

const header = (headers: IncomingHttpHeaders, name: string): string | null => {
  const v = headers[name.toLowerCase()];
  return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
};

export function guardedFetch(policy: TargetPolicy, options: GuardedFetchOptions = {}): GuardedFetch {
  const timeoutMs = options.timeoutMs ?? TARGET_TIMEOUT_MS;
  const maxSockets = options.maxSockets ?? 16;
  const agents = { http: new HttpAgent({ keepAlive: true, maxSockets }), https: new HttpsAgent({ keepAlive: true, maxSockets }) };
  const fetch: HttpFetch = (url, init) => new Promise((resolve, reject) => {
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
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (options.maxBodyBytes === undefined || size < options.maxBodyBytes) chunks.push(c);
        size += c.length;
      });
      res.on('error', (e) => reject(new AnswerError(e.message, res.statusCode)));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: { get: (n) => header(res.headers, n) }, text: async () => (options.maxBodyBytes === undefined ? text : text.slice(0, options.maxBodyBytes)) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
  return Object.assign(fetch, {
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  });
}
