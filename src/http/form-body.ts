// Form bodies (application/x-www-form-urlencoded): the token endpoint's (RFC 6749 4.4.2) and
// the console's. Each of those plugins registers this parser for itself; elsewhere a form body
// is 415 (Fastify's own refusal of an unknown media type).
import type { FastifyInstance } from 'fastify';
import { checkJsonBody } from './input-guard.ts';

/** Form fields; `repeatable` (the console's checkboxes) gathers repeated ones into lists. */
export function parseForm(body: string, repeatable: boolean): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    if (Object.prototype.hasOwnProperty.call(out, k)) {
      // RFC 6749 3.2: token request parameters must not be repeated.
      if (!repeatable) throw Object.assign(new Error(`Parameter "${k}" is repeated`), { statusCode: 400 });
      out[k] = [out[k], v].flat();
    } else out[k] = v;
  }
  return out;
}

/** Parses form bodies in `app` (and its children); `repeatable`: repeated names gather into lists (checkboxes). */
export function acceptForms(app: FastifyInstance, repeatable: boolean): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    try {
      const form = parseForm(body as string, repeatable);
      checkJsonBody(form);
      done(null, form);
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}
