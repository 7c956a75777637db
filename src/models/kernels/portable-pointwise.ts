import type { ActivationCode } from './kernels.js';
import { sigmoid32, tanh32 } from './activations.js';

// The reference pointwise training kernels: cell gate math forward and backward, column sums and
// Adam. Every operation is float32 (Math.fround after each), so the native and WASM kernels can
// reproduce the bits with plain float SIMD ops in the same order. Codes as in cell-config.ts.

const f = Math.fround;
const HARD_SLOPE = f(0.2);

/** The activation in float32: 0 tanh, 1 relu, 2 linear, 3 sigmoid, 4 hard sigmoid. */
export function act32(code: ActivationCode, x: number): number {
  switch (code) {
    case 0:
      return tanh32(x);
    case 1:
      return x > 0 ? x : 0;
    case 3:
      return sigmoid32(x);
    case 4: {
      const y = f(f(HARD_SLOPE * x) + 0.5);
      return y < 0 ? 0 : y > 1 ? 1 : y;
    }
    default:
      return x;
  }
}

/** The activation's derivative in terms of its output y, in float32. */
export function slope32(code: ActivationCode, y: number): number {
  switch (code) {
    case 0:
      return f(1 - f(y * y));
    case 1:
      return y > 0 ? 1 : 0;
    case 3:
      return f(y * f(1 - y));
    case 4:
      return y > 0 && y < 1 ? HARD_SLOPE : 0;
    default:
      return 1;
  }
}

export function addColumnSums(rows: number, cols: number, m: Float32Array, mOff: number, out: Float32Array, outOff: number): void {
  for (let r = 0; r < rows; r++) {
    const base = mOff + r * cols;
    for (let j = 0; j < cols; j++) out[outOff + j] += m[base + j];
  }
}

export function lstmForward(
  batch: number,
  u: number,
  gate: ActivationCode,
  act: ActivationCode,
  pre: Float32Array,
  preOff: number,
  bias: Float32Array,
  peep: Float32Array | null,
  cPrev: Float32Array,
  cPrevOff: number,
  hOut: Float32Array,
  hOutOff: number,
  cOut: Float32Array,
  cOutOff: number,
  cache: Float32Array,
  cacheOff: number,
): void {
  for (let b = 0; b < batch; b++) {
    const p = preOff + b * 4 * u;
    const s = b * u;
    const q = cacheOff + b * 5 * u;
    for (let j = 0; j < u; j++) {
      const cp = cPrev[cPrevOff + s + j];
      let ai = f(pre[p + j] + bias[j]);
      let af = f(pre[p + u + j] + bias[u + j]);
      if (peep !== null) {
        ai = f(ai + f(peep[j] * cp));
        af = f(af + f(peep[u + j] * cp));
      }
      const i = act32(gate, ai);
      const fg = act32(gate, af);
      const g = act32(act, f(pre[p + 2 * u + j] + bias[2 * u + j]));
      const c = f(f(fg * cp) + f(i * g));
      let ao = f(pre[p + 3 * u + j] + bias[3 * u + j]);
      if (peep !== null) ao = f(ao + f(peep[2 * u + j] * c));
      const o = act32(gate, ao);
      const ac = act32(act, c);
      cOut[cOutOff + s + j] = c;
      hOut[hOutOff + s + j] = o * ac;
      cache[q + j] = i;
      cache[q + u + j] = fg;
      cache[q + 2 * u + j] = g;
      cache[q + 3 * u + j] = o;
      cache[q + 4 * u + j] = ac;
    }
  }
}

export function lstmBackward(
  batch: number,
  u: number,
  gate: ActivationCode,
  act: ActivationCode,
  cache: Float32Array,
  cacheOff: number,
  c: Float32Array,
  cPrevOff: number,
  cOff: number,
  dH: Float32Array,
  dHOff: number,
  dC: Float32Array,
  dA: Float32Array,
  dAOff: number,
  peep: Float32Array | null,
  peepGrad: Float32Array | null,
): void {
  for (let b = 0; b < batch; b++) {
    const q = cacheOff + b * 5 * u;
    const a = dAOff + b * 4 * u;
    const s = b * u;
    for (let j = 0; j < u; j++) {
      const i = cache[q + j],
        fg = cache[q + u + j],
        g = cache[q + 2 * u + j];
      const o = cache[q + 3 * u + j],
        ac = cache[q + 4 * u + j];
      const cp = c[cPrevOff + s + j];
      const dh = dH[dHOff + s + j];
      const dao = f(f(dh * ac) * slope32(gate, o));
      let dc = f(dC[s + j] + f(f(dh * o) * slope32(act, ac)));
      if (peep !== null) dc = f(dc + f(dao * peep[2 * u + j]));
      const dai = f(f(dc * g) * slope32(gate, i));
      const daf = f(f(dc * cp) * slope32(gate, fg));
      const dag = f(f(dc * i) * slope32(act, g));
      dA[a + j] = dai;
      dA[a + u + j] = daf;
      dA[a + 2 * u + j] = dag;
      dA[a + 3 * u + j] = dao;
      dc = f(dc * fg);
      if (peep !== null) dc = f(f(dc + f(dai * peep[j])) + f(daf * peep[u + j]));
      dC[s + j] = dc;
      if (peepGrad !== null) {
        peepGrad[j] += f(dai * cp);
        peepGrad[u + j] += f(daf * cp);
        peepGrad[2 * u + j] += f(dao * c[cOff + s + j]);
      }
    }
  }
}

export function gruForward(
  batch: number,
  u: number,
  gate: ActivationCode,
  act: ActivationCode,
  pre: Float32Array,
  preOff: number,
  rec: Float32Array,
  bias: Float32Array,
  hPrev: Float32Array,
  hPrevOff: number,
  hOut: Float32Array,
  hOutOff: number,
  cache: Float32Array,
  cacheOff: number,
): void {
  const g3 = 3 * u;
  for (let b = 0; b < batch; b++) {
    const p = preOff + b * g3;
    const r0 = b * g3;
    const q = cacheOff + b * 4 * u;
    const s = b * u;
    for (let j = 0; j < u; j++) {
      const z = act32(gate, f(f(pre[p + j] + bias[j]) + f(rec[r0 + j] + bias[g3 + j])));
      const r = act32(gate, f(f(pre[p + u + j] + bias[u + j]) + f(rec[r0 + u + j] + bias[g3 + u + j])));
      const rh = f(rec[r0 + 2 * u + j] + bias[g3 + 2 * u + j]);
      const n = act32(act, f(f(pre[p + 2 * u + j] + bias[2 * u + j]) + f(r * rh)));
      hOut[hOutOff + s + j] = f(z * hPrev[hPrevOff + s + j]) + f(f(1 - z) * n);
      cache[q + j] = z;
      cache[q + u + j] = r;
      cache[q + 2 * u + j] = n;
      cache[q + 3 * u + j] = rh;
    }
  }
}

export function gruBackward(
  batch: number,
  u: number,
  gate: ActivationCode,
  act: ActivationCode,
  cache: Float32Array,
  cacheOff: number,
  hPrev: Float32Array,
  hPrevOff: number,
  dH: Float32Array,
  dHOff: number,
  dHPrevOff: number,
  dA: Float32Array,
  dAr: Float32Array,
  dAOff: number,
): void {
  const g3 = 3 * u;
  for (let b = 0; b < batch; b++) {
    const q = cacheOff + b * 4 * u;
    const a = dAOff + b * g3;
    const s = b * u;
    for (let j = 0; j < u; j++) {
      const z = cache[q + j],
        r = cache[q + u + j],
        n = cache[q + 2 * u + j],
        rh = cache[q + 3 * u + j];
      const dh = dH[dHOff + s + j];
      const hp = hPrev[hPrevOff + s + j];
      const dan = f(f(dh * f(1 - z)) * slope32(act, n));
      const dar = f(f(dan * rh) * slope32(gate, r));
      const daz = f(f(dh * f(hp - n)) * slope32(gate, z));
      dA[a + j] = daz;
      dA[a + u + j] = dar;
      dA[a + 2 * u + j] = dan;
      dAr[a + j] = daz;
      dAr[a + u + j] = dar;
      dAr[a + 2 * u + j] = f(dan * r);
      if (dHPrevOff >= 0) dH[dHPrevOff + s + j] += f(dh * z);
    }
  }
}

export function elmanForward(
  batch: number,
  u: number,
  act: ActivationCode,
  pre: Float32Array,
  preOff: number,
  bias: Float32Array,
  hOut: Float32Array,
  hOutOff: number,
  cache: Float32Array,
  cacheOff: number,
): void {
  for (let b = 0; b < batch; b++) {
    const p = preOff + b * u;
    for (let j = 0; j < u; j++) {
      const h = act32(act, f(pre[p + j] + bias[j]));
      hOut[hOutOff + b * u + j] = h;
      cache[cacheOff + b * u + j] = h;
    }
  }
}

export function elmanBackward(
  n: number,
  act: ActivationCode,
  dH: Float32Array,
  dHOff: number,
  cache: Float32Array,
  cacheOff: number,
  dA: Float32Array,
  dAOff: number,
): void {
  for (let i = 0; i < n; i++) dA[dAOff + i] = f(dH[dHOff + i] * slope32(act, cache[cacheOff + i]));
}

export function adam(
  n: number,
  data: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  v: Float32Array,
  lrT: number,
  beta1: number,
  beta2: number,
  epsilon: number,
): void {
  const b1 = f(beta1),
    b2 = f(beta2),
    c1 = f(1 - b1),
    c2 = f(1 - b2),
    eps = f(epsilon),
    lr = f(lrT);
  for (let i = 0; i < n; i++) {
    const g = grad[i];
    const mi = f(f(b1 * m[i]) + f(c1 * g));
    const vi = f(f(b2 * v[i]) + f(f(c2 * g) * g));
    m[i] = mi;
    v[i] = vi;
    data[i] = f(data[i] - f(f(lr * mi) / f(f(Math.sqrt(vi)) + eps)));
  }
}
