// Webhooks: subscriptions to change events, their delivery state and log; a new one (its
// secret shown once), a test event, retry, disable, rotate, delete.
import { can } from '../../../auth/permissions.ts';
import type { AdminContext } from '../../../directory/admin/context.ts';
import type { ConsoleCaller } from '../../../directory/console-users.ts';
import { WEBHOOK_PERMISSIONS, type WebhookEntity } from '../../../directory/webhooks/admin.ts';
import type { Services } from '../../../services.ts';
import { EVENT_TYPES } from '../../../trail/events.ts';
import { formError, formName, typed } from '../forms.ts';
import { html, type Html } from '../html.ts';
import { csrfField } from '../layout.ts';
import type { Notice } from '../notices.ts';

function state(w: WebhookEntity): Html {
  if (!w.enabled) return html`<span class="badge refused">disabled</span>${w.delivery.disabledReason ? html` <span class="muted">${w.delivery.disabledReason}</span>` : ''}`;
  if (w.delivery.failing) return html`<span class="badge refused">failing</span> <span class="muted">${String(w.delivery.attempts)} attempt${w.delivery.attempts === 1 ? '' : 's'}; next at <time datetime="${w.delivery.nextAttempt ?? ''}">${w.delivery.nextAttempt ?? ''}</time></span>`;
  return html`<span class="badge ok">delivering</span>`;
}

const KINDS = [
  ['webhook', 'Standard Webhooks: signed JSON, pushed to the URL'],
  ['set-push', 'Security Event Tokens (RFC 9967), pushed to the URL (RFC 8935)'],
  ['set-poll', 'Security Event Tokens (RFC 9967), polled by the receiver (RFC 8936; no URL)'],
] as const;

const formatOf = (w: WebhookEntity) => (w.format === 'set' ? `Security Event Tokens, ${w.deliveryMethod === 'poll' ? 'polled (RFC 8936)' : 'pushed (RFC 8935)'}` : 'Standard Webhooks');

const types = (w: WebhookEntity) => (w.eventTypes.length === 0 ? 'every event' : w.eventTypes.join(', '));

export async function webhooksPage(s: Services, c: ConsoleCaller, ctx: AdminContext, notice?: Notice): Promise<Html> {
  const { entities } = await s.admin.webhooks.list(ctx);
  const divisions = new Map((await s.store.listDivisions(ctx.org.id)).map((d) => [d.id, d.name]));
  const input = notice?.form?._form === 'webhook' ? notice.form : undefined;
  const picked = (t: string) => (Array.isArray(input?.eventTypes) ? (input!.eventTypes as readonly string[]).includes(t) : input?.eventTypes === t);
  return html`
<p>Every accepted change to a user or group is sent to each subscription as it happens: signed (as Standard Webhooks or as RFC 9967 Security Event Tokens), in order, and retried until the receiver takes it. The same events can be read from <code>GET /api/v2/events</code>. See docs/events.md for payloads and how to check a signature.</p>
${entities.length === 0 ? html`<div class="empty">No webhooks yet. Subscribe an https URL below to receive changes as they happen.</div>`
  : html`<div class="scroll"><table><thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Divisions</th><th scope="col">State</th></tr></thead><tbody>
${entities.map((w) => html`<tr><td><a href="/console/webhooks/${w.id}">${w.url ? html`<code>${w.url}</code>` : 'Polled by the receiver'}</a><br><span class="muted">${formatOf(w)}</span>${w.description ? html`<br><span class="muted">${w.description}</span>` : ''}</td><td>${types(w)}</td><td>${w.divisionIds ? w.divisionIds.map((d) => divisions.get(d) ?? d).join(', ') : 'all'}</td><td>${state(w)}</td></tr>`)}
</tbody></table></div>`}
${can(ctx.principal, [WEBHOOK_PERMISSIONS.add]) ? html`<h2>New webhook</h2><form method="post" action="/console/webhooks">${csrfField(c)}${formName('webhook')}${formError(notice, 'webhook')}
  <label for="webhook-kind">Format</label><select id="webhook-kind" name="kind">${KINDS.map(([v, label]) => html`<option value="${v}"${typed(input, 'kind') === v ? html` selected` : ''}>${label}</option>`)}</select>
  <label for="webhook-url">URL (https; empty when the receiver polls)</label><input type="url" id="webhook-url" name="url" maxlength="2048" value="${typed(input, 'url')}" placeholder="https://hooks.example.com/scimitar">
  <label for="webhook-description">Description</label><input type="text" id="webhook-description" name="description" maxlength="1024" value="${typed(input, 'description')}">
  <fieldset><legend>Events (none ticked: every event)</legend>${EVENT_TYPES.map((t) => html`<label><input type="checkbox" name="eventTypes" value="${t}"${picked(t) ? html` checked` : ''}> ${t}</label>`)}</fieldset>
  <p><button type="submit" class="primary">Create webhook</button></p></form>` : ''}`;
}

export async function webhookPage(s: Services, c: ConsoleCaller, ctx: AdminContext, id: string, notice?: Notice): Promise<{ title: string; body: Html }> {
  const w = await s.admin.webhooks.get(ctx, id);
  const log = await s.admin.webhooks.deliveries(ctx, id, { limit: 50 });
  const mayEdit = can(ctx.principal, [WEBHOOK_PERMISSIONS.edit]);
  const body = html`
<div class="scroll"><table class="profile"><tbody>
${w.url ? html`<tr><th scope="row">URL</th><td><code>${w.url}</code></td></tr>` : ''}
<tr><th scope="row">Format</th><td>${formatOf(w)}</td></tr>
${w.issuer ? html`<tr><th scope="row">Issuer (iss)</th><td><code>${w.issuer}</code></td></tr><tr><th scope="row">Keys (JWKS)</th><td><code>${w.jwksUri ?? ''}</code></td></tr>` : ''}
${w.pollUri ? html`<tr><th scope="row">Poll at</th><td><code>POST ${ctx.publicUrl}${w.pollUri}</code> <span class="muted">with a token holding events:feed:view</span></td></tr>` : ''}
${w.description ? html`<tr><th scope="row">Description</th><td>${w.description}</td></tr>` : ''}
<tr><th scope="row">Events</th><td>${types(w)}</td></tr>
<tr><th scope="row">State</th><td>${state(w)}</td></tr>
<tr><th scope="row">Created</th><td><time datetime="${w.dateCreated}">${w.dateCreated}</time></td></tr>
</tbody></table></div>
${mayEdit ? html`<div class="row">
${w.url ? html`<form method="post" action="/console/webhooks/${id}/test">${csrfField(c)}${formName('test')}<button type="submit">Send a test event</button></form>` : ''}
${w.delivery.failing ? html`<form method="post" action="/console/webhooks/${id}/retry">${csrfField(c)}<button type="submit">Retry now</button></form>` : ''}
<form method="post" action="/console/webhooks/${id}/state">${csrfField(c)}<input type="hidden" name="enabled" value="${w.enabled ? 'false' : 'true'}"><button type="submit"${w.enabled ? html` class="danger"` : ''}>${w.enabled ? 'Disable' : 'Enable'}</button></form>
${w.format === 'webhook' ? html`<form method="post" action="/console/webhooks/${id}/secret" data-confirm="Issue a new signing secret? The receiver must use the new one from now on.">${csrfField(c)}<button type="submit">Rotate secret</button></form>` : ''}
${can(ctx.principal, [WEBHOOK_PERMISSIONS.delete]) ? html`<form method="post" action="/console/webhooks/${id}/delete" data-confirm="${`Delete the webhook${w.url ? ` to ${w.url}` : ''}? Its delivery log goes too.`}">${csrfField(c)}<button type="submit" class="danger">Delete</button></form>` : ''}
</div>${formError(notice, 'test')}` : ''}
<h2>Deliveries</h2>
${log.entities.length === 0 ? html`<p class="muted">Nothing sent yet.</p>` : html`<div class="scroll"><table><thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Attempt</th><th scope="col">Answer</th><th scope="col">ms</th></tr></thead><tbody>
${log.entities.map((d) => html`<tr><td><time datetime="${d.time}">${d.time}</time></td><td>${d.eventType}<br><code class="muted">${d.eventId}</code></td><td>${String(d.attempt)}</td><td>${d.status !== undefined ? html`<span class="badge ${d.status >= 200 && d.status < 300 ? 'ok' : 'refused'}">${String(d.status)}</span>` : html`<span class="badge refused">no answer</span>`}${d.error ? html` <span class="muted">${d.error}</span>` : ''}${d.response ? html`<details><summary>Answer</summary><pre>${d.response}</pre></details>` : ''}</td><td>${String(Math.round(d.latencyMs))}</td></tr>`)}
</tbody></table></div>`}`;
  return { title: 'Webhook', body };
}

