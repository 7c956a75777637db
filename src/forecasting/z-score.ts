// Fixed per-column z-score fitted on a prefix of rows (the online-forecasting protocol fits it on the
// training rows only, so the online phase never informs the scale).

export interface ZScore {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/**
 * Population mean and standard deviation of each column over rows [0, rows), skipping non-finite
 * values (a column with none gets mean 0); std 0 becomes 1.
 */
export function fitZScore(data: Float64Array, columns: number, rows: number): ZScore {
  const mean = new Float64Array(columns);
  const std = new Float64Array(columns);
  const count = new Float64Array(columns);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < columns; j++) {
      const v = data[r * columns + j];
      if (!Number.isFinite(v)) continue;
      mean[j] += v;
      count[j]++;
    }
  }
  for (let j = 0; j < columns; j++) mean[j] = count[j] > 0 ? mean[j] / count[j] : 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < columns; j++) {
      const v = data[r * columns + j];
      if (!Number.isFinite(v)) continue;
      const d = v - mean[j];
      std[j] += d * d;
    }
  }
  for (let j = 0; j < columns; j++) std[j] = Math.sqrt(std[j] / Math.max(1, count[j])) || 1;
  return { mean, std };
}

/** Normalises row-major data in place. */
export function applyZScore(data: Float64Array, columns: number, z: ZScore): void {
  for (let i = 0; i < data.length; i++) {
    const j = i % columns;
    data[i] = (data[i] - z.mean[j]) / z.std[j];
  }
}
