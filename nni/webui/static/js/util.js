// Small DOM and formatting helpers shared by the pages.
import { plotlyUrl } from './api.js';

// h('div.cls#id', {attrs, on: {click}}, children...)
export function h(tag, attrs, ...children) {
  const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(tag);
  const el = document.createElement(m[1] || 'div');
  for (const part of (m[2] || '').match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1)); else el.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'class') el.className += ' ' + v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

export function fmtNumber(v, digits = 6) {
  if (v === null || v === undefined || v === '') return '';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(digits)));
}

// A table cell's text: numbers formatted, every other value as itself (false and 0 included), none empty.
export function fmtValue(v, digits = 6, empty = '') {
  if (v === null || v === undefined) return empty;
  return typeof v === 'number' ? fmtNumber(v, digits) : String(v);
}

export function fmtTime(ts) {
  if (!ts) return '';
  const d = new Date(ts * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtDuration(s) {
  if (s === null || s === undefined) return '';
  s = Math.max(0, s);
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)}s`;
  const d = Math.floor(s / 86400), hr = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = Math.round(s % 60);
  if (d) return `${d}d ${hr}h ${m}m`;
  if (hr) return `${hr}h ${m}m ${sec}s`;
  return `${m}m ${sec}s`;
}

export function parseDuration(text) {
  const m = /^\s*(\d+(?:\.\d*)?)\s*([smhd]?)\s*$/.exec(String(text));
  if (!m) return null;
  return parseFloat(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]];
}

export function badge(status, extra) {
  return h('span.badge', { class: status, 'data-status': status }, extra || status);
}

export function columnLabel(c) {
  if (c.startsWith('param:')) return c.slice(6);
  if (c.startsWith('metric:')) return c.slice(7);
  return { id: 'Trial ID', seq: '#', status: 'Status', start: 'Start', end: 'End', duration: 'Duration', default: 'Default metric', latest: 'Latest result', source: 'Source', message: 'Message' }[c] || c;
}

let toastTimer = null;
export function toast(message, isError = false) {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.className = 'toast' + (isError ? ' error' : '');
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, isError ? 8000 : 3500);
}

// A modal dialog; resolves with what onOk returns, or null when cancelled. onOk may throw to show an error.
export function modal(title, body, { okText = 'OK', onOk, danger = false } = {}) {
  return new Promise((resolve) => {
    const error = h('div.form-error');
    const close = (value) => { back.remove(); resolve(value); };
    const ok = h('button', { class: danger ? 'danger' : 'primary', 'data-test': 'modal-ok' }, okText);
    ok.addEventListener('click', async () => {
      ok.disabled = true;
      error.textContent = '';
      try { close(onOk ? await onOk() : true); } catch (e) { error.textContent = e.message; ok.disabled = false; }
    });
    const back = h('div.modal-back', {},
      h('div.modal', { role: 'dialog' },
        h('header', title),
        h('div.body', body, error),
        h('footer', h('button', { on: { click: () => close(null) } }, 'Cancel'), ok)));
    back.addEventListener('click', (e) => { if (e.target === back) close(null); });
    document.body.append(back);
  });
}

let plotlyPromise = null;
export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyPromise) {
    plotlyPromise = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = plotlyUrl();
      s.onload = () => resolve(window.Plotly);
      s.onerror = () => reject(new Error('could not load plotly.min.js from this server'));
      document.head.append(s);
    });
  }
  return plotlyPromise;
}

const BASE_LAYOUT = {
  margin: { l: 60, r: 20, t: 20, b: 50 },
  paper_bgcolor: '#fff',
  plot_bgcolor: '#fff',
  font: { family: 'Inter, Segoe UI, system-ui, sans-serif', size: 12, color: '#334155' },
  xaxis: { gridcolor: '#eef1f5', zeroline: false },
  yaxis: { gridcolor: '#eef1f5', zeroline: false },
  legend: { orientation: 'h', y: -0.18 },
};
export const PLOT_CONFIG = { displaylogo: false, responsive: true };

// A fresh layout each time (Plotly writes into the layout it is given: axis types, ranges), with
// overrides merged one level deep: layout({ yaxis: { title: ... } }) keeps the base grid colours.
export function layout(overrides = {}) {
  const out = JSON.parse(JSON.stringify(BASE_LAYOUT));
  for (const [k, v] of Object.entries(overrides)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' ? Object.assign(out[k], v) : v;
  }
  return out;
}

// Append children, skipping null/undefined/false and flattening arrays (Element.append would print them).
export function fill(el, ...children) {
  append(el, children);
  return el;
}

export function download(blob, name) {
  const a = h('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

export function flatten(obj, prefix = '') {
  const out = {};
  for (const [k, v] of Object.entries(obj || {})) {
    if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v, `${prefix}${k}/`));
    else out[prefix + k] = v;
  }
  return out;
}

export function unflatten(flat) {
  const root = {};
  for (const [path, v] of Object.entries(flat)) {
    const parts = path.split('/');
    let node = root;
    parts.slice(0, -1).forEach((p) => { node = node[p] = node[p] || {}; });
    node[parts[parts.length - 1]] = v;
  }
  return root;
}

export const RUNNING_STATES = ['INITIALIZED', 'RUNNING', 'NO_MORE_TRIAL', 'STOPPING'];

// [min, max] of the finite numbers of an array, in one loop: Math.min(...values) overflows the call stack
// beyond about 100,000 values. [null, null] when there is none.
export function extent(values) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (typeof v === 'number' && Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  }
  return lo <= hi ? [lo, hi] : [null, null];
}

// What a chart says when the server sent a sample of the trials instead of all of them.
export function sampleNote(res, what = 'trials') {
  if (!res || !res.sampled) return null;
  return h('div.chart-note', { 'data-test': 'sample-note' },
    `Showing ${res.shown.toLocaleString()} of ${res.total.toLocaleString()} ${what}, sampled on the server: the best fifth of them by the metric and an even random draw of the rest.`);
}
