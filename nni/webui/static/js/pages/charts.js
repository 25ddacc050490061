// Charts (Plotly, served by this server): metric per trial with best-so-far, parallel coordinates with a
// top-x% filter, learning curves, durations, the search space (slices, a contour of a pair, the metric's
// distribution) and parameter importance. Columns are fetched once (sampled on the server beyond
// MAX_POINTS trials, and the chart says so), then patched from the live update rows.
import { ui } from '../api.js';
import { h, fill, clear, loadPlotly, layout, PLOT_CONFIG, fmtNumber, extent, sampleNote } from '../util.js';
import { parseRoute, setQuery } from '../app.js';
import { lineChart } from '../minichart.js';

const TABS = [
  ['metric', 'Default metric'],
  ['parallel', 'Hyperparameters'],
  ['curves', 'Intermediate results'],
  ['durations', 'Durations'],
  ['slices', 'Slices'],
  ['contour', 'Contour'],
  ['distribution', 'Distribution'],
  ['importance', 'Importance'],
];
const MAX_POINTS = 5000; // a scatter of more points than this is sampled on the server
const MAX_LINES = 2000; // parallel coordinates: at most this many trials (the best ones)
const STATUS_COLORS = { SUCCEEDED: '#2563eb', FAILED: '#dc2626', EARLY_STOPPED: '#7c3aed', USER_CANCELED: '#d97706', SYS_CANCELED: '#d97706', RUNNING: '#0891b2', WAITING: '#94a3b8' };

export async function render(main, { summary, link }) {
  const route = parseRoute();
  const multi = summary.multi || null; // several objectives: the Pareto front comes first
  const tabs = multi ? [['pareto', 'Pareto front'], ...TABS] : TABS;
  let tab = route.query.get('tab') || (multi ? 'pareto' : 'metric');
  const maximize = summary.experiment.optimizeMode !== 'minimize';
  let cols = null; // {name: array}
  let sample = null; // the server's {shown, total, sampled} of the columns
  let serverBest = null; // best-so-far curves over every trial, when the columns are a sample
  let index = new Map(); // trial id -> position
  let disposed = false;

  const tabBar = h('div.tabs', { 'data-test': 'chart-tabs' });
  const body = h('div');
  fill(main, h('div.page-head', h('div', h('h1', 'Charts'), h('div.sub', multi
    ? `${summary.total} trials · ${multi.objectives.map((o) => `${o.mode} ${o.name}`).join(', ')}`
    : `${summary.total} trials · ${maximize ? 'maximize' : 'minimize'} the default metric`))),
    h('div.panel', tabBar, body));

  // The columns every chart needs, fetched once: every trial, or a sample of them beyond MAX_POINTS (then the
  // best-so-far curve comes from the server, computed over every trial).
  async function loadColumns() {
    const res = await ui('chart-columns', { names: 'id,seq,status,default,duration', max_points: MAX_POINTS });
    serverBest = res.sampled ? await ui('best-so-far') : null;
    cols = res.data;
    sample = { shown: res.shown, total: res.total, sampled: res.sampled };
    index = new Map(cols.id.map((id, i) => [id, i]));
  }

  // The best-so-far line: from the columns when they hold every trial, else the server's.
  function bestCurve(keep) {
    if (serverBest) return { x: serverBest.bySeq.seq, y: serverBest.bySeq.best };
    const best = [];
    let b = null;
    for (const i of keep) { const v = cols.default[i]; b = b === null ? v : (maximize ? Math.max(b, v) : Math.min(b, v)); best.push(b); }
    return { x: keep.map((i) => cols.seq[i]), y: best };
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
    const fn = { pareto: drawPareto, metric: drawMetric, parallel: drawParallel, curves: drawCurves, durations: drawDurations,
      slices: drawSlices, contour: drawContour, distribution: drawDistribution, importance: drawImportance }[tab] || drawMetric;
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
    fill(clear(body), box, sampleNote(sample), h('div.chart-note', 'Loading the interactive chart…'));
    const best = bestCurve(keep);
    lineChart(box, [
      { name: 'default metric', x: keep.map((i) => cols.seq[i]), y: keep.map((i) => cols.default[i]), markers: true, line: false },
      { name: 'best so far', x: best.x, y: best.y },
    ], { xLabel: 'trial sequence', yLabel: 'default metric', height: 460 });
  }

  function drawMetric(Plotly) {
    const box = chartBox('chart-metric');
    const keep = finiteIdx();
    if (!keep.length) { box.replaceWith(h('div.empty', 'No trial has a final result yet.')); return; }
    const best = bestCurve(keep);
    const note = sampleNote(sample);
    if (note) body.append(note);
    const gl = keep.length > 1500 ? 'scattergl' : 'scatter';
    Plotly.react(box, [
      ...byStatus(keep).map(([status, idx]) => ({
        x: idx.map((i) => cols.seq[i]), y: idx.map((i) => cols.default[i]), customdata: idx.map((i) => cols.id[i]),
        type: gl, mode: 'markers', name: status.replace('_', ' ').toLowerCase(),
        marker: { size: 6, color: STATUS_COLORS[status] || '#2563eb', opacity: 0.75 },
        hovertemplate: 'trial %{customdata}<br>#%{x}: %{y}<extra></extra>',
      })),
      { x: best.x, y: best.y, type: gl, mode: 'lines', name: 'best so far', line: { color: '#059669', width: 2, shape: 'hv' } },
    ], layout({
      xaxis: { title: { text: 'trial sequence' } },
      yaxis: { title: { text: 'default metric' } },
    }), PLOT_CONFIG);
    box.on && box.on('plotly_click', (ev) => { const p = ev.points[0]; if (p && p.customdata) location.hash = link('trial', p.customdata); });
  }

  async function drawParallel(Plotly) {
    // Thousands of lines take long to draw without a GPU and hide the pattern: big experiments start at the top 10%.
    const percent = parseFloat(parseRoute().query.get('top') || (summary.done > 2000 ? '10' : '100'));
    const select = h('select', { 'data-test': 'top-percent' }, [100, 50, 20, 10, 5, 1].map((p) => h('option', { value: p, selected: p === percent }, p === 100 ? 'all trials' : `top ${p}%`)));
    select.addEventListener('change', () => { setQuery({ tab, top: select.value }); drawParallel(Plotly); });
    // The best trials come from the server (all of them have a result), at most MAX_LINES of them.
    const res = await ui('chart-columns', { names: ['id', 'default', ...summary.params.map((p) => 'param:' + p)].join(','), top_percent: percent, max_points: MAX_LINES });
    if (disposed || tab !== 'parallel') return;
    const data = res.data;
    const keep = data.id.map((_, i) => i);
    const total = res.total;
    const capped = keep.length < Math.ceil((total * percent) / 100);
    fill(clear(body), h('div.toolbar', h('span.sub', 'Show'), select,
      h('span.sub', { 'data-test': 'parallel-count' }, `by default metric: ${keep.length} of ${total} trials with a final result`
        + (capped ? ` (the best ${MAX_LINES.toLocaleString()}: more lines than a browser draws usefully)` : ''))));
    const box = h('div.chart.tall', { 'data-test': 'chart-parallel' });
    body.append(box);
    if (!keep.length) { box.replaceWith(h('div.empty', 'No trial has a final result yet.')); return; }
    const dims = summary.params.map((p) => {
      const values = keep.map((i) => data['param:' + p][i]);
      const numeric = values.every((v) => v === null || typeof v === 'number');
      if (numeric) {
        const present = values.filter((v) => v !== null);
        const [lo, hi] = extent(present);
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
    const metric = keep.map((i) => data.default[i]);
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
    const note = sampleNote(sample);
    if (note) body.append(note);
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

  // ----- the search space: computed on the server (nni.analysis.space), cached per revision ---------------
  const axisType = (p) => (p.log ? 'log' : p.kind === 'categorical' ? 'category' : 'linear');
  const axisOf = (p, title) => Object.assign({ title: { text: title }, type: axisType(p), gridcolor: '#eef1f5', zeroline: false },
    p.kind === 'categorical' ? { categoryorder: 'array', categoryarray: p.categories } : {});
  const paramLabel = (p) => `${p.name}${p.log ? ' (log)' : ''}`;

  function conditionalNote(p) {
    return p.conditional && p.inactive
      ? `${p.name}: in ${p.total} of ${p.total + p.inactive} trials with a result (a nested choice: the other ${p.inactive} took another branch and are not drawn)`
      : null;
  }

  async function drawSlices(Plotly) {
    fill(clear(body), h('div.loading', 'Computing the slices…'));
    const res = await ui('explore', { max_points: 2000 });
    if (disposed || tab !== 'slices') return;
    const params = res.parameters;
    if (!res.withResult || !params.length) { fill(clear(body), h('div.empty', 'No trial has a final result yet.')); return; }
    const ncol = Math.min(3, params.length), nrow = Math.ceil(params.length / ncol);
    const box = h('div.chart', { 'data-test': 'chart-slices', style: { height: `${nrow * 280 + 40}px` } });
    const sampled = params.filter((p) => p.shown < p.total);
    const notes = [
      'The default metric against each parameter (one point per trial, coloured by trial sequence); log-scaled parameters on a log axis.',
      ...params.map(conditionalNote).filter(Boolean),
      sampled.length ? `Showing ${sampled[0].shown.toLocaleString()} of ${sampled[0].total.toLocaleString()} trials per parameter, sampled on the server: the best fifth of them by the metric and an even random draw of the rest.` : null,
    ].filter(Boolean);
    fill(clear(body), box, notes.map((t) => h('div.chart-note', { 'data-test': t.startsWith('Showing') ? 'sample-note' : null }, t)));
    const gl = params.some((p) => p.shown > 1500) ? 'scattergl' : 'scatter';
    const traces = params.map((p, k) => ({
      x: p.x, y: p.y, customdata: p.id, type: gl, mode: 'markers', name: p.name, meta: p.name,
      xaxis: k ? `x${k + 1}` : 'x', yaxis: k ? `y${k + 1}` : 'y',
      marker: { size: 5, opacity: 0.7, color: p.seq, colorscale: 'Blues', reversescale: true, cmin: 0, cmax: summary.total, showscale: k === 0,
        colorbar: k === 0 ? { title: { text: 'trial #' }, thickness: 10 } : undefined },
      hovertemplate: `trial %{customdata}<br>${p.name}: %{x}<br>metric: %{y}<extra></extra>`,
    }));
    const axes = {};
    params.forEach((p, k) => {
      axes[k ? `xaxis${k + 1}` : 'xaxis'] = axisOf(p, paramLabel(p));
      axes[k ? `yaxis${k + 1}` : 'yaxis'] = { title: { text: k % ncol === 0 ? 'default metric' : '' }, gridcolor: '#eef1f5', zeroline: false };
    });
    Plotly.react(box, traces, layout(Object.assign({
      grid: { rows: nrow, columns: ncol, pattern: 'independent', ygap: 0.35, xgap: 0.12 }, showlegend: false,
      height: nrow * 280 + 40, margin: { l: 60, r: 30, t: 20, b: 50 },
    }, axes)), PLOT_CONFIG);
    box.on && box.on('plotly_click', (ev) => { const p = ev.points[0]; if (p && p.customdata) location.hash = link('trial', p.customdata); });
  }

  async function drawContour(Plotly) {
    const names = summary.params;
    if (names.length < 2) { fill(clear(body), h('div.empty', 'A contour needs two parameters; this experiment has ' + names.length + '.')); return; }
    const q = parseRoute().query;
    const x = names.includes(q.get('x')) ? q.get('x') : names[0];
    const y = names.includes(q.get('y')) && q.get('y') !== x ? q.get('y') : names.find((n) => n !== x);
    const pick = (which, value) => {
      const sel = h('select', { 'data-test': `contour-${which}` }, names.map((n) => h('option', { value: n, selected: n === value }, n)));
      sel.addEventListener('change', () => { setQuery({ tab, x: which === 'x' ? sel.value : x, y: which === 'y' ? sel.value : y }); drawContour(Plotly); });
      return sel;
    };
    const box = h('div.chart.tall', { 'data-test': 'chart-contour' });
    const info = h('div.chart-note', { 'data-test': 'contour-note' });
    fill(clear(body), h('div.toolbar', h('span.sub', 'x'), pick('x', x), h('span.sub', 'y'), pick('y', y)), box, info);
    const res = await ui('contour', { x, y, max_points: 2000 });
    if (disposed || tab !== 'contour') return;
    if (!res.trials) { box.replaceWith(h('div.empty', `No trial with a result has both ${x} and ${y}.`)); return; }
    const best = maximize ? 'highest' : 'lowest';
    // The grid as cells (edges for numeric axes, so a log axis gets its true cell bounds); the trials as dots.
    const cellsOf = (a) => (a.kind === 'numeric' ? a.edges : a.centers);
    Plotly.react(box, [
      { type: 'heatmap', x: cellsOf(res.x), y: cellsOf(res.y), z: res.z, colorscale: 'Viridis', reversescale: !maximize, meta: 'grid',
        colorbar: { title: { text: `${best} metric` } }, hovertemplate: `${x}: %{x}<br>${y}: %{y}<br>${best} metric: %{z}<extra></extra>` },
      { type: res.shown > 1500 ? 'scattergl' : 'scatter', mode: 'markers', x: res.points.x, y: res.points.y, customdata: res.points.id, meta: 'points',
        marker: { size: 5, color: '#f8fafc', opacity: 0.8, line: { color: '#0f172a', width: 1 } }, name: 'trials',
        hovertemplate: 'trial %{customdata}<br>metric: %{text}<extra></extra>', text: res.points.value.map((v) => fmtNumber(v)) },
    ], layout({ xaxis: axisOf(res.x, paramLabel(res.x)), yaxis: axisOf(res.y, paramLabel(res.y)), showlegend: false }), PLOT_CONFIG);
    const partial = res.x.conditional || res.y.conditional;
    info.textContent = `Each cell: the ${best} default metric of the ${res.trials} trials with a result that have both ${x} and ${y}`
      + (partial ? ' (a conditional parameter: trials on another branch of its nested choice are left out)' : '')
      + `; numeric axes in ${res.bins} equal steps${res.x.log || res.y.log ? ' (log-scaled ones on a log scale)' : ''}; empty cells have no trial.`
      + (res.shown < res.trials ? ` Dots: ${res.shown.toLocaleString()} of the ${res.trials.toLocaleString()} trials, sampled on the server (the best fifth and an even random draw of the rest); the cells use every trial.` : '');
    box.on && box.on('plotly_click', (ev) => { const p = ev.points[0]; if (p && p.customdata) location.hash = link('trial', p.customdata); });
  }

  async function drawDistribution(Plotly) {
    const res = await ui('explore', { max_points: 2000 });
    if (disposed || tab !== 'distribution') return;
    const d = res.distribution;
    if (!d.count) { fill(clear(body), h('div.empty', 'No trial has a final result yet.')); return; }
    const ecdf = h('div.chart', { 'data-test': 'chart-ecdf' });
    const hist = h('div.chart', { 'data-test': 'chart-histogram' });
    const stat = (k) => fmtNumber(d[k], 4);
    fill(clear(body), h('div.toolbar', { 'data-test': 'distribution-stats' }, h('span.sub',
      `${d.count.toLocaleString()} trials with a final result · min ${stat('min')} · 25% ${stat('q25')} · median ${stat('median')} · 75% ${stat('q75')} · max ${stat('max')} · mean ${stat('mean')} ± ${stat('std')}`)),
    h('h3', 'Empirical distribution (share of trials at or below each value)'), ecdf, h('h3', 'Histogram'), hist,
    h('div.chart-note', `Computed on the server over every trial with a result (the curve at ${d.ecdf.value.length} quantiles).`));
    Plotly.react(ecdf, [{ x: d.ecdf.value, y: d.ecdf.fraction, type: 'scatter', mode: 'lines', line: { shape: 'hv', color: '#2563eb', width: 2 },
      hovertemplate: '%{y:.1%} of trials ≤ %{x}<extra></extra>' }],
    layout({ xaxis: { title: { text: 'default metric' } }, yaxis: { title: { text: 'fraction of trials' }, range: [0, 1.02] } }), PLOT_CONFIG);
    const e = d.histogram.edges;
    Plotly.react(hist, [{ type: 'bar', x: d.histogram.counts.map((_, i) => (e[i] + e[i + 1]) / 2), y: d.histogram.counts,
      width: d.histogram.counts.map((_, i) => e[i + 1] - e[i]), marker: { color: '#2563eb', line: { color: '#fff', width: 1 } },
      hovertemplate: '%{x}: %{y} trials<extra></extra>' }],
    layout({ xaxis: { title: { text: 'default metric' } }, yaxis: { title: { text: 'trials' } }, bargap: 0 }), PLOT_CONFIG);
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

