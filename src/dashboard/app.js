import { ApiSession } from './api-session.js';
import { createDetailChart, drawSparkline, formatTime, formatValue, toChartData } from './charts.js';
import { EventFeed } from './event-feed.js';
import { SignInBox } from './sign-in.js';
import { StreamPages } from './stream-pages.js';
import { VirtualList } from './virtual-list.js';

// The live dashboard: a virtualised stream list read page by page from the server (only the rows in
// view exist in the DOM; every 2 s only the pages in view are re-read), a server-side search, and a
// detail view of one stream kept live by the server-sent-events feed filtered to that stream.
// With API tokens (http.auth.tokens) every call carries the one the user signed in with (api-session.js).
// Route: #/streams/<key>.

const POINTS = 720;
const ROW_H = 46;
const SPARK_W = 96; // CSS px: sparkline canvases have a fixed size, never measured
const SPARK_H = 30;
const $ = (id) => document.getElementById(id);

const state = {
  selected: null,
  points: new Map(), // t(ms) -> { a, m, l, u } for the selected stream
  latest: null, // latest full-horizon forecast of the selected stream
  markers: [], // alert events of the selected stream
  summary: null,
  chart: null,
  events: null,
  redrawQueued: false,
  items: [], // list items: { group } headers and { stream } rows, in list order
  itemsOf: -1, // pages.count the items were built from
  inView: [0, 0],
  pipelinesJson: '',
};

function selectedFromHash() {
  const m = location.hash.match(/^#\/streams\/(.+)$/);
  return m ? decodeURIComponent(m[1]) : null;
}

// ---- session (tokens) ----

const signIn = new SignInBox($('signin'), (token) => session.signIn(token), onSignedIn);
const session = new ApiSession((message) => signIn.show(message));
const getJson = (url) => session.getJson(url);
/** Logged unless it is a 401 (the sign-in box already says so). */
const warn = (what) => (err) => {
  if (err?.name !== 'AuthRequired') console.warn(what, err);
};

function onSignedIn() {
  $('signout').hidden = false;
  const key = state.selected;
  state.selected = null;
  if (key !== null) void select(key);
  void refreshList();
}

$('signout').hidden = !session.signedIn;
$('signout').addEventListener('click', (e) => {
  e.preventDefault();
  session.forget();
  // A fresh page: nothing read with the token stays on screen; the first call asks for one again.
  location.reload();
});

// ---- stream list ----

const pages = new StreamPages(getJson);

function shortName(s) {
  const prefix = `${s.pipeline}/`;
  return s.key.startsWith(prefix) ? s.key.slice(prefix.length) : s.key;
}

/** Flattens the loaded pages into list items, a header before each pipeline's first stream. */
function buildItems() {
  const items = [];
  let group = null;
  for (const page of pages.pages) {
    for (const s of page.streams) {
      if (s.pipeline !== group) {
        group = s.pipeline;
        items.push({ group });
      }
      items.push({ stream: s });
    }
  }
  state.items = items;
  state.itemsOf = pages.count;
  list.setCount(items.length);
}

function createRow() {
  const el = document.createElement('div');
  el.addEventListener('click', () => {
    const key = el.dataset.key;
    if (key) location.hash = `#/streams/${encodeURIComponent(key)}`;
  });
  return el;
}

/** Turns a recycled element into a stream row (children made once, then only refilled). */
function asStreamRow(el) {
  if (el.kind === 'row') return;
  el.kind = 'row';
  el.replaceChildren();
  el.setAttribute('role', 'listitem');
  const name = document.createElement('div');
  name.className = 'name';
  const label = document.createElement('span');
  label.className = 'label';
  const pill = document.createElement('span');
  const canvas = document.createElement('canvas');
  const dpr = window.devicePixelRatio || 1;
  canvas.width = SPARK_W * dpr;
  canvas.height = SPARK_H * dpr;
  const val = document.createElement('div');
  val.className = 'val';
  name.append(label, pill);
  el.append(name, canvas, val);
  el.parts = { name, label, pill, canvas, val, drawn: null };
}

function asGroupRow(el) {
  if (el.kind === 'group') return;
  el.kind = 'group';
  el.replaceChildren();
  el.removeAttribute('role');
  el.parts = null;
  delete el.dataset.key;
  delete el.dataset.alert;
}

function fillRow(el, index) {
  const item = state.items[index];
  if (el.className === '') el.kind = null; // a spare row coming back: rebuild its children
  if (item.group !== undefined) {
    asGroupRow(el);
    el.className = 'group';
    if (el.textContent !== item.group) el.textContent = item.group;
    return;
  }
  asStreamRow(el);
  const s = item.stream;
  el.className = `row${s.key === state.selected ? ' selected' : ''}`;
  el.dataset.key = s.key;
  el.dataset.alert = s.alert.level;
  const p = el.parts;
  p.name.title = s.key;
  p.label.textContent = shortName(s);
  p.pill.className = s.alert.level === 'ok' ? '' : `pill ${s.alert.level}`;
  p.pill.hidden = s.alert.level === 'ok';
  p.pill.textContent = s.alert.level === 'ok' ? '' : s.alert.level;
  const f = s.latestForecast;
  p.val.textContent = s.lastActual ? `${formatValue(s.lastActual.value)}${f ? `  →  ${formatValue(f.mean[0])}` : ''}` : 'no data yet';
  // The same summary object is drawn once; a refresh brings new objects.
  if (p.drawn !== s) {
    p.drawn = s;
    drawSparkline(p.canvas, s.sparkline, s.alert.level, SPARK_W, SPARK_H);
  }
}

function onRange(first, last) {
  state.inView = [first, last];
  // Near the end of what is loaded: fetch the next page.
  if (last + 40 >= state.items.length && !pages.done) {
    void pages
      .loadMore()
      .then((added) => {
        if (added) buildItems();
      })
      .catch(warn('Stream page failed.'));
  }
}

const list = new VirtualList($('stream-list'), ROW_H, createRow, fillRow, onRange);

/** Item range -> stream index range (items include group headers, pages do not). */
function streamRange(first, last) {
  let a = 0;
  let b = 0;
  for (let i = 0; i < last && i < state.items.length; i++) {
    if (state.items[i].stream === undefined) continue;
    if (i < first) a++;
    b++;
  }
  return [a, b];
}

function renderPipelines(pipelines) {
  const json = JSON.stringify(pipelines.map((p) => [p.name, p.status, p.streams, p.modelVersion, p.modelVersions.length]));
  if (json === state.pipelinesJson) return;
  state.pipelinesJson = json;
  const box = $('pipelines');
  box.replaceChildren();
  for (const p of pipelines) {
    const el = document.createElement('span');
    el.className = 'pipe';
    el.title = `${p.streams} streams, ${p.modelVersions.length} model version(s)`;
    const dot = document.createElement('span');
    dot.className = `dot ${p.status}`;
    const name = document.createElement('b');
    name.textContent = p.name;
    const ver = document.createElement('span');
    ver.className = 'ver';
    ver.textContent = p.modelVersion;
    el.append(dot, name, ver);
    box.append(el);
  }
}

/** Streams with a firing alert, from each pipeline's counts (never the list of every active alert). */
function renderFiring(pipelines) {
  let streams = 0;
  let critical = 0;
  let warning = 0;
  for (const p of pipelines) {
    const f = p.alerts_firing;
    if (f === undefined) continue;
    streams += f.streams;
    critical += f.critical;
    warning += f.warning;
  }
  const badge = $('alert-count');
  badge.hidden = streams === 0;
  badge.textContent = `${streams} firing`;
  badge.title = `${streams} stream(s) with firing alerts: ${critical} critical, ${warning} warning rule(s)`;
}

let refreshing = false;
async function refreshList() {
  if (refreshing || signIn.open) return;
  refreshing = true;
  try {
    const { pipelines } = await getJson('/api/pipelines');
    renderPipelines(pipelines);
    renderFiring(pipelines);
    if (pages.count === 0) {
      await pages.loadMore();
    } else {
      const [a, b] = streamRange(state.inView[0], state.inView[1]);
      await pages.refresh(a, Math.max(b, a + 1));
    }
    buildItems();
    list.refresh();
    if (state.selected === null && pages.count > 0) {
      location.hash = `#/streams/${encodeURIComponent(pages.at(0).key)}`;
    } else if (state.selected !== null) {
      await refreshSummary();
    }
  } catch (err) {
    warn('Stream list refresh failed.')(err);
  } finally {
    refreshing = false;
  }
}

/** The selected stream's alert state and last values, without its history (limit=0). */
async function refreshSummary() {
  const key = state.selected;
  const s = await getJson(`/api/streams/${encodeURIComponent(key)}?limit=0`);
  if (state.selected !== key) return;
  state.summary = s;
  renderStats();
}

let searchTimer = 0;
function onSearch() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    if (!pages.setFilter($('filter').value)) return;
    buildItems();
    $('stream-list').scrollTop = 0;
    void pages
      .loadMore()
      .then(() => {
        buildItems();
        list.refresh();
      })
      .catch(warn('Search failed.'));
  }, 200);
}

// ---- detail ----

function point(t) {
  let p = state.points.get(t);
  if (p === undefined) {
    p = {};
    state.points.set(t, p);
  }
  return p;
}

function trim() {
  if (state.points.size <= POINTS + 64) return;
  const keys = [...state.points.keys()].sort((a, b) => a - b);
  for (let i = 0; i < keys.length - POINTS; i++) state.points.delete(keys[i]);
}

async function loadDetail(key) {
  const detail = await getJson(`/api/streams/${encodeURIComponent(key)}?limit=${POINTS}`);
  if (state.selected !== key) return;
  state.points = new Map();
  detail.actuals.t.forEach((t, i) => {
    point(t).a = detail.actuals.value[i];
  });
  detail.forecasts.t.forEach((t, i) => {
    const p = point(t);
    p.m = detail.forecasts.mean[i];
    p.l = detail.forecasts.lower[i];
    p.u = detail.forecasts.upper[i];
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
  badge.className = `badge ${s.alert.level}`;
  badge.textContent = s.alert.level === 'ok' ? 'normal' : `${s.alert.level}${s.alert.severity ? ` · ${s.alert.severity}` : ''}`;
  const f = state.latest ?? s.latestForecast;
  const stepMs = f ? f.stepMs : s.stepMs;
  $('s-actual').textContent = s.lastActual ? formatValue(s.lastActual.value) : '–';
  $('s-actual-t').textContent = s.lastActual ? `${formatTime(s.lastActual.t, stepMs)} UTC` : '';
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
    const cells = [
      formatTime(a.time, stepMs),
      a.rule,
      a.state,
      a.severity,
      formatValue(a.actual),
      formatValue(a.forecast),
      `[${formatValue(a.interval.lower)}, ${formatValue(a.interval.upper)}]`,
      a.score.toFixed(3),
    ];
    for (const c of cells) {
      const td = document.createElement('td');
      td.textContent = c;
      tr.append(td);
    }
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

const CONN_TEXT = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', 'signed-out': 'signed out' };

const feedHandlers = {
  actual: onActual,
  forecast: onForecast,
  alert: onAlert,
};

function connect(key) {
  if (state.events) state.events.close();
  const conn = $('conn');
  state.events = new EventFeed(`/api/events?stream=${encodeURIComponent(key)}`, {
    open: (url, signal) => session.fetch(url, { signal, headers: { accept: 'text/event-stream' } }),
    onEvent: (type, data) => feedHandlers[type]?.(JSON.parse(data)),
    onState: (s) => {
      conn.textContent = CONN_TEXT[s];
      conn.className = `conn ${s === 'live' ? 'conn-on' : 'conn-off'}`;
    },
  });
  state.events.start();
}

function onActual(d) {
  if (d.stream !== state.selected) return;
  point(d.t).a = d.value;
  if (state.summary) state.summary = { ...state.summary, lastActual: { t: d.t, value: d.value } };
  trim();
  scheduleRedraw();
}

function onForecast(d) {
  if (d.stream !== state.selected) return;
  const f = d.forecast;
  const p = point(f.t + f.stepMs);
  p.m = f.mean[0];
  p.l = f.lower[0];
  p.u = f.upper[0];
  state.latest = f;
  trim();
  renderStats();
  scheduleRedraw();
}

function onAlert(d) {
  if (d.alert.stream === state.selected) {
    state.markers.push(d.alert);
    if (state.markers.length > 200) state.markers.shift();
    renderAlerts();
    scheduleRedraw();
    void refreshSummary().catch(() => undefined);
  }
}

async function select(key) {
  if (key === state.selected) return;
  state.selected = key;
  state.points = new Map();
  state.latest = null;
  state.markers = [];
  $('empty').hidden = true;
  $('detail').hidden = false;
  list.refresh();
  connect(key);
  try {
    await loadDetail(key);
  } catch (err) {
    warn('Stream detail failed.')(err);
  }
}

window.addEventListener('hashchange', () => {
  const k = selectedFromHash();
  if (k) select(k);
});
$('filter').addEventListener('input', onSearch);

const initial = selectedFromHash();
if (initial) select(initial);
refreshList();
setInterval(refreshList, 2000);
