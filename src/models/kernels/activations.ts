// Float32 sigmoid and tanh, op for op the same as v_sigmoid / v_tanh in wasm/kernels.c, so the
// portable and WASM steppers agree bit for bit. Every intermediate is rounded with Math.fround
// (a double op on two floats then rounded to float equals the float op). Accuracy against the
// exact functions: absolute error below 1e-7, relative below 1e-6 (activations.test.ts).

const f = Math.fround;

const EXP_LO = f(-87);
const EXP_HI = f(87);
const LOG2E = f(Math.LOG2E);
const LN2_HI = f(0.693359375);
const LN2_LO = f(-2.1219444e-4);
const E0 = f(1.98756915e-4);
const E1 = f(1.3981999507e-3);
const E2 = f(8.3334519073e-3);
const E3 = f(4.1665795894e-2);
const E4 = f(1.6666665459e-1);
const E5 = f(5.0000001201e-1);

/** exp(x) for x clamped to [-87, 87]: Cody–Waite reduction, degree-5 polynomial, exact 2^n scale. */
export function exp32(x: number): number {
  x = Math.min(Math.max(x, EXP_LO), EXP_HI);
  const n = Math.floor(f(f(x * LOG2E) + 0.5));
  let r = f(x - f(n * LN2_HI));
  r = f(r - f(n * LN2_LO));
  const z = f(r * r);
  let y = E0;
  y = f(f(y * r) + E1);
  y = f(f(y * r) + E2);
  y = f(f(y * r) + E3);
  y = f(f(y * r) + E4);
  y = f(f(y * r) + E5);
  y = f(f(y * z) + r);
  y = f(y + 1);
  return f(y * 2 ** n);
}

export function sigmoid32(x: number): number {
  return f(1 / f(1 + exp32(-x)));
}

const TANH_CLAMP = f(7.90531110763549805);
const A13 = f(-2.76076847742355e-16);
const A11 = f(2.00018790482477e-13);
const A9 = f(-8.60467152213735e-11);
const A7 = f(5.12229709037114e-8);
const A5 = f(1.48572235717979e-5);
const A3 = f(6.37261928875436e-4);
const A1 = f(4.89352455891786e-3);
const B6 = f(1.19825839466702e-6);
const B4 = f(1.18534705686654e-4);
const B2 = f(2.268434632439e-3);
const B0 = f(4.89352518554385e-3);

/** Rational 13/6 minimax tanh (the Eigen / XLA / MLAS coefficients), clamped where tanh rounds to ±1. */
export function tanh32(x: number): number {
  x = Math.min(Math.max(x, -TANH_CLAMP), TANH_CLAMP);
  const x2 = f(x * x);
  let p = A13;
  p = f(f(p * x2) + A11);
  p = f(f(p * x2) + A9);
  p = f(f(p * x2) + A7);
  p = f(f(p * x2) + A5);
  p = f(f(p * x2) + A3);
  p = f(f(p * x2) + A1);
  p = f(p * x);
  let q = B6;
  q = f(f(q * x2) + B4);
  q = f(f(q * x2) + B2);
  q = f(f(q * x2) + B0);
  return f(p / q);
}
