// Two Scimitar servers for provisioning-job tests: hub A (a dialect, SCIMITAR_SECRET_KEY,
// loopback targets allowed) and downstream B (SQLite, standard profile) listening on a free
// port, with a client of B holding B's SCIM role for A's jobs to use.
import type { FastifyInstance } from 'fastify';
import type { DialectName } from './dialects.ts';
import { call, createOrg, listening, startHarness, type Harness, type Org } from './harness.ts';

export interface Hub {
  readonly a: Harness;
  readonly b: Harness;
  readonly orgA: Org;
  readonly orgB: Org;
  /** A's URL when `listenA` asked for it (browsers and the CLI need one). */
  readonly aUrl: string;
  readonly aApp?: FastifyInstance;
  readonly bUrl: string;
  /** A client of B for A's jobs (revoking it leaves B's own administrator). */
  readonly client: { readonly id: string; readonly secret: string };
  /** What A's job needs as its target. */
  target(): { url: string; tokenUrl: string; clientId: string; clientSecret: string };
  close(): Promise<void>;
}

export const HUB_SECRET_KEY = 'a provisioning test secret key, 32 characters or more';

export async function startHub(o: { readonly dialect?: DialectName; readonly listenA?: boolean; readonly orgNames?: readonly [string, string]; readonly filesDir?: string } = {}): Promise<Hub> {
  const a = await startHarness({ dialect: o.dialect, secretKey: HUB_SECRET_KEY, webhookAllowHttpLoopback: true, ...(o.filesDir ? { provisioningFilesDir: o.filesDir } : {}) });
  const b = await startHarness();
  const orgA = await createOrg(a, 'genesys', o.orgNames?.[0]);
  const orgB = await createOrg(b, 'standard', o.orgNames?.[1]);
  const bl = await listening(b);
  const al = o.listenA ? await listening(a) : undefined;
  const c = await call(b, { method: 'POST', path: '/api/v2/oauth/clients', token: orgB.token, headers: { 'content-type': 'application/json' }, body: { name: 'From the hub', roleDivisions: [{ roleId: orgB.scimRoleId, divisionId: '*' }] } });
  if (c.status !== 201) throw new Error(`B's client: ${c.raw}`);
  const client = { id: c.body.id as string, secret: c.body.secret as string };
  return {
    a, b, orgA, orgB, aUrl: al?.url ?? '', ...(al ? { aApp: al.app } : {}), bUrl: bl.url, client,
    target: () => ({ url: `${bl.url}/api/v2/scim/v2`, tokenUrl: `${bl.url}/oauth/token`, clientId: client.id, clientSecret: client.secret }),
    async close() {
      await a.services.jobRunner.stop();
      await al?.app.close();
      await bl.app.close();
      await a.close();
      await b.close();
    },
  };
}
