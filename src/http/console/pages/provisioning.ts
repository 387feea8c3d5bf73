// Provisioning: jobs that push this directory to downstream SCIM services, modelled on Entra's
// provisioning blade: status (last cycle, counts, quarantine and since when, next full
// reconciliation), start, stop, restart, pilot or live, Test connection, Provision on demand
// with each request and answer, the mappings, and the provisioning log.
import { can } from '../../../auth/permissions.ts';
import type { AdminContext } from '../../../directory/admin/context.ts';
import type { ConsoleCaller } from '../../../directory/console-users.ts';
import { JOB_PERMISSIONS, type JobEntity } from '../../../directory/provisioning/admin.ts';
import { DEFAULT_USER_MAPPINGS, DEFAULT_GROUP_MAPPINGS, type Mapping } from '../../../provision/mappings.ts';
import type { Services } from '../../../services.ts';
import { chosen, formError, formName, typed } from '../forms.ts';
import { html, type Html } from '../html.ts';
import { csrfField } from '../layout.ts';
import { mappingTable } from './mapping-editor.ts';
import { scopingSection } from './scoping-editor.ts';
import type { Notice } from '../notices.ts';

function state(j: JobEntity): Html {
  if (j.health.quarantined) return html`<span class="badge refused">quarantined</span> <span class="muted">${j.health.reason ?? ''} (since <time datetime="${j.health.since ?? ''}">${j.health.since ?? ''}</time>)</span>`;
  if (j.status === 'stopped') return html`<span class="badge">stopped</span>`;
  return html`<span class="badge ok">running</span>${j.pilot ? html` <span class="muted">pilot: validate-only, nothing is written</span>` : ''}`;
}

const counts = (j: JobEntity) => (j.lastCycle ? Object.entries(j.lastCycle.counts).filter(([k, v]) => v > 0 && k !== 'skip' && k !== 'requests').map(([k, v]) => `${v} ${k}`).join(', ') || 'no change' : '');

export async function jobsPage(s: Services, c: ConsoleCaller, ctx: AdminContext, notice?: Notice): Promise<Html> {
  const { entities } = await s.admin.jobs.list(ctx);
  const input = notice?.form?._form === 'job' ? notice.form : undefined;
  return html`
<p>A provisioning job pushes this organization's users and groups to another SCIM service (Genesys Cloud, another Scimitar, any SCIM 2.0 app) as Entra does: changes within seconds, a full reconciliation every day, the Genesys app's mappings unless you change them. A new job starts stopped, in a validate-only pilot. See docs/provisioning.md.</p>
${entities.length === 0 ? html`<div class="empty">No provisioning jobs yet. Make one below with the target's SCIM URL and credentials.</div>`
  : html`<div class="scroll"><table><thead><tr><th scope="col">Job</th><th scope="col">Target</th><th scope="col">State</th><th scope="col">Last cycle</th></tr></thead><tbody>
${entities.map((j) => html`<tr><td><a href="/console/provisioning/${j.id}">${j.name}</a></td><td><code>${j.target.url}</code></td><td>${state(j)}</td><td>${j.lastCycle ? html`<time datetime="${j.lastCycle.finishedAt}">${j.lastCycle.finishedAt}</time> <span class="muted">${counts(j)}</span>` : html`<span class="muted">never</span>`}</td></tr>`)}
</tbody></table></div>`}
${can(ctx.principal, [JOB_PERMISSIONS.add]) ? html`<h2>New job</h2><form method="post" action="/console/provisioning">${csrfField(c)}${formName('job')}${formError(notice, 'job')}
  <label for="job-name">Name</label><input type="text" id="job-name" name="name" required maxlength="200" value="${typed(input, 'name')}" placeholder="to Genesys Cloud">
  <label for="job-source">Source</label><select id="job-source" name="source"><option value="directory"${chosen(input, 'source', 'directory', 'directory')}>This organization's directory (changes pushed as they happen)</option><option value="graph"${chosen(input, 'source', 'graph')}>Microsoft Graph (read every 40 minutes)</option></select>
  <fieldset><legend>Microsoft Graph (when it is the source): an app registration with User.Read.All and GroupMember.Read.All</legend>
  <label for="job-graph-tenant">Tenant</label><input type="text" id="job-graph-tenant" name="graphTenant" maxlength="256" value="${typed(input, 'graphTenant')}" placeholder="contoso.onmicrosoft.com">
  <label for="job-graph-client">Application (client) ID</label><input type="text" id="job-graph-client" name="graphClientId" maxlength="256" value="${typed(input, 'graphClientId')}">
  <label for="job-graph-secret">Secret of the Graph app</label><input type="password" id="job-graph-secret" name="graphClientSecret" maxlength="4096" autocomplete="off"></fieldset>
  <label for="job-url">Tenant URL (the target's SCIM base URL)</label><input type="url" id="job-url" name="url" required maxlength="2048" value="${typed(input, 'url')}" placeholder="https://api.mypurecloud.com/api/v2/scim/v2">
  <label for="job-token-url">Token endpoint (OAuth client credentials)</label><input type="url" id="job-token-url" name="tokenUrl" maxlength="2048" value="${typed(input, 'tokenUrl')}" placeholder="https://login.mypurecloud.com/oauth/token">
  <label for="job-client-id">Client identifier</label><input type="text" id="job-client-id" name="clientId" maxlength="1024" value="${typed(input, 'clientId')}">
  <label for="job-client-secret">Client secret</label><input type="password" id="job-client-secret" name="clientSecret" maxlength="8192" autocomplete="off">
  <label for="job-token">Or a Secret Token (bearer)</label><input type="password" id="job-token" name="token" maxlength="8192" autocomplete="off">
  <p><button type="submit" class="primary">Create job</button></p></form>` : ''}`;
}

export interface OnDemandResult {
  readonly user: { readonly id: string; readonly name: string };
  readonly action: string;
  readonly reason?: string;
  readonly errors: readonly string[];
  readonly pilot: boolean;
  readonly steps: readonly { readonly request: { readonly method: string; readonly path: string; readonly body?: unknown; readonly validateOnly: boolean }; readonly response: { readonly status: number; readonly body?: unknown } }[];
}

/** What a step was for, as Entra's on-demand view names it. */
function stepName(s: OnDemandResult['steps'][number], i: number): string {
  const { method, path, validateOnly } = s.request;
  if (i === 0 && method === 'DELETE' && validateOnly) return 'Pilot check (does the target validate without writing?)';
  if (method === 'GET') return path.includes('filter=') ? 'Match on the target' : 'Read from the target';
  return ({ POST: 'Create', PATCH: 'Update', PUT: 'Replace', DELETE: 'Delete' } as Record<string, string>)[method] ?? method;
}

export function onDemandResult(r: OnDemandResult): Html {
  return html`<h2>Provision on demand: ${r.user.name}</h2>
<p>Outcome: <span class="badge ${r.action === 'fail' ? 'refused' : 'ok'}">${r.action}</span>${r.reason ? html` <span class="muted">${r.reason}</span>` : ''}${r.pilot ? html` <span class="muted">(pilot: validate-only)</span>` : ''}</p>
${r.errors.length > 0 ? html`<ul>${r.errors.map((e) => html`<li>${e}</li>`)}</ul>` : ''}
<ol>${r.steps.map((s, i) => html`<li><p><strong>${stepName(s, i)}</strong>: <code>${s.request.method} ${s.request.path}</code>${s.request.validateOnly ? html` <span class="muted">Prefer: validate-only</span>` : ''} → <span class="badge ${s.response.status < 300 ? 'ok' : 'refused'}">${String(s.response.status)}</span></p>
${s.request.body !== undefined ? html`<details><summary>Request</summary><pre>${JSON.stringify(s.request.body, null, 2)}</pre></details>` : ''}${s.response.body !== undefined ? html`<details><summary>Answer</summary><pre>${JSON.stringify(s.response.body, null, 2)}</pre></details>` : ''}</li>`)}</ol>`;
}

export interface PreviewResult {
  readonly user: { readonly name: string };
  readonly value?: unknown;
  readonly skipped?: boolean;
  readonly error?: { readonly message: string; readonly position?: number };
}

/** The preview's answer: the value, or the error with a caret under its position in the expression. */
export function previewResult(expression: string, r: PreviewResult): Html {
  if (r.error) {
    const at = r.error.position;
    return html`<div class="notice error" role="alert"><p>${r.error.message}</p>${at !== undefined ? html`<pre class="caret">${expression}
${' '.repeat(Math.max(0, at - 1))}^ position ${String(at)}</pre>` : ''}</div>`;
  }
  return html`<p>For <strong>${r.user.name}</strong>: ${r.skipped ? html`<span class="muted">no value: the attribute is not sent</span>` : html`<code>${JSON.stringify(r.value ?? null)}</code>`}</p>`;
}

export async function jobPage(s: Services, c: ConsoleCaller, ctx: AdminContext, id: string, query: Record<string, unknown>, notice?: Notice, shown?: Html, preview?: Html): Promise<{ title: string; body: Html }> {
  const j = await s.admin.jobs.get(ctx, id);
  const user = typeof query.user === 'string' ? query.user : '';
  const action = typeof query.action === 'string' ? query.action : '';
  const log = await s.admin.jobs.logs(ctx, id, { limit: 50, ...(user ? { user } : {}), ...(action ? { action } : {}) });
  // After provisioning on demand (POST, redirect): the run, from its log entry.
  const demand = typeof query.demand === 'string' && query.demand !== '' ? (await s.admin.jobs.logs(ctx, id, { limit: 1, user: query.demand, action: undefined })).entities.find((e) => e.cycle === 'on-demand') : undefined;
  shown ??= demand ? onDemandResult({ user: { id: demand.sourceId, name: demand.name }, action: demand.action, ...(demand.reason ? { reason: demand.reason } : {}), errors: demand.errors ?? [], pilot: (demand.steps ?? []).some((st) => st.request.validateOnly), steps: demand.steps ?? [] }) : undefined;
  const mayRun = can(ctx.principal, [JOB_PERMISSIONS.run]);
  const mayEdit = can(ctx.principal, [JOB_PERMISSIONS.edit]);
  const users = (j.mappings?.users as readonly Mapping[] | undefined) ?? DEFAULT_USER_MAPPINGS;
  const groups = (j.mappings?.groups as readonly Mapping[] | undefined) ?? DEFAULT_GROUP_MAPPINGS;
  const action_ = (path: string, label: string, extra: Html | string = '', confirm?: string) => html`<form method="post" action="/console/provisioning/${id}/${path}"${confirm ? html` data-confirm="${confirm}"` : ''}>${csrfField(c)}${extra}<button type="submit">${label}</button></form>`;
  const body = html`
<div class="scroll"><table class="profile"><tbody>
<tr><th scope="row">State</th><td>${state(j)}</td></tr>
<tr><th scope="row">Mode</th><td>${j.pilot ? 'Pilot: every write is sent with Prefer: validate-only (a target that cannot validate gets nothing)' : 'Live: writes are made on the target'}</td></tr>
<tr><th scope="row">Source</th><td>${j.source.type === 'graph' ? html`Microsoft Graph: tenant <code>${j.source.tenantId}</code>, app <code>${j.source.clientId}</code> <span class="muted">read every ${String(j.source.intervalMinutes)} min${j.source.includeGroups ? ', with groups' : ''}</span>` : html`This organization's directory <span class="muted">changes are pushed as they happen</span>`}</td></tr>
<tr><th scope="row">Target</th><td><code>${j.target.url}</code> <span class="muted">${j.target.credential === 'token' ? 'Secret Token' : `client ${j.target.clientId ?? ''} at ${j.target.tokenUrl ?? ''}`}</span></td></tr>
${j.currentCycle ? html`<tr><th scope="row">Now</th><td>${j.currentCycle.kind === 'full' ? 'full reconciliation' : j.currentCycle.kind === 'changes' ? 'cycle' : 'on demand'} since <time datetime="${j.currentCycle.startedAt}">${j.currentCycle.startedAt}</time>: ${j.currentCycle.step}${j.currentCycle.total !== undefined ? html` (${String(j.currentCycle.done ?? 0)} of ${String(j.currentCycle.total)})` : ''}</td></tr>` : ''}
<tr><th scope="row">Last cycle</th><td>${j.lastCycle ? html`${j.lastCycle.kind === 'full' ? 'full reconciliation' : j.lastCycle.kind === 'changes' ? 'changes' : 'on demand'}, finished <time datetime="${j.lastCycle.finishedAt}">${j.lastCycle.finishedAt}</time>: ${counts(j)}${j.lastCycle.stopped ? html` <span class="badge refused">stopped</span> ${j.lastCycle.stopped}` : ''}` : html`<span class="muted">never</span>`}</td></tr>
<tr><th scope="row">Next full reconciliation</th><td>${j.nextFullReconciliation ? html`<time datetime="${j.nextFullReconciliation}">${j.nextFullReconciliation}</time>` : html`<span class="muted">when started;</span>`} <span class="muted">every ${String(j.fullEveryHours)} h; changes are pushed as they happen</span></td></tr>
<tr><th scope="row">Deprovisioning</th><td>${j.deprovision === 'delete' ? 'delete' : j.deprovision === 'disable' ? 'disable' : 'leave alone'} users deleted here; a cycle that would remove more than ${String(j.deletionThreshold)} stops</td></tr>
</tbody></table></div>
${mayRun ? html`<div class="row">
${j.status === 'stopped' || j.health.quarantined ? action_('start', 'Start provisioning', '', j.pilot ? undefined : 'Start provisioning? Users will be created, changed and deprovisioned on the target.') : action_('stop', 'Stop')}
${action_('restart', 'Restart', '', 'Restart? The job forgets what it sent and compares every user with the target again.')}
${j.pilot ? action_('mode', 'Go live', html`<input type="hidden" name="pilot" value="false">`, 'Go live? From now on writes are made on the target.') : action_('mode', 'Back to pilot', html`<input type="hidden" name="pilot" value="true">`)}
${action_('test', 'Test connection')}
</div>
<h2>Provision on demand</h2>
<form method="post" action="/console/provisioning/${id}/on-demand">${csrfField(c)}${formName('on-demand')}${formError(notice, 'on-demand')}
<label for="on-demand-user">User (id or userName)</label><input type="text" id="on-demand-user" name="user" required maxlength="1024" value="${typed(notice?.form?._form === 'on-demand' ? notice.form : undefined, 'user')}">
<p><button type="submit" class="primary">Provision</button></p></form>` : ''}
${shown ?? ''}
<h2>Try an expression</h2>
<form method="post" action="/console/provisioning/${id}/preview">${csrfField(c)}
<label for="preview-expression">Expression (Entra's language: <code>[attribute]</code>, functions)</label><input type="text" id="preview-expression" name="expression" required maxlength="10000" value="${String(query.previewExpression ?? '')}" placeholder="Join(&quot; &quot;, [givenName], [surname])">
<label for="preview-user">For user (id or userName)</label><input type="text" id="preview-user" name="user" required maxlength="1024" value="${String(query.previewUser ?? '')}">
<p><button type="submit">Evaluate</button></p></form>
${preview ?? ''}
${scopingSection(c, id, j.scopingFilters ?? [], mayEdit, notice)}
<h2>Mappings</h2>
${mappingTable(c, id, 'users', users, mayEdit, notice)}
${mappingTable(c, id, 'groups', groups, mayEdit, notice)}
${mayEdit ? html`<details${notice?.form?._form === 'mappings' ? html` open` : ''}><summary>Edit the mappings as JSON</summary>
<form method="post" action="/console/provisioning/${id}/mappings">${csrfField(c)}${formName('mappings')}${formError(notice, 'mappings')}
<label for="mappings-json">Mappings, as in a mapping file (<code>{"users": [...], "groups": [...]}</code>; docs/mapping.schema.json). Try an expression above first.</label>
<textarea id="mappings-json" name="mappings" rows="16" spellcheck="false">${notice?.form?._form === 'mappings' ? typed(notice.form, 'mappings') : JSON.stringify({ users, groups }, null, 2)}</textarea>
<p><button type="submit" class="primary">Save mappings</button></p></form>
<form method="post" action="/console/provisioning/${id}/mappings" data-confirm="Go back to the Genesys app's default mappings?">${csrfField(c)}<input type="hidden" name="mappings" value=""><button type="submit">Reset to the defaults</button></form>
</details>` : ''}
<h2>Provisioning log</h2>
<form method="get" action="/console/provisioning/${id}" class="row"><label for="log-user">User</label><input type="text" id="log-user" name="user" value="${user}" maxlength="1024"><label for="log-action">Action</label><select id="log-action" name="action"><option value="">any</option>${['create', 'update', 'disable', 'delete', 'skip', 'fail', 'stopped'].map((a) => html`<option value="${a}"${a === action ? html` selected` : ''}>${a}</option>`)}</select><button type="submit">Filter</button></form>
${log.entities.length === 0 ? html`<p class="muted">Nothing logged yet.</p>` : html`<div class="scroll"><table><thead><tr><th scope="col">Time</th><th scope="col">Object</th><th scope="col">Action</th><th scope="col">Details</th></tr></thead><tbody>
${log.entities.map((e) => html`<tr><td><time datetime="${e.time}">${e.time}</time><br><span class="muted">${e.cycle}</span></td><td>${e.name}<br><span class="muted">${e.objectKind}</span></td><td><span class="badge ${e.action === 'fail' || e.action === 'stopped' ? 'refused' : e.action === 'skip' ? '' : 'ok'}">${e.action}</span></td><td>${e.reason ? html`<span class="muted">${e.reason}</span>` : ''}${e.errors?.length ? html`<ul>${e.errors.map((x) => html`<li>${x}</li>`)}</ul>` : ''}${e.steps?.length ? html`<details><summary>${String(e.steps.length)} request${e.steps.length === 1 ? '' : 's'}</summary><ul>${e.steps.map((st) => html`<li><code>${st.request.method} ${st.request.path}</code>${st.request.validateOnly ? html` <span class="muted">validate-only</span>` : ''} → <span class="badge ${st.response.status < 300 ? 'ok' : 'refused'}">${String(st.response.status)}</span>${st.request.body !== undefined ? html`<pre>${JSON.stringify(st.request.body, null, 2)}</pre>` : ''}${st.response.body !== undefined ? html`<pre>${JSON.stringify(st.response.body, null, 2)}</pre>` : ''}</li>`)}</ul></details>` : ''}${e.changes?.length ? html`<details><summary>${String(e.changes.length)} change${e.changes.length === 1 ? '' : 's'}</summary><ul>${e.changes.map((ch) => html`<li><code>${ch.path}</code>: ${JSON.stringify(ch.before ?? null)} → ${JSON.stringify(ch.after ?? null)}</li>`)}</ul></details>` : ''}</td></tr>`)}
</tbody></table></div>`}`;
  return { title: j.name, body };
}
