import type { Kernels } from './kernels.js';
import { portableKernels } from './portable.js';
import { BumpHeap, instantiateKernels, type KernelExports, type KernelInstance } from './wasm-module.js';

// The Kernels interface on WASM SIMD128. Results equal portableKernels bit for bit (same per-element
// summation order, no FMA). Arrays from alloc() live in the module's memory and are used in place;
// other arrays are copied through scratch at the top of the heap (or, when scratch is too small, the
// call runs on the portable path, which gives the same bits).

export interface WasmKernelsOptions {
  /** Heap for alloc() plus copy scratch. Fixed for the instance's life (views must never detach). */
  readonly heapBytes?: number;
}

export interface WasmKernels extends Kernels {
  readonly instance: KernelInstance;
  /** Bytes still free for alloc() and scratch. */
  freeBytes(): number;
}

export function createWasmKernels(options: WasmKernelsOptions = {}): WasmKernels {
  return new WasmKernelsImpl(instantiateKernels(options.heapBytes ?? 64 * 1024 * 1024));
}

class WasmKernelsImpl implements WasmKernels {
  readonly name = 'wasm-simd128';
  readonly instance: KernelInstance;
  private readonly heap: BumpHeap;
  private readonly f32: Float32Array;
  private readonly x: KernelExports;
  private scratchTop = 0;

  constructor(instance: KernelInstance) {
    this.instance = instance;
    this.heap = new BumpHeap(instance);
    this.f32 = new Float32Array(instance.buffer);
    this.x = instance.exports;
  }

  freeBytes(): number { return this.heap.free; }

  alloc(length: number): Float32Array {
    return this.heap.floats(length);
  }

  gemm(m: number, n: number, k: number, a: Float32Array, aOff: number, b: Float32Array, bOff: number,
    c: Float32Array, cOff: number, beta: 0 | 1): void {
    if (m <= 0 || n <= 0) return;
    if (!this.fits(a, m * k, b, k * n, c, m * n, 0)) {
      portableKernels.gemm(m, n, k, a, aOff, b, bOff, c, cOff, beta);
      return;
    }
    this.run(m, n, k, a, aOff, m * k, k, 1, b, bOff, c, cOff, beta);
  }

  gemmTransA(m: number, n: number, k: number, a: Float32Array, aOff: number, b: Float32Array, bOff: number,
    c: Float32Array, cOff: number, beta: 0 | 1): void {
    if (m <= 0 || n <= 0) return;
    if (!this.fits(a, m * k, b, k * n, c, m * n, 0)) {
      portableKernels.gemmTransA(m, n, k, a, aOff, b, bOff, c, cOff, beta);
      return;
    }
    this.run(m, n, k, a, aOff, m * k, 1, m, b, bOff, c, cOff, beta);
  }

  gemmTransB(m: number, n: number, k: number, a: Float32Array, aOff: number, b: Float32Array, bOff: number,
    c: Float32Array, cOff: number, beta: 0 | 1): void {
    if (m <= 0 || n <= 0) return;
    // bᵀ always goes through scratch: the SIMD loop wants b's rows along the output columns.
    if (!this.fits(a, m * k, b, n * k, c, m * n, n * k)) {
      portableKernels.gemmTransB(m, n, k, a, aOff, b, bOff, c, cOff, beta);
      return;
    }
    this.scratchTop = this.heap.used;
    const bt = this.take(n * k);
    const src = this.ptrOrCopy(b, bOff, n * k);
    this.x.transpose(n, k, src, bt);
    this.run(m, n, k, a, aOff, m * k, k, 1, this.f32, bt >> 2, c, cOff, beta, true);
  }

  /** Runs the core with A(i,p) = a[i·ars + p·acs]; copies foreign operands in and c back out. */
  private run(m: number, n: number, k: number, a: Float32Array, aOff: number, aLen: number, ars: number, acs: number,
    b: Float32Array, bOff: number, c: Float32Array, cOff: number, beta: 0 | 1, keepScratch = false): void {
    if (!keepScratch) this.scratchTop = this.heap.used;
    const pa = this.ptrOrCopy(a, aOff, aLen);
    const pb = this.ptrOrCopy(b, bOff, k * n);
    const own = c.buffer === this.instance.buffer;
    const pc = own ? c.byteOffset + cOff * 4 : this.take(m * n);
    if (!own && beta === 1) this.copyIn(c, cOff, pc >> 2, m * n);
    this.x.gemm(m, n, k, pa, ars, acs, pb, pc, beta);
    if (!own) {
      const f32 = this.f32;
      const base = pc >> 2;
      for (let i = 0; i < m * n; i++) c[cOff + i] = f32[base + i];
    }
  }

  private fits(a: Float32Array, aLen: number, b: Float32Array, bLen: number, c: Float32Array, cLen: number,
    extra: number): boolean {
    const own = this.instance.buffer;
    let need = extra;
    if (a.buffer !== own) need += aLen;
    if (b.buffer !== own) need += bLen;
    if (c.buffer !== own) need += cLen;
    return need * 4 + 64 * 4 <= this.heap.free;
  }

  private take(floats: number): number {
    const at = this.scratchTop;
    this.scratchTop = (at + floats * 4 + 63) & ~63;
    return at;
  }

  private ptrOrCopy(arr: Float32Array, off: number, len: number): number {
    if (arr.buffer === this.instance.buffer) return arr.byteOffset + off * 4;
    const at = this.take(len);
    this.copyIn(arr, off, at >> 2, len);
    return at;
  }

  private copyIn(src: Float32Array, off: number, dst: number, len: number): void {
    const f32 = this.f32;
    for (let i = 0; i < len; i++) f32[dst + i] = src[off + i];
  }
}
