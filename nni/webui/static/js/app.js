// The web UI shell: hash routes, the top bar, live updates (a cheap "changed since revision" poll).
import { initToken, setExperiment, experiment, ui, plotlyUrl } from './api.js';
import { h, clear, badge, RUNNING_STATES } from './util.js';

const PAGES = {
  experiments: () => import('./pages/experiments.js'),
  overview: () => import('./pages/overview.js'),
  trials: () => import('./pages/trials.js'),
  charts: () => import('./pages/charts.js'),
  trial: () => import('./pages/trial.js'),
  compare: () => import('./pages/compare.js'),
  'compare-experiments': () => import('./pages/experiments_compare.js'),
};

const main = document.getElementById('main');
let current = null; // { name, instance }
let summary = null;
let revision = 0;
let pollTimer = null;
let renderToken = 0;

export function parseRoute() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query] = hash.split('?');
  const parts = path.split('/').filter(Boolean);
  return { page: parts[0] || 'overview', arg: parts.slice(1).join('/'), query: new URLSearchParams(query || '') };
}

// Link to a page, keeping the experiment being viewed.
export function link(page, arg, query) {
  const q = new URLSearchParams(query || {});
  if (experiment()) q.set('exp', experiment());
  const qs = q.toString();
  return `#/${page}${arg ? '/' + arg : ''}${qs ? '?' + qs : ''}`;
}

export function setQuery(query) {
  const r = parseRoute();
  const q = new URLSearchParams();
  if (experiment()) q.set('exp', experiment());
  for (const [k, v] of Object.entries(query)) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
  const target = `#/${r.page}${r.arg ? '/' + r.arg : ''}${q.toString() ? '?' + q : ''}`;
  history.replaceState(null, '', target);
}

export function getSummary() { return summary; }

function setTitle() {
  const title = document.getElementById('exp-title');
  clear(title);
  if (!summary) return;
  const e = summary.experiment;
  title.append(h('b', e.name || 'experiment'), ' ', h('span.mono', e.id), ' ', badge(e.status));
  if (summary.readOnly) title.append(' ', h('span.badge.readonly', 'read-only'));
  document.title = `${e.name || e.id} · NNI`;
  const banner = document.getElementById('banner');
  if (experiment()) {
    banner.hidden = false;
    banner.className = 'banner';
    clear(banner).append('Viewing experiment ', h('b', e.id), ' read-only from this machine\'s registry. ',
      h('a', { href: '#/overview' }, 'Back to the experiment this server runs'));
  } else {
    banner.hidden = true;
  }
}

async function refreshSummary() {
  summary = await ui('summary');
  revision = summary.revision;
  setTitle();
  return summary;
}

function live() {
  return summary && RUNNING_STATES.includes(summary.experiment.status) && !summary.readOnly;
}

function schedulePoll() {
  clearTimeout(pollTimer);
  const delay = live() ? 2000 : 15000;
  document.getElementById('live').classList.toggle('on', !!live());
  document.getElementById('live').textContent = live() ? 'live' : 'idle';
  pollTimer = setTimeout(poll, delay);
}

async function poll() {
  if (document.hidden) { schedulePoll(); return; }
  try {
    const upd = await ui('updates', { since: revision });
    const before = summary;
    summary = upd.summary;
    revision = upd.revision;
    if (!before || before.experiment.status !== summary.experiment.status) setTitle();
    if ((upd.changed || upd.reload) && current && current.instance && current.instance.onUpdate) {
      current.instance.onUpdate(upd, summary);
    } else if (current && current.instance && current.instance.onSummary) {
      current.instance.onSummary(summary);
    }
  } catch (e) {
    console.warn('update poll failed', e);
  }
  schedulePoll();
}

async function render() {
  const route = parseRoute();
  const exp = route.query.get('exp');
  const expChanged = (exp || null) !== experiment();
  setExperiment(exp);
  const name = PAGES[route.page] ? route.page : 'overview';
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.page === name || (name === 'trial' || name === 'compare') && a.dataset.page === 'trials'
      || name === 'compare-experiments' && a.dataset.page === 'experiments');
    a.href = link(a.dataset.page);
  }
  const my = ++renderToken;
  if (current && current.instance && current.instance.dispose) current.instance.dispose();
  current = null;
  try {
    // The page's own first request (prefetch) goes out beside the summary, not after it.
    const summaryLoad = (!summary || expChanged) ? refreshSummary() : null;
    const mod = await PAGES[name]();
    const prefetched = mod.prefetch ? mod.prefetch(route) : null;
    if (prefetched) prefetched.catch(() => {}); // its error is shown by the page
    await summaryLoad;
    if (my !== renderToken) return;
    clear(main);
    const instance = await mod.render(main, { route, summary, link, prefetched });
    if (my !== renderToken) { if (instance && instance.dispose) instance.dispose(); return; }
    current = { name, instance };
    prefetchPlotly();
  } catch (e) {
    if (my !== renderToken) return;
    clear(main).append(h('div.panel', h('h2', 'Could not load this page'), h('div.error-box', e.message)));
  }
  schedulePoll();
}

// Download Plotly (not run it) once the first page is up, so the Charts page only pays its start-up.
let prefetched = false;
function prefetchPlotly() {
  if (prefetched || window.Plotly) return;
  prefetched = true;
  setTimeout(() => document.head.append(h('link', { rel: 'prefetch', href: plotlyUrl(), as: 'script' })), 1500);
}

initToken();
window.addEventListener('hashchange', render);
document.addEventListener('visibilitychange', () => { if (!document.hidden) { clearTimeout(pollTimer); poll(); } });
render();
