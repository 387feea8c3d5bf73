// The pilot/dry-run report: JSON for machines, a self-contained HTML page for people, and a
// summary table for the terminal.
import type { ObjectReport, SyncReport } from './sync.ts';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const show = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

export function summaryTable(r: SyncReport): string {
  const s = r.summary;
  const rows = [
    ['created', s.create], ['updated', s.update], ['disabled', s.disable], ['deleted', s.delete], ['skipped', s.skip], ['failed', s.fail],
    ['requests', s.requests], ['writes', s.writes], ['time', `${s.seconds.toFixed(1)} s`],
  ];
  const w = Math.max(...rows.map(([k]) => String(k).length));
  return `${r.dryRun ? `DRY RUN: nothing was written; ${r.validatedByTarget ? 'every write was validated by the target (its real answers, failures included)' : 'the target cannot validate writes, so failures it would report are not predicted'}\n` : ''}${rows.map(([k, v]) => `${String(k).padEnd(w)}  ${v}`).join('\n')}\n`;
}

function objectRow(o: ObjectReport): string {
  const changes = o.changes.map((c) => `<div><code>${esc(c.path)}</code>: ${c.before !== undefined ? `<del>${esc(show(c.before))}</del> ` : ''}${c.after !== undefined ? `<ins>${esc(show(c.after))}</ins>` : ''}</div>`).join('');
  return `<tr class="${o.action}"><td>${esc(o.kind)}</td><td>${esc(o.name)}</td><td><b>${esc(o.action)}</b></td><td>${changes}</td><td>${esc(o.reason)}${o.errors.map((e) => `<div class="err">${esc(e)}</div>`).join('')}</td></tr>`;
}

const table = (objects: readonly ObjectReport[]) =>
  `<table><thead><tr><th>kind</th><th>object</th><th>action</th><th>attribute changes</th><th>reason / errors</th></tr></thead><tbody>\n${objects.map(objectRow).join('\n')}\n</tbody></table>`;

const ACTION_TITLES: [ObjectReport['action'], string][] = [['create', 'Created'], ['update', 'Updated'], ['disable', 'Disabled'], ['delete', 'Deleted'], ['skip', 'Skipped']];

/** Failures first and open (each with the target's error), then one collapsed section per action: readable at 10,000 objects. */
function sections(r: SyncReport): string {
  const failed = r.objects.filter((o) => o.action === 'fail' || o.errors.length > 0);
  const parts = [failed.length ? `<h2>Failures (${failed.length})</h2>${table(failed)}` : '<h2>No failures</h2>'];
  for (const [action, title] of ACTION_TITLES) {
    const list = r.objects.filter((o) => o.action === action && o.errors.length === 0);
    if (list.length > 0) parts.push(`<details><summary><b>${title} (${list.length})</b></summary>${table(list)}</details>`);
  }
  return parts.join('\n');
}

export function htmlReport(r: SyncReport): string {
  const s = r.summary;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Scimitar provisioning report</title><style>
body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
tr.fail{background:#fdd}tr.create{background:#efe}tr.update{background:#eef}tr.delete,tr.disable{background:#ffe}del{color:#a00}ins{color:#070;text-decoration:none}.err{color:#a00}code{font-size:12px}
</style></head><body><h1>Provisioning ${r.dryRun ? 'dry run (nothing was written)' : 'cycle'}</h1>${r.dryRun ? `<p>${r.validatedByTarget ? 'Every write was validated by the target: the failures below are the ones the real run will meet.' : 'The target cannot validate writes: failures it would report are not predicted.'}</p>` : ''}
<p>${esc(r.startedAt)} to ${esc(r.finishedAt)}, wire profile ${esc(r.profile)}: ${s.create} created, ${s.update} updated, ${s.disable} disabled, ${s.delete} deleted, ${s.skip} skipped, ${s.fail} failed; ${s.requests} requests.</p>
${r.stopped ? `<p class="err"><b>${esc(r.stopped)}</b></p>` : ''}
${r.problems.length ? `<h2>Source records skipped</h2><ul>${r.problems.map((p) => `<li>${esc(p.file)} #${p.index}: ${esc(p.reason)}</li>`).join('')}</ul>` : ''}
${sections(r)}</body></html>
`;
}
