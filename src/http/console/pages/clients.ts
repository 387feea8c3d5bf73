// Connect (what to give Entra, a client for it, Test connection) and OAuth clients.
import { ALL_DIVISIONS, can, divisionsWith } from '../../../auth/permissions.ts';
import type { AdminContext } from '../../../directory/admin/context.ts';
import type { Services } from '../../../services.ts';
import type { ConsoleCaller } from '../../../directory/console-users.ts';
import { html, type Html } from '../html.ts';
import { csrfField } from '../layout.ts';
import type { Revealed } from '../reveal.ts';
import type { Notice } from '../notices.ts';
import { chosen, formError, formName, typed } from '../forms.ts';
import { requestChart } from './requests.ts';
import { SECRET_TOKEN_DAYS, type ClientEntity, type SecretTokenEntity } from '../../../directory/admin/clients.ts';

/** Entra's gallery validation wants client-credentials tokens that live 60 to 360 minutes: one hour. */
export const ENTRA_TOKEN_LIFETIME = 3600;

export interface TestResult {
  readonly ok: boolean;
  readonly summary: string;
  readonly request: string;
  readonly status?: number;
  readonly body?: string;
}

/**
 * The new-client form, on Connect and on OAuth clients (`page`: where a refusal brings it back);
 * `lifetime`: the token lifetime it starts with (Entra's gallery requires 60 to 360 minutes).
 */
async function clientForm(s: Services, c: ConsoleCaller, ctx: AdminContext, legend: string, page: string, notice: Notice | undefined, lifetime?: number): Promise<Html> {
  const roles = await s.admin.roles.list(ctx, { pageSize: 500 });
  const divisions = await s.admin.divisions.list(ctx, { pageSize: 500 });
  const scim = roles.entities.find((r) => r.name === 'SCIM Provisioning');
  const input = notice?.form?._form === 'client' ? notice.form : undefined;
  return html`<form method="post" action="/console/clients">${csrfField(c)}${formName('client')}<input type="hidden" name="_page" value="${page}"><fieldset><legend>${legend}</legend>
  ${formError(notice, 'client')}
  <label for="client-name">Name</label><input type="text" id="client-name" name="name" value="${typed(input, 'name', 'Entra provisioning')}" required maxlength="255">
  <label for="client-role">Role</label><select id="client-role" name="roleId">${roles.entities.map((r) => html`<option value="${r.id}"${chosen(input, 'roleId', r.id, scim?.id)}>${r.name}</option>`)}</select>
  <label for="client-division">Divisions the role applies to</label><select id="client-division" name="divisionId"><option value="*">all divisions</option>${divisions.entities.map((d) => html`<option value="${d.id}"${chosen(input, 'divisionId', d.id)}>${d.name}</option>`)}</select>
  <label for="client-lifetime">Token lifetime (seconds, 300 to 172800; empty: the server's default of ${String(s.tokens.defaultLifetimeSeconds)})</label><input type="number" id="client-lifetime" name="accessTokenValiditySeconds" min="300" max="172800" step="1" value="${typed(input, 'accessTokenValiditySeconds', lifetime === undefined ? '' : String(lifetime))}">
  <p><button type="submit" class="primary">Create client</button></p></fieldset></form>`;
}

/** A value to give Entra, with a button that copies it (console.js). */
const copyable = (id: string, value: string, secret = false) =>
  html`<code id="${id}"${secret ? html` class="secret"` : ''}>${value}</code> <button type="button" class="copy" data-copy="${id}" aria-label="${`Copy ${id.replace(/-/g, ' ')}`}">Copy</button>`;

function secretTokensSection(c: ConsoleCaller, ctx: AdminContext, clients: readonly ClientEntity[], tokens: readonly SecretTokenEntity[], notice: Notice | undefined): Html {
  const input = notice?.form?._form === 'secret-token' ? notice.form : undefined;
  const active = clients.filter((cl) => cl.state === 'active');
  const mayEdit = can(ctx.principal, ['oauth:client:edit']);
  return html`<section aria-labelledby="secret-token"><h2 id="secret-token">Bearer Authentication: Secret Token</h2>
<p>For an app whose <em>Admin credentials</em> offer only a <strong>Secret Token</strong>: a token of a client below that lives up to ${String(SECRET_TOKEN_DAYS.max)} days and can be revoked here. Provisioning stops when it expires; Scimitar warns 7 days before, here and in <code>/metrics</code> (<code>scimitar_secret_tokens_expiring</code>).</p>
${mayEdit && active.length > 0 ? html`<form method="post" action="/console/secret-tokens" class="row">${csrfField(c)}${formName('secret-token')}${formError(notice, 'secret-token')}
  <div><label for="token-client">Client</label><select id="token-client" name="clientId">${active.map((cl) => html`<option value="${cl.id}"${chosen(input, 'clientId', cl.id)}>${cl.name}</option>`)}</select></div>
  <div><label for="token-days">Lifetime (days, 1 to ${String(SECRET_TOKEN_DAYS.max)})</label><input type="number" id="token-days" name="expiresInDays" min="1" max="${String(SECRET_TOKEN_DAYS.max)}" step="1" value="${typed(input, 'expiresInDays', String(SECRET_TOKEN_DAYS.default))}" required></div>
  <div><button type="submit">Issue secret token</button></div></form>` : ''}
${tokens.length === 0 ? html`<p class="muted">No secret tokens.</p>` : html`<div class="scroll"><table><caption>Secret tokens, soonest to expire first</caption><thead><tr><th scope="col">Client</th><th scope="col">Issued</th><th scope="col">Expires</th><th scope="col"><span class="muted">Actions</span></th></tr></thead><tbody>
${tokens.map((t) => html`<tr><td>${t.clientName}</td><td><time datetime="${t.dateCreated}">${day(t.dateCreated)}</time></td><td><time datetime="${t.dateExpires}">${day(t.dateExpires)}</time>${t.expiresSoon ? html` <span class="badge refused">expires soon</span>` : ''}</td><td>
  ${mayEdit ? html`<form class="inline" method="post" action="/console/clients/${t.clientId}/tokens/${t.id}/revoke" data-confirm="${`Revoke this secret token of ${t.clientName}? Whoever uses it is refused from now on.`}">${csrfField(c)}<button type="submit" class="danger">Revoke</button></form>` : ''}
</td></tr>`)}</tbody></table></div>`}
</section>`;
}

const day = (iso: string) => iso.slice(0, 10);

function federationSection(c: ConsoleCaller, ctx: AdminContext, clients: readonly ClientEntity[], tokenEndpoint: string, notice: Notice | undefined): Html {
  const input = notice?.form?._form === 'federation' ? notice.form : undefined;
  const federated = clients.filter((cl) => cl.federation);
  const mayEdit = can(ctx.principal, ['oauth:client:edit']);
  return html`<section aria-labelledby="federation"><h2 id="federation">Workload identity federation</h2>
<p>No secret at all: Entra presents a JWT its tenant signed (RFC 7523) and gets a token for the client that federates with that issuer and subject. The keys are read from the issuer's OpenID configuration (or the JWKS URI given).</p>
${federated.length > 0 ? html`<div class="scroll"><table><caption>Federated clients</caption><thead><tr><th scope="col">Client</th><th scope="col">Issuer</th><th scope="col">Subject</th><th scope="col">Audience</th><th scope="col"><span class="muted">Actions</span></th></tr></thead><tbody>
${federated.map((cl) => html`<tr><td>${cl.name}</td><td><code>${cl.federation!.issuer}</code></td><td><code>${cl.federation!.subject}</code></td><td><code>${cl.federation!.audience}</code></td><td>
  ${mayEdit ? html`<form class="inline" method="post" action="/console/clients/${cl.id}/federation/remove" data-confirm="${`Stop accepting JWTs for ${cl.name}?`}">${csrfField(c)}<button type="submit" class="danger">Remove</button></form>` : ''}
</td></tr>`)}</tbody></table></div>` : ''}
${mayEdit && clients.length > 0 ? html`<form method="post" action="/console/federation">${csrfField(c)}${formName('federation')}<fieldset><legend>Federate a client</legend>
  ${formError(notice, 'federation')}
  <label for="fed-client">Client</label><select id="fed-client" name="clientId">${clients.map((cl) => html`<option value="${cl.id}"${chosen(input, 'clientId', cl.id)}>${cl.name}</option>`)}</select>
  <label for="fed-issuer">Issuer (the JWT's iss, an https URL)</label><input type="url" id="fed-issuer" name="issuer" required maxlength="1024" placeholder="https://login.microsoftonline.com/&lt;tenant id&gt;/v2.0" value="${typed(input, 'issuer')}">
  <label for="fed-subject">Subject (the JWT's sub)</label><input type="text" id="fed-subject" name="subject" required maxlength="1024" value="${typed(input, 'subject')}">
  <label for="fed-audience">Audience (the JWT's aud)</label><input type="text" id="fed-audience" name="audience" maxlength="1024" value="${typed(input, 'audience', tokenEndpoint)}">
  <label for="fed-jwks">JWKS URI (optional)</label><input type="url" id="fed-jwks" name="jwksUri" maxlength="1024" value="${typed(input, 'jwksUri')}">
  <p><button type="submit">Save federation</button></p></fieldset></form>` : ''}
</section>`;
}

export async function connectPage(s: Services, c: ConsoleCaller, ctx: AdminContext, publicUrl: string, test?: TestResult, notice?: Notice): Promise<Html> {
  const mayView = can(ctx.principal, ['oauth:client:view']);
  const clients = mayView ? await s.admin.clients.list(ctx, { pageSize: 500 }) : undefined;
  const tokens = mayView ? (await s.admin.clients.secretTokens(ctx)).entities : [];
  const expiring = tokens.filter((t) => t.expiresSoon);
  const users = can(ctx.principal, ['directory:user:view']) ? await s.admin.users.list(ctx, { pageSize: 1 }) : undefined;
  const activeUsers = users && users.total > 0 ? (await s.admin.users.list(ctx, { filter: 'active eq true', pageSize: 1 })).total : 0;
  const groups = can(ctx.principal, ['directory:group:view']) ? (await s.admin.groups.list(ctx, { pageSize: 1 })).total : undefined;
  // The traffic chart needs the request log's right (audits:audit:view on every division).
  const traffic = divisionsWith(ctx.principal, ['audits:audit:view']) === ALL_DIVISIONS ? await s.admin.requests.summary(ctx) : undefined;
  return html`
<p>In Entra ID: <em>Enterprise applications</em> → your Genesys Cloud (or SCIM) app → <em>Provisioning</em> → <em>Admin credentials</em>.</p>
${expiring.length > 0 ? html`<p class="notice error" role="alert">${expiring.map((t) => `The secret token of ${t.clientName} expires on ${day(t.dateExpires)}.`).join(' ')} Issue a new one and paste it into Entra, or switch to OAuth2 Client Credentials Grant.</p>` : ''}
${users && users.total === 0 ? html`<p class="notice">No users yet: create a client for Entra, give Entra the values below, and start provisioning.</p>` : ''}
${users || groups !== undefined || clients ? html`<ul class="glance" aria-label="At a glance">
  ${users ? html`<li><a href="/console/users"><strong>${String(users.total)}</strong> users</a> <span class="badge ok">${String(activeUsers)} active</span>${users.total > activeUsers ? html` <span class="badge">${String(users.total - activeUsers)} inactive</span>` : ''}</li>` : ''}
  ${groups !== undefined ? html`<li><a href="/console/groups"><strong>${String(groups)}</strong> groups</a></li>` : ''}
  ${clients ? html`<li><a href="/console/clients"><strong>${String(clients.total)}</strong> OAuth clients</a></li>` : ''}
</ul>` : ''}
${traffic ? requestChart(traffic) : ''}
<section aria-labelledby="client-credentials"><h2 id="client-credentials">OAuth2 Client Credentials Grant <span class="badge">recommended</span></h2>
<p>Authentication Method: <strong>OAuth2 Client Credentials Grant</strong>. Entra asks this server for a token whenever it needs one, so provisioning never stops on an expired token.</p>
<div class="scroll"><table><tbody>
<tr><th scope="row">Tenant URL</th><td>${copyable('tenant-url', `${publicUrl}/api/v2/scim/v2`)}</td></tr>
<tr><th scope="row">Token Endpoint</th><td>${copyable('token-endpoint', `${publicUrl}/oauth/token`)}</td></tr>
<tr><th scope="row">Client Identifier, Client Secret</th><td>Of a client you create below: the next page shows both (the secret once).</td></tr>
</tbody></table></div>
${clients ? html`<p>${String(clients.total)} OAuth client${clients.total === 1 ? '' : 's'}: <a href="/console/clients">manage them</a>.</p>` : ''}
${can(ctx.principal, ['oauth:client:add']) ? await clientForm(s, c, ctx, 'A client for Entra', '/console', notice, ENTRA_TOKEN_LIFETIME) : ''}
</section>
${clients ? secretTokensSection(c, ctx, clients.entities, tokens, notice) : ''}
${clients ? federationSection(c, ctx, clients.entities, `${publicUrl}/oauth/token`, notice) : ''}
<section aria-labelledby="test-connection"><h2 id="test-connection">Test connection</h2>
<p class="muted">Sends what Entra's Test Connection sends: a token request, then <code>GET /Users?filter=userName eq "&lt;random&gt;"</code>, and shows the answer. For Microsoft's whole gallery validation (25 tests), run <code>npx scimitar validate ${publicUrl}/api/v2/scim/v2 --client-id … --client-secret …</code> (docs/validate.md).</p>
<form method="post" action="/console/connect/test" class="row">${csrfField(c)}
  <div><label for="test-id">Client Identifier</label><input type="text" id="test-id" name="clientId" required></div>
  <div><label for="test-secret">Client Secret</label><input type="password" id="test-secret" name="clientSecret" autocomplete="off" required></div>
  <div><button type="submit">Test connection</button></div></form>
${test ? testResult(test) : ''}</section>`;
}

export const testResult = (t: TestResult) => html`<section aria-label="Test connection result" id="test-result"><p class="notice ${t.ok ? 'ok' : 'error'}" role="${t.ok ? 'status' : 'alert'}">${t.summary}</p>
<pre>${t.request}${t.status !== undefined ? `\n-> ${t.status}\n${t.body ?? ''}` : ''}</pre></section>`;

/** "1 h", "90 min", "48 h". */
export function lifetimeText(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export async function clientsPage(s: Services, c: ConsoleCaller, ctx: AdminContext, notice?: Notice): Promise<Html> {
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
${may('oauth:client:add') ? html`<h2>New client</h2>${await clientForm(s, c, ctx, 'New OAuth client', '/console/clients', notice)}` : ''}`;
}

/** The one page that shows a secret: after create, rotate and issuing a secret token; never cached, never twice. */
export function revealPage(c: ConsoleCaller, r: Revealed, publicUrl: string): Html {
  if (r.kind === 'webhook') {
    return html`<p class="notice ok" role="status">Copy the signing secret now: it is shown this once.</p>
<p>The receiver checks each request's <code>webhook-signature</code> with it (Standard Webhooks; docs/events.md shows how in Node and Python).</p>
<div class="scroll"><table><tbody>
<tr><th scope="row">URL</th><td><code>${r.url}</code></td></tr>
<tr><th scope="row">Signing secret</th><td>${copyable('signing-secret', r.secret, true)}</td></tr>
</tbody></table></div>
<p><a href="/console/webhooks/${r.id}">The webhook</a> · <a href="/console/webhooks">All webhooks</a></p>`;
  }
  if (r.kind === 'secretToken') {
    return html`<p class="notice ok" role="status">Copy the token now: it is shown this once and stored only as a digest.</p>
<p>In Entra: Authentication Method <strong>Bearer Authentication</strong>; paste these. The token expires on ${day(r.expires)}.</p>
<div class="scroll"><table><tbody>
<tr><th scope="row">Tenant URL</th><td>${copyable('tenant-url', `${publicUrl}/api/v2/scim/v2`)}</td></tr>
<tr><th scope="row">Secret Token</th><td>${copyable('secret-token', r.token, true)}</td></tr>
<tr><th scope="row">Client</th><td>${r.clientName}</td></tr>
</tbody></table></div>
<p><a href="/console">Back to Connect</a></p>`;
  }
  return html`<p class="notice ok" role="status">Copy the secret now: it is shown this once and stored only as a digest.</p>
<p>In Entra: Authentication Method <strong>OAuth2 Client Credentials Grant</strong>; paste these.</p>
<div class="scroll"><table><tbody>
<tr><th scope="row">Name</th><td>${r.name}</td></tr>
<tr><th scope="row">Tenant URL</th><td>${copyable('tenant-url', `${publicUrl}/api/v2/scim/v2`)}</td></tr>
<tr><th scope="row">Token Endpoint</th><td>${copyable('token-endpoint', `${publicUrl}/oauth/token`)}</td></tr>
<tr><th scope="row">Client Identifier</th><td>${copyable('client-id', r.id)}</td></tr>
<tr><th scope="row">Client Secret</th><td>${copyable('client-secret', r.secret, true)}</td></tr>
</tbody></table></div>
<form method="post" action="/console/connect/test">${csrfField(c)}<input type="hidden" name="clientId" value="${r.id}"><input type="hidden" name="clientSecret" value="${r.secret}">
<p><button type="submit" class="primary">Test connection</button> <a href="/console/clients">Back to clients</a></p></form>`;
}
