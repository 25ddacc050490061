// A small SVG line chart for one or a few series (trial detail, compare): draws in milliseconds, where
// Plotly needs seconds to initialise on a slow machine. The Charts page uses Plotly.
import { extent } from './util.js';

const NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#2563eb', '#059669', '#d97706', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#475569', '#ea580c'];

function el(tag, attrs, parent) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function ticks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const label = (v) => (Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(4))));

// series: [{ name, x: [...], y: [...], markers?: bool, line?: bool }]; draws into container (its width, height 320 by default)
export function lineChart(container, series, { xLabel = 'step', yLabel = '', height = 320 } = {}) {
  container.textContent = '';
  container.classList.add('minichart');
  const width = Math.max(320, container.clientWidth || 800);
  const m = { l: 64, r: 16, t: 12, b: 44 + (series.length > 1 ? 22 : 0) };
  const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': yLabel || 'chart' }, container);
  const xs = series.flatMap((s) => s.x), ys = series.flatMap((s) => s.y);
  let [y0, y1] = extent(ys);
  if (y0 === null) return svg;
  let [x0, x1] = extent(xs);
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { y0 -= Math.abs(y0) * 0.1 || 1; y1 += Math.abs(y1) * 0.1 || 1; }
  const pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad;
  const W = width - m.l - m.r, H = height - m.t - m.b;
  const sx = (v) => m.l + ((v - x0) / (x1 - x0)) * W;
  const sy = (v) => m.t + H - ((v - y0) / (y1 - y0)) * H;
  const grid = el('g', { class: 'grid' }, svg);
  for (const t of ticks(y0, y1, 5)) {
    el('line', { x1: m.l, x2: m.l + W, y1: sy(t), y2: sy(t), stroke: '#eef1f5' }, grid);
    el('text', { x: m.l - 8, y: sy(t) + 4, 'text-anchor': 'end', fill: '#64748b', 'font-size': 11 }, grid).textContent = label(t);
  }
  const integerX = xs.every((v) => Number.isInteger(v));
  for (const t of ticks(x0, x1, 8).filter((v) => !integerX || Number.isInteger(v))) {
    el('line', { x1: sx(t), x2: sx(t), y1: m.t, y2: m.t + H, stroke: '#f4f6f9' }, grid);
    el('text', { x: sx(t), y: m.t + H + 16, 'text-anchor': 'middle', fill: '#64748b', 'font-size': 11 }, grid).textContent = label(t);
  }
  el('text', { x: m.l + W / 2, y: m.t + H + 34, 'text-anchor': 'middle', fill: '#334155', 'font-size': 12 }, svg).textContent = xLabel;
  if (yLabel) {
    el('text', { transform: `translate(14 ${m.t + H / 2}) rotate(-90)`, 'text-anchor': 'middle', fill: '#334155', 'font-size': 12 }, svg).textContent = yLabel;
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.x.map((x, k) => [x, s.y[k]]).filter(([, y]) => typeof y === 'number' && Number.isFinite(y));
    if (s.line !== false) {
      el('path', { d: pts.map(([x, y], k) => `${k ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(''), fill: 'none', stroke: color, 'stroke-width': 2, class: 'series' }, svg);
    }
    if (s.markers) {
      // one path of tiny squares: thousands of points stay cheap
      el('path', { d: pts.map(([x, y]) => `M${(sx(x) - 1.5).toFixed(1)},${(sy(y) - 1.5).toFixed(1)}h3v3h-3z`).join(''), fill: color, opacity: 0.7, class: 'markers' }, svg);
    } else if (pts.length <= 200) {
      for (const [x, y] of pts) el('circle', { cx: sx(x), cy: sy(y), r: 2.5, fill: color }, svg);
    }
    if (series.length > 1) {
      const lx = m.l + (i % 6) * 130, ly = height - 10 - Math.floor(i / 6) * 14;
      el('rect', { x: lx, y: ly - 8, width: 12, height: 3, fill: color }, svg);
      el('text', { x: lx + 16, y: ly - 4, fill: '#334155', 'font-size': 11 }, svg).textContent = s.name;
    }
  });
  // hover: nearest point of each series at the pointer's x
  const tip = document.createElement('div');
  tip.className = 'minichart-tip';
  tip.hidden = true;
  container.appendChild(tip);
  const cursor = el('line', { y1: m.t, y2: m.t + H, stroke: '#94a3b8', 'stroke-dasharray': '3 3', visibility: 'hidden' }, svg);
  svg.addEventListener('mousemove', (ev) => {
    const r = svg.getBoundingClientRect();
    const x = x0 + ((ev.clientX - r.left - m.l) / W) * (x1 - x0);
    const lines = series.map((s) => {
      let best = 0;
      s.x.forEach((v, k) => { if (Math.abs(v - x) < Math.abs(s.x[best] - x)) best = k; });
      return s.x.length ? `${s.name}: step ${s.x[best]} → ${label(s.y[best])}` : '';
    }).filter(Boolean);
    cursor.setAttribute('x1', ev.clientX - r.left); cursor.setAttribute('x2', ev.clientX - r.left); cursor.setAttribute('visibility', 'visible');
    tip.textContent = lines.join('\n');
    tip.hidden = false;
    tip.style.left = `${Math.min(ev.clientX - r.left + 12, width - 220)}px`;
    tip.style.top = `${ev.clientY - r.top + 12}px`;
  });
  svg.addEventListener('mouseleave', () => { tip.hidden = true; cursor.setAttribute('visibility', 'hidden'); });
  return svg;
}
