// The console's page frame: navigation by permission, the signed-in user, sign-out, flash
// messages. Every form carries the session's CSRF token (`csrfField`).
import { ALL_DIVISIONS, can, divisionsWith } from '../../auth/permissions.ts';
import type { ConsoleCaller } from '../../directory/console-users.ts';
import { html, type Html } from './html.ts';

export interface PageOptions {
  readonly title: string;
  readonly current?: string;
  readonly notice?: { kind: 'ok' | 'error'; text: string };
}

/** [href, label, permissions (any one, on any division), on every division (the request log)]. */
const NAV: [string, string, string[], boolean?][] = [
  ['/console', 'Connect', ['oauth:client:view']],
  ['/console/users', 'Users', ['directory:user:view', 'directory:user:edit']],
  ['/console/groups', 'Groups', ['directory:group:view']],
  ['/console/divisions', 'Divisions', ['authorization:division:view']],
  ['/console/roles', 'Roles', ['authorization:role:view']],
  ['/console/clients', 'OAuth clients', ['oauth:client:view']],
  ['/console/activity', 'Activity', ['audits:audit:view']],
  ['/console/requests', 'Requests', ['audits:audit:view'], true],
  ['/console/webhooks', 'Webhooks', ['webhooks:subscription:view']],
  ['/console/provisioning', 'Provisioning', ['provisioning:job:view']],
];

export const csrfField = (c: ConsoleCaller) => html`<input type="hidden" name="_csrf" value="${c.session.csrf}">`;

export function page(caller: ConsoleCaller | undefined, o: PageOptions, body: Html): string {
  const nav = caller
    ? html`<nav aria-label="Console"><ul>${NAV.filter(([, , perms, everywhere]) => (everywhere ? divisionsWith(caller.principal, perms) === ALL_DIVISIONS : can(caller.principal, perms))).map(([href, label]) => html`<li><a href="${href}"${o.current === href ? html` aria-current="page"` : ''}>${label}</a></li>`)}</ul></nav>
      <div class="who"><span>${caller.user.displayName || caller.user.userName} · ${caller.org.name}</span>
        <form class="inline" method="post" action="/console/sign-out">${csrfField(caller)}<button type="submit">Sign out</button></form></div>`
    : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · Scimitar</title><link rel="icon" href="/console/assets/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/console/assets/console.css"><script src="/console/assets/console.js" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/console">Scimitar</a>${nav}</header>
<main id="main"><h1>${o.title}</h1>${o.notice ? html`<p class="notice ${o.notice.kind}" role="${o.notice.kind === 'error' ? 'alert' : 'status'}">${o.notice.text}</p>` : ''}${body}</main>
</body></html>`.text;
}
