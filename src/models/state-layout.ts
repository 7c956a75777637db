// Copies between state rows (one stream per row, as in the arena) and the per-layer planes the
// matmuls need (B×units, contiguous). `rows` picks source/target rows; null means row i.

export function rowsToPlane(
  src: Float32Array,
  rows: Int32Array | null,
  start: number,
  count: number,
  stride: number,
  off: number,
  units: number,
  dst: Float32Array,
  dstOff: number,
): void {
  for (let i = 0; i < count; i++) {
    const base = (rows === null ? start + i : rows[start + i]) * stride + off;
    const d = dstOff + i * units;
    for (let j = 0; j < units; j++) dst[d + j] = src[base + j];
  }
}

export function planeToRows(
  src: Float32Array,
  srcOff: number,
  units: number,
  dst: Float32Array,
  rows: Int32Array | null,
  start: number,
  count: number,
  stride: number,
  off: number,
): void {
  for (let i = 0; i < count; i++) {
    const base = (rows === null ? start + i : rows[start + i]) * stride + off;
    const s = srcOff + i * units;
    for (let j = 0; j < units; j++) dst[base + j] = src[s + j];
  }
}
