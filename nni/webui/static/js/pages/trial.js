// Trial detail: parameters, every metric (table and chart), stdout / stderr / trial log, its folder.
import { ui, uiText, rest, experiment } from '../api.js';
import { customizedTrial, killTrial } from '../actions.js';
import { h, fill, clear, badge, fmtNumber, fmtTime, fmtDuration, flatten } from '../util.js';
import { lineChart } from '../minichart.js';

const LOGS = ['stdout', 'stderr', 'trial.log'];

export function prefetch(route) {
  return ui(`trial/${encodeURIComponent(decodeURIComponent(route.arg))}`);
}

export async function render(main, { route, link, prefetched }) {
  const id = decodeURIComponent(route.arg);
  let data = await (prefetched || ui(`trial/${encodeURIComponent(id)}`));
  const root = h('div', { 'data-test': 'trial-detail' });
  main.append(root);
  const chartBox = h('div', { 'data-test': 'metric-chart' });
  const logBox = h('pre.log', { 'data-test': 'log' }, '');
  const logTabs = h('div.tabs');
  let currentFile = null;

  const value = (col) => data.row[data.columns.indexOf(col)];

  async function showFile(path) {
    currentFile = path;
    for (const b of logTabs.querySelectorAll('button')) b.classList.toggle('on', b.dataset.path === path);
    try {
      const text = await uiText(`trial/${encodeURIComponent(id)}/file`, { path, tail: 262144 });
      logBox.textContent = text || '(empty)';
      logBox.scrollTop = logBox.scrollHeight;
    } catch (e) {
      logBox.textContent = e.message;
    }
  }

  function drawChart() {
    const periodical = data.metrics.filter((m) => m.type === 'PERIODICAL').sort((a, b) => a.sequence - b.sequence);
    if (!periodical.length) { fill(clear(chartBox), h('div.empty', 'No intermediate results.')); return; }
    const keys = new Set();
    for (const m of periodical) {
      if (m.value && typeof m.value === 'object') Object.entries(m.value).forEach(([k, v]) => { if (typeof v === 'number') keys.add(k); });
      else keys.add('default');
    }
    const names = [...keys];
    lineChart(chartBox, names.map((k) => ({
      name: k,
      x: periodical.map((m) => m.sequence),
      y: periodical.map((m) => (m.value && typeof m.value === 'object' ? m.value[k] : (k === 'default' ? m.value : null))),
    })), { xLabel: 'step', yLabel: names.length === 1 ? names[0] : 'value' });
  }

  function draw() {
    const status = value('status');
    const ro = data.readOnly;
    const final = data.final;
    const finalRows = final === null || final === undefined ? [] :
      (typeof final === 'object' ? Object.entries(flatten(final)) : [['default', final]]);
    const params = Object.entries(flatten(data.parameters));
    const metrics = data.metrics;
    const files = data.files;
    const names = new Set(files.map((f) => f.path));
    const tabs = LOGS.filter((n) => names.has(n));

    fill(clear(logTabs), tabs.map((n) => h('button', { 'data-path': n, 'data-test': 'log-tab', on: { click: () => showFile(n) } }, n)));
    const actions = h('div.toolbar', { style: { margin: 0 } });
    if (!ro && (status === 'RUNNING' || status === 'WAITING')) {
      actions.append(h('button.danger', { 'data-test': 'kill', on: { click: async () => { if (await killTrial(id)) setTimeout(reload, 600); } } }, 'Kill trial'));
    }
    if (!ro) actions.append(h('button', { 'data-test': 'rerun', on: { click: () => customizedTrial(data.parameters, id) } }, 'Rerun with edited parameters…'));
    if (!experiment() && files.some((f) => f.path.startsWith('tensorboard/'))) actions.append(tensorboardBox);

    fill(clear(root), 
      h('div.page-head',
        h('div', h('h1', 'Trial ', h('span.mono', id), ' ', badge(status)),
          h('div.sub', `#${value('seq')} · started ${fmtTime(value('start')) || '—'} · duration ${fmtDuration(value('duration')) || '—'} · source ${value('source')}`)),
        actions),
      data.message ? h('div.panel', h('div.card-label', 'Message'), h('div', data.message)) : null,
      h('div.grid.two',
        h('div.panel', h('h2', 'Parameters'), h('table.data', { 'data-test': 'parameters' },
          h('tbody', params.map(([k, v]) => h('tr', h('td.muted', k), h('td.mono', typeof v === 'number' ? fmtNumber(v, 10) : JSON.stringify(v))))))),
        h('div.panel', h('h2', 'Final result'), finalRows.length ? h('table.data', { 'data-test': 'final' },
          h('tbody', finalRows.map(([k, v]) => h('tr', h('td.muted', k), h('td.mono.num', typeof v === 'number' ? fmtNumber(v, 10) : JSON.stringify(v)))))) :
          h('div.empty', 'No final result.'))),
      h('div.panel', { style: { marginTop: '16px' } }, h('h2', `Intermediate results (${metrics.filter((m) => m.type === 'PERIODICAL').length})`), chartBox,
        h('details', { style: { marginTop: '10px' } }, h('summary', 'Every metric record'),
          h('div.table-wrap', { style: { maxHeight: '320px', marginTop: '8px' } }, h('table.data', { 'data-test': 'metrics-table' },
            h('thead', h('tr', h('th', 'Type'), h('th.num', 'Step'), h('th', 'Value'), h('th', 'Time'))),
            h('tbody', metrics.map((m) => h('tr', h('td', m.type), h('td.num', String(m.sequence)),
              h('td.mono', typeof m.value === 'number' ? fmtNumber(m.value, 10) : JSON.stringify(m.value)), h('td.muted', fmtTime(m.timestamp))))))))),
      h('div.panel', { style: { marginTop: '16px' } }, h('h2', 'Logs'), logTabs, logBox),
      h('div.panel', { style: { marginTop: '16px' } }, h('h2', 'Folder'), h('div.sub.mono', { style: { marginBottom: '8px' } }, data.folder),
        files.length ? h('table.data.files', { 'data-test': 'files' }, h('tbody', files.map((f) => h('tr',
          h('td', h('a.mono', { on: { click: () => { showFile(f.path); logBox.scrollIntoView({ block: 'center' }); } } }, f.path)),
          h('td.num.muted', `${f.size} B`))))) : h('div.empty', 'The trial\'s folder is not on this machine.')));
    drawChart();
    const first = currentFile || tabs[0] || (files[0] && files[0].path);
    if (first) showFile(first); else logBox.textContent = '(no log files)';
  }

  // TensorBoard over this trial's event files ($NNI_OUTPUT_DIR/tensorboard): a link to a running task that
  // shows it (nnictl tensorboard start, or the button), else a button that starts one.
  const tensorboardBox = h('span', { 'data-test': 'tensorboard' });
  async function drawTensorboard() {
    let tasks = [];
    try { tasks = await rest('tensorboard-tasks'); } catch (_) { return; }
    const task = tasks.find((t) => t.status === 'RUNNING' && t.trialJobIdList.includes(id));
    if (task) {
      const href = `${location.protocol}//${location.hostname}:${task.port}/`;
      fill(clear(tensorboardBox), h('a.btn', { href, target: '_blank', rel: 'noopener', 'data-test': 'tensorboard-link' }, 'TensorBoard ↗'));
      return;
    }
    const start = h('button', { 'data-test': 'tensorboard-start', on: { click: async () => {
      start.disabled = true;
      start.textContent = 'Starting TensorBoard…';
      try { await rest('tensorboard', { method: 'POST', body: { trials: id } }); } catch (e) { start.title = e.message; }
      drawTensorboard();
    } } }, 'Start TensorBoard');
    fill(clear(tensorboardBox), start);
  }

  async function reload() {
    data = await ui(`trial/${encodeURIComponent(id)}`);
    draw();
  }
  draw();
  drawTensorboard();
  let timer = null;
  return {
    onUpdate: (upd) => {
      if (upd.reload || (upd.rows || []).some((r) => r[upd.columns.indexOf('id')] === id)) {
        clearTimeout(timer);
        timer = setTimeout(reload, 200);
      }
    },
    dispose: () => clearTimeout(timer),
  };
}
