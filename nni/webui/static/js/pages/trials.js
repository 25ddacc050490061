// Trials: server-side paged, sorted, filtered and searched table; kill, customized trial, export, compare.
import { ui, uiBlob, experiment } from '../api.js';
import { customizedTrial, killTrial } from '../actions.js';
import { h, fill, clear, badge, fmtValue, fmtTime, fmtDuration, columnLabel, toast, download } from '../util.js';
import { setQuery } from '../app.js';

const STATUSES = ['WAITING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'USER_CANCELED', 'SYS_CANCELED', 'EARLY_STOPPED'];
const HIDDEN = new Set(['end', 'source', 'message']);
const NUMERIC = new Set(['seq', 'default', 'latest', 'duration']);

function initialState(route) {
  const q = route.query;
  return {
    sort: q.get('sort') || 'seq',
    order: q.get('order') || 'desc',
    status: new Set((q.get('status') || '').split(',').filter(Boolean)),
    q: q.get('q') || '',
    filter: q.get('filter') || '',
    page: Math.max(0, parseInt(q.get('page') || '0', 10)),
    size: parseInt(q.get('size') || '50', 10),
  };
}

const queryOf = (state) => ({
  sort: state.sort, order: state.order, status: [...state.status].join(','), q: state.q, filter: state.filter,
  offset: state.page * state.size, limit: state.size,
});

export function prefetch(route) {
  return ui('trials', queryOf(initialState(route)));
}

export async function render(main, { route, summary, link, prefetched }) {
  const state = initialState(route);
  const selected = new Set();
  let data = null;
  let readOnly = summary.readOnly;

  const params = () => ({
    sort: state.sort, order: state.order, status: [...state.status].join(','), q: state.q, filter: state.filter,
  });
  const saveQuery = () => setQuery(Object.assign(params(), { page: state.page || '', size: state.size !== 50 ? state.size : '' }));

  const search = h('input', { type: 'search', placeholder: 'Search id, status, parameters…', value: state.q, 'data-test': 'search' });
  const filter = h('input.filter', { placeholder: 'Filter, e.g. default >= 0.9; lr < 0.01', value: state.filter, 'data-test': 'filter' });
  const chips = h('div.chips', { 'data-test': 'status-filter' }, STATUSES.map((s) => {
    const chip = h('span.chip', { class: state.status.has(s) ? 'on' : '', 'data-status': s }, s.replace('_', ' ').toLowerCase());
    chip.addEventListener('click', () => {
      if (state.status.has(s)) state.status.delete(s); else state.status.add(s);
      chip.classList.toggle('on');
      state.page = 0;
      load();
    });
    return chip;
  }));
  const compareBtn = h('button', { disabled: true, 'data-test': 'compare', on: { click: () => { location.hash = link('compare', [...selected].join(',')); } } }, 'Compare');
  const addBtn = h('button.primary', { disabled: readOnly, 'data-test': 'add-trial', on: { click: () => addTrial(null) } }, '+ Customized trial');
  const exportCsv = h('button', { 'data-test': 'export-csv', on: { click: () => exportAs('csv') } }, 'Export CSV');
  const exportJson = h('button', { 'data-test': 'export-json', on: { click: () => exportAs('json') } }, 'Export JSON');
  // Columns the user hid (kept for this browser, per experiment).
  const hiddenKey = `nni-webui-hidden-${summary.experiment.id}`;
  const hidden = new Set(JSON.parse(localStorage.getItem(hiddenKey) || '[]'));
  const columnsMenu = h('div.menu', { hidden: true, 'data-test': 'columns-menu' });
  const columnsBtn = h('button', { 'data-test': 'columns', on: { click: () => { columnsMenu.hidden = !columnsMenu.hidden; drawMenu(); } } }, 'Columns');
  const drawMenu = () => {
    if (!data) return;
    fill(clear(columnsMenu), ordered(data.columns).filter((c) => !HIDDEN.has(c) && c !== 'id').map((c) => {
      const box = h('input', { type: 'checkbox', checked: !hidden.has(c), 'data-col': c });
      box.addEventListener('change', () => {
        if (box.checked) hidden.delete(c); else hidden.add(c);
        localStorage.setItem(hiddenKey, JSON.stringify([...hidden]));
        draw();
      });
      return h('label.menu-item', box, ' ', columnLabel(c));
    }));
  };
  const closeMenu = (e) => { if (!columnsMenu.contains(e.target) && e.target !== columnsBtn) columnsMenu.hidden = true; };
  document.addEventListener('click', closeMenu);
  const tableBox = h('div.table-wrap', { style: { maxHeight: 'calc(100vh - 260px)' } });
  const pager = h('div.pager');
  const info = h('span.sub', { 'data-test': 'table-info' });
  const errorBox = h('div');

  fill(main, 
    h('div.page-head', h('div', h('h1', 'Trials'), info), h('div.toolbar', { style: { margin: 0 } }, h('span.menu-wrap', columnsBtn, columnsMenu), compareBtn, exportCsv, exportJson, addBtn)),
    h('div.panel',
      h('div.toolbar', search, filter, h('span.grow'), chips),
      errorBox, tableBox, pager));

  let debounce = null;
  const typed = () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { state.q = search.value; state.filter = filter.value; state.page = 0; load(); }, 250);
  };
  search.addEventListener('input', typed);
  filter.addEventListener('input', typed);

  let loading = 0;
  async function load(first) {
    const my = ++loading;
    try {
      const res = await (first || ui('trials', queryOf(state)));
      if (my !== loading) return;
      data = res;
      clear(errorBox);
      draw();
      saveQuery();
    } catch (e) {
      if (my !== loading) return;
      fill(clear(errorBox), h('div.error-box', { 'data-test': 'query-error' }, e.message));
    }
  }

  function cell(col, v, row) {
    if (col === 'id') return h('td', h('a.mono', { href: link('trial', v), 'data-test': 'trial-link' }, v));
    if (col === 'status') return h('td', badge(v));
    if (col === 'start' || col === 'end') return h('td.muted', fmtTime(v));
    if (col === 'duration') return h('td.num', fmtDuration(v));
    if (col === 'pareto') return h('td', v ? h('span.pareto-tag', { class: v, 'data-pareto': v }, v === 'pareto' ? '★ Pareto' : v) : '');
    return h(typeof v === 'number' ? 'td.num' : 'td', fmtValue(v));
  }

  // Several objectives: each objective is a column right after the status (with its direction), then the
  // Pareto column; the default metric (none is reported) is left out.
  const multi = summary.multi || null;
  const objectiveCols = multi ? multi.objectives.map((o) => 'metric:' + o.name) : [];
  const objectiveOf = (c) => multi && multi.objectives.find((o) => 'metric:' + o.name === c);
  function ordered(columns) {
    if (!multi) return columns;
    const rest = columns.filter((c) => !objectiveCols.includes(c) && c !== 'pareto' && c !== 'default');
    const at = rest.indexOf('status') + 1;
    return [...rest.slice(0, at), ...objectiveCols, ...(columns.includes('pareto') ? ['pareto'] : []), ...rest.slice(at)];
  }
  const headLabel = (c) => (objectiveOf(c) ? `${columnLabel(c)} ${objectiveOf(c).mode === 'maximize' ? '↑' : '↓'}` : c === 'pareto' ? 'Pareto' : columnLabel(c));

  function draw() {
    const cols = ordered(data.columns).filter((c) => !HIDDEN.has(c) && !hidden.has(c));
    const idx = Object.fromEntries(data.columns.map((c, i) => [c, i]));
    const header = h('tr',
      h('th', ''),
      cols.map((c) => {
        const th = h('th.sortable', { class: NUMERIC.has(c) || objectiveOf(c) ? 'num' : '', 'data-col': c, title: 'Sort by ' + columnLabel(c) },
          headLabel(c), state.sort === c ? h('span.arrow', state.order === 'asc' ? '▲' : '▼') : null);
        th.addEventListener('click', () => {
          if (state.sort === c) state.order = state.order === 'asc' ? 'desc' : 'asc';
          else { state.sort = c; state.order = c === 'default' || c === 'seq' || (objectiveOf(c) && objectiveOf(c).mode === 'maximize') ? 'desc' : 'asc'; }
          state.page = 0;
          load();
        });
        return th;
      }),
      h('th', 'Actions'));
    const body = data.rows.map((row) => {
      const id = row[idx.id];
      const status = row[idx.status];
      const box = h('input', { type: 'checkbox', checked: selected.has(id), 'data-test': 'select' });
      box.addEventListener('change', () => {
        if (box.checked) selected.add(id); else selected.delete(id);
        tr.classList.toggle('selected', box.checked);
        compareBtn.disabled = selected.size < 1;
        compareBtn.textContent = selected.size ? `Compare (${selected.size})` : 'Compare';
      });
      const actions = h('td');
      if (!readOnly && (status === 'RUNNING' || status === 'WAITING')) {
        actions.append(h('button.small.danger', { 'data-test': 'kill', on: { click: async () => { if (await killTrial(id)) setTimeout(() => load(), 600); } } }, 'Kill'), ' ');
      }
      if (!readOnly) actions.append(h('button.small', { 'data-test': 'rerun', title: 'Add a customized trial from these parameters', on: { click: () => addTrial(id) } }, 'Rerun…'));
      const tr = h('tr', { class: selected.has(id) ? 'selected' : '', 'data-trial': id },
        h('td', box), cols.map((c) => cell(c, row[idx[c]], row)), actions);
      return tr;
    });
    fill(clear(tableBox), h('table.data', { 'data-test': 'trials-table' }, h('thead', header),
      h('tbody', body.length ? body : h('tr', h('td.empty', { colSpan: cols.length + 2 }, 'No trial matches.')))));
    const pages = Math.max(1, Math.ceil(data.total / state.size));
    if (state.page >= pages) { state.page = pages - 1; }
    const from = data.total ? state.page * state.size + 1 : 0;
    const to = Math.min(data.total, (state.page + 1) * state.size);
    info.textContent = data.total === data.all ? `${data.all} trials` : `${data.total} of ${data.all} trials match`;
    const size = h('select', { 'data-test': 'page-size' }, [25, 50, 100, 200, 500].map((n) => h('option', { value: n, selected: n === state.size }, `${n} / page`)));
    size.addEventListener('change', () => { state.size = parseInt(size.value, 10); state.page = 0; load(); });
    const go = (p) => { state.page = Math.min(pages - 1, Math.max(0, p)); load(); };
    fill(clear(pager), 
      h('span', { 'data-test': 'page-info' }, `${from}–${to} of ${data.total}`),
      size,
      h('button.small', { disabled: state.page === 0, on: { click: () => go(0) } }, '«'),
      h('button.small', { disabled: state.page === 0, 'data-test': 'prev', on: { click: () => go(state.page - 1) } }, '‹ Prev'),
      h('span', `page ${state.page + 1} / ${pages}`),
      h('button.small', { disabled: state.page >= pages - 1, 'data-test': 'next', on: { click: () => go(state.page + 1) } }, 'Next ›'),
      h('button.small', { disabled: state.page >= pages - 1, on: { click: () => go(pages - 1) } }, '»'));
  }

  async function addTrial(fromId) {
    let parameters = {};
    if (fromId) {
      const detail = await ui(`trial/${encodeURIComponent(fromId)}`);
      parameters = detail.parameters;
    } else if (data && data.rows.length) {
      const idx = data.columns.indexOf('id');
      const detail = await ui(`trial/${encodeURIComponent(data.rows[0][idx])}`);
      parameters = detail.parameters;
    }
    const id = await customizedTrial(parameters, fromId);
    if (id) setTimeout(() => load(), 600);
  }

  async function exportAs(format) {
    try {
      const blob = await uiBlob('export', Object.assign(params(), { format }));
      download(blob, `nni-${experiment() || summary.experiment.id}-trials.${format}`);
    } catch (e) { toast(e.message, true); }
  }

  await load(prefetched);
  let refreshTimer = null;
  return {
    onUpdate: (upd, s) => {
      readOnly = s.readOnly;
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => load(), 150); // one page, not the whole table
    },
    dispose: () => { clearTimeout(refreshTimer); clearTimeout(debounce); document.removeEventListener('click', closeMenu); },
  };
}
