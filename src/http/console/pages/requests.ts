// The Requests page (every API request, with how it authenticated and why it was refused)
// and the 24-hour chart the Connect page shows.
import type { RequestLogPage, RequestQueryInput, RequestSummary } from '../../../directory/request-log.ts';
import { html, query, type Html } from '../html.ts';

const time = (iso: string) => iso.replace('T', ' ').slice(0, 19);

export function requestsPage(page: RequestLogPage, q: RequestQueryInput, clients: readonly { id: string; name: string }[]): Html {
  const filtered = Boolean(q.status || q.client || q.path || q.from);
  return html`
<form method="get" action="/console/requests" class="row">
  <div><label for="r-status">Status</label><select id="r-status" name="status"><option value="">any</option>${['2xx', '4xx', '401', '403', '404', '409', '429', '5xx'].map((st) => html`<option value="${st}"${q.status === st ? ' selected' : ''}>${st}</option>`)}</select></div>
  <div><label for="r-client">Client</label><select id="r-client" name="client"><option value="">any</option>${clients.map((c) => html`<option value="${c.id}"${q.client === c.id ? ' selected' : ''}>${c.name}</option>`)}</select></div>
  <div><label for="r-path">Path contains</label><input type="text" id="r-path" name="path" value="${q.path ?? ''}" maxlength="200"></div>
  <div><label for="r-from">Since</label><input type="text" id="r-from" name="from" value="${q.from ?? ''}" placeholder="2026-12-01T00:00"></div>
  <div><button type="submit">Filter</button></div>
</form>
${page.entries.length === 0 ? html`<p class="empty">${filtered ? 'No request matches these filters.' : 'No requests yet: every SCIM, token and administration request appears here, refused ones included.'}</p>` : html`
<ul class="feed requests">${page.entries.map((e) => html`<li data-outcome="${e.outcome}"><time datetime="${e.time}">${time(e.time)}</time> <span class="badge ${e.outcome === 'ok' ? 'ok' : 'refused'}">${String(e.status)}</span> <span class="text">${e.method} <code>${e.path}</code></span>
<ul class="details"><li>${e.auth} · ${String(e.durationMs)} ms</li>${e.detail ? html`<li>${e.detail}</li>` : ''}</ul></li>`)}</ul>`}
${page.cursor ? html`<nav class="pager" aria-label="Older requests"><a href="/console/requests${query({ status: q.status, client: q.client, path: q.path, from: q.from, cursor: page.cursor })}">Older</a></nav>` : ''}`;
}

/** Requests per hour over the last 24 hours as bars (accepted, refused, failed), with the numbers as a table for screen readers. */
export function requestChart(s: RequestSummary): Html {
  const W = 24 * 14;
  const H = 80;
  const most = Math.max(1, ...s.hours.map((b) => b.ok + b.refused + b.failed));
  const bar = (x: number, from: number, n: number, cls: string) => (n === 0 ? '' : html`<rect class="${cls}" x="${String(x)}" y="${String(H - ((from + n) / most) * H)}" width="10" height="${String((n / most) * H)}"></rect>`);
  const total = s.hours.reduce((t, b) => ({ ok: t.ok + b.ok, refused: t.refused + b.refused, failed: t.failed + b.failed }), { ok: 0, refused: 0, failed: 0 });
  return html`<section aria-labelledby="traffic"><h2 id="traffic">Last 24 hours</h2>
<p>${s.lastAccepted ? html`Last accepted request: <time datetime="${s.lastAccepted.time}">${time(s.lastAccepted.time)}</time> UTC, from ${s.lastAccepted.client}.` : 'No request has been accepted yet.'}
 ${String(total.ok)} accepted, ${String(total.refused)} refused, ${String(total.failed)} failed. <a href="/console/requests">All requests</a></p>
<svg class="chart" viewBox="0 0 ${String(W)} ${String(H)}" width="100%" height="${String(H)}" role="img" aria-label="${`Requests per hour: ${total.ok} accepted, ${total.refused} refused, ${total.failed} failed`}" preserveAspectRatio="none">
${s.hours.map((b, i) => html`${bar(i * 14 + 2, 0, b.ok, 'ok')}${bar(i * 14 + 2, b.ok, b.refused, 'refused')}${bar(i * 14 + 2, b.ok + b.refused, b.failed, 'failed')}`)}
</svg>
<p class="legend muted"><span class="swatch ok"></span> accepted <span class="swatch refused"></span> refused <span class="swatch failed"></span> failed</p></section>`;
}
