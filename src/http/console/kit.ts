// What the console's change routes share: the services, the signed-in route options, and the
// ways to answer (a page, a redirect with the outcome, a change whose refusal goes back to its
// form), plus reading the form fields.
import type { FastifyReply, FastifyRequest, InjectOptions, LightMyRequestResponse, preHandlerAsyncHookHandler } from 'fastify';
import type { consoleSchemas } from '../schemas/console.ts';
import type { AdminContext } from '../../directory/admin/context.ts';
import type { ConsoleAuth } from '../../directory/console-users.ts';
import type { Services } from '../../services.ts';
import type { Notice, NoticeCode, Outcome } from './notices.ts';

export interface ConsoleKit {
  readonly services: Services;
  readonly auth: ConsoleAuth;
  readonly publicUrl: string;
  /** Cookies are Secure (the console is served over https). */
  readonly secure: boolean;
  readonly now?: () => number;
  /** Signed-in route options by kind (schemas/console.ts): session checked, and a POST's CSRF token. */
  readonly routes: SignedInRoutes;
  ctxOf(r: FastifyRequest): AdminContext;
  send(reply: FastifyReply, body: string, status?: number): FastifyReply;
  /** Redirects to `path` with the outcome. */
  back(reply: FastifyReply, path: string, orgId: string, outcome: Outcome): Promise<FastifyReply>;
  /** Runs a change and redirects to `to`: with `ok`, or with the refusal and what was typed. */
  act(r: FastifyRequest, reply: FastifyReply, to: string, ok: NoticeCode, fn: () => Promise<unknown>): Promise<FastifyReply>;
  /** The outcome a redirect carried to this page (notices.ts). */
  noticeOf(r: FastifyRequest): Promise<Notice | undefined>;
  /** A request through the whole app (Test connection). */
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
}

type SignedIn<S> = { readonly schema: S; readonly preHandler: preHandlerAsyncHookHandler };
export type SignedInRoutes = { readonly [K in keyof typeof consoleSchemas]: SignedIn<(typeof consoleSchemas)[K]> };

export type Form = Readonly<Record<string, string | readonly string[] | undefined>>;
export const field = (f: Form, k: string): string => {
  const v = f[k];
  return typeof v === 'string' ? v.trim() : Array.isArray(v) ? String(v[0] ?? '').trim() : '';
};
export const list = (f: Form, k: string): string[] => {
  const v = f[k];
  return v === undefined ? [] : [v].flat().map(String);
};

/** A body as the console's form parser left it (a form's fields), or no fields. */
export function formOf(body: unknown): Form {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const fields: Record<string, string | readonly string[]> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string' || Array.isArray(v)) fields[k] = v;
  return fields;
}
