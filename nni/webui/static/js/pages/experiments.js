// Experiments: every experiment of this machine (the launcher's registry), running or stopped; open any, or
// select two or more and compare them.
import { rest } from '../api.js';
import { h, fill, badge, fmtTime } from '../util.js';

const toSeconds = (t) => (typeof t === 'number' ? (t > 1e11 ? t / 1000 : t) : (t ? Date.parse(t) / 1000 : null));

// NNI's registry keeps the working directory (the folder holding <id>/) as logDir
const folderOf = (e) => (!e.logDir ? '' : (e.logDir.replace(/\/$/, '').endsWith('/' + e.id) ? e.logDir : `${e.logDir.replace(/\/$/, '')}/${e.id}`));

export async function render(main, { summary, link }) {
  let list = [];
  let error = null;
  try { list = await rest('experiments-info'); } catch (e) { error = e.message; }
  const served = summary.experiment.id;
  const chosen = new Set();
  const compareBtn = h('a.btn.primary', { 'data-test': 'compare-experiments', 'aria-disabled': 'true' }, 'Compare selected');
  const syncCompare = () => {
    const ids = [...chosen];
    compareBtn.textContent = ids.length ? `Compare selected (${ids.length})` : 'Compare selected';
    compareBtn.setAttribute('aria-disabled', ids.length < 2 ? 'true' : 'false');
    compareBtn.classList.toggle('disabled', ids.length < 2);
    if (ids.length >= 2) compareBtn.href = link('compare-experiments', '', { ids: ids.join(',') });
    else compareBtn.removeAttribute('href');
  };
  list.sort((a, b) => (toSeconds(b.startTime) || 0) - (toSeconds(a.startTime) || 0));
  const rows = list.map((e) => {
    const running = e.status && !['STOPPED', 'DONE', 'ERROR', 'VIEWED'].includes(e.status) && e.port;
    const url = Array.isArray(e.webuiUrl) ? e.webuiUrl[0] : e.webuiUrl;  // NNI keeps a list of URLs
    let open;
    if (e.id === served) open = h('a.btn', { href: '#/overview' }, 'Open');
    else {
      open = h('span', { style: { display: 'inline-flex', gap: '6px' } },
        h('a.btn', { href: `#/overview?exp=${encodeURIComponent(e.id)}`, 'data-test': 'open-readonly' }, 'View here'),
        running && url ? h('a.btn', { href: url, target: '_blank', rel: 'noopener' }, `Its UI (port ${e.port})`) : null);
    }
    const box = h('input', { type: 'checkbox', 'data-test': 'select-experiment', 'aria-label': `select ${e.id}` });
    box.addEventListener('change', () => { if (box.checked) chosen.add(e.id); else chosen.delete(e.id); syncCompare(); });
    return h('tr', { 'data-exp': e.id },
      h('td', box),
      h('td.mono', e.id, e.id === served ? h('span.badge.readonly', { style: { marginLeft: '6px' } }, 'this server') : null),
      h('td', e.experimentName || '—'),
      h('td', badge(e.status || 'UNKNOWN')),
      h('td', e.platform || ''),
      h('td.num', e.port ? String(e.port) : ''),
      h('td.muted', fmtTime(toSeconds(e.startTime))),
      h('td.muted', fmtTime(toSeconds(e.endTime))),
      h('td.mono.muted', folderOf(e)),
      h('td', open));
  });
  fill(main, 
    h('div.page-head', h('div', h('h1', 'Experiments'), h('div.sub', `${list.length} on this machine · select two or more to compare them`)), compareBtn),
    h('div.panel',
      error ? h('div.error-box', error) : null,
      list.length ? h('div.table-wrap', h('table.data', { 'data-test': 'experiments-table' },
        h('thead', h('tr', ['', 'ID', 'Name', 'Status', 'Platform', 'Port', 'Started', 'Ended', 'Folder', ''].map((t) => h('th', t)))),
        h('tbody', rows))) : h('div.empty', 'No experiment in the registry yet.')));
  return {};
}
