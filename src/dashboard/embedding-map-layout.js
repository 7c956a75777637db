// Screen layout of the map of stream embeddings (embedding-map.js draws it): pure, so that it is
// tested without a browser (embedding-map.test.ts).

const COLOURS = ['#2f6fdf', '#d9622b', '#2a9d6f', '#a54ac9', '#c9a227', '#3aa7c9', '#c93a5a', '#6b7d2a'];

/**
 * Screen positions for the maps' points: each pipeline in its own column (its own PCA axes), scaled
 * to fill it with `pad` px inside; y grows upwards as in a plot.
 * @param {{pipeline: string, points: {key: string, x: number, y: number, fitted: boolean}[]}[]} maps
 * @returns {{pipeline: string, key: string, cx: number, cy: number, fitted: boolean, colour: string}[]}
 */
export function layoutMap(maps, width, height, pad = 12) {
  const out = [];
  const colW = width / Math.max(1, maps.length);
  maps.forEach((m, i) => {
    const xs = m.points.map((p) => p.x),
      ys = m.points.map((p) => p.y);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    const sx = (colW - 2 * pad) / (x1 - x0 || 1),
      sy = (height - 2 * pad) / (y1 - y0 || 1);
    for (const p of m.points) {
      out.push({
        pipeline: m.pipeline,
        key: p.key,
        cx: i * colW + pad + (x1 > x0 ? (p.x - x0) * sx : (colW - 2 * pad) / 2),
        cy: height - pad - (y1 > y0 ? (p.y - y0) * sy : (height - 2 * pad) / 2),
        fitted: p.fitted,
        colour: COLOURS[i % COLOURS.length],
      });
    }
  });
  return out;
}
