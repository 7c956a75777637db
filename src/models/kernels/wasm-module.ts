import { readFileSync } from 'node:fs';

// Loads the committed SIMD128 module (built by scripts/build-kernels.sh from wasm/*.c) and gives
// each user its own instance over its own fixed-size memory. The memory never grows, so typed-array
// views handed out over it stay valid for the instance's lifetime.

export interface KernelExports {
  gemm(m: number, n: number, k: number, a: number, ars: number, acs: number, b: number, c: number, beta: number): void;
  transpose(rows: number, cols: number, src: number, dst: number): void;
  vsigmoid(x: number, y: number, n: number): void;
  vtanh(x: number, y: number, n: number): void;
  step(plan: number, count: number, slots: number, x: number, state: number, out: number): void;
  // Pointwise training kernels (byte pointers; 0 = null for peep / peepGrad / dhPrev).
  lstm_forward(
    batch: number,
    u: number,
    gate: number,
    act: number,
    pre: number,
    bias: number,
    peep: number,
    cPrev: number,
    hOut: number,
    cOut: number,
    cache: number,
  ): void;
  lstm_backward(
    batch: number,
    u: number,
    gate: number,
    act: number,
    cache: number,
    cPrev: number,
    cCur: number,
    dH: number,
    dC: number,
    dA: number,
    peep: number,
    peepGrad: number,
  ): void;
  gru_forward(
    batch: number,
    u: number,
    gate: number,
    act: number,
    pre: number,
    rec: number,
    bias: number,
    hPrev: number,
    hOut: number,
    cache: number,
  ): void;
  gru_backward(
    batch: number,
    u: number,
    gate: number,
    act: number,
    cache: number,
    hPrev: number,
    dH: number,
    dHPrev: number,
    dA: number,
    dAr: number,
  ): void;
  elman_forward(batch: number, u: number, act: number, pre: number, bias: number, hOut: number, cache: number): void;
  elman_backward(n: number, act: number, dH: number, cache: number, dA: number): void;
  column_sums(rows: number, cols: number, m: number, out: number): void;
}

export interface KernelInstance {
  readonly exports: KernelExports;
  readonly memory: WebAssembly.Memory;
  readonly buffer: ArrayBuffer;
  /** First free byte after the module's own data and stack. */
  readonly heapBase: number;
  readonly byteLength: number;
}

const WASM_URL = new URL('./tidecast-kernels.wasm', import.meta.url);
const PAGE = 65536;
let compiled: WebAssembly.Module | null = null;

/** Whether this runtime validates SIMD128 (Node >= 16.4 does). */
export function wasmSimdSupported(): boolean {
  try {
    return WebAssembly.validate(readFileSync(WASM_URL));
  } catch {
    return false;
  }
}

function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(WASM_URL));
  return compiled;
}

/** A fresh instance with at least `bytes` of usable heap above the module's own region. */
export function instantiateKernels(bytes: number): KernelInstance {
  const probe = 256 * 1024; // module data + stack stay far below this
  const pages = Math.ceil((bytes + probe) / PAGE);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const instance = new WebAssembly.Instance(kernelModule(), { env: { memory } });
  const heapBase = (((instance.exports.__heap_base as WebAssembly.Global).value as number) + 63) & ~63;
  if (heapBase > probe) throw new Error(`Kernel module reserves ${heapBase} bytes, more than expected.`);
  return {
    exports: instance.exports as unknown as KernelExports,
    memory,
    buffer: memory.buffer,
    heapBase,
    byteLength: pages * PAGE,
  };
}

/** A bump allocator over an instance's heap: 64-byte aligned, never frees, never grows. */
export class BumpHeap {
  private top: number;
  constructor(private readonly inst: KernelInstance) {
    this.top = inst.heapBase;
  }
  /** Byte offset of `bytes` fresh bytes. */
  take(bytes: number): number {
    const at = this.top;
    const end = (at + bytes + 63) & ~63;
    if (end > this.inst.byteLength) {
      throw new RangeError(`Kernel heap exhausted: need ${bytes} bytes at ${at}, have ${this.inst.byteLength}.`);
    }
    this.top = end;
    return at;
  }
  floats(length: number): Float32Array {
    return new Float32Array(this.inst.buffer, this.take(length * 4), length);
  }
  ints(length: number): Int32Array {
    return new Int32Array(this.inst.buffer, this.take(length * 4), length);
  }
  get used(): number {
    return this.top;
  }
  get free(): number {
    return this.inst.byteLength - this.top;
  }
}
