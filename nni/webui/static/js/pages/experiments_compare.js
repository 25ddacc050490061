// Two or more experiments side by side (from the Experiments page): a summary row each, best so far against
// trial number and against time, the distribution of the final metric, each shared parameter against the
// metric, and their configs diffed. Computed on the server by nni.analysis.compare (as
// `nnictl experiment compare`), trials sampled there beyond 1,000 per experiment per parameter.
import { ui } from '../api.js';
import { h, fill, clear, badge, fmtNumber, fmtDuration, loadPlotly, layout, PLOT_CONFIG } from '../util.js';
import { parseRoute } from '../app.js';

const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#475569'];

export async function render(main, { link }) {
  const ids = (parseRoute().query.get('ids') || '').split(',').filter(Boolean);
  fill(main, h('div.loading', 'Comparing…'));
  const res = await ui('compare', { ids: ids.join(',') });
  const exps = res.experiments;
  const color = (k) => COLORS[k % COLORS.length];
  const open = (e) => h('a.mono', { href: `#/overview?exp=${encodeURIComponent(e.id)}` }, e.id);
  const summaryTable = h('table.data', { 'data-test': 'compare-summary' },
    h('thead', h('tr', ['Experiment', 'Name', 'Status', 'Mode', 'Trials', 'With result', 'Best', 'Best trial', 'Time to best', 'Median', 'Middle half']
      .map((t) => h('th', t)))),
    h('tbody', exps.map((e, k) => h('tr', { 'data-exp': e.id },
      h('td', h('span', { style: { color: color(k), marginRight: '6px' } }, '●'), open(e)),
      h('td', e.name || '—'), h('td', badge(e.status || 'UNKNOWN')), h('td', e.mode),
      h('td.num', String(e.trials)), h('td.num', String(e.withResult)),
      h('td.num', { 'data-test': 'compare-best' }, e.best === null ? '—' : fmtNumber(e.best)),
      h('td', e.bestTrial ? h('a.mono', { href: `#/trial/${e.bestTrial}?exp=${encodeURIComponent(e.id)}` }, `${e.bestTrial} (#${e.bestSeq})`) : '—'),
      h('td', e.secondsToBest === null ? '—' : fmtDuration(e.secondsToBest)),
      h('td.num', e.median === null ? '—' : fmtNumber(e.median)),
      h('td.num', e.q25 === null ? '—' : `${fmtNumber(e.q25, 4)} .. ${fmtNumber(e.q75, 4)}`)))));
  const bySeq = h('div.chart', { 'data-test': 'compare-best-seq' });
  const byTime = h('div.chart', { 'data-test': 'compare-best-time' });
  const ecdf = h('div.chart', { 'data-test': 'compare-distribution' });
  const params = h('div', { 'data-test': 'compare-parameters' });
  const diff = res.configDiff.length
    ? h('table.data', { 'data-test': 'config-diff' },
      h('thead', h('tr', h('th', 'Config key'), exps.map((e) => h('th.mono', e.id)))),
      h('tbody', res.configDiff.map((d) => h('tr', h('td.mono', d.key), d.values.map((v) => h('td.mono.diff', v === null ? '(absent)' : v))))))
    : h('div.empty', { 'data-test': 'config-diff' }, 'The configs are identical.');
  fill(clear(main),
    h('div.page-head', h('div', h('h1', `Compare ${exps.length} experiments`), h('div.sub', 'Computed on the server from each experiment\'s store.')),
      h('a.btn', { href: link('experiments') }, '← Experiments')),
    res.notes.map((n) => h('div.error-box', { 'data-test': 'compare-note' }, n)),
    h('div.panel', h('div.table-wrap', summaryTable)),
    h('div.panel', h('h2', 'Best so far'), h('div.chart-grid', bySeq, byTime)),
    h('div.panel', h('h2', 'Distribution of the final metric'), ecdf),
    h('div.panel', h('h2', `Shared parameters against the metric (${res.sharedParameters.length})`), params),
    h('div.panel', h('h2', 'Config differences'), h('div.table-wrap', diff)));

  const Plotly = await loadPlotly();
  const line = (k) => ({ color: color(k), width: 2, shape: 'hv' });
  Plotly.react(bySeq, exps.map((e, k) => ({ x: res.bestSoFar[k].bySeq.seq, y: res.bestSoFar[k].bySeq.best, name: e.id, type: 'scatter', mode: 'lines', line: line(k) })),
    layout({ xaxis: { title: { text: 'trial sequence' } }, yaxis: { title: { text: 'best default metric so far' } } }), PLOT_CONFIG);
  Plotly.react(byTime, exps.map((e, k) => ({ x: res.bestSoFar[k].byTime.seconds.map((s) => s / 60), y: res.bestSoFar[k].byTime.best, name: e.id, type: 'scatter', mode: 'lines', line: line(k) })),
    layout({ xaxis: { title: { text: 'minutes since the experiment started' } }, yaxis: { title: { text: 'best default metric so far' } } }), PLOT_CONFIG);
  Plotly.react(ecdf, exps.map((e, k) => ({ x: res.distributions[k].ecdf.value, y: res.distributions[k].ecdf.fraction, name: e.id, type: 'scatter', mode: 'lines', line: line(k) })),
    layout({ xaxis: { title: { text: 'default metric' } }, yaxis: { title: { text: 'fraction of trials at or below' }, range: [0, 1.02] } }), PLOT_CONFIG);
  const shared = res.sharedParameters;
  if (!shared.length) { params.append(h('div.empty', 'These experiments share no parameter.')); return {}; }
  const ncol = Math.min(3, shared.length), nrow = Math.ceil(shared.length / ncol);
  const grid = h('div.chart', { style: { height: `${nrow * 280 + 60}px` } });
  params.append(grid);
  const traces = [];
  const axes = {};
  shared.forEach((name, j) => {
    const slices = res.parameters[name];
    slices.forEach((s, k) => traces.push({ x: s.x, y: s.y, customdata: s.id, name: exps[k].id, legendgroup: exps[k].id, showlegend: j === 0,
      type: 'scattergl', mode: 'markers', marker: { size: 5, color: color(k), opacity: 0.6 }, xaxis: j ? `x${j + 1}` : 'x', yaxis: j ? `y${j + 1}` : 'y',
      hovertemplate: `${exps[k].id} trial %{customdata}<br>${name}: %{x}<br>metric: %{y}<extra></extra>` }));
    const first = slices[0];
    axes[j ? `xaxis${j + 1}` : 'xaxis'] = Object.assign({ title: { text: `${name}${first.log ? ' (log)' : ''}` }, type: first.log ? 'log' : first.kind === 'categorical' ? 'category' : 'linear', gridcolor: '#eef1f5' },
      first.kind === 'categorical' ? { categoryorder: 'array', categoryarray: [...new Set(slices.flatMap((s) => s.categories || []))] } : {});
    axes[j ? `yaxis${j + 1}` : 'yaxis'] = { title: { text: j % ncol === 0 ? 'default metric' : '' }, gridcolor: '#eef1f5' };
  });
  Plotly.react(grid, traces, layout(Object.assign({ grid: { rows: nrow, columns: ncol, pattern: 'independent', ygap: 0.35, xgap: 0.12 },
    height: nrow * 280 + 60, legend: { orientation: 'h', y: 1.08 } }, axes)), PLOT_CONFIG);
  const sampled = shared.some((name) => res.parameters[name].some((s) => s.shown < s.total));
  if (sampled) params.append(h('div.chart-note', { 'data-test': 'sample-note' }, 'Experiments with more than 1,000 trials per parameter are sampled on the server: the best fifth and an even random draw of the rest.'));
  return {};
}
