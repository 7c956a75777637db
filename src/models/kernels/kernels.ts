// The numeric backend interface of the model core. Arrays are row-major Float32Arrays addressed by
// (array, offset) pairs so that hot paths allocate no subarray views per call.

export interface Kernels {
  readonly name: string;
  /** A zeroed array this backend computes on without copying (for WASM: a view into its memory). */
  alloc(length: number): Float32Array;
  /** c[m×n] = beta·c + a[m×k] · b[k×n]. beta is 0 or 1. */
  gemm(
    m: number, n: number, k: number,
    a: Float32Array, aOff: number,
    b: Float32Array, bOff: number,
    c: Float32Array, cOff: number,
    beta: 0 | 1,
  ): void;
  /** c[m×n] = beta·c + a[k×m]ᵀ · b[k×n] (weight gradients). */
  gemmTransA(
    m: number, n: number, k: number,
    a: Float32Array, aOff: number,
    b: Float32Array, bOff: number,
    c: Float32Array, cOff: number,
    beta: 0 | 1,
  ): void;
  /** c[m×n] = beta·c + a[m×k] · b[n×k]ᵀ (input gradients). */
  gemmTransB(
    m: number, n: number, k: number,
    a: Float32Array, aOff: number,
    b: Float32Array, bOff: number,
    c: Float32Array, cOff: number,
    beta: 0 | 1,
  ): void;
}
