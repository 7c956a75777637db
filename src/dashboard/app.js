import { createDetailChart, drawSparkline, formatTime, formatValue, toChartData } from './charts.js';

// The live dashboard: a stream list (polled every 2 s, cheap and robust) and a detail view of one
// stream kept live by the server-sent-events feed, filtered to that stream. Route: #/streams/<key>.

const POINTS = 720;
const $ = (id) => document.getElementById(id);

const state = {
  streams: [],
  selected: null,
  points: new Map(),   // t(ms) -> { a, m, l, u } for the selected stream
  latest: null,        // latest full-horizon forecast of the selected stream
  markers: [],         // alert events of the selected stream
  summary: null,
  chart: null,
  events: null,
  redrawQueued: false,
};

function selectedFromHash() {
  const m = location.hash.match(/^#\/streams\/(.+)$/);
  return m ? decodeURIComponent(m[1]) : null;
}

async function getJson(url) {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

// ---- stream list ----

function shortName(s) {
  const prefix = s.pipeline + '/';
  return s.key.startsWith(prefix) ? s.key.slice(prefix.length) : s.key;
}

function renderList() {
  const list = $('stream-list');
  const q = $('filter').value.trim().toLowerCase();
  const rows = state.streams.filter((s) => q === '' || s.key.toLowerCase().includes(q));
  list.replaceChildren();
  let group = null;
  for (const s of rows) {
    if (s.pipeline !== group) {
      group = s.pipeline;
      const g = document.createElement('div');
      g.className = 'group';
      g.textContent = group;
      list.append(g);
    }
    const row = document.createElement('div');
    row.className = 'row' + (s.key === state.selected ? ' selected' : '');
    row.setAttribute('role', 'listitem');
    row.dataset.key = s.key;
    row.dataset.alert = s.alert.level;
    const name = document.createElement('div');
    name.className = 'name';
    name.title = s.key;
    name.textContent = shortName(s);
    if (s.alert.level !== 'ok') {
      const pill = document.createElement('span');
      pill.className = 'pill ' + s.alert.level;
      pill.textContent = s.alert.level;
      name.append(pill);
    }
    const val = document.createElement('div');
    val.className = 'val';
    const f = s.latestForecast;
    val.textContent = s.lastActual
      ? `${formatValue(s.lastActual.value)}${f ? `  →  ${formatValue(f.mean[0])}` : ''}`
      : 'no data yet';
    const canvas = document.createElement('canvas');
    row.append(name, canvas, val);
    row.addEventListener('click', () => { location.hash = '#/streams/' + encodeURIComponent(s.key); });
    list.append(row);
    drawSparkline(canvas, s.sparkline, s.alert.level);
  }
  const firing = state.streams.filter((s) => s.alert.level === 'firing').length;
  const badge = $('alert-count');
  badge.hidden = firing === 0;
  badge.textContent = `${firing} firing`;
}

function renderPipelines(pipelines) {
  const box = $('pipelines');
  box.replaceChildren();
  for (const p of pipelines) {
    const el = document.createElement('span');
    el.className = 'pipe';
    el.title = `${p.streams} streams, ${p.modelVersions.length} model version(s)`;
    const dot = document.createElement('span');
    dot.className = 'dot ' + p.status;
    const name = document.createElement('b');
    name.textContent = p.name;
    const ver = document.createElement('span');
    ver.className = 'ver';
    ver.textContent = p.modelVersion;
    el.append(dot, name, ver);
    box.append(el);
  }
}

async function refreshList() {
  try {
    const [{ streams }, { pipelines }] = await Promise.all([getJson('/api/streams'), getJson('/api/pipelines')]);
    state.streams = streams;
    renderPipelines(pipelines);
    if (state.selected === null && streams.length > 0) {
      location.hash = '#/streams/' + encodeURIComponent(streams[0].key);
    }
    renderList();
    const mine = streams.find((s) => s.key === state.selected);
    if (mine) { state.summary = mine; renderStats(); }
  } catch (err) {
    console.warn('Stream list refresh failed.', err);
  }
}

// ---- detail ----

function point(t) {
  let p = state.points.get(t);
  if (p === undefined) { p = {}; state.points.set(t, p); }
  return p;
}

function trim() {
  if (state.points.size <= POINTS + 64) return;
  const keys = [...state.points.keys()].sort((a, b) => a - b);
  for (let i = 0; i < keys.length - POINTS; i++) state.points.delete(keys[i]);
}

async function loadDetail(key) {
  const detail = await getJson('/api/streams/' + encodeURIComponent(key) + '?limit=' + POINTS);
  if (state.selected !== key) return;
  state.points = new Map();
  detail.actuals.t.forEach((t, i) => { point(t).a = detail.actuals.value[i]; });
  detail.forecasts.t.forEach((t, i) => {
    const p = point(t);
    p.m = detail.forecasts.mean[i]; p.l = detail.forecasts.lower[i]; p.u = detail.forecasts.upper[i];
  });
  state.latest = detail.latestForecast;
  state.markers = detail.alerts.slice();
  state.summary = detail;
  renderStats();
  renderAlerts();
  scheduleRedraw();
}

function renderStats() {
  const s = state.summary;
  if (!s) return;
  $('d-pipeline').textContent = s.pipeline;
  $('d-title').textContent = shortName(s);
  $('d-title').title = s.key;
  const badge = $('d-badge');
  badge.className = 'badge ' + s.alert.level;
  badge.textContent = s.alert.level === 'ok' ? 'normal' : `${s.alert.level}${s.alert.severity ? ' · ' + s.alert.severity : ''}`;
  const f = state.latest ?? s.latestForecast;
  const stepMs = f ? f.stepMs : s.stepMs;
  $('s-actual').textContent = s.lastActual ? formatValue(s.lastActual.value) : '–';
  $('s-actual-t').textContent = s.lastActual ? formatTime(s.lastActual.t, stepMs) + ' UTC' : '';
  $('s-forecast').textContent = f ? formatValue(f.mean[0]) : '–';
  $('s-interval').textContent = f ? `[${formatValue(f.lower[0])}, ${formatValue(f.upper[0])}]` : 'warming up';
  $('s-horizon').textContent = f ? `${f.mean.length} steps` : '–';
  $('s-step').textContent = stepMs ? `step ${humanStep(stepMs)}` : '';
  $('s-model').textContent = f ? f.modelVersion : '–';
  $('s-points').textContent = `${state.points.size} points shown`;
}

function humanStep(ms) {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

function renderAlerts() {
  const body = $('alert-rows');
  body.replaceChildren();
  const stepMs = state.summary ? state.summary.stepMs : 0;
  for (const a of state.markers.slice().reverse().slice(0, 12)) {
    const tr = document.createElement('tr');
    const cells = [formatTime(a.time, stepMs), a.rule, a.state, a.severity, formatValue(a.actual), formatValue(a.forecast),
      `[${formatValue(a.interval.lower)}, ${formatValue(a.interval.upper)}]`, a.score.toFixed(3)];
    for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.append(td); }
    body.append(tr);
  }
  $('no-alerts').hidden = state.markers.length > 0;
}

function scheduleRedraw() {
  if (state.redrawQueued) return;
  state.redrawQueued = true;
  requestAnimationFrame(() => {
    state.redrawQueued = false;
    if (state.chart === null) state.chart = createDetailChart($('chart'), () => state.markers);
    const data = toChartData(state.points, state.latest);
    state.chart.setData(data);
    const shown = data[1].filter((v) => v !== null).length;
    $('chart').dataset.points = String(shown);
    $('s-points').textContent = `${shown} points shown`;
  });
}

// ---- live feed ----

function connect(key) {
  if (state.events) state.events.close();
  const es = new EventSource('/api/events?stream=' + encodeURIComponent(key));
  state.events = es;
  const conn = $('conn');
  es.addEventListener('hello', () => { conn.textContent = 'live'; conn.className = 'conn conn-on'; });
  es.onerror = () => { conn.textContent = 'reconnecting…'; conn.className = 'conn conn-off'; };
  es.addEventListener('actual', (e) => {
    const d = JSON.parse(e.data);
    if (d.stream !== state.selected) return;
    point(d.t).a = d.value;
    if (state.summary) state.summary = { ...state.summary, lastActual: { t: d.t, value: d.value } };
    trim();
    scheduleRedraw();
  });
  es.addEventListener('forecast', (e) => {
    const d = JSON.parse(e.data);
    if (d.stream !== state.selected) return;
    const f = d.forecast;
    const p = point(f.t + f.stepMs);
    p.m = f.mean[0]; p.l = f.lower[0]; p.u = f.upper[0];
    state.latest = f;
    trim();
    renderStats();
    scheduleRedraw();
  });
  es.addEventListener('alert', (e) => {
    const d = JSON.parse(e.data);
    if (d.alert.stream === state.selected) {
      state.markers.push(d.alert);
      if (state.markers.length > 200) state.markers.shift();
      renderAlerts();
      scheduleRedraw();
    }
    refreshList();
  });
}

async function select(key) {
  if (key === state.selected) return;
  state.selected = key;
  state.points = new Map();
  state.latest = null;
  state.markers = [];
  $('empty').hidden = true;
  $('detail').hidden = false;
  renderList();
  connect(key);
  try { await loadDetail(key); } catch (err) { console.warn('Stream detail failed.', err); }
}

window.addEventListener('hashchange', () => { const k = selectedFromHash(); if (k) select(k); });
$('filter').addEventListener('input', renderList);

const initial = selectedFromHash();
if (initial) select(initial);
refreshList();
setInterval(refreshList, 2000);
