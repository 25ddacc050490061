// Changes to a running experiment, through NNI's own REST routes (PUT experiment, DELETE/POST trial-jobs).
import { rest } from './api.js';
import { h, modal, toast, flatten, unflatten, fmtNumber } from './util.js';

const UPDATE_KEYS = {
  TRIAL_CONCURRENCY: 'trialConcurrency',
  MAX_TRIAL_NUM: 'maxTrialNumber',
  MAX_EXEC_DURATION: 'maxExperimentDuration',
};

export async function updateExperiment(updateType, value) {
  const key = UPDATE_KEYS[updateType];
  await rest('experiment', { method: 'PUT', params: { update_type: updateType }, body: { params: { [key]: value } } });
}

export async function killTrial(id) {
  const ok = await modal('Kill trial ' + id + '?',
    h('p', 'The trial process and everything it started are stopped; its state becomes USER_CANCELED. Metrics and logs are kept.'),
    { okText: 'Kill trial', danger: true, onOk: async () => { await rest(`trial-jobs/${encodeURIComponent(id)}`, { method: 'DELETE' }); return true; } });
  if (ok) toast(`Trial ${id} is being killed`);
  return ok;
}

function parseLike(text, original) {
  const t = text.trim();
  if (typeof original === 'number') {
    const n = Number(t);
    if (t === '' || Number.isNaN(n)) throw new Error(`"${t}" is not a number`);
    return n;
  }
  if (typeof original === 'boolean') return t === 'true';
  if (original === null && t === '') return null;
  if (typeof original === 'string') return text;
  try { return JSON.parse(t); } catch (_) { return text; }
}

// "Rerun with these parameters": a form of every parameter of the trial (or raw JSON), sent as a customized trial.
export async function customizedTrial(parameters, fromId) {
  const flat = flatten(parameters || {});
  const inputs = {};
  const form = h('div', { 'data-test': 'customized-form' });
  for (const [path, value] of Object.entries(flat)) {
    const input = h('input', { value: typeof value === 'number' ? fmtNumber(value, 12) : (typeof value === 'string' ? value : JSON.stringify(value)), 'data-param': path });
    inputs[path] = input;
    form.append(h('div.form-row', h('label', path), input));
  }
  const json = h('textarea.mono', { rows: 12, style: { width: '100%' }, 'data-test': 'customized-json' }, JSON.stringify(parameters || {}, null, 2));
  let mode = Object.keys(flat).length ? 'form' : 'json';
  const formTab = h('button', { class: mode === 'form' ? 'on' : '' }, 'Form');
  const jsonTab = h('button', { class: mode === 'json' ? 'on' : '' }, 'JSON');
  const panes = h('div');
  const show = () => {
    formTab.classList.toggle('on', mode === 'form');
    jsonTab.classList.toggle('on', mode === 'json');
    panes.replaceChildren(mode === 'form' ? form : json);
  };
  formTab.addEventListener('click', () => { mode = 'form'; show(); });
  jsonTab.addEventListener('click', () => {
    if (mode === 'form') {
      try { json.value = JSON.stringify(collectForm(), null, 2); } catch (_) { /* keep the old JSON */ }
    }
    mode = 'json'; show();
  });
  show();
  const collectForm = () => {
    const out = {};
    for (const [path, input] of Object.entries(inputs)) out[path] = parseLike(input.value, flat[path]);
    return unflatten(out);
  };
  const body = h('div',
    h('p.sub', fromId ? `Starts a new trial with the parameters of trial ${fromId}, as edited here. The tuner is told its result.` :
      'Starts a new trial with these parameters. The tuner is told its result.'),
    h('div.tabs', formTab, jsonTab), panes);
  const result = await modal('Add a customized trial', body, {
    okText: 'Submit trial',
    onOk: async () => {
      let params;
      if (mode === 'form') params = collectForm();
      else {
        try { params = JSON.parse(json.value); } catch (e) { throw new Error('not valid JSON: ' + e.message); }
      }
      const res = await rest('trial-jobs', { method: 'POST', body: { parameters: params } });
      return res.trialJobId || true;
    },
  });
  if (result) toast(`Customized trial ${typeof result === 'string' ? result : ''} added`);
  return result;
}
