// The web console at /console: server-rendered pages over the same services the APIs use,
// with the signed-in user's principal, so it sees and changes exactly what the APIs would
// let that user see and change. Strict CSP (scripts and styles from /console/assets only),
// session cookie (HttpOnly, SameSite=Strict, Secure behind https), CSRF token on every
// change, POST-redirect-GET with the outcome in the redirect's query.
import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminContext } from '../../directory/admin/context.ts';
import { ScimError } from '../../scim/index.ts';
import type { Services } from '../../services.ts';
import { ABSOLUTE_MS, ConsoleAuth, SignInError, type ConsoleCaller } from '../../directory/console-users.ts';
import { html } from './html.ts';
import { page } from './layout.ts';
import { ConsoleNotices, keptInput, type Notice, type NoticeCode, type Outcome } from './notices.ts';
import { pageNotice } from './forms.ts';
import { acceptForms } from '../form-body.ts';
import { field, formOf, type ConsoleKit, type SignedInRoutes } from './kit.ts';
import { consoleSchemas } from '../schemas/console.ts';
import type { SchemaTypes } from '../schemas/common.ts';
import { activityRoutes } from './activity-routes.ts';
import { directoryChanges } from './directory-changes.ts';
import { clientChanges } from './client-changes.ts';
import { provisioningChanges } from './provisioning-changes.ts';
import { webhookChanges } from './webhook-changes.ts';
import type { StreamLimits } from './stream-slots.ts';
import { userPage, usersPage } from './pages/users.ts';
import { divisionsPage, groupPage, groupsPage, rolesPage } from './pages/directory.ts';
import { clientsPage, connectPage } from './pages/clients.ts';

export interface ConsoleOptions {
  readonly services: Services;
  readonly auth: ConsoleAuth;
  readonly publicUrl: string;
  /** How often the live feed looks for new entries. */
  readonly liveIntervalMs?: number;
  /** The clock notices expire by. */
  readonly now?: () => number;
  /** Caps on open live streams (tests). */
  readonly streamLimits?: StreamLimits;
}

const COOKIE = 'scimitar_session';
/** A live view reads the store at least this often without a change signal (writes no node signalled: the CLI on the store). */
const LIVE_FALLBACK_MS = 15_000;
const ASSETS: Record<string, string> = { 'console.css': 'text/css; charset=utf-8', 'console.js': 'text/javascript; charset=utf-8', 'favicon.svg': 'image/svg+xml' };
const ASSET_DIR = new URL('../../../assets/console/', import.meta.url);

declare module 'fastify' {
  interface FastifyRequest {
    consoleCaller?: ConsoleCaller;
  }
}

/**
 * A page of this console to return to after sign-in, or undefined: only a path under
 * /console (never another site or page: no scheme, no `//`, no `..`, no backslash, no control character), so
 * `next` cannot redirect anyone elsewhere.
 */
export function consolePath(next: unknown): string | undefined {
  if (typeof next !== 'string' || next.length > 2000) return undefined;
  if (!/^\/console(?:[/?]|$)/.test(next) || /[\\\x00-\x20\x7f]/.test(next) || next.includes('//') || next.includes('..') || next.startsWith('/console/sign-')) return undefined;
  return next;
}

/** The host an Origin header names; undefined for `null` (sandboxed pages, file:) or anything unparsable. */
function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host || undefined;
  } catch {
    return undefined;
  }
}

export async function consoleRoutes(root: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const { services: s, auth, publicUrl } = options;
  const secure = publicUrl.startsWith('https://');
  const assets = new Map(Object.keys(ASSETS).map((name) => [name, readFileSync(new URL(name, ASSET_DIR), 'utf8')]));

  await root.register(async (plain) => {
    // Handlers' params, query and form fields are typed from schemas/console.ts.
    const app = plain.withTypeProvider<SchemaTypes>();
    // The console's forms; a checkbox group repeats its name.
    acceptForms(app, true);
    await app.register(cookie);
    await app.register(helmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], connectSrc: ["'self'"],
          formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"], objectSrc: ["'none'"],
        },
      },
      hsts: secure ? { maxAge: 31536000 } : false,
      referrerPolicy: { policy: 'same-origin' },
    });

    const ctxOf = (r: FastifyRequest): AdminContext => ({ principal: r.consoleCaller!.principal, org: r.consoleCaller!.org, requestId: r.id, publicUrl });
    const send = (reply: FastifyReply, body: string, status = 200) => reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
    const notices = new ConsoleNotices(s.store, options.now);
    const noticeOf = (request: FastifyRequest) => notices.read(request.consoleCaller?.org.id, formOf(request.query));
    /** Redirects to `path` with the outcome; the organization seals a refusal's message. */
    const back = async (reply: FastifyReply, path: string, orgId: string, outcome: Outcome) => {
      const q = await notices.query(orgId, outcome);
      // An id from the URL may hold any character (CR, LF, non-ASCII): escaped, it is a safe header.
      const safe = path.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c));
      return reply.code(303).header('location', `${safe}${safe.includes('?') ? '&' : '?'}${q}`).send();
    };

    /** Signed-in pages: the caller, or a redirect to sign in (GET) / 403 (POST). POSTs must carry the session's CSRF token. */
    const signedIn = async (request: FastifyRequest, reply: FastifyReply) => {
      const caller = await auth.caller(request.cookies[COOKIE]);
      if (!caller) {
        // The page asked for comes back after sign-in (a deep link from a bookmark or a colleague).
        if (request.method === 'GET') return reply.code(303).header('location', `/console/sign-in${request.url === '/console' ? '' : `?next=${encodeURIComponent(request.url)}`}`).send();
        return send(reply, page(undefined, { title: 'Signed out', notice: { kind: 'error', text: 'Your session has ended: sign in again.' } }, html`<p><a href="/console/sign-in">Sign in</a></p>`), 403);
      }
      request.consoleCaller = caller;
      if (request.method === 'POST' && !ConsoleAuth.csrfMatches(caller, formOf(request.body)._csrf)) {
        request.refusal = { detail: 'console form without a valid CSRF token' };
        return send(reply, page(caller, { title: 'Refused', notice: { kind: 'error', text: 'This form is stale or was not sent from the console (CSRF check failed). Reload the page and try again.' } }, html``), 403);
      }
    };
    const signedInAs = <const S>(schema: S) => ({ schema, preHandler: signedIn });
    const routes: SignedInRoutes = {
      page: signedInAs(consoleSchemas.page), pageOf: signedInAs(consoleSchemas.pageOf), asset: signedInAs(consoleSchemas.asset),
      form: signedInAs(consoleSchemas.form), formOf: signedInAs(consoleSchemas.formOf), formOfToken: signedInAs(consoleSchemas.formOfToken),
    };
    /** Forms before sign-in: refused when the browser says they come from another site. */
    const sameOrigin = async (request: FastifyRequest, reply: FastifyReply) => {
      const origin = request.headers.origin;
      if (origin && origin !== publicUrl && originHost(origin) !== request.headers.host) return send(reply, page(undefined, { title: 'Refused' }, html`<p>This form was sent from another site.</p>`), 403);
    };

    /** Runs a change; its refusal becomes the redirect's error notice. */
    const act = async (r: FastifyRequest, reply: FastifyReply, to: string, ok: NoticeCode, fn: () => Promise<unknown>) => {
      const orgId = r.consoleCaller!.org.id;
      try {
        await fn();
        return back(reply, to, orgId, { ok });
      } catch (e) {
        // The refusal goes back to the form that caused it, with what was typed.
        if (e instanceof ScimError) return back(reply, to, orgId, { error: e.message, form: keptInput(formOf(r.body)) });
        throw e;
      }
    };

    app.setErrorHandler((error, request, reply) => {
      const caller = request.consoleCaller;
      if (error instanceof ScimError) {
        request.refusal = { detail: error.message };
        return send(reply, page(caller, { title: error.status === 404 ? 'Not found' : 'Refused', notice: { kind: 'error', text: error.message } }, html`<p><a href="/console">Back to the console</a></p>`), error.status);
      }
      const status = (error as { statusCode?: number }).statusCode;
      if (status && status >= 400 && status < 500) return send(reply, page(caller, { title: 'Bad request', notice: { kind: 'error', text: 'The request could not be read.' } }, html``), status);
      request.log.error({ err: error }, 'console error');
      return send(reply, page(caller, { title: 'Something went wrong', notice: { kind: 'error', text: `An internal error occurred (request ${request.id}).` } }, html``), 500);
    });

    app.get('/console/assets/:name', { schema: consoleSchemas.asset }, async (request, reply) => {
      const name = request.params.name;
      const body = assets.get(name);
      if (!body) return send(reply, page(undefined, { title: 'Not found' }, html``), 404);
      return reply.type(ASSETS[name]).header('cache-control', 'public, max-age=300').send(body);
    });

    // The site's root is the console (SCIM clients use the tenant URL under /api/v2/scim/v2).
    app.get('/', { schema: consoleSchemas.page }, async (_request, reply) => reply.code(302).header('location', '/console').send());

    // ---- Setup, sign-in, sign-out ----
    app.get('/console/setup', { schema: consoleSchemas.page }, async (request, reply) => {
      const token = field(request.query, 'token');
      return send(reply, page(undefined, { title: 'Create the first administrator' }, html`<div class="card">
<p>This one-time link creates the organization's first console administrator (a directory user with the Admin role on every division).</p>
<form method="post" action="/console/setup"><input type="hidden" name="token" value="${token}">
<label for="setup-email">Email (your sign-in name)</label><input type="email" id="setup-email" name="userName" autocomplete="username" required>
<label for="setup-name">Name</label><input type="text" id="setup-name" name="displayName" autocomplete="name" required>
<label for="setup-password">Password (at least 12 characters)</label><input type="password" id="setup-password" name="password" autocomplete="new-password" minlength="12" required>
<p><button type="submit" class="primary">Create administrator</button></p></form></div>`));
    });
    app.post('/console/setup', { schema: consoleSchemas.form, preHandler: sameOrigin }, async (request, reply) => {
      const f = request.body;
      try {
        const { org, user } = await auth.completeSetup(field(f, 'token'), { userName: field(f, 'userName'), displayName: field(f, 'displayName'), password: String(f.password ?? '') }, request.ip);
        const { cookie: value } = await auth.signIn(org, user.userName, String(f.password ?? ''), request.ip);
        reply.setCookie(COOKIE, value, { path: '/console', httpOnly: true, sameSite: 'strict', secure, maxAge: ABSOLUTE_MS / 1000 });
        return back(reply, '/console', org.id, { ok: 'welcome' });
      } catch (e) {
        if (e instanceof SignInError || e instanceof ScimError) return send(reply, page(undefined, { title: 'Create the first administrator', notice: { kind: 'error', text: e.message } }, html`<p><a href="/console/setup?token=${field(f, 'token')}">Try again</a></p>`), 400);
        throw e;
      }
    });

    const signInForm = async (notice?: { kind: 'ok' | 'error'; text: string }, userName = '', next = '') => {
      const orgs = await s.store.listOrganizations();
      return page(undefined, { title: 'Sign in', notice }, html`<div class="card"><form method="post" action="/console/sign-in">${next ? html`<input type="hidden" name="next" value="${next}">` : ''}
${orgs.length > 1 ? html`<label for="org">Organization</label><input type="text" id="org" name="organization" required>` : ''}
<label for="email">Email</label><input type="email" id="email" name="userName" value="${userName}" autocomplete="username" required>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<p><button type="submit" class="primary">Sign in</button></p></form>
<p class="muted">No account yet? The first administrator is created with the setup link printed at first start (or by <code>scimitar console setup-link</code>).</p></div>`);
    };
    app.get('/console/sign-in', { schema: consoleSchemas.page }, async (request, reply) => send(reply, await signInForm(await noticeOf(request), '', consolePath(request.query.next) ?? '')));
    app.post('/console/sign-in', { schema: consoleSchemas.form, preHandler: sameOrigin }, async (request, reply) => {
      const f = request.body;
      const orgs = await s.store.listOrganizations();
      const named = field(f, 'organization').toLowerCase();
      const org = orgs.length === 1 ? orgs[0] : orgs.find((o) => o.name.toLowerCase() === named || o.id === named);
      try {
        if (!org) throw new SignInError('Wrong email or password');
        const { cookie: value } = await auth.signIn(org, field(f, 'userName'), String(f.password ?? ''), request.ip);
        reply.setCookie(COOKIE, value, { path: '/console', httpOnly: true, sameSite: 'strict', secure, maxAge: ABSOLUTE_MS / 1000 });
        return reply.code(303).header('location', consolePath(field(f, 'next')) ?? '/console').send();
      } catch (e) {
        if (!(e instanceof SignInError)) throw e;
        if (e.retryAfterSeconds > 0) reply.header('retry-after', String(e.retryAfterSeconds));
        return send(reply, await signInForm({ kind: 'error', text: e.message }, field(f, 'userName'), consolePath(field(f, 'next')) ?? ''), e.retryAfterSeconds > 0 ? 429 : 401);
      }
    });
    app.post('/console/sign-out', routes.form, async (request, reply) => {
      await auth.signOut(request.consoleCaller!);
      reply.clearCookie(COOKIE, { path: '/console' });
      return back(reply, '/console/sign-in', request.consoleCaller!.org.id, { ok: 'signed-out' });
    });

    // ---- Pages ----
    // A form that names itself (forms.ts) shows its refusal inside it; any other at the top.
    const view = <R extends FastifyRequest>(title: string, current: string, render: (r: R, notice: Notice | undefined) => Promise<ReturnType<typeof html>>) =>
      async (request: R, reply: FastifyReply) => {
        const notice = await noticeOf(request);
        return send(reply, page(request.consoleCaller, { title, current, notice: pageNotice(notice) }, await render(request, notice)));
      };

    app.get('/console', routes.page, view('Connect', '/console', (r, notice) => connectPage(s, r.consoleCaller!, ctxOf(r), publicUrl, undefined, notice)));
    app.get('/console/users', routes.page, view('Users', '/console/users', (r) => usersPage(s, r.consoleCaller!, ctxOf(r), r.query)));
    app.get('/console/users/:id', routes.pageOf, async (request, reply) => {
      const notice = await noticeOf(request);
      const { title, body } = await userPage(s, request.consoleCaller!, ctxOf(request), request.params.id, notice);
      return send(reply, page(request.consoleCaller, { title, current: '/console/users', notice: pageNotice(notice) }, body));
    });
    app.get('/console/groups', routes.page, view('Groups', '/console/groups', (r, notice) => groupsPage(s, r.consoleCaller!, ctxOf(r), notice?.form)));
    app.get('/console/groups/:id', routes.pageOf, async (request, reply) => {
      const notice = await noticeOf(request);
      const { title, body } = await groupPage(s, request.consoleCaller!, ctxOf(request), request.params.id, request.query, notice);
      return send(reply, page(request.consoleCaller, { title, current: '/console/groups', notice: pageNotice(notice) }, body));
    });
    app.get('/console/divisions', routes.page, view('Divisions', '/console/divisions', (r, notice) => divisionsPage(s, r.consoleCaller!, ctxOf(r), r.query, notice?.form)));
    app.get('/console/roles', routes.page, view('Roles', '/console/roles', (r, notice) => rolesPage(s, r.consoleCaller!, ctxOf(r), notice?.form)));
    app.get('/console/clients', routes.page, view('OAuth clients', '/console/clients', (r, notice) => clientsPage(s, r.consoleCaller!, ctxOf(r), notice)));

    // ---- Changes ----
    const kit: ConsoleKit = { services: s, auth, publicUrl, secure, now: options.now, routes, ctxOf, send, back, act, noticeOf, inject: (o) => root.inject(o) };
    activityRoutes(app, kit, { cookie: COOKIE, streamLimits: options.streamLimits, intervalMs: options.liveIntervalMs ?? LIVE_FALLBACK_MS });
    directoryChanges(app, kit);
    webhookChanges(app, kit, clientChanges(app, kit));
    provisioningChanges(app, kit);
  });
}
