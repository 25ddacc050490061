// Charts (Plotly, served by this server): metric per trial with best-so-far, parallel coordinates with a
// top-x% filter, learning curves, durations, parameter importance. Whole columns are fetched once, then
// patched from the live update rows.
import { ui } from '../api.js';
import { h, fill, clear, loadPlotly, layout, PLOT_CONFIG, fmtNumber } from '../util.js';
import { parseRoute, setQuery } from '../app.js';
import { lineChart } from '../minichart.js';

const TABS = [
  ['metric', 'Default metric'],
  ['parallel', 'Hyperparameters'],
  ['curves', 'Intermediate results'],
  ['durations', 'Durations'],
  ['importance', 'Importance'],
];
const STATUS_COLORS = { SUCCEEDED: '#2563eb', FAILED: '#dc2626', EARLY_STOPPED: '#7c3aed', USER_CANCELED: '#d97706', SYS_CANCELED: '#d97706', RUNNING: '#0891b2', WAITING: '#94a3b8' };

export async function render(main, { summary, link }) {
  const route = parseRoute();
  const multi = summary.multi || null; // several objectives: the Pareto front comes first
  const tabs = multi ? [['pareto', 'Pareto front'], ...TABS] : TABS;
  let tab = route.query.get('tab') || (multi ? 'pareto' : 'metric');
  const maximize = summary.experiment.optimizeMode !== 'minimize';
  let cols = null; // {name: array}
  let index = new Map(); // trial id -> position
  let disposed = false;

  const tabBar = h('div.tabs', { 'data-test': 'chart-tabs' });
  const body = h('div');
  fill(main, h('div.page-head', h('div', h('h1', 'Charts'), h('div.sub', multi
    ? `${summary.total} trials · ${multi.objectives.map((o) => `${o.mode} ${o.name}`).join(', ')}`
    : `${summary.total} trials · ${maximize ? 'maximize' : 'minimize'} the default metric`))),
    h('div.panel', tabBar, body));

  // Whole columns, fetched once: the few every chart needs first, parameters when a chart needs them.
  async function loadColumns() {
    const res = await ui('columns', { names: 'id,seq,status,default,duration' });
    cols = res.data;
    index = new Map(cols.id.map((id, i) => [id, i]));
  }

  async function loadParamColumns() {
    const missing = summary.params.filter((p) => !cols['param:' + p]);
    if (!missing.length) return;
    const res = await ui('columns', { names: ['id', ...missing.map((p) => 'param:' + p)].join(',') });
    const at = new Map(res.data.id.map((id, i) => [id, i]));
    for (const p of missing) {
      const src = res.data['param:' + p];
      cols['param:' + p] = cols.id.map((id) => (at.has(id) ? src[at.get(id)] : null));
    }
  }

  function patch(upd) {
    if (!cols || !upd.rows) return false;
    const at = Object.fromEntries(upd.columns.map((c, i) => [c, i]));
    let added = false;
    for (const row of upd.rows) {
      const id = row[at.id];
      let i = index.get(id);
      if (i === undefined) { i = cols.id.length; index.set(id, i); added = true; }
      for (const name of Object.keys(cols)) cols[name][i] = name in at ? row[at[name]] : null;
    }
    if (added) { // keep sequence order
      const order = cols.seq.map((_, i) => i).sort((a, b) => cols.seq[a] - cols.seq[b]);
      for (const name of Object.keys(cols)) cols[name] = order.map((i) => cols[name][i]);
      index = new Map(cols.id.map((id, i) => [id, i]));
    }
    return true;
  }

  function drawTabs() {
    fill(clear(tabBar), tabs.map(([key, label]) => h('button', {
      class: key === tab ? 'on' : '', 'data-tab': key,
      on: { click: () => { tab = key; setQuery({ tab }); drawTabs(); draw(); } },
    }, label)));
  }

  async function draw() {
    if (!window.Plotly) {
      fill(clear(body), h('div.loading', { 'data-test': 'charts-loading' }, 'Loading charts…'));
      if (!cols) await loadColumns();
      // Plotly takes seconds to start on a slow machine (and blocks the page meanwhile): show the metric
      // first, then start Plotly and make the chart interactive.
      if (tab === 'metric' && !multi && !disposed && !window.Plotly) {
        drawPreview();
        await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
      }
    }
    const Plotly = await loadPlotly();
    if (disposed) return;
    if (!cols) await loadColumns();
    const fn = { pareto: drawPareto, metric: drawMetric, parallel: drawParallel, curves: drawCurves, durations: drawDurations, importance: drawImportance }[tab] || drawMetric;
    await fn(Plotly);
  }

  function byStatus(indices) {
    const groups = new Map();
    for (const i of indices) {
      const st = cols.status[i];
      if (!groups.has(st)) groups.set(st, []);
      groups.get(st).push(i);
    }
    return [...groups.entries()];
  }

  function finiteIdx() {
    const out = [];
    cols.default.forEach((v, i) => { if (typeof v === 'number' && Number.isFinite(v)) out.push(i); });
    return out;
  }

  function drawPreview() {
    const keep = finiteIdx();
    if (!keep.length) return;
    const box = h('div', { 'data-test': 'chart-metric-preview' });
    fill(clear(body), box, h('div.chart-note', 'Loading the interactive chart…'));
    const best = [];
    let b = null;
    for (const i of keep) { const v = cols.default[i]; b = b === null ? v : (maximize ? Math.max(b, v) : Math.min(b, v)); best.push(b); }
    lineChart(box, [
      { name: 'default metric', x: keep.map((i) => cols.seq[i]), y: keep.map((i) => cols.default[i]), markers: true, line: false },
      { name: 'best so far', x: keep.map((i) => cols.seq[i]), y: best },
    ], { xLabel: 'trial sequence', yLabel: 'default metric', height: 460 });
  }

  function drawMetric(Plotly) {
    const box = chartBox('chart-metric');
    const keep = finiteIdx();
    if (!keep.length) { box.replaceWith(h('div.empty', 'No trial has a final result yet.')); return; }
    const x = keep.map((i) => cols.seq[i]);
    const y = keep.map((i) => cols.default[i]);
    const best = [];
    let b = null;
    for (const v of y) { b = b === null ? v : (maximize ? Math.max(b, v) : Math.min(b, v)); best.push(b); }
    const gl = keep.length > 1500 ? 'scattergl' : 'scatter';
    Plotly.react(box, [
      ...byStatus(keep).map(([status, idx]) => ({
        x: idx.map((i) => cols.seq[i]), y: idx.map((i) => cols.default[i]), customdata: idx.map((i) => cols.id[i]),
        type: gl, mode: 'markers', name: status.replace('_', ' ').toLowerCase(),
        marker: { size: 6, color: STATUS_COLORS[status] || '#2563eb', opacity: 0.75 },
        hovertemplate: 'trial %{customdata}<br>#%{x}: %{y}<extra></extra>',
      })),
      { x, y: best, type: gl, mode: 'lines', name: 'best so far', line: { color: '#059669', width: 2, shape: 'hv' } },
    ], layout({
      xaxis: { title: { text: 'trial sequence' } },
      yaxis: { title: { text: 'default metric' } },
    }), PLOT_CONFIG);
    box.on && box.on('plotly_click', (ev) => { const p = ev.points[0]; if (p && p.customdata) location.hash = link('trial', p.customdata); });
  }

  async function drawParallel(Plotly) {
    await loadParamColumns();
    let keep = finiteIdx();
    // Thousands of lines take long to draw without a GPU and hide the pattern: big experiments start at the top 10%.
    const percent = parseFloat(parseRoute().query.get('top') || (keep.length > 2000 ? '10' : '100'));
    const select = h('select', { 'data-test': 'top-percent' }, [100, 50, 20, 10, 5, 1].map((p) => h('option', { value: p, selected: p === percent }, p === 100 ? 'all trials' : `top ${p}%`)));
    select.addEventListener('change', () => { setQuery({ tab, top: select.value }); drawParallel(Plotly); });
    const total = keep.length;
    keep.sort((a, c) => (maximize ? cols.default[c] - cols.default[a] : cols.default[a] - cols.default[c]));
    keep = keep.slice(0, Math.max(1, Math.ceil((keep.length * percent) / 100)));
    fill(clear(body), h('div.toolbar', h('span.sub', 'Show'), select,
      h('span.sub', { 'data-test': 'parallel-count' }, `by default metric: ${keep.length} of ${total} trials with a final result`)));
    const box = h('div.chart.tall', { 'data-test': 'chart-parallel' });
    body.append(box);
    if (!keep.length) { box.replaceWith(h('div.empty', 'No trial has a final result yet.')); return; }
    const dims = summary.params.map((p) => {
      const values = keep.map((i) => cols['param:' + p][i]);
      const numeric = values.every((v) => v === null || typeof v === 'number');
      if (numeric) {
        const present = values.filter((v) => v !== null);
        const lo = Math.min(...present), hi = Math.max(...present);
        const log = lo > 0 && hi / lo > 100;
        const scale = (v) => (log ? Math.log10(v) : v);
        const label = log ? `log10 ${p}` : p;
        if (present.length === values.length) {
          return { label, values: values.map(scale), ...(log ? { tickformat: '.2f' } : {}) };
        }
        // A conditional parameter is absent from some trials: Plotly drops lines with NaN, so those trials
        // get their own "n/a" mark just below the axis range instead of vanishing from the chart.
        const a = scale(lo), b = scale(hi);
        const span = b - a || 1;
        const na = a - span * 0.12;
        const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => a + f * (b - a));
        return {
          label, values: values.map((v) => (v === null ? na : scale(v))), range: [na, b],
          tickvals: [na, ...ticks], ticktext: ['n/a', ...ticks.map((t) => Number(t.toPrecision(3)).toString())],
        };
      }
      const cats = [...new Set(values.map((v) => String(v)))].sort();
      return { label: p, values: values.map((v) => cats.indexOf(String(v))), tickvals: cats.map((_, i) => i), ticktext: cats };
    });
    const metric = keep.map((i) => cols.default[i]);
    dims.push({ label: 'default metric', values: metric });
    Plotly.react(box, [{
      type: 'parcoords', dimensions: dims,
      line: { color: metric, colorscale: 'Viridis', reversescale: !maximize, showscale: true },
    }], layout({ margin: { l: 70, r: 70, t: 50, b: 30 } }), PLOT_CONFIG);
  }

  async function drawCurves(Plotly) {
    const n = parseInt(parseRoute().query.get('n') || '20', 10);
    const select = h('select', { 'data-test': 'curves-count' }, [10, 20, 50, 100].map((k) => h('option', { value: k, selected: k === n }, `best ${k} trials`)));
    select.addEventListener('change', () => { setQuery({ tab, n: select.value }); drawCurves(Plotly); });
    const running = cols.id.filter((_, i) => cols.status[i] === 'RUNNING').slice(0, 20);
    fill(clear(body), h('div.toolbar', h('span.sub', 'Show'), select, h('span.sub', running.length ? `and ${running.length} running` : '')));
    const box = h('div.chart.tall', { 'data-test': 'chart-curves' });
    body.append(box);
    const res = await ui('intermediate', { top: n, ids: running.join(','), max_points: 200 });
    const traces = Object.entries(res.series).filter(([, s]) => s[0].length).map(([id, s]) => ({
      x: s[0], y: s[1], name: id, type: 'scatter', mode: 'lines', line: { width: 1.5 },
      hovertemplate: `trial ${id}<br>step %{x}: %{y}<extra></extra>`,
    }));
    if (!traces.length) { box.replaceWith(h('div.empty', 'No intermediate results yet.')); return; }
    Plotly.react(box, traces, layout({
      showlegend: traces.length <= 20,
      xaxis: { title: { text: 'step' } },
      yaxis: { title: { text: 'intermediate result' } },
      legend: { orientation: 'v' },
    }), PLOT_CONFIG);
  }

  function drawDurations(Plotly) {
    const box = chartBox('chart-durations');
    const keep = [];
    cols.duration.forEach((v, i) => { if (typeof v === 'number') keep.push(i); });
    if (!keep.length) { box.replaceWith(h('div.empty', 'No trial has started yet.')); return; }
    const many = keep.length > 400;
    const traces = byStatus(keep).map(([status, idx]) => ({
      x: idx.map((i) => cols.seq[i]), y: idx.map((i) => cols.duration[i]), customdata: idx.map((i) => cols.id[i]),
      name: status.replace('_', ' ').toLowerCase(), type: many ? 'scattergl' : 'bar', mode: many ? 'markers' : undefined,
      marker: { color: STATUS_COLORS[status] || '#2563eb', size: many ? 4 : undefined },
      hovertemplate: 'trial %{customdata}<br>#%{x}: %{y:.1f}s<extra></extra>',
    }));
    Plotly.react(box, traces, layout({
      xaxis: { title: { text: 'trial sequence' } },
      yaxis: { title: { text: 'duration (s)' } },
    }), PLOT_CONFIG);
  }

  async function drawImportance(Plotly) {
    const box = chartBox('chart-importance');
    const res = await ui('importance');
    if (!res.params.length || res.note) { box.replaceWith(h('div.empty', res.note || 'No parameters.')); return; }
    const order = res.params.map((_, i) => i).reverse();
    Plotly.react(box, [{
      type: 'bar', orientation: 'h', x: order.map((i) => res.importance[i]), y: order.map((i) => res.params[i]),
      marker: { color: '#2563eb' }, text: order.map((i) => fmtNumber(res.importance[i], 3)), textposition: 'outside', cliponaxis: false,
    }], layout({
      margin: { l: 160, r: 20, t: 20, b: 50 },
      xaxis: { title: { text: 'importance (share of variance explained, random forest)' } },
    }), PLOT_CONFIG);
    body.append(h('div.chart-note', `${res.trials} trials with a final result; computed on the server in ${res.seconds}s and cached.`));
  }

  // The Pareto front: computed on the server (cached per revision); the browser only draws it.
  async function drawPareto(Plotly) {
    const res = await ui('pareto');
    if (disposed || tab !== 'pareto') return;
    const k = res.objectives.length;
    const P = res.points;
    const label = (o) => `${o.name} (${o.mode === 'maximize' ? 'max ↑' : 'min ↓'})`;
    const groups = [
      ['pareto', 'Pareto set', (i) => P.pareto[i], { color: '#dc2626', size: 10, symbol: 'diamond', line: { color: '#7f1d1d', width: 1 } }],
      ['dominated', 'dominated (feasible)', (i) => P.feasible[i] && !P.pareto[i], { color: '#2563eb', size: 7, opacity: 0.6 }],
      ['infeasible', 'infeasible (constraint violated)', (i) => P.valid[i] && !P.feasible[i], { color: '#94a3b8', size: 7, symbol: 'x', opacity: 0.8 }],
    ];
    const c = res.counts;
    const info = h('div.toolbar', { 'data-test': 'pareto-info' },
      h('span.sub', h('b', { 'data-test': 'pareto-count' }, String(c.pareto)), ` trials in the Pareto set · ${c.feasible} feasible · ${c.infeasible} infeasible`
        + (c.invalid ? ` · ${c.invalid} with a missing or non-finite objective (not drawn)` : '')),
      res.constraints.length ? h('span.sub', 'constraints: ' + res.constraints.map((x) => `${x.min !== undefined ? x.min + ' ≤ ' : ''}${x.name}${x.max !== undefined ? ' ≤ ' + x.max : ''}`).join(', ')) : null);
    const box = h('div.chart.tall', { 'data-test': 'chart-pareto' });
    const hvBox = h('div.chart', { 'data-test': 'chart-hypervolume' });
    fill(clear(body), info, box, h('h3', 'Hypervolume against trials'), hvBox,
      h('div.chart-note', { 'data-test': 'hv-note' }, res.reference
        ? `Reference point (${res.objectives.map((o) => o.name).join(', ')}) = (${res.reference.map((v) => fmtNumber(v, 4)).join(', ')}): ${res.referenceRule}. Hypervolume now ${fmtNumber(res.hypervolume, 5)}.`
        : 'No feasible trial yet: no hypervolume.'));
    if (!c.results) { box.replaceWith(h('div.empty', 'No trial has a final result yet.')); hvBox.remove(); return; }
    const pick = (test) => P.id.map((_, i) => i).filter((i) => P.valid[i] && test(i));
    const hover = (i) => `trial ${P.id[i]} #${P.seq[i]}<br>` + res.objectives.map((o, j) => `${o.name}: ${fmtNumber(P.values[j][i])}`).join('<br>')
      + (P.violation[i] ? `<br>violation: ${fmtNumber(P.violation[i])}` : (P.feasible[i] ? '' : '<br>constraint value missing'));
    const many = P.id.length > 1500;
    let traces;
    if (k === 2) {
      traces = groups.map(([key, name, test, marker]) => {
        const idx = pick(test);
        return { x: idx.map((i) => P.values[0][i]), y: idx.map((i) => P.values[1][i]), customdata: idx.map((i) => P.id[i]), text: idx.map(hover),
          type: many ? 'scattergl' : 'scatter', mode: 'markers', name: `${name} (${idx.length})`, meta: key, marker, hovertemplate: '%{text}<extra></extra>' };
      });
      // The front as a staircase through the Pareto set (sorted along the first objective).
      const front = pick((i) => P.pareto[i]).sort((a, b) => P.values[0][a] - P.values[0][b]);
      traces.push({ x: front.map((i) => P.values[0][i]), y: front.map((i) => P.values[1][i]), type: 'scatter', mode: 'lines', meta: 'front',
        name: 'front', line: { color: '#dc2626', width: 1.5, shape: res.objectives[0].mode === res.objectives[1].mode ? 'hv' : 'vh' }, hoverinfo: 'skip' });
      Plotly.react(box, traces, layout({ xaxis: { title: { text: label(res.objectives[0]) } }, yaxis: { title: { text: label(res.objectives[1]) } } }), PLOT_CONFIG);
    } else {
      // Three or more objectives: a scatter matrix, one panel per pair.
      const dims = (idx) => res.objectives.map((o, j) => ({ label: label(o), values: idx.map((i) => P.values[j][i]) }));
      traces = groups.map(([key, name, test, marker]) => {
        const idx = pick(test);
        return { type: 'splom', dimensions: dims(idx), customdata: idx.map((i) => P.id[i]), text: idx.map(hover), name: `${name} (${idx.length})`, meta: key,
          marker: Object.assign({}, marker, { size: Math.min(marker.size, 7) }), diagonal: { visible: false }, showupperhalf: false, hovertemplate: '%{text}<extra></extra>' };
      });
      box.style.height = `${200 * k + 100}px`;
      const axes = {};
      for (let j = 1; j <= k; j++) { axes[`xaxis${j}`] = { gridcolor: '#eef1f5', zeroline: false }; axes[`yaxis${j}`] = { gridcolor: '#eef1f5', zeroline: false }; }
      Plotly.react(box, traces, layout(Object.assign({ height: 200 * k + 100, margin: { l: 80, r: 20, t: 20, b: 80 }, dragmode: 'select' }, axes)), PLOT_CONFIG);
    }
    box.on && box.on('plotly_click', (ev) => { const p = ev.points[0]; if (p && p.customdata) location.hash = link('trial', p.customdata); });
    if (res.history.seq.length) {
      Plotly.react(hvBox, [{ x: res.history.seq, y: res.history.hypervolume, type: 'scatter', mode: 'lines+markers', name: 'hypervolume',
        line: { color: '#059669', width: 2, shape: 'hv' }, marker: { size: 4 }, hovertemplate: 'up to trial #%{x}: %{y}<extra></extra>' }],
      layout({ xaxis: { title: { text: 'trial sequence' } }, yaxis: { title: { text: 'hypervolume of the Pareto set' } } }), PLOT_CONFIG);
    } else {
      hvBox.replaceWith(h('div.empty', 'No feasible trial yet.'));
    }
  }

  function chartBox(test) {
    const box = h('div.chart.tall', { 'data-test': test });
    fill(clear(body), box);
    return box;
  }

  drawTabs();
  await draw();
  let timer = null;
  return {
    onUpdate: (upd) => {
      if (upd.reload) cols = null; else patch(upd);
      clearTimeout(timer);
      if (tab === 'metric' || tab === 'durations' || tab === 'pareto') timer = setTimeout(draw, tab === 'pareto' ? 1000 : 300);
    },
    dispose: () => { disposed = true; clearTimeout(timer); },
  };
}

