// Users: search (text or SCIM filter), sort, page; a user's attributes, groups, manager,
// console roles and history; disable, enable, delete, password and roles.
import { can } from '../../../auth/permissions.ts';
import type { AdminContext } from '../../../directory/admin/context.ts';
import { scimContextOf } from '../../../directory/admin/context.ts';
import type { Services } from '../../../services.ts';
import { ENTERPRISE_USER_SCHEMA, ScimError, type JsonObject } from '../../../scim/index.ts';
import type { ConsoleCaller } from '../../../directory/console-users.ts';
import { html, query, type Html } from '../html.ts';
import { valueInWords, type AttributeChange } from '../../../directory/activity.ts';
import { csrfField } from '../layout.ts';
import type { Notice } from '../notices.ts';
import { chosen, formError, formName } from '../forms.ts';

export const USERS_PAGE_SIZE = 50;

const SORTS: Record<string, string> = { userName: 'Email', displayName: 'Name' };

export async function usersPage(s: Services, c: ConsoleCaller, ctx: AdminContext, q: Record<string, unknown>): Promise<Html> {
  const str = (k: string) => (typeof q[k] === 'string' ? (q[k] as string).trim() : '');
  const text = str('q');
  const filter = str('filter');
  const sort = SORTS[str('sort')] ? str('sort') : 'userName';
  const order = str('order') === 'descending' ? 'descending' : 'ascending';
  const pageNumber = Math.max(1, Math.min(1_000_000, Number.parseInt(str('page') || '1', 10) || 1));
  // A filter the grammar refuses is shown on this page, next to the filter as typed.
  let refused: string | undefined;
  const result = await s.admin.users.list(ctx, { ...(filter ? { filter } : text ? { q: text } : {}), sortBy: sort, sortOrder: order, pageSize: USERS_PAGE_SIZE, pageNumber }).catch((e: unknown) => {
    if (!(e instanceof ScimError) || e.status !== 400) throw e;
    refused = e.message;
    return { entities: [], total: 0, pageCount: 1, pageSize: USERS_PAGE_SIZE, pageNumber: 1 };
  });
  const link = (p: Record<string, string | number | undefined>) => `/console/users${query({ q: text || undefined, filter: filter || undefined, sort, order, ...p })}`;
  const header = (key: string) => {
    const active = sort === key;
    const nextOrder = active && order === 'ascending' ? 'descending' : 'ascending';
    return html`<th scope="col"${active ? html` aria-sort="${order}"` : ''}><a href="${link({ sort: key, order: nextOrder, page: undefined })}">${SORTS[key]}${active ? (order === 'ascending' ? ' ▲' : ' ▼') : ''}</a></th>`;
  };
  const searched = Boolean(text || filter);
  return html`
<form method="get" action="/console/users" class="row" role="search">
  <div><label for="q">Search</label><input type="search" id="q" name="q" value="${text}" placeholder="email or name"></div>
  <div><label for="filter">or SCIM filter</label><input type="text" id="filter" name="filter" value="${filter}" placeholder='title eq "Manager"'${refused ? html` aria-invalid="true" aria-describedby="filter-error"` : ''}></div>
  <div><button type="submit" class="primary">Search</button></div>
</form>
${refused ? html`<p class="notice error" role="alert" id="filter-error">${refused}</p>` : ''}
<p class="muted" aria-live="polite">${result.total} user${result.total === 1 ? '' : 's'}${searched ? ' found' : ''}.</p>
${result.total === 0
  ? refused ? '' : html`<div class="empty">${searched ? 'No user matches. Try fewer letters, or clear the search.' : html`No users yet: <a href="/console">connect Entra</a> and provisioning will create them.`}</div>`
  : html`<div class="scroll"><table><caption class="muted">Users, page ${pageNumber} of ${result.pageCount}</caption>
<thead><tr>${header('userName')}${header('displayName')}<th scope="col">State</th><th scope="col">Division</th><th scope="col">Title</th></tr></thead>
<tbody>${result.entities.map((u) => html`<tr><td><a href="/console/users/${u.id}">${u.email}</a></td><td>${u.name ?? ''}</td><td>${u.state}</td><td>${u.division.name}</td><td>${u.title ?? ''}</td></tr>`)}</tbody></table></div>
<nav class="pager" aria-label="Pages">${pageNumber > 1 ? html`<a href="${link({ page: pageNumber - 1 })}" rel="prev">Previous</a>` : ''}<span>Page ${pageNumber} of ${result.pageCount}</span>${pageNumber < result.pageCount ? html`<a href="${link({ page: pageNumber + 1 })}" rel="next">Next</a>` : ''}</nav>`}`;
}

/** The user as people read it: labelled fields, multi-valued ones by value; the SCIM JSON one click away. */
function profile(resource: JsonObject): Html {
  const ent = (resource[ENTERPRISE_USER_SCHEMA] ?? {}) as JsonObject;
  const name = (resource.name ?? {}) as JsonObject;
  const manager = ent.manager as JsonObject | undefined;
  const addresses = Array.isArray(resource.addresses)
    ? (resource.addresses as JsonObject[]).map((a) => `${String(a.formatted ?? [a.streetAddress, a.locality, a.region, a.postalCode, a.country].filter(Boolean).join(', '))}${a.type ? ` (${String(a.type)})` : ''}`).join('; ')
    : undefined;
  const rows: [string, Html | string | undefined][] = [
    ['Email (sign-in)', resource.userName as string | undefined],
    ['Name', resource.displayName as string | undefined],
    ['Given name', name.givenName as string | undefined],
    ['Family name', name.familyName as string | undefined],
    ['State', resource.active === false ? html`<span class="badge refused">inactive</span>` : html`<span class="badge ok">active</span>`],
    ['Title', resource.title as string | undefined],
    ['Department', ent.department as string | undefined],
    ['Division', ent.division as string | undefined],
    ['Manager', manager ? (manager.displayName ? html`<a href="/console/users/${String(manager.value)}">${String(manager.displayName)}</a>` : String(manager.value)) : undefined],
    ['Employee number', ent.employeeNumber as string | undefined],
    ['Emails', valueInWords(resource.emails)],
    ['Phones', valueInWords(resource.phoneNumbers)],
    ['Addresses', addresses],
    ['Preferred language', resource.preferredLanguage as string | undefined],
    ['Locale', resource.locale as string | undefined],
    ['Time zone', resource.timezone as string | undefined],
    ['Roles', valueInWords(resource.roles)],
    ['External id', resource.externalId as string | undefined],
    ['Id', resource.id as string | undefined],
  ];
  const shown = rows.filter(([, v]) => v !== undefined && v !== '');
  const raw = Object.fromEntries(Object.entries(resource).filter(([k]) => k !== 'groups'));
  return html`<div class="scroll"><table class="profile"><tbody>${shown.map(([label, v]) => html`<tr><th scope="row">${label}</th><td>${v!}</td></tr>`)}</tbody></table></div>
<details><summary>All attributes as SCIM JSON</summary><pre class="json" tabindex="0">${JSON.stringify(raw, null, 2)}</pre></details>`;
}

export async function userPage(s: Services, c: ConsoleCaller, ctx: AdminContext, id: string, notice?: Notice): Promise<{ title: string; body: Html }> {
  const entity = await s.admin.users.get(ctx, id);
  const { resource } = await s.users.get(scimContextOf(ctx, s.registries), id, {});
  const groups = (await s.store.groupsOfUsers(ctx.org.id, [id], undefined)).get(id) ?? [];
  const manager = (resource[ENTERPRISE_USER_SCHEMA] as JsonObject | undefined)?.manager as JsonObject | undefined;
  const grants = await s.store.listUserGrants(ctx.org.id, id);
  const roles = await s.store.listRoles(ctx.org.id);
  const divisions = await s.store.listDivisions(ctx.org.id);
  const roleName = (rid: string) => roles.find((r) => r.id === rid)?.name ?? rid;
  const divisionName = (did: string) => (did === '*' ? 'all divisions' : divisions.find((d) => d.id === did)?.name ?? did);
  const history = can(ctx.principal, ['audits:audit:view']) ? await s.admin.activity.page(ctx, { limit: 50, resource: id }) : undefined;
  const canEdit = can(ctx.principal, ['directory:user:edit'], entity.division.id);
  const canDelete = can(ctx.principal, ['directory:user:delete'], entity.division.id);
  const canGrantRoles = can(ctx.principal, ['authorization:grant:add']);
  const body = html`
<p>${entity.email} · <strong>${entity.state}</strong> · division ${entity.division.name}</p>
<div class="row">
${canEdit ? html`<form method="post" action="/console/users/${id}/state">${csrfField(c)}<input type="hidden" name="state" value="${entity.state === 'active' ? 'inactive' : 'active'}">
  <button type="submit"${entity.state === 'active' ? html` class="danger"` : ''}>${entity.state === 'active' ? 'Disable' : 'Enable'}</button></form>` : ''}
${canDelete ? html`<form method="post" action="/console/users/${id}/delete" data-confirm="${`Delete ${entity.email}? Its group memberships go too. This cannot be undone.`}">${csrfField(c)}<button type="submit" class="danger">Delete</button></form>` : ''}
</div>
<h2>Profile</h2>
${profile(resource)}
<h2>Groups</h2>
${groups.length === 0 ? html`<p class="muted">Member of no group.</p>` : html`<ul>${groups.map((g) => html`<li><a href="/console/groups/${g.groupId}">${g.displayName}</a></li>`)}</ul>`}
<h2>Manager</h2>
<p>${manager ? (manager.displayName ? html`<a href="/console/users/${String(manager.value)}">${String(manager.displayName)}</a>` : String(manager.value)) : html`<span class="muted">None.</span>`}</p>
<h2>Console roles</h2>
${grants.length === 0 ? html`<p class="muted">None: this user cannot sign in to the console.</p>` : html`<ul>${grants.map((g) => html`<li>${roleName(g.roleId)} on ${divisionName(g.divisionId)}</li>`)}</ul>`}
${canGrantRoles ? html`<form method="post" action="/console/users/${id}/grants" class="row">${csrfField(c)}${formName('grant')}${formError(notice, 'grant')}
  ${grants.map((g) => html`<input type="hidden" name="keep" value="${`${g.roleId}@${g.divisionId}`}">`)}
  <div><label for="grant-role">Grant role</label><select id="grant-role" name="roleId"><option value="">(choose)</option>${roles.map((r) => html`<option value="${r.id}"${chosen(notice?.form, 'roleId', r.id)}>${r.name}</option>`)}</select></div>
  <div><label for="grant-division">on</label><select id="grant-division" name="divisionId">${divisions.map((d) => html`<option value="${d.id}"${chosen(notice?.form, 'divisionId', d.id)}>${d.name}</option>`)}<option value="*"${chosen(notice?.form, 'divisionId', '*')}>all divisions</option></select></div>
  <div><button type="submit">Grant</button></div></form>
  ${grants.length > 0 ? html`<form method="post" action="/console/users/${id}/grants" data-confirm="Remove every console role of this user?">${csrfField(c)}<button type="submit" class="danger">Remove all console roles</button></form>` : ''}` : ''}
${canEdit ? html`<h2>Password</h2><form method="post" action="/console/users/${id}/password" class="row">${csrfField(c)}${formName('password')}${formError(notice, 'password')}
  <div><label for="password">New password (at least 12 characters)</label><input type="password" id="password" name="password" autocomplete="new-password" minlength="12" required></div>
  <div><button type="submit">Set password</button></div></form>` : ''}
<h2>History</h2>
${history ? (history.entries.length === 0 ? html`<p class="muted">No changes recorded.</p>` : html`<ul class="feed">${history.entries.map(feedItem)}</ul>`) : html`<p class="muted">Reading the history needs audits:audit:view.</p>`}`;
  return { title: entity.name ?? entity.email, body };
}

/** Old beside new, per attribute, whole values (multi-valued ones by value). */
const diffTable = (changes: readonly AttributeChange[]) => html`<table class="diff"><thead><tr><th scope="col">Attribute</th><th scope="col">Before</th><th scope="col">After</th></tr></thead><tbody>
${changes.map((ch) => html`<tr><th scope="row">${ch.attribute}</th><td>${ch.before ?? html`<span class="muted">(none)</span>`}</td><td>${ch.after ?? html`<span class="muted">(none)</span>`}</td></tr>`)}</tbody></table>`;

export const feedItem = (e: { time: string; outcome: string; text: string; details: readonly string[]; validateOnly?: boolean; changes?: readonly AttributeChange[] }) =>
  e.changes ? html`<li data-outcome="${e.outcome}"><time datetime="${e.time}">${e.time.replace('T', ' ').slice(0, 19)}</time> <span class="text">${e.text}</span>${diffTable(e.changes)}${e.details.filter((d) => d.startsWith('ignored,')).map((d) => html`<p class="muted">${d}</p>`)}</li>` :
  html`<li data-outcome="${e.outcome}"><time datetime="${e.time}">${e.time.replace('T', ' ').slice(0, 19)}</time> ${e.outcome === 'refused' ? html`<span class="badge refused">refused</span> ` : ''}${e.validateOnly ? html`<span class="badge check">validate-only</span> ` : ''}<span class="${e.outcome === 'refused' ? 'text refused' : 'text'}">${e.text}</span>${e.details.length > 0 ? html`<ul class="details">${e.details.slice(0, 12).map((d) => html`<li>${d}</li>`)}</ul>` : ''}</li>`;
