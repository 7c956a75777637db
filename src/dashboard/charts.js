// Drawing: sparklines on small canvases, and the detail chart on uPlot (loaded as the global `uPlot`).
// Times arrive in epoch ms; uPlot wants seconds.

const COLORS = {
  actual: '#1f77b4',
  forecast: '#e8772e',
  band: 'rgba(232, 119, 46, 0.16)',
  future: '#9a4fd1',
  futureBand: 'rgba(154, 79, 209, 0.12)',
  firing: '#d93b3b',
  pending: '#d99a00',
  resolved: '#2e9e6a',
};

/**
 * Draws values as a line on a canvas of w x h CSS px (given, never measured: reading clientWidth
 * after inserting rows forced a layout per row); `level` tints it when an alert is active.
 */
export function drawSparkline(canvas, values, level, w = 96, h = 30) {
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== w * dpr) {
    canvas.width = w * dpr;
    canvas.height = h * dpr;
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const pts = values.filter((v) => v !== null && Number.isFinite(v));
  if (pts.length < 2) return;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of pts) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo || 1;
  const color = level === 'firing' ? COLORS.firing : level === 'pending' ? COLORS.pending : COLORS.actual;
  ctx.beginPath();
  pts.forEach((v, i) => {
    const x = (i / (pts.length - 1)) * (w - 2) + 1;
    const y = h - 2 - ((v - lo) / span) * (h - 4);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.4;
  ctx.stroke();
  ctx.lineTo(w - 1, h);
  ctx.lineTo(1, h);
  ctx.closePath();
  ctx.fillStyle = `${color}1f`;
  ctx.fill();
}

export function formatValue(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e6) return v.toExponential(3);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

export function formatTime(ms, stepMs) {
  if (!Number.isFinite(ms)) return '';
  const iso = new Date(ms).toISOString();
  if (stepMs >= 86_400_000) return iso.slice(0, 10);
  if (stepMs >= 60_000) return iso.slice(0, 16).replace('T', ' ');
  return iso.slice(0, 19).replace('T', ' ');
}

/**
 * Series layout of the detail chart. Columns of `data`: x (s), actual, forecast mean, lower, upper,
 * future mean, future lower, future upper. Alert markers are drawn in a hook from `markers`.
 */
export function createDetailChart(container, markersRef) {
  // Measured once, when the chart is made; later sizes come from the ResizeObserver below.
  const width = Math.max(320, container.clientWidth);
  const opts = {
    width,
    height: 380,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
    legend: { show: false },
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: true, range: xRange }, y: { range: yRange } },
    axes: [
      { stroke: '#6b7a89', grid: { stroke: '#eef1f5' }, ticks: { stroke: '#e3e8ee' } },
      {
        stroke: '#6b7a89',
        grid: { stroke: '#eef1f5' },
        ticks: { stroke: '#e3e8ee' },
        size: 60,
        values: (_u, vals) => vals.map(formatValue),
      },
    ],
    series: [
      { label: 'time (UTC)' },
      { label: 'actual', stroke: COLORS.actual, width: 1.8, spanGaps: false, value: (_u, v) => formatValue(v) },
      { label: 'forecast', stroke: COLORS.forecast, width: 1.5, dash: [5, 4], value: (_u, v) => formatValue(v) },
      { label: 'lower', stroke: 'rgba(232,119,46,0.35)', width: 0.8, value: (_u, v) => formatValue(v) },
      { label: 'upper', stroke: 'rgba(232,119,46,0.35)', width: 0.8, value: (_u, v) => formatValue(v) },
      {
        label: 'ahead',
        stroke: COLORS.future,
        width: 1.8,
        dash: [3, 3],
        points: { show: true, size: 4 },
        value: (_u, v) => formatValue(v),
      },
      { label: 'ahead lo', stroke: 'rgba(154,79,209,0.35)', width: 0.8, show: true, value: (_u, v) => formatValue(v) },
      { label: 'ahead hi', stroke: 'rgba(154,79,209,0.35)', width: 0.8, show: true, value: (_u, v) => formatValue(v) },
    ],
    bands: [
      { series: [4, 3], fill: COLORS.band },
      { series: [7, 6], fill: COLORS.futureBand },
    ],
    hooks: { draw: [(u) => drawMarkers(u, markersRef())] },
  };
  const empty = [[], [], [], [], [], [], [], []];
  const chart = new uPlot(opts, empty, container);
  // Resizes come from a ResizeObserver (sizes handed over, no layout forced by reading them).
  let shown = width;
  new ResizeObserver((entries) => {
    const w = Math.max(320, Math.floor(entries[entries.length - 1].contentRect.width));
    if (w !== shown) {
      shown = w;
      chart.setSize({ width: w, height: 380 });
    }
  }).observe(container);
  return chart;
}

/** Pads a single point in time so the axis has a span. */
function xRange(_u, min, max) {
  if (min === null || max === null) return [0, 1];
  return min === max ? [min - 60, max + 60] : [min, max];
}

/**
 * The value axis: 6% padding, and a span of at least 1e-6 of the magnitude. uPlot's own padding
 * follows the data down to float noise (e.g. 21.65 vs 21.650000000000002), where its tick loop
 * can no longer advance.
 */
function yRange(_u, min, max) {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  const minSpan = Math.max(Math.abs(min), Math.abs(max), 1) * 1e-6;
  let span = max - min;
  if (span < minSpan) {
    const mid = (min + max) / 2;
    min = mid - minSpan / 2;
    max = mid + minSpan / 2;
    span = minSpan;
  }
  return [min - span * 0.06, max + span * 0.06];
}

/** Vertical lines and dots at alert events: red firing, amber pending, green resolved. */
function drawMarkers(u, markers) {
  if (!markers || markers.length === 0) return;
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  const [xmin, xmax] = [u.scales.x.min, u.scales.x.max];
  ctx.save();
  // Shade each episode from its first firing event to its resolution (or the chart's end).
  const firingSince = new Map();
  for (const m of markers) {
    if (m.state === 'firing' && !firingSince.has(m.id)) firingSince.set(m.id, m.time);
    if (m.state === 'resolved' && firingSince.has(m.id)) {
      shade(u, firingSince.get(m.id), m.time);
      firingSince.delete(m.id);
    }
  }
  for (const start of firingSince.values()) shade(u, start, xmax * 1000);
  for (const m of markers) {
    const xs = m.time / 1000;
    if (xs < xmin || xs > xmax) continue;
    const x = Math.round(u.valToPos(xs, 'x', true));
    const color = COLORS[m.state] || COLORS.firing;
    ctx.strokeStyle = color;
    ctx.globalAlpha = 0.35;
    ctx.lineWidth = 1 * devicePixelRatio;
    ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
    if (Number.isFinite(m.actual)) {
      const y = u.valToPos(m.actual, 'y', true);
      if (y >= top && y <= top + height && x >= left && x <= left + width) {
        ctx.fillStyle = color;
        ctx.beginPath();
        ctx.arc(x, y, 4.5 * devicePixelRatio, 0, 2 * Math.PI);
        ctx.fill();
        ctx.strokeStyle = '#fff';
        ctx.lineWidth = 1.5 * devicePixelRatio;
        ctx.stroke();
      }
    }
  }
  ctx.restore();
}

function shade(u, fromMs, toMs) {
  const { top, height } = u.bbox;
  const x0 = u.valToPos(Math.max(fromMs / 1000, u.scales.x.min), 'x', true);
  const x1 = u.valToPos(Math.min(toMs / 1000, u.scales.x.max), 'x', true);
  if (!(x1 > x0)) return;
  u.ctx.fillStyle = 'rgba(217, 59, 59, 0.07)';
  u.ctx.fillRect(x0, top, x1 - x0, height);
}

/**
 * Merges actuals, one-step forecasts (by target time) and the latest full-horizon forecast into
 * uPlot's aligned columns. `points` maps t(ms) -> {a, m, l, u}.
 */
export function toChartData(points, latest) {
  const times = [...points.keys()];
  const future = [];
  if (latest) {
    for (let h = 0; h < latest.mean.length; h++) future.push(latest.t + (h + 1) * latest.stepMs);
  }
  const all = new Set(times);
  for (const t of future) all.add(t);
  if (latest) all.add(latest.t);
  const xs = [...all].sort((a, b) => a - b);
  const cols = [[], [], [], [], [], [], [], []];
  const fIdx = new Map(future.map((t, i) => [t, i]));
  for (const t of xs) {
    const p = points.get(t);
    cols[0].push(t / 1000);
    cols[1].push(p && p.a !== undefined ? p.a : null);
    cols[2].push(p && p.m !== undefined ? p.m : null);
    cols[3].push(p && p.l !== undefined ? p.l : null);
    cols[4].push(p && p.u !== undefined ? p.u : null);
    const h = fIdx.get(t);
    // The fan starts at the last actual so it reads as a continuation of the line.
    const anchor = latest && t === latest.t && p && p.a !== undefined ? p.a : null;
    cols[5].push(h !== undefined ? latest.mean[h] : anchor);
    cols[6].push(h !== undefined ? latest.lower[h] : anchor);
    cols[7].push(h !== undefined ? latest.upper[h] : anchor);
  }
  clipBands(cols);
  return cols;
}

/**
 * Keeps interval bounds within a few spans of the actuals and means: a model that is still warming
 * up can give bounds far off the scale, which would flatten everything else on the chart.
 */
function clipBands(cols) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of [cols[1], cols[2], cols[5]]) {
    for (const v of c)
      if (v !== null && Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
  }
  if (!Number.isFinite(lo)) return;
  const margin = 2 * Math.max(hi - lo, Math.abs(hi) * 1e-3, 1e-9);
  const min = lo - margin;
  const max = hi + margin;
  for (const i of [2, 3, 4, 5, 6, 7]) {
    const c = cols[i];
    for (let k = 0; k < c.length; k++) {
      const v = c[k];
      if (v === null) continue;
      if (!Number.isFinite(v)) c[k] = null;
      else if (v < min) c[k] = min;
      else if (v > max) c[k] = max;
    }
  }
}
