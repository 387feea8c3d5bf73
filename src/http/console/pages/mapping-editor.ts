// The job page's mapping editor, row by row as Entra's "Edit attribute" dialog: mapping type
// (direct, constant, expression), source, default value if null, target attribute, matching
// precedence, and when to apply it; plus adding and deleting a row. Each form names the row by
// its position and the target it had when the page was made, so an edit made on a page that
// another administrator's change has since made stale is refused instead of landing on the
// wrong row. The whole file stays editable as JSON below (mapping-file form).
import type { ConsoleCaller } from '../../../directory/console-users.ts';
import type { Mapping } from '../../../provision/mappings.ts';
import { formError, formName, typed, chosen } from '../forms.ts';
import { html, type Html } from '../html.ts';
import { csrfField } from '../layout.ts';
import type { FormInput, Notice } from '../notices.ts';

export type MappingKind = 'users' | 'groups';

/** A row's form name (its refusal shows inside it): `mapping-users-3`, `mapping-users-new`. */
export const rowFormName = (kind: MappingKind, index: number | undefined) => `mapping-${kind}-${index ?? 'new'}`;

const TYPES = [['direct', 'Direct (a source attribute)'], ['constant', 'Constant'], ['expression', 'Expression']] as const;

const sourceText = (m: Mapping) => (m.source.type === 'direct' ? m.source.attribute : m.source.type === 'constant' ? m.source.value : m.source.expression);
const sourceShown = (m: Mapping) => (m.source.type === 'direct' ? `[${m.source.attribute}]` : m.source.type === 'constant' ? `"${m.source.value}"` : m.source.expression);

function rowForm(c: ConsoleCaller, jobId: string, kind: MappingKind, index: number | undefined, m: Mapping | undefined, notice: Notice | undefined): Html {
  const name = rowFormName(kind, index);
  const mine = notice?.form?._form === name;
  const input: FormInput | undefined = mine ? notice?.form : undefined;
  const value = (k: string, current: string) => (mine ? typed(input, k) : current);
  const f = (k: string) => `${name}-${k}`;
  return html`<form method="post" action="/console/provisioning/${jobId}/mappings/row">${csrfField(c)}${formName(name)}${formError(notice, name)}
<input type="hidden" name="kind" value="${kind}"><input type="hidden" name="index" value="${index === undefined ? '' : String(index)}"><input type="hidden" name="was" value="${m?.target ?? ''}">
<label for="${f('type')}">Mapping type</label><select id="${f('type')}" name="type">${TYPES.map(([v, label]) => html`<option value="${v}"${chosen(input, 'type', v, m?.source.type ?? 'direct')}>${label}</option>`)}</select>
<label for="${f('source')}">Source attribute, constant value or expression</label><input type="text" id="${f('source')}" name="source" required maxlength="10000" value="${value('source', m ? sourceText(m) : '')}">
<label for="${f('default')}">Default value if null (optional)</label><input type="text" id="${f('default')}" name="defaultValue" maxlength="1024" value="${value('defaultValue', m?.defaultValue ?? '')}">
<label for="${f('target')}">Target attribute</label><input type="text" id="${f('target')}" name="target" required maxlength="1024" value="${value('target', m?.target ?? '')}">
<label for="${f('match')}">Matching precedence (empty: not used to match objects; 1 is tried first)</label><input type="number" id="${f('match')}" name="match" min="1" max="99" value="${value('match', m?.match === undefined ? '' : String(m.match))}">
<label for="${f('apply')}">Apply this mapping</label><select id="${f('apply')}" name="apply"><option value="always"${chosen(input, 'apply', 'always', m?.apply ?? 'always')}>Always</option><option value="creation"${chosen(input, 'apply', 'creation', m?.apply)}>Only during object creation</option></select>
<p><button type="submit" class="primary">${m ? 'Save' : 'Add mapping'}</button></p></form>`;
}

/** The mappings of one kind as rows, each with its editor and a delete button (editors only for those who may edit). */
export function mappingTable(c: ConsoleCaller, jobId: string, kind: MappingKind, list: readonly Mapping[], mayEdit: boolean, notice: Notice | undefined): Html {
  const open = (index: number | undefined) => notice?.form?._form === rowFormName(kind, index);
  return html`<div class="scroll"><table><caption>${kind === 'users' ? 'Users' : 'Groups'}</caption><thead><tr><th scope="col">Target attribute</th><th scope="col">Source</th><th scope="col">Applied</th>${mayEdit ? html`<th scope="col">Change</th>` : ''}</tr></thead><tbody>
${list.map((m, i) => html`<tr><td><code>${m.target}</code></td><td><code>${sourceShown(m)}</code>${m.defaultValue !== undefined ? html` <span class="muted">default "${m.defaultValue}"</span>` : ''}</td><td>${m.apply === 'creation' ? 'on creation' : 'always'}${m.match ? html` <span class="muted">match ${String(m.match)}</span>` : ''}</td>${mayEdit ? html`<td><details${open(i) ? html` open` : ''}><summary>Edit <span class="visually-hidden">${m.target}</span></summary>${rowForm(c, jobId, kind, i, m, notice)}</details>
<form method="post" action="/console/provisioning/${jobId}/mappings/row/delete" data-confirm="Delete the mapping to ${m.target}?">${csrfField(c)}<input type="hidden" name="kind" value="${kind}"><input type="hidden" name="index" value="${String(i)}"><input type="hidden" name="was" value="${m.target}"><button type="submit">Delete <span class="visually-hidden">${m.target}</span></button></form></td>` : ''}</tr>`)}
</tbody></table></div>
${mayEdit ? html`<details${open(undefined) ? html` open` : ''}><summary>Add a ${kind === 'users' ? 'user' : 'group'} mapping</summary>${rowForm(c, jobId, kind, undefined, undefined, notice)}</details>` : ''}`;
}

/** The row a form describes, as a mapping (the service checks that it compiles). */
export function mappingOfRow(f: { type: string; source: string; defaultValue: string; target: string; match: string; apply: string }): Mapping {
  const source = f.type === 'constant' ? { type: 'constant' as const, value: f.source } : f.type === 'expression' ? { type: 'expression' as const, expression: f.source } : { type: 'direct' as const, attribute: f.source };
  const match = f.match === '' ? undefined : Number(f.match);
  return {
    target: f.target, source, apply: f.apply === 'creation' ? 'creation' : 'always',
    ...(match !== undefined && Number.isInteger(match) && match >= 1 ? { match } : {}),
    ...(f.defaultValue !== '' ? { defaultValue: f.defaultValue } : {}),
  };
}
