// The job page's scoping filters, as Entra's blade edits them: clauses (attribute, operator,
// value) ANDed within a filter, filters ORed; a user is provisioned when any filter matches
// (no filter: every user of the job's divisions). Clauses are added to a filter or to a new
// one, and deleted one at a time.
import type { ConsoleCaller } from '../../../directory/console-users.ts';
import { SCOPE_OPERATORS, type ScopeClause, type ScopeOperator } from '../../../provision/scope.ts';
import { chosen, formError, formName, typed } from '../forms.ts';
import { html, type Html } from '../html.ts';
import { csrfField } from '../layout.ts';
import type { FormInput, Notice } from '../notices.ts';

export type ScopingFilters = readonly { readonly clauses: readonly ScopeClause[] }[];

/** Operators that take no value. */
const UNARY: readonly ScopeOperator[] = ['IS TRUE', 'IS FALSE', 'IS NULL', 'IS NOT NULL'];

const clauseText = (c: ScopeClause) => `${c.attribute} ${c.operator}${UNARY.includes(c.operator) ? '' : ` "${c.value ?? ''}"`}`;

export function scopingSection(c: ConsoleCaller, jobId: string, filters: ScopingFilters, mayEdit: boolean, notice: Notice | undefined): Html {
  const input: FormInput | undefined = notice?.form?._form === 'scoping' ? notice.form : undefined;
  return html`<h2>Scoping filters</h2>
${filters.length === 0 ? html`<p class="muted">No scoping filter: every user of the job's divisions is provisioned.</p>` : html`<p>A user is provisioned when it matches ${filters.length > 1 ? 'any of these filters (all clauses of one)' : 'every clause'}:</p>
<ol>${filters.map((f, fi) => html`<li>Filter ${String(fi + 1)}<ul>${f.clauses.map((cl, ci) => html`<li><code>${clauseText(cl)}</code>${mayEdit ? html` <form method="post" action="/console/provisioning/${jobId}/scoping/delete" class="inline">${csrfField(c)}<input type="hidden" name="filter" value="${String(fi)}"><input type="hidden" name="clause" value="${String(ci)}"><input type="hidden" name="was" value="${clauseText(cl)}"><button type="submit">Delete <span class="visually-hidden">${clauseText(cl)}</span></button></form>` : ''}</li>`)}</ul></li>`)}</ol>`}
${mayEdit ? html`<details${input ? html` open` : ''}><summary>Add a scoping clause</summary>
<form method="post" action="/console/provisioning/${jobId}/scoping">${csrfField(c)}${formName('scoping')}${formError(notice, 'scoping')}
<label for="scope-filter">Filter</label><select id="scope-filter" name="filter">${filters.map((_, fi) => html`<option value="${String(fi)}"${chosen(input, 'filter', String(fi))}>Filter ${String(fi + 1)} (AND)</option>`)}<option value="new"${chosen(input, 'filter', 'new', 'new')}>A new filter (OR)</option></select>
<label for="scope-attribute">Source attribute (as the engine reads a user: department, jobTitle, userPrincipalName, ...)</label><input type="text" id="scope-attribute" name="attribute" required maxlength="256" value="${typed(input, 'attribute')}">
<label for="scope-operator">Operator</label><select id="scope-operator" name="operator">${SCOPE_OPERATORS.map((o) => html`<option value="${o}"${chosen(input, 'operator', o, 'EQUALS')}>${o}</option>`)}</select>
<label for="scope-value">Value (not for IS TRUE, IS FALSE, IS NULL, IS NOT NULL)</label><input type="text" id="scope-value" name="value" maxlength="1024" value="${typed(input, 'value')}">
<p><button type="submit" class="primary">Add clause</button></p></form></details>` : ''}`;
}

/** `filters` with a clause added (to filter `at`, or a new filter when `at` is undefined). */
export function withClause(filters: ScopingFilters, at: number | undefined, clause: ScopeClause): ScopingFilters {
  if (at === undefined || at >= filters.length) return [...filters, { clauses: [clause] }];
  return filters.map((f, i) => (i === at ? { clauses: [...f.clauses, clause] } : f));
}

/** `filters` without clause `ci` of filter `fi` (a filter left empty goes), or undefined when that clause is not `was` (a stale page). */
export function withoutClause(filters: ScopingFilters, fi: number, ci: number, was: string): ScopingFilters | undefined {
  const clause = filters[fi]?.clauses[ci];
  if (!clause || clauseText(clause) !== was) return undefined;
  return filters.map((f, i) => (i === fi ? { clauses: f.clauses.filter((_, j) => j !== ci) } : f)).filter((f) => f.clauses.length > 0);
}

/** The clause a form describes; undefined for an operator Entra does not have. */
export function clauseOf(attribute: string, operator: string, value: string): ScopeClause | undefined {
  const op = SCOPE_OPERATORS.find((o) => o === operator);
  if (!op) return undefined;
  return { attribute, operator: op, ...(UNARY.includes(op) || value === '' ? {} : { value }) };
}
