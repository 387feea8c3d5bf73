// Groups (members paged, added and removed), divisions and roles (permissions chosen from
// the catalogue).
import { can, PERMISSION_CATALOGUE } from '../../../auth/permissions.ts';
import type { AdminContext } from '../../../directory/admin/context.ts';
import type { Services } from '../../../services.ts';
import type { ConsoleCaller } from '../../../directory/console-users.ts';
import type { FormInput, Notice } from '../notices.ts';
import { chosen, formError, formName, typed } from '../forms.ts';
import { html, query, type Html } from '../html.ts';
import { csrfField } from '../layout.ts';

export const MEMBERS_PAGE_SIZE = 50;

export async function groupsPage(s: Services, c: ConsoleCaller, ctx: AdminContext, input?: FormInput): Promise<Html> {
  const groups = await s.admin.groups.list(ctx, { pageSize: 500 });
  const canAdd = can(ctx.principal, ['directory:group:add']);
  return html`
${groups.total === 0 ? html`<div class="empty">No groups yet. Entra matches its groups to public groups by name: create them here first.</div>`
  : html`<div class="scroll"><table><thead><tr><th scope="col">Name</th><th scope="col">Visibility</th><th scope="col">Type</th><th scope="col">Description</th></tr></thead>
<tbody>${groups.entities.map((g) => html`<tr><td><a href="/console/groups/${g.id}">${g.name}</a></td><td>${g.visibility}${g.visibility === 'public' ? ' (SCIM sees it)' : ''}</td><td>${g.type}</td><td>${g.description ?? ''}</td></tr>`)}</tbody></table></div>
${groups.total > groups.entities.length ? html`<p class="muted">Showing ${groups.entities.length} of ${groups.total}.</p>` : ''}`}
${canAdd ? html`<h2>New group</h2><form method="post" action="/console/groups">${csrfField(c)}
  <label for="group-name">Name</label><input type="text" id="group-name" name="name" required maxlength="255" value="${typed(input, 'name')}">
  <label for="group-visibility">Visibility</label><select id="group-visibility" name="visibility"><option value="public"${chosen(input, 'visibility', 'public')}>public (visible over SCIM)</option><option value="members"${chosen(input, 'visibility', 'members')}>members</option><option value="owners"${chosen(input, 'visibility', 'owners')}>owners</option></select>
  <label for="group-description">Description</label><input type="text" id="group-description" name="description" maxlength="1024" value="${typed(input, 'description')}">
  <p><button type="submit" class="primary">Create group</button></p></form>` : ''}`;
}

export async function groupPage(s: Services, c: ConsoleCaller, ctx: AdminContext, id: string, q: Record<string, unknown>, notice?: Notice): Promise<{ title: string; body: Html }> {
  const g = await s.admin.groups.get(ctx, id);
  const pageNumber = Math.max(1, Number.parseInt(String(q.page ?? '1'), 10) || 1);
  const members = await s.admin.groups.members(ctx, id, { pageSize: MEMBERS_PAGE_SIZE, pageNumber });
  const canEdit = can(ctx.principal, ['directory:group:edit']);
  const body = html`
<p>${g.visibility} · ${g.type}${g.description ? html` · ${g.description}` : ''}</p>
<h2>Members (${members.total})</h2>
${members.total === 0 ? html`<p class="empty">No members${canEdit ? ': add one below' : ''}.</p>`
  : html`<div class="scroll"><table><thead><tr><th scope="col">Member</th>${canEdit ? html`<th scope="col"><span class="muted">Action</span></th>` : ''}</tr></thead><tbody>
${members.entities.map((m) => html`<tr><td><a href="/console/users/${m.id}">${m.name ?? m.id}</a></td>${canEdit ? html`<td><form class="inline" method="post" action="/console/groups/${id}/members/remove">${csrfField(c)}<input type="hidden" name="userId" value="${m.id}"><button type="submit" aria-label="${`Remove ${m.name ?? m.id}`}">Remove</button></form></td>` : ''}</tr>`)}
</tbody></table></div>
<nav class="pager" aria-label="Member pages">${pageNumber > 1 ? html`<a href="/console/groups/${id}${query({ page: pageNumber - 1 })}" rel="prev">Previous</a>` : ''}<span>Page ${pageNumber} of ${Math.max(1, members.pageCount)}</span>${pageNumber < members.pageCount ? html`<a href="/console/groups/${id}${query({ page: pageNumber + 1 })}" rel="next">Next</a>` : ''}</nav>`}
${canEdit ? html`<form method="post" action="/console/groups/${id}/members" class="row">${csrfField(c)}${formName('add-member')}${formError(notice, 'add-member')}
  <div><label for="member">Add a user (email)</label><input type="email" id="member" name="userName" required value="${typed(notice?.form, 'userName')}"></div><div><button type="submit">Add</button></div></form>` : ''}
${can(ctx.principal, ['directory:group:delete']) ? html`<h2>Delete</h2><form method="post" action="/console/groups/${id}/delete" data-confirm="${`Delete the group ${g.name}?`}">${csrfField(c)}<button type="submit" class="danger">Delete group</button></form>` : ''}`;
  return { title: g.name, body };
}

/** Divisions; a rename is a step of its own (`?edit=<id>`): Entra names divisions by name, so a rename in one click could stop its creates. */
export async function divisionsPage(s: Services, c: ConsoleCaller, ctx: AdminContext, q: Record<string, unknown> = {}, input?: FormInput): Promise<Html> {
  const divisions = await s.admin.divisions.list(ctx, { pageSize: 500 });
  const orgWide = (p: string) => can(ctx.principal, [p], '*');
  const editing = orgWide('authorization:division:edit') && typeof q.edit === 'string' ? q.edit : undefined;
  return html`
<p class="muted">Users live in one division each; clients and console users are granted roles per division. Entra names a user's division in the enterprise extension's <code>division</code>.</p>
<div class="scroll"><table><thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col"><span class="muted">Actions</span></th></tr></thead><tbody>
${divisions.entities.map((d) => html`<tr><td>${d.name}${d.homeDivision ? html` <span class="badge">Home</span>` : ''}</td><td>${d.description ?? ''}</td><td>
  ${editing === d.id ? html`<form method="post" action="/console/divisions/${d.id}/rename">${csrfField(c)}<label for="rename-${d.id}">New name for ${d.name}</label><input type="text" id="rename-${d.id}" name="name" value="${d.name}" required maxlength="255">
    <p class="notice">Entra sends division names: users it provisions into "${d.name}" are refused until its mapping uses the new name.</p>
    <button type="submit" class="primary">Save the new name</button> <a href="/console/divisions">Cancel</a></form>`
    : orgWide('authorization:division:edit') ? html`<a href="/console/divisions?edit=${d.id}" aria-label="${`Rename ${d.name}`}">Rename</a>` : ''}
  ${orgWide('authorization:division:delete') && !d.homeDivision ? html`<form class="inline" method="post" action="/console/divisions/${d.id}/delete" data-confirm="${`Delete the division ${d.name}?`}">${csrfField(c)}<button type="submit" class="danger" aria-label="${`Delete ${d.name}`}">Delete</button></form>` : ''}
</td></tr>`)}</tbody></table></div>
${orgWide('authorization:division:add') ? html`<h2>New division</h2><form method="post" action="/console/divisions">${csrfField(c)}
  <label for="division-name">Name</label><input type="text" id="division-name" name="name" required maxlength="255" value="${typed(input, 'name')}">
  <label for="division-description">Description</label><input type="text" id="division-description" name="description" maxlength="1024" value="${typed(input, 'description')}">
  <p><button type="submit" class="primary">Create division</button></p></form>` : ''}`;
}

export async function rolesPage(s: Services, c: ConsoleCaller, ctx: AdminContext, input?: FormInput): Promise<Html> {
  const ticked = new Set([input?.permissions ?? []].flat());
  const roles = await s.admin.roles.list(ctx, { pageSize: 500 });
  const orgWide = (p: string) => can(ctx.principal, [p], '*');
  const domains = [...new Set(PERMISSION_CATALOGUE.map((p) => p.split(':')[0]))];
  return html`
<div class="scroll"><table><thead><tr><th scope="col">Name</th><th scope="col">Permissions</th><th scope="col"><span class="muted">Actions</span></th></tr></thead><tbody>
${roles.entities.map((r) => html`<tr><td>${r.name}${r.description ? html`<br><span class="muted">${r.description}</span>` : ''}</td><td>${r.permissions.join(', ')}</td><td>
  ${orgWide('authorization:role:delete') ? html`<form class="inline" method="post" action="/console/roles/${r.id}/delete" data-confirm="${`Delete the role ${r.name}?`}">${csrfField(c)}<button type="submit" class="danger" aria-label="${`Delete ${r.name}`}">Delete</button></form>` : ''}</td></tr>`)}
</tbody></table></div>
${orgWide('authorization:role:add') ? html`<h2>New role</h2><form method="post" action="/console/roles">${csrfField(c)}
  <label for="role-name">Name</label><input type="text" id="role-name" name="name" required maxlength="255" value="${typed(input, 'name')}">
  <label for="role-description">Description</label><input type="text" id="role-description" name="description" maxlength="1024" value="${typed(input, 'description')}">
  ${domains.map((d) => html`<fieldset><legend>${d}</legend>${PERMISSION_CATALOGUE.filter((p) => p.startsWith(`${d}:`)).map((p) => html`<label><input type="checkbox" name="permissions" value="${p}"${ticked.has(p) ? ' checked' : ''}> ${p}</label>`)}</fieldset>`)}
  <p><button type="submit" class="primary">Create role</button></p></form>` : ''}`;
}
