// Overview: status, limits (editable in place), progress, best trials, search space and config.
import { ui } from '../api.js';
import { updateExperiment } from '../actions.js';
import { h, fill, clear, badge, fmtNumber, fmtValue, fmtTime, fmtDuration, parseDuration, columnLabel, toast, RUNNING_STATES } from '../util.js';

// While a limit is being edited, live updates must not redraw the page (they would drop the input).
let editing = 0;

function editable(label, shown, current, { parse, updateType, readOnly, testId, onDone }) {
  const wrap = h('span.editable', { 'data-test': testId });
  let open = false;
  const close = () => { if (open) { open = false; editing -= 1; } };
  const view = () => {
    close();
    fill(clear(wrap), h('span', { 'data-test': testId + '-value' }, shown));
    if (!readOnly) {
      wrap.append(h('button.edit-link', { title: 'Edit ' + label, 'data-test': testId + '-edit', on: { click: edit } }, 'Edit'));
    }
  };
  const edit = () => {
    if (!open) { open = true; editing += 1; }
    const input = h('input', { value: current ?? '', 'data-test': testId + '-input' });
    const save = async () => {
      const value = parse(input.value);
      if (value === null) { toast(`${label}: "${input.value}" is not valid`, true); return; }
      try {
        await updateExperiment(updateType, value);
        toast(`${label} set to ${input.value}`);
        close();
        onDone();
      } catch (e) { toast(e.message, true); }
    };
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') save(); if (e.key === 'Escape') view(); });
    fill(clear(wrap), input, h('button.small.primary', { on: { click: save }, 'data-test': testId + '-save' }, 'Save'),
      h('button.small', { on: { click: view } }, 'Cancel'));
    input.focus();
    input.select();
  };
  view();
  return wrap;
}

const posInt = (t) => { const n = Number(String(t).trim()); return Number.isInteger(n) && n > 0 ? n : null; };

export async function render(main, { summary, link }) {
  // The shell has just loaded the full summary (with config); use it instead of asking again.
  let data = summary && summary.experiment.config !== undefined ? summary : await ui('summary');
  const root = h('div', { 'data-test': 'overview' });
  main.append(root);

  editing = 0;
  const draw = () => {
    const e = data.experiment;
    const ro = data.readOnly;
    const counts = data.counts || {};
    const running = counts.RUNNING || 0;
    const maximize = e.optimizeMode !== 'minimize';
    const best = data.top.rows.length ? data.top.rows[0] : null;
    const col = (name) => data.top.columns.indexOf(name);
    const elapsed = e.elapsed;
    const refresh = async () => { data = await ui('summary'); draw(); };

    const statusCard = h('div.panel', { 'data-test': 'card-status' },
      h('div.card-label', 'Status'),
      h('div.big', badge(e.status)),
      h('dl.kv', { style: { marginTop: '12px' } },
        h('dt', 'Started'), h('dd', fmtTime(e.startTime) || '—'),
        h('dt', 'Ended'), h('dd', e.endTime ? fmtTime(e.endTime) : (RUNNING_STATES.includes(e.status) ? 'running' : '—'))),
      e.error ? h('div.error-box', { 'data-test': 'experiment-error' }, e.error) : null);

    const durPct = e.maxDuration && elapsed ? Math.min(100, (100 * elapsed) / e.maxDuration) : null;
    const durationCard = h('div.panel', { 'data-test': 'card-duration' },
      h('div.card-label', 'Duration'),
      h('div.big', fmtDuration(elapsed) || '—'),
      h('div.sub.limit', 'max ',
        editable('Max duration', e.maxDuration ? fmtDuration(e.maxDuration) : 'unlimited', e.maxDuration ? `${Math.round(e.maxDuration / 60)}m` : '',
          { parse: parseDuration, updateType: 'MAX_EXEC_DURATION', readOnly: ro, testId: 'max-duration', onDone: refresh })),
      durPct !== null ? h('div.progress', h('span', { style: { width: durPct + '%' } })) : null);

    const maxT = e.maxTrials;
    const trialPct = maxT ? Math.min(100, (100 * data.done) / maxT) : null;
    const chips = Object.entries(counts).sort().map(([s, n]) => badge(s, `${s.replace('_', ' ').toLowerCase()} ${n}`));
    const trialsCard = h('div.panel', { 'data-test': 'card-trials' },
      h('div.card-label', 'Trials done'),
      h('div.big', h('span', { 'data-test': 'trials-done' }, String(data.done))),
      h('div.sub.limit', 'max ',
        editable('Max trial number', maxT ? String(maxT) : 'unlimited', maxT || '',
          { parse: posInt, updateType: 'MAX_TRIAL_NUM', readOnly: ro, testId: 'max-trials', onDone: refresh })),
      trialPct !== null ? h('div.progress', h('span', { style: { width: trialPct + '%' } })) : null,
      h('div.counts', { 'data-test': 'status-counts' }, chips));

    const concurrencyCard = h('div.panel', { 'data-test': 'card-concurrency' },
      h('div.card-label', 'Concurrency'),
      h('div.big', editable('Concurrency', String(e.concurrency), e.concurrency,
        { parse: posInt, updateType: 'TRIAL_CONCURRENCY', readOnly: ro, testId: 'concurrency', onDone: refresh })),
      h('div.sub.limit', `${running} running · ${counts.WAITING || 0} waiting`));

    const multi = data.multi;
    const bestCard = multi ? paretoCard(multi, link) : h('div.panel', { 'data-test': 'card-best' },
      h('div.card-label', `Best metric (${maximize ? 'maximize' : 'minimize'})`),
      best ? h('div.big.best-value', { 'data-test': 'best-metric' }, fmtNumber(best[col('default')])) : h('div.big.muted', '—'),
      best ? h('div.sub', { style: { marginTop: '10px' } }, 'trial ', h('a.mono', { href: link('trial', best[col('id')]) }, best[col('id')]),
        ` · #${best[col('seq')]}`) : h('div.sub', { style: { marginTop: '10px' } }, 'no final result yet'));

    const infoCard = h('div.panel', { 'data-test': 'card-info' },
      h('div.card-label', 'Experiment'),
      h('dl.kv',
        h('dt', 'Name'), h('dd', e.name || '—'),
        h('dt', 'ID'), h('dd.mono', { 'data-test': 'experiment-id' }, e.id),
        h('dt', 'Platform'), h('dd', e.platform),
        h('dt', 'Tuner'), h('dd', tunerName(e.config)),
        h('dt', 'Folder'), h('dd.mono', e.folder || '')));

    const topCols = data.top.columns.filter((c) => c !== 'status');
    const objectiveOf = (c) => multi && multi.objectives.find((o) => 'metric:' + o.name === c);
    const topTable = data.top.rows.length ? h('div.table-wrap', h('table.data', { 'data-test': 'top-trials' },
      h('thead', h('tr', h('th', multi ? '' : 'Rank'), topCols.map((c) => h('th', { class: c === 'default' || c === 'duration' || objectiveOf(c) ? 'num' : '' },
        objectiveOf(c) ? `${columnLabel(c)} ${objectiveOf(c).mode === 'maximize' ? '↑' : '↓'}` : columnLabel(c))))),
      h('tbody', data.top.rows.map((row, i) => h('tr',
        h('td', String(i + 1)),
        topCols.map((c) => {
          const v = row[data.top.columns.indexOf(c)];
          if (c === 'id') return h('td', h('a.mono', { href: link('trial', v) }, v));
          if (c === 'duration') return h('td.num', fmtDuration(v));
          return h('td', { class: typeof v === 'number' ? 'num' : '' }, fmtValue(v));
        })))))) : h('div.empty', 'No trial has reported a final result yet.');

    fill(clear(root), 
      h('div.page-head', h('div', h('h1', e.name || 'Experiment'), h('div.sub', `${e.id} · ${data.total} trials`)),
        h('div', h('a.btn', { href: link('trials') }, 'All trials →'))),
      h('div.grid.cards', statusCard, durationCard, trialsCard, concurrencyCard, bestCard),
      h('div.grid.info-top', { style: { marginTop: '16px' } }, infoCard,
        h('div.panel', h('h2', { 'data-test': 'top-title' }, multi
          ? `The Pareto set (${multi.counts.pareto} trials)${multi.counts.pareto > data.top.rows.length ? `, first ${data.top.rows.length}` : ''}`
          : `Top ${data.top.rows.length || ''} trials`), topTable)),
      h('div.grid.two', { style: { marginTop: '16px' } },
        h('details.panel', { open: true }, h('summary', 'Search space'), spaceTable(e.searchSpace || {}),
          h('details', { style: { marginTop: '10px' } }, h('summary.sub', 'As JSON'), h('pre.code', { style: { marginTop: '8px' } }, JSON.stringify(e.searchSpace || {}, null, 2)))),
        h('details.panel', { open: true }, h('summary', 'Config'), h('pre.code', { 'data-test': 'config' }, JSON.stringify(e.config || {}, null, 2)))));
  };
  draw();

  let pending = false;
  const reload = async () => {
    if (pending || editing > 0) return;
    pending = true;
    try { data = await ui('summary'); draw(); } finally { pending = false; }
  };
  return {
    onUpdate: () => reload(),
    onSummary: (s) => {
      // cheap: the poll already carries a brief summary; redraw only when something moved
      if (s.revision !== data.revision || s.experiment.status !== data.experiment.status) reload();
    },
  };
}

// Several objectives: the best trial becomes the Pareto set.
function paretoCard(multi, link) {
  const c = multi.counts;
  return h('div.panel', { 'data-test': 'card-pareto' },
    h('div.card-label', `Pareto set (${multi.objectives.map((o) => `${o.mode === 'maximize' ? '↑' : '↓'} ${o.name}`).join(', ')})`),
    h('div.big', h('a', { href: link('charts', '', { tab: 'pareto' }), 'data-test': 'pareto-count' }, `${c.pareto} trials`)),
    h('div.sub', { style: { marginTop: '10px' } }, c.results
      ? `${c.feasible} feasible · ${c.infeasible} infeasible${c.invalid ? ` · ${c.invalid} invalid` : ''} · hypervolume ${fmtNumber(multi.hypervolume, 4)}`
      : 'no final result yet'));
}

const isOption = (o) => o && typeof o === 'object' && !Array.isArray(o) && '_name' in o;

function spaceRows(space, prefix = '', depth = 0) {
  const rows = [];
  for (const [name, spec] of Object.entries(space || {})) {
    const type = spec && spec._type;
    const values = (spec && spec._value) || [];
    if (type === 'choice' && values.some(isOption)) {
      rows.push([prefix + name, type, values.map((o) => (isOption(o) ? o._name : JSON.stringify(o))).join(' | '), depth]);
      for (const option of values.filter(isOption)) {
        const nested = Object.assign({}, option);
        delete nested._name;
        rows.push(...spaceRows(nested, `${prefix}${name}[${option._name}]/`, depth + 1));
      }
    } else {
      rows.push([prefix + name, type, type === 'choice' ? values.map((v) => JSON.stringify(v)).join(' | ') : `[${values.join(', ')}]`, depth]);
    }
  }
  return rows;
}

function spaceTable(space) {
  const rows = spaceRows(space);
  if (!rows.length) return h('div.empty', 'No search space.');
  return h('div.table-wrap', h('table.data', { 'data-test': 'search-space' },
    h('thead', h('tr', h('th', 'Parameter'), h('th', 'Type'), h('th', 'Values'))),
    h('tbody', rows.map(([path, type, values, depth]) => h('tr',
      h('td.mono', { style: { paddingLeft: `${10 + depth * 18}px` } }, path),
      h('td', h('span.badge', type)),
      h('td.mono', { style: { whiteSpace: 'normal' } }, values))))));
}

function tunerName(config) {
  const t = (config && (config.tuner || config.advisor)) || {};
  return t.name || t.className || t.builtinTunerName || '—';
}
