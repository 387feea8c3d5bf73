// Connect (what to give Entra, a client for it, Test connection) and OAuth clients.
import { can } from '../../../auth/permissions.ts';
import type { AdminContext } from '../../../directory/admin/context.ts';
import type { Services } from '../../../services.ts';
import type { ConsoleCaller } from '../../../directory/console-users.ts';
import { html, type Html } from '../html.ts';
import { csrfField } from '../layout.ts';

/** Entra's gallery validation wants client-credentials tokens that live 60 to 360 minutes: one hour. */
export const ENTRA_TOKEN_LIFETIME = 3600;

export interface TestResult {
  readonly ok: boolean;
  readonly summary: string;
  readonly request: string;
  readonly status?: number;
  readonly body?: string;
}

/** `lifetime`: the token lifetime the form starts with (Entra's gallery requires 60 to 360 minutes). */
async function clientForm(s: Services, c: ConsoleCaller, ctx: AdminContext, legend: string, lifetime?: number): Promise<Html> {
  const roles = await s.admin.roles.list(ctx, { pageSize: 500 });
  const divisions = await s.admin.divisions.list(ctx, { pageSize: 500 });
  const scim = roles.entities.find((r) => r.name === 'SCIM Provisioning');
  return html`<form method="post" action="/console/clients">${csrfField(c)}<fieldset><legend>${legend}</legend>
  <label for="client-name">Name</label><input type="text" id="client-name" name="name" value="Entra provisioning" required maxlength="255">
  <label for="client-role">Role</label><select id="client-role" name="roleId">${roles.entities.map((r) => html`<option value="${r.id}"${r.id === scim?.id ? ' selected' : ''}>${r.name}</option>`)}</select>
  <label for="client-division">Divisions the role applies to</label><select id="client-division" name="divisionId"><option value="*">all divisions</option>${divisions.entities.map((d) => html`<option value="${d.id}">${d.name}</option>`)}</select>
  <label for="client-lifetime">Token lifetime (seconds, 300 to 172800; empty: the server's default of ${String(s.tokens.defaultLifetimeSeconds)})</label><input type="number" id="client-lifetime" name="accessTokenValiditySeconds" min="300" max="172800" step="1" value="${lifetime === undefined ? '' : String(lifetime)}">
  <p><button type="submit" class="primary">Create client</button></p></fieldset></form>`;
}

export async function connectPage(s: Services, c: ConsoleCaller, ctx: AdminContext, publicUrl: string, test?: TestResult): Promise<Html> {
  const clients = can(ctx.principal, ['oauth:client:view']) ? await s.admin.clients.list(ctx, { pageSize: 500 }) : undefined;
  const users = await s.admin.users.list(ctx, { pageSize: 1 }).catch(() => undefined);
  return html`
<p>In Entra ID: <em>Enterprise applications</em> → your Genesys Cloud (or SCIM) app → <em>Provisioning</em> → <em>Admin credentials</em>.</p>
<div class="scroll"><table><tbody>
<tr><th scope="row">Tenant URL</th><td><code id="tenant-url">${publicUrl}/api/v2/scim/v2</code></td></tr>
<tr><th scope="row">Token URL</th><td><code id="token-url">${publicUrl}/oauth/token</code></td></tr>
<tr><th scope="row">Secret token</th><td>An access token of a client below: <code>curl -s -u 'ID:SECRET' -d grant_type=client_credentials ${publicUrl}/oauth/token</code></td></tr>
</tbody></table></div>
${users && users.total === 0 ? html`<p class="notice">No users yet: create a client for Entra, give Entra the tenant URL and a token, and start provisioning.</p>` : ''}
${clients ? html`<p>${clients.total} OAuth client${clients.total === 1 ? '' : 's'}: <a href="/console/clients">manage them</a>.</p>` : ''}
${can(ctx.principal, ['oauth:client:add']) ? await clientForm(s, c, ctx, 'A client for Entra', ENTRA_TOKEN_LIFETIME) : ''}
<h2>Test connection</h2>
<p class="muted">Sends what Entra's Test Connection sends: a token request, then <code>GET /Users?filter=userName eq "&lt;random&gt;"</code>, and shows the answer.</p>
<form method="post" action="/console/connect/test" class="row">${csrfField(c)}
  <div><label for="test-id">Client id</label><input type="text" id="test-id" name="clientId" required></div>
  <div><label for="test-secret">Client secret</label><input type="password" id="test-secret" name="clientSecret" autocomplete="off" required></div>
  <div><button type="submit">Test connection</button></div></form>
${test ? testResult(test) : ''}`;
}

export const testResult = (t: TestResult) => html`<section aria-label="Test connection result" id="test-result"><p class="notice ${t.ok ? 'ok' : 'error'}" role="${t.ok ? 'status' : 'alert'}">${t.summary}</p>
<pre>${t.request}${t.status !== undefined ? `\n-> ${t.status}\n${t.body ?? ''}` : ''}</pre></section>`;

/** "1 h", "90 min", "48 h". */
export function lifetimeText(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export async function clientsPage(s: Services, c: ConsoleCaller, ctx: AdminContext): Promise<Html> {
  const clients = await s.admin.clients.list(ctx, { pageSize: 500 });
  const roles = new Map((await s.store.listRoles(ctx.org.id)).map((r) => [r.id, r.name]));
  const divisions = new Map((await s.store.listDivisions(ctx.org.id)).map((d) => [d.id, d.name]));
  const grants = (rds: readonly { roleId: string; divisionId: string }[]) => rds.map((rd) => `${roles.get(rd.roleId) ?? rd.roleId} on ${rd.divisionId === '*' ? 'all divisions' : divisions.get(rd.divisionId) ?? rd.divisionId}`).join('; ');
  const may = (p: string) => can(ctx.principal, [p]);
  return html`
<div class="scroll"><table><thead><tr><th scope="col">Name</th><th scope="col">Client id</th><th scope="col">State</th><th scope="col">Grants</th><th scope="col">Token lifetime</th><th scope="col"><span class="muted">Actions</span></th></tr></thead><tbody>
${clients.entities.map((cl) => html`<tr><td>${cl.name}</td><td><code>${cl.id}</code></td><td>${cl.state}</td><td>${grants(cl.roleDivisions)}</td><td>${lifetimeText(cl.accessTokenValiditySeconds)}</td><td>
  ${may('oauth:client:edit') ? html`<form class="inline" method="post" action="/console/clients/${cl.id}/rotate" data-confirm="${`Issue a new secret for ${cl.name}? The old one and its tokens stop working.`}">${csrfField(c)}<button type="submit">Rotate secret</button></form>
  <form class="inline" method="post" action="/console/clients/${cl.id}/state">${csrfField(c)}<input type="hidden" name="state" value="${cl.state === 'active' ? 'inactive' : 'active'}"><button type="submit">${cl.state === 'active' ? 'Disable' : 'Enable'}</button></form>` : ''}
  ${may('oauth:client:delete') ? html`<form class="inline" method="post" action="/console/clients/${cl.id}/delete" data-confirm="${`Delete ${cl.name}? Its tokens stop working.`}">${csrfField(c)}<button type="submit" class="danger" aria-label="${`Delete ${cl.name}`}">Delete</button></form>` : ''}
</td></tr>`)}</tbody></table></div>
${may('oauth:client:add') ? html`<h2>New client</h2>${await clientForm(s, c, ctx, 'New OAuth client')}` : ''}`;
}

/** The one page that shows a secret: after create and rotate; never cached. */
export const secretPage = (c: ConsoleCaller, client: { id: string; name: string; secret?: string }) => html`
<p class="notice ok" role="status">Copy the secret now: it is shown this once and stored only as a hash.</p>
<div class="scroll"><table><tbody>
<tr><th scope="row">Name</th><td>${client.name}</td></tr>
<tr><th scope="row">Client id</th><td><code id="client-id">${client.id}</code></td></tr>
<tr><th scope="row">Secret</th><td><code class="secret" id="client-secret">${client.secret ?? ''}</code></td></tr>
</tbody></table></div>
<form method="post" action="/console/connect/test">${csrfField(c)}<input type="hidden" name="clientId" value="${client.id}"><input type="hidden" name="clientSecret" value="${client.secret ?? ''}">
<p><button type="submit" class="primary">Test connection</button> <a href="/console/clients">Back to clients</a></p></form>`;
