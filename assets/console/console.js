// Scimitar console: the only script (served from the package; the page's CSP allows no
// other). Confirmation before destructive forms, Copy buttons, and live updates of the
// activity feed through server-sent events. Everything works without it except the live
// updates and copying with one click (the values stay selectable).
document.addEventListener('submit', (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
});

document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('button.copy') : null;
  const source = button ? document.getElementById(button.dataset.copy) : null;
  if (!button || !source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent).then(() => {
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = 'Copy'; }, 2000);
  });
});

const feed = document.getElementById('feed');
if (feed && feed.dataset.live && 'EventSource' in window) {
  const status = document.getElementById('live-status');
  const source = new EventSource(feed.dataset.live);
  source.addEventListener('entry', (event) => {
    const entry = JSON.parse(event.data);
    const li = document.createElement('li');
    li.dataset.outcome = entry.outcome;
    const time = document.createElement('time');
    time.dateTime = entry.time;
    time.textContent = entry.time.replace('T', ' ').slice(0, 19);
    li.append(time, ' ');
    if (entry.outcome === 'refused') {
      const badge = document.createElement('span');
      badge.className = 'badge refused';
      badge.textContent = 'refused';
      li.append(badge, ' ');
    }
    if (entry.validateOnly) {
      const badge = document.createElement('span');
      badge.className = 'badge check';
      badge.textContent = 'validate-only';
      li.append(badge, ' ');
    }
    const text = document.createElement('span');
    text.className = entry.outcome === 'refused' ? 'text refused' : 'text';
    text.textContent = entry.text;
    li.append(text);
    if (entry.changes) {
      // Old beside new, per attribute, as the page renders it.
      const table = document.createElement('table');
      table.className = 'diff';
      const head = table.createTHead().insertRow();
      for (const h of ['Attribute', 'Before', 'After']) {
        const th = document.createElement('th');
        th.scope = 'col';
        th.textContent = h;
        head.append(th);
      }
      const body = table.createTBody();
      for (const c of entry.changes) {
        const row = body.insertRow();
        const th = document.createElement('th');
        th.scope = 'row';
        th.textContent = c.attribute;
        row.append(th);
        for (const v of [c.before, c.after]) {
          const td = row.insertCell();
          td.textContent = v ?? '(none)';
        }
      }
      li.append(table);
    } else if (entry.details.length > 0) {
      const ul = document.createElement('ul');
      ul.className = 'details';
      for (const d of entry.details.slice(0, 6)) {
        const item = document.createElement('li');
        item.textContent = d;
        ul.append(item);
      }
      li.append(ul);
    }
    document.querySelector('#feed .empty')?.remove();
    feed.prepend(li);
  });
  source.addEventListener('open', () => status && (status.textContent = 'Live: new entries appear as they happen.'));
  source.addEventListener('error', () => status && (status.textContent = 'Live updates paused; reconnecting...'));
}
