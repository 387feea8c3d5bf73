// What the console's change routes share: the services, the signed-in route options, and the
// ways to answer (a page, a redirect with the outcome, a change whose refusal goes back to its
// form), plus reading the form fields.
import type { FastifyReply, FastifyRequest, InjectOptions, LightMyRequestResponse, RouteShorthandOptions } from 'fastify';
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
  /** A signed-in route: session checked, and a POST's CSRF token. */
  readonly opts: RouteShorthandOptions;
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

export type Form = Record<string, string | string[] | undefined>;
export const field = (f: Form, k: string): string => {
  const v = f[k];
  return typeof v === 'string' ? v.trim() : Array.isArray(v) ? String(v[0] ?? '').trim() : '';
};
export const list = (f: Form, k: string): string[] => {
  const v = f[k];
  return v === undefined ? [] : [v].flat().map(String);
};

export const id = (r: FastifyRequest) => (r.params as { id: string }).id;
export const form = (r: FastifyRequest) => (r.body ?? {}) as Form;
