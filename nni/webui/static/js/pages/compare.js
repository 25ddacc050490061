// Compare several trials side by side: parameters and metrics in columns, learning curves overlaid.
import { ui } from '../api.js';
import { h, fill, badge, fmtValue, fmtDuration, columnLabel } from '../util.js';
import { lineChart } from '../minichart.js';

export async function render(main, { route, link }) {
  const ids = decodeURIComponent(route.arg).split(',').filter(Boolean).slice(0, 20);
  const [table, curves] = await Promise.all([ui('trials', { ids: ids.join(',') }), ui('intermediate', { ids: ids.join(','), max_points: 500 })]);
  const cols = table.columns.filter((c) => !['id', 'start', 'end', 'source', 'message'].includes(c));
  const idIdx = table.columns.indexOf('id');
  const rows = table.rows;
  const chart = h('div', { 'data-test': 'compare-chart' });
  fill(main, 
    h('div.page-head', h('div', h('h1', `Compare ${rows.length} trials`), h('div.sub', 'Select trials on the Trials page to compare them.')),
      h('a.btn', { href: link('trials') }, '← Trials')),
    h('div.panel', h('div.table-wrap', h('table.data.compare', { 'data-test': 'compare-table' },
      h('thead', h('tr', h('th', 'Trial'), rows.map((r) => h('th', h('a.mono', { href: link('trial', r[idIdx]) }, r[idIdx]))))),
      h('tbody', cols.map((c) => h('tr', h('td', columnLabel(c)), rows.map((r) => {
        const v = r[table.columns.indexOf(c)];
        if (c === 'status') return h('td', badge(v));
        if (c === 'duration') return h('td', fmtDuration(v));
        return h('td.mono', fmtValue(v, 8, '—'));
    }))))))),
    h('div.panel', h('h2', 'Intermediate results'), chart));
  lineChart(chart, ids.filter((id) => curves.series[id] && curves.series[id][0].length).map((id) => ({
    name: id, x: curves.series[id][0], y: curves.series[id][1],
  })), { xLabel: 'step', yLabel: 'intermediate result', height: 360 });
  return {};
}
