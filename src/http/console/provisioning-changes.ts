// The console's provisioning pages and changes: the job list and a job's page; create, start,
// stop, restart, pilot or live, Test connection, each POST-redirect-GET; provision on demand
// answers with its steps on the job's page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_GROUP_MAPPINGS, DEFAULT_USER_MAPPINGS, type Mapping } from '../../provision/mappings.ts';
import { mappingOfRow } from './pages/mapping-editor.ts';
import { clauseOf, withClause, withoutClause, type ScopingFilters } from './pages/scoping-editor.ts';
import { ScimError, scimErrors } from '../../scim/index.ts';
import { keptInput } from './notices.ts';
import { pageNotice } from './forms.ts';
import { page } from './layout.ts';
import { jobPage, jobsPage, previewResult } from './pages/provisioning.ts';
import { field, type ConsoleKit, type Form } from './kit.ts';
import type { SchemaTypes } from '../schemas/common.ts';

export function provisioningChanges(plain: FastifyInstance, k: ConsoleKit): void {
  const app = plain.withTypeProvider<SchemaTypes>();
  const { services: s, routes, ctxOf, act, back, send, noticeOf } = k;
  /** Posts that change nothing in the directory: no change signal (app.ts). */
  const reads = { ...routes.formOf, config: { changesNothing: true } };
  app.get('/console/provisioning', routes.page, async (request, reply) => {
    const notice = await noticeOf(request);
    return send(reply, page(request.consoleCaller, { title: 'Provisioning', current: '/console/provisioning', notice: pageNotice(notice) }, await jobsPage(s, request.consoleCaller!, ctxOf(request), notice)));
  });
  app.get('/console/provisioning/:id', routes.pageOf, async (request, reply) => {
    const notice = await noticeOf(request);
    const { title, body } = await jobPage(s, request.consoleCaller!, ctxOf(request), request.params.id, request.query, notice);
    return send(reply, page(request.consoleCaller, { title, current: '/console/provisioning', notice: pageNotice(notice) }, body));
  });
  app.post('/console/provisioning', routes.form, async (r, reply) => {
    const f = r.body;
    const target = field(f, 'token')
      ? { url: field(f, 'url'), token: field(f, 'token') }
      : { url: field(f, 'url'), tokenUrl: field(f, 'tokenUrl'), clientId: field(f, 'clientId'), clientSecret: field(f, 'clientSecret') };
    try {
      const source = field(f, 'source') === 'graph'
        ? { type: 'graph', tenantId: field(f, 'graphTenant'), clientId: field(f, 'graphClientId'), clientSecret: field(f, 'graphClientSecret') }
        : { type: 'directory' };
      const made = await s.admin.jobs.create(ctxOf(r), { name: field(f, 'name'), source, target });
      return back(reply, `/console/provisioning/${made.id}`, r.consoleCaller!.org.id, { ok: 'job-created' });
    } catch (e) {
      if (e instanceof ScimError) return back(reply, '/console/provisioning', r.consoleCaller!.org.id, { error: e.message, form: keptInput(f) });
      throw e;
    }
  });
  for (const action of ['start', 'stop', 'restart'] as const) {
    app.post(`/console/provisioning/:id/${action}`, routes.formOf, async (r, reply) => act(r, reply, `/console/provisioning/${r.params.id}`, `job-${action}`, () => s.admin.jobs.setRunning(ctxOf(r), r.params.id, action)));
  }
  app.post('/console/provisioning/:id/mode', routes.formOf, async (r, reply) =>
    act(r, reply, `/console/provisioning/${r.params.id}`, 'job-updated', () => s.admin.jobs.update(ctxOf(r), r.params.id, { pilot: field(r.body, 'pilot') === 'true' })));
  // A refused edit answers with the page and the whole text as typed (a redirect could carry
  // only the start of it); a saved one redirects.
  app.post('/console/provisioning/:id/mappings', routes.formOf, async (r, reply) => {
    const text = field(r.body, 'mappings');
    try {
      let mappings: unknown = null;
      if (text !== '') {
        try {
          mappings = JSON.parse(text);
        } catch (e) {
          throw scimErrors.badRequest(`The mappings are not valid JSON: ${(e as Error).message}`);
        }
      }
      await s.admin.jobs.update(ctxOf(r), r.params.id, { mappings });
      return back(reply, `/console/provisioning/${r.params.id}`, r.consoleCaller!.org.id, { ok: 'job-mappings-saved' });
    } catch (e) {
      if (!(e instanceof ScimError) || e.status === 404) throw e;
      const notice = { kind: 'error' as const, text: e.message, form: { _form: 'mappings', mappings: text } };
      const { title, body } = await jobPage(s, r.consoleCaller!, ctxOf(r), r.params.id, {}, notice);
      return send(reply, page(r.consoleCaller, { title, current: '/console/provisioning' }, body), 400);
    }
  });
  // One mapping row, as Entra's "Edit attribute" dialog: added, changed or deleted in the
  // job's current mappings (the defaults until the job has its own).
  const editRows = async (r: FastifyRequest, id: string, f: Form, reply: FastifyReply, change: (rows: Mapping[], index: number | undefined) => void) => {
    const kind = field(f, 'kind') === 'groups' ? 'groups' : 'users';
    const index = field(f, 'index') === '' ? undefined : Number(field(f, 'index'));
    return act(r, reply, `/console/provisioning/${id}`, 'job-mappings-saved', async () => {
      const j = await s.admin.jobs.get(ctxOf(r), id);
      const current = { users: [...((j.mappings?.users as Mapping[] | undefined) ?? DEFAULT_USER_MAPPINGS)], groups: [...((j.mappings?.groups as Mapping[] | undefined) ?? DEFAULT_GROUP_MAPPINGS)] };
      const rows = current[kind];
      if (index !== undefined && (!Number.isInteger(index) || rows[index]?.target !== field(f, 'was'))) throw scimErrors.conflict('The mappings changed since this page was loaded: reload it and make the change again');
      change(rows, index);
      await s.admin.jobs.update(ctxOf(r), id, { mappings: current });
    });
  };
  app.post('/console/provisioning/:id/mappings/row', routes.formOf, async (r, reply) => editRows(r, r.params.id, r.body, reply, (rows, index) => {
    const f = r.body;
    const row = mappingOfRow({ type: field(f, 'type'), source: field(f, 'source'), defaultValue: field(f, 'defaultValue'), target: field(f, 'target'), match: field(f, 'match'), apply: field(f, 'apply') });
    if (index === undefined) rows.push(row);
    else rows[index] = row;
  }));
  app.post('/console/provisioning/:id/mappings/row/delete', routes.formOf, async (r, reply) => editRows(r, r.params.id, r.body, reply, (rows, index) => {
    if (index !== undefined) rows.splice(index, 1);
  }));
  // Scoping filters, a clause at a time (Entra's blade): added to a filter or a new one, deleted.
  const setScoping = (r: FastifyRequest, id: string, change: (filters: ScopingFilters) => ScopingFilters, reply: FastifyReply) =>
    act(r, reply, `/console/provisioning/${id}`, 'job-updated', async () => {
      const j = await s.admin.jobs.get(ctxOf(r), id);
      const next = change(j.scopingFilters ?? []);
      await s.admin.jobs.update(ctxOf(r), id, { scopingFilters: next.length > 0 ? next : null });
    });
  app.post('/console/provisioning/:id/scoping', routes.formOf, async (r, reply) => setScoping(r, r.params.id, (filters) => {
    const f = r.body;
    const clause = clauseOf(field(f, 'attribute'), field(f, 'operator'), field(f, 'value'));
    if (!clause || clause.attribute === '') throw scimErrors.badRequest('A clause needs a source attribute and one of the operators listed');
    return withClause(filters, field(f, 'filter') === 'new' ? undefined : Number(field(f, 'filter')), clause);
  }, reply));
  app.post('/console/provisioning/:id/scoping/delete', routes.formOf, async (r, reply) => setScoping(r, r.params.id, (filters) => {
    const f = r.body;
    const next = withoutClause(filters, Number(field(f, 'filter')), Number(field(f, 'clause')), field(f, 'was'));
    if (!next) throw scimErrors.conflict('The scoping filters changed since this page was loaded: reload it and make the change again');
    return next;
  }, reply));
  app.post('/console/provisioning/:id/test', reads, async (r, reply) => {
    const to = `/console/provisioning/${r.params.id}`;
    try {
      const t = await s.admin.jobs.testConnection(ctxOf(r), r.params.id);
      return back(reply, to, r.consoleCaller!.org.id, t.ok ? { ok: 'job-connected' } : { error: `Test connection failed: ${t.detail}` });
    } catch (e) {
      if (e instanceof ScimError) return back(reply, to, r.consoleCaller!.org.id, { error: e.message });
      throw e;
    }
  });
  // The preview changes nothing: it answers with the job's page and the result under the form.
  app.post('/console/provisioning/:id/preview', reads, async (r, reply) => {
    const f = r.body;
    const asked = { expression: field(f, 'expression'), user: field(f, 'user') };
    // A job the caller may not see is a 404 page; every other refusal is the preview's answer.
    await s.admin.jobs.get(ctxOf(r), r.params.id);
    let result;
    try {
      result = previewResult(asked.expression, await s.admin.jobs.preview(ctxOf(r), r.params.id, asked));
    } catch (e) {
      if (!(e instanceof ScimError)) throw e;
      result = previewResult(asked.expression, { user: { name: asked.user }, error: { message: e.message } });
    }
    const { title, body } = await jobPage(s, r.consoleCaller!, ctxOf(r), r.params.id, { previewExpression: asked.expression, previewUser: asked.user }, undefined, undefined, result);
    return send(reply, page(r.consoleCaller, { title, current: '/console/provisioning' }, body));
  });
  app.post('/console/provisioning/:id/on-demand', reads, async (r, reply) => {
    const f = r.body;
    try {
      const result = await s.admin.jobs.provisionOnDemand(ctxOf(r), r.params.id, { user: field(f, 'user') });
      // POST, then redirect: the page shows the run from its log entry, so a reload does not run it again.
      return back(reply, `/console/provisioning/${r.params.id}?demand=${encodeURIComponent(result.user.id)}`, r.consoleCaller!.org.id, { ok: 'job-on-demand' });
    } catch (e) {
      if (e instanceof ScimError) return back(reply, `/console/provisioning/${r.params.id}`, r.consoleCaller!.org.id, { error: e.message, form: keptInput(f) });
      throw e;
    }
  });
}
