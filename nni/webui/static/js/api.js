// HTTP access for the web UI: base path (url_prefix aware), access token, the experiment being viewed.

const TOKEN_KEY = 'nni-webui-token';

// The page is served at <prefix>/ ; every request is relative to it.
export const BASE = location.pathname.replace(/[^/]*$/, '');
export const API = BASE + 'api/v1/nni';
export const WEBUI = API + '/webui';

// A token given in the URL (?token=...) is read once, kept for this tab, and removed from the address bar.
export function initToken() {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + (url.search || '') + url.hash);
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function headers(extra) {
  const h = Object.assign({}, extra || {});
  const t = token();
  if (t) h['X-NNI-Token'] = t;
  return h;
}

// The experiment the UI looks at: null for the one this server runs, else an id from the registry.
let viewedExp = null;
export function setExperiment(id) { viewedExp = id || null; }
export function experiment() { return viewedExp; }

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

function withParams(path, params) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  }
  return url.pathname + url.search;
}

async function request(path, { method = 'GET', params, body, as = 'json', exp = true } = {}) {
  const p = Object.assign({}, params || {});
  if (exp && viewedExp && path.startsWith(WEBUI)) p.exp = viewedExp;
  const init = { method, headers: headers(body !== undefined ? { 'Content-Type': 'application/json' } : {}) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(withParams(path, p), init);
  if (!res.ok) {
    let message = `${method} ${path}: HTTP ${res.status}`;
    try {
      const data = await res.json();
      if (data && data.error) message = data.error;
    } catch (_) { /* not JSON */ }
    throw new ApiError(res.status, message);
  }
  if (as === 'text') return res.text();
  if (as === 'blob') return res.blob();
  return res.json();
}

export const ui = (route, params) => request(`${WEBUI}/${route}`, { params });
export const uiText = (route, params) => request(`${WEBUI}/${route}`, { params, as: 'text' });
export const uiBlob = (route, params) => request(`${WEBUI}/${route}`, { params, as: 'blob' });
export const rest = (route, opts) => request(`${API}/${route}`, Object.assign({ exp: false }, opts || {}));

export function plotlyUrl() {
  const t = token();
  return BASE + 'webui-vendor/plotly.min.js' + (t ? `?token=${encodeURIComponent(t)}` : '');
}
