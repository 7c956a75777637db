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
  /** Adam's moments are plain arrays (the heap never frees): it runs on the portable path, same bits. */
  readonly adam = portableKernels.adam;

  constructor(instance: KernelInstance) {
    this.instance = instance;
    this.heap = new BumpHeap(instance);
    this.f32 = new Float32Array(instance.buffer);
    this.x = instance.exports;
  }

  freeBytes(): number {
    return this.heap.free;
  }

  // Pointwise training kernels: in place when every array lives in this instance's memory (the
  // training buffers come from alloc()), else the portable path, which gives the same bits.

  addColumnSums(rows: number, cols: number, m: Float32Array, mOff: number, out: Float32Array, outOff: number): void {
    if (this.own(m, out)) this.x.column_sums(rows, cols, at(m, mOff), at(out, outOff));
    else portableKernels.addColumnSums(rows, cols, m, mOff, out, outOff);
  }

  lstmForward(
    batch: number,
    u: number,
    gate: number,
    act: number,
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
    if (this.own(pre, bias, cPrev, hOut, cOut, cache) && (peep === null || this.own(peep))) {
      this.x.lstm_forward(
        batch,
        u,
        gate,
        act,
        at(pre, preOff),
        at(bias, 0),
        peep === null ? 0 : at(peep, 0),
        at(cPrev, cPrevOff),
        at(hOut, hOutOff),
        at(cOut, cOutOff),
        at(cache, cacheOff),
      );
    } else {
      portableKernels.lstmForward(
        batch,
        u,
        gate,
        act,
        pre,
        preOff,
        bias,
        peep,
        cPrev,
        cPrevOff,
        hOut,
        hOutOff,
        cOut,
        cOutOff,
        cache,
        cacheOff,
      );
    }
  }

  lstmBackward(
    batch: number,
    u: number,
    gate: number,
    act: number,
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
    if (this.own(cache, c, dH, dC, dA) && (peep === null || this.own(peep)) && (peepGrad === null || this.own(peepGrad))) {
      this.x.lstm_backward(
        batch,
        u,
        gate,
        act,
        at(cache, cacheOff),
        at(c, cPrevOff),
        at(c, cOff),
        at(dH, dHOff),
        at(dC, 0),
        at(dA, dAOff),
        peep === null ? 0 : at(peep, 0),
        peepGrad === null ? 0 : at(peepGrad, 0),
      );
    } else {
      portableKernels.lstmBackward(batch, u, gate, act, cache, cacheOff, c, cPrevOff, cOff, dH, dHOff, dC, dA, dAOff, peep, peepGrad);
    }
  }

  gruForward(
    batch: number,
    u: number,
    gate: number,
    act: number,
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
    if (this.own(pre, rec, bias, hPrev, hOut, cache)) {
      this.x.gru_forward(
        batch,
        u,
        gate,
        act,
        at(pre, preOff),
        at(rec, 0),
        at(bias, 0),
        at(hPrev, hPrevOff),
        at(hOut, hOutOff),
        at(cache, cacheOff),
      );
    } else {
      portableKernels.gruForward(batch, u, gate, act, pre, preOff, rec, bias, hPrev, hPrevOff, hOut, hOutOff, cache, cacheOff);
    }
  }

  gruBackward(
    batch: number,
    u: number,
    gate: number,
    act: number,
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
    if (this.own(cache, hPrev, dH, dA, dAr)) {
      this.x.gru_backward(
        batch,
        u,
        gate,
        act,
        at(cache, cacheOff),
        at(hPrev, hPrevOff),
        at(dH, dHOff),
        dHPrevOff >= 0 ? at(dH, dHPrevOff) : 0,
        at(dA, dAOff),
        at(dAr, dAOff),
      );
    } else {
      portableKernels.gruBackward(batch, u, gate, act, cache, cacheOff, hPrev, hPrevOff, dH, dHOff, dHPrevOff, dA, dAr, dAOff);
    }
  }

  elmanForward(
    batch: number,
    u: number,
    act: number,
    pre: Float32Array,
    preOff: number,
    bias: Float32Array,
    hOut: Float32Array,
    hOutOff: number,
    cache: Float32Array,
    cacheOff: number,
  ): void {
    if (this.own(pre, bias, hOut, cache)) {
      this.x.elman_forward(batch, u, act, at(pre, preOff), at(bias, 0), at(hOut, hOutOff), at(cache, cacheOff));
    } else {
      portableKernels.elmanForward(batch, u, act, pre, preOff, bias, hOut, hOutOff, cache, cacheOff);
    }
  }

  elmanBackward(
    n: number,
    act: number,
    dH: Float32Array,
    dHOff: number,
    cache: Float32Array,
    cacheOff: number,
    dA: Float32Array,
    dAOff: number,
  ): void {
    if (this.own(dH, cache, dA)) this.x.elman_backward(n, act, at(dH, dHOff), at(cache, cacheOff), at(dA, dAOff));
    else portableKernels.elmanBackward(n, act, dH, dHOff, cache, cacheOff, dA, dAOff);
  }

  /** Whether every array given is a view into this instance's memory (fixed arity: no rest array per call). */
  private own(
    a: Float32Array,
    b: Float32Array = a,
    c: Float32Array = a,
    d: Float32Array = a,
    e: Float32Array = a,
    f: Float32Array = a,
  ): boolean {
    const buf = this.instance.buffer;
    return a.buffer === buf && b.buffer === buf && c.buffer === buf && d.buffer === buf && e.buffer === buf && f.buffer === buf;
  }

  alloc(length: number): Float32Array {
    return this.heap.floats(length);
  }

  gemm(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aOff: number,
    b: Float32Array,
    bOff: number,
    c: Float32Array,
    cOff: number,
    beta: 0 | 1,
  ): void {
    if (m <= 0 || n <= 0) return;
    if (!this.fits(a, m * k, b, k * n, c, m * n, 0)) {
      portableKernels.gemm(m, n, k, a, aOff, b, bOff, c, cOff, beta);
      return;
    }
    this.run(m, n, k, a, aOff, m * k, k, 1, b, bOff, c, cOff, beta);
  }

  gemmTransA(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aOff: number,
    b: Float32Array,
    bOff: number,
    c: Float32Array,
    cOff: number,
    beta: 0 | 1,
  ): void {
    if (m <= 0 || n <= 0) return;
    if (!this.fits(a, m * k, b, k * n, c, m * n, 0)) {
      portableKernels.gemmTransA(m, n, k, a, aOff, b, bOff, c, cOff, beta);
      return;
    }
    this.run(m, n, k, a, aOff, m * k, 1, m, b, bOff, c, cOff, beta);
  }

  gemmTransB(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aOff: number,
    b: Float32Array,
    bOff: number,
    c: Float32Array,
    cOff: number,
    beta: 0 | 1,
  ): void {
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
  private run(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aOff: number,
    aLen: number,
    ars: number,
    acs: number,
    b: Float32Array,
    bOff: number,
    c: Float32Array,
    cOff: number,
    beta: 0 | 1,
    keepScratch = false,
  ): void {
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

  private fits(a: Float32Array, aLen: number, b: Float32Array, bLen: number, c: Float32Array, cLen: number, extra: number): boolean {
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

/** Byte address of element `off` of a view into the instance's memory. */
function at(a: Float32Array, off: number): number {
  return a.byteOffset + off * 4;
}
