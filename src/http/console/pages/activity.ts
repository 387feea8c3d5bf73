// The activity feed page: filters, a page of entries, and live updates (server-sent events
// from /console/activity/stream, rendered by console.js).
import type { ActivityPage, ActivityQuery } from '../../../directory/activity.ts';
import { html, query, type Html } from '../html.ts';
import { feedItem } from './users.ts';

export function activityPage(page: ActivityPage, q: ActivityQuery, clients: readonly { id: string; name: string }[]): Html {
  const filtered = Boolean(q.actor || q.kind || q.outcome || q.resource);
  const live = q.cursor === undefined ? `/console/activity/stream${query({ actor: q.actor, kind: q.kind, outcome: q.outcome })}` : '';
  return html`
<form method="get" action="/console/activity" class="row">
  <div><label for="f-actor">Actor</label><select id="f-actor" name="actor"><option value="">anyone</option>${clients.map((c) => html`<option value="${c.id}"${q.actor === c.id ? ' selected' : ''}>${c.name}</option>`)}</select></div>
  <div><label for="f-kind">Resource</label><select id="f-kind" name="kind"><option value="">any</option>${['User', 'Group', 'Division', 'Role', 'OAuthClient', 'Bulk', 'Request'].map((k) => html`<option value="${k}"${q.kind === k ? ' selected' : ''}>${k}</option>`)}</select></div>
  <div><label for="f-outcome">Outcome</label><select id="f-outcome" name="outcome"><option value="">accepted and refused</option><option value="accepted"${q.outcome === 'accepted' ? ' selected' : ''}>accepted</option><option value="refused"${q.outcome === 'refused' ? ' selected' : ''}>refused</option></select></div>
  <div><label for="f-from">Since</label><input type="text" id="f-from" name="from" value="${q.from ?? ''}" placeholder="2026-12-01T00:00"></div>
  <div><button type="submit">Filter</button></div>
</form>
<p id="live-status" class="muted" aria-live="polite">${live ? 'Connecting for live updates...' : ''}</p>
<ul class="feed" id="feed"${live ? html` data-live="${live}"` : ''}>${page.entries.length === 0 ? html`<li class="empty">${filtered ? 'Nothing matches these filters.' : html`No activity yet: changes and refused requests appear here as they happen. <a href="/console">Connect Entra</a> to start.`}</li>` : page.entries.map(feedItem)}</ul>
${page.cursor ? html`<nav class="pager" aria-label="Older entries"><a href="/console/activity${query({ actor: q.actor, kind: q.kind, outcome: q.outcome, from: q.from, cursor: page.cursor })}">Older</a></nav>` : ''}`;
}
