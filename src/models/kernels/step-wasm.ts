import { checkStepArgs, planStep, type FastStepSpec, type FastStepper, type GateGemm, type StepPlan } from './step-layout.js';
import { createPortableStepper } from './step-portable.js';
import { nativeStep, type NativeStepFn } from './native-step.js';
import { BumpHeap, instantiateKernels, wasmSimdSupported, type KernelExports, type KernelInstance } from './wasm-module.js';

// The fused step on WASM SIMD128: one call runs gather → gate GEMMs (weights pre-packed in 8-column
// panels) → activations → scatter → dense head for the whole batch, in row chunks that stay in L1.
// The plan record written here is read by wasm/step.c (offsets must match) and, for the native
// engines, by native/step-addon.c (AVX-512 packs 16-column panels). All engines give the same bits.

export interface FastStepperOptions {
  /** Slots of a state arena allocated inside WASM memory (`arena`): stepping on it copies nothing. */
  readonly arenaSlots?: number;
  /** Rows per chunk (tuning; default 16 for WASM, 48 for AVX-512). */
  readonly chunkRows?: number;
  /**
   * 'native' runs the N-API addon (AVX-512 where the CPU has it, else the WASM C on SSE4.1) on the
   * caller's arrays in place; 'native-sse' forces its SSE4.1 engine. Same bits as 'wasm'; RangeError
   * when the addon is not built. createWasmStepper defaults to 'wasm'; createFastStepper to 'native'
   * when the addon is built.
   */
  readonly engine?: StepEngine;
}

export type StepEngine = 'wasm' | 'native' | 'native-sse';

export interface WasmFastStepper extends FastStepper {
  /** State arena in WASM memory (arenaSlots rows), or an empty array when none was asked for. */
  readonly arena: Float32Array;
  readonly engine: StepEngine;
  /** Instruction set of the engine: 'wasm-simd128', 'avx512' or 'sse4.1'. */
  readonly isa: string;
}

const NR = 8; // WASM and SSE panel width; AVX-512 packs 16
const KIND = { rnn: 0, lstm: 1, 'lstm-peephole': 2, gru: 3 } as const;
const HEADER = 16;
const PER_LAYER = 24;

const padTo = (n: number, nr: number): number => Math.ceil(n / nr) * nr;
const pad8 = (n: number): number => padTo(n, NR);

/** The best engine here: native addon when built, else WASM SIMD128, else the portable stepper (same results). */
export function createFastStepper(spec: FastStepSpec, maxBatch: number, options: FastStepperOptions = {}): FastStepper {
  if (options.engine === undefined && nativeStep() !== null) return createWasmStepper(spec, maxBatch, { ...options, engine: 'native' });
  if (options.engine !== undefined) return createWasmStepper(spec, maxBatch, options);
  return wasmSimdSupported() ? createWasmStepper(spec, maxBatch, options) : createPortableStepper(spec, maxBatch);
}

/** The fused stepper on `options.engine` (default 'wasm'). */
export function createWasmStepper(spec: FastStepSpec, maxBatch: number, options: FastStepperOptions = {}): WasmFastStepper {
  if (!(Number.isInteger(maxBatch) && maxBatch > 0)) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}.`);
  const engine: StepEngine = options.engine ?? 'wasm';
  const addon = engine === 'wasm' ? null : nativeStep();
  if (engine !== 'wasm' && addon === null) throw new RangeError('The native step addon is not built here (npm run build:native).');
  const avx512 = engine === 'native' && addon?.isa === 'avx512';
  const native = addon === null ? null : engine === 'native' ? addon.step : addon.stepSse;
  const isa = engine === 'wasm' ? 'wasm-simd128' : avx512 ? 'avx512' : 'sse4.1';
  const chunk = options.chunkRows ?? (avx512 ? AVX512_CHUNK : 16);
  if (!(Number.isInteger(chunk) && chunk > 0)) throw new RangeError(`chunkRows must be a positive integer, got ${chunk}.`);
  return new WasmStepper(planStep(spec), maxBatch, options.arenaSlots ?? 0, chunk, native, engine, isa, avx512 ? 16 : NR);
}

const AVX512_CHUNK = 48;

/** Floats of W (k×n) in nr-column panels: panel q holds rows p = 0..k-1 of columns nr·q..nr·q+nr-1. */
function packPanels(g: GateGemm, into: Float32Array, nr: number): void {
  const np = padTo(g.n, nr);
  for (let q = 0; q < np / nr; q++) {
    for (let p = 0; p < g.k; p++) {
      for (let c = 0; c < nr; c++) {
        const j = q * nr + c;
        into[q * g.k * nr + p * nr + c] = j < g.n ? g.w[p * g.n + j] : 0;
      }
    }
  }
}

function bytesNeeded(plan: StepPlan, maxBatch: number, arenaSlots: number, chunk: number, nr: number): number {
  let floats = HEADER + PER_LAYER * plan.layers.length;
  const gemm = (g: GateGemm | null): number => (g ? padTo(g.n, nr) * (g.k + 1 + chunk) : 0);
  for (const L of plan.layers) {
    floats += gemm(L.g1) + gemm(L.g2) + gemm(L.g3) + chunk * (L.input + 2 * L.units) + 3 * L.units;
  }
  const last = plan.layers[plan.layers.length - 1].units;
  floats += plan.headW.length + pad8(plan.outputSize) + chunk * last;
  floats += maxBatch * (2 + plan.inputSize + plan.outputSize + plan.stateSize) + arenaSlots * plan.stateSize;
  return floats * 4 + 64 * (32 + 12 * plan.layers.length);
}

class WasmStepper implements WasmFastStepper {
  readonly backend: 'wasm' | 'native';
  readonly stateSize: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly maxBatch: number;
  readonly stateOffsets: readonly number[];
  readonly arena: Float32Array;
  readonly engine: StepEngine;
  readonly isa: string;
  private readonly native: NativeStepFn | null;
  private readonly nr: number;
  private readonly inst: KernelInstance;
  private readonly x: KernelExports;
  private readonly planPtr: number;
  private readonly slotsBuf: Int32Array;
  private readonly identity: Int32Array;
  private readonly xBuf: Float32Array;
  private readonly outBuf: Float32Array;
  private readonly gather: Float32Array;

  constructor(
    plan: StepPlan,
    maxBatch: number,
    arenaSlots: number,
    chunk: number,
    native: NativeStepFn | null,
    engine: StepEngine,
    isa: string,
    nr: number,
  ) {
    this.nr = nr;
    this.stateSize = plan.stateSize;
    this.inputSize = plan.inputSize;
    this.outputSize = plan.outputSize;
    this.maxBatch = maxBatch;
    this.stateOffsets = plan.layers.map((l) => l.stateOffset);
    // The native engines read the caller's arrays in place: no staging buffers for them.
    const staged = native ? 0 : maxBatch;
    this.inst = instantiateKernels(bytesNeeded(plan, staged, arenaSlots, chunk, nr));
    this.x = this.inst.exports;
    const heap = new BumpHeap(this.inst);
    const rec = heap.ints(HEADER + PER_LAYER * plan.layers.length);
    this.planPtr = rec.byteOffset;
    this.writePlan(plan, rec, heap, chunk);
    this.slotsBuf = heap.ints(staged);
    this.identity = heap.ints(staged);
    for (let i = 0; i < staged; i++) this.identity[i] = i;
    this.xBuf = heap.floats(staged * plan.inputSize);
    this.outBuf = heap.floats(staged * Math.max(plan.outputSize, 1));
    this.gather = heap.floats(staged * plan.stateSize);
    this.arena = heap.floats(arenaSlots * plan.stateSize);
    this.engine = engine;
    this.isa = isa;
    this.backend = native ? 'native' : 'wasm';
    this.native = native;
  }

  private writePlan(plan: StepPlan, rec: Int32Array, heap: BumpHeap, chunk: number): void {
    const last = plan.layers[plan.layers.length - 1];
    const headW = heap.floats(plan.headW.length);
    headW.set(plan.headW);
    const headB = heap.floats(pad8(plan.outputSize) + NR);
    headB.set(plan.headB);
    const kind = plan.kind === 'gru' && !plan.resetAfter ? 4 : KIND[plan.kind];
    rec.set([
      kind,
      plan.layers.length,
      plan.inputSize,
      plan.outputSize,
      plan.stateSize,
      headW.byteOffset,
      headB.byteOffset,
      heap.floats(chunk * last.units).byteOffset,
      chunk,
    ]);
    const gemm = (g: GateGemm | null, at: number, L: Int32Array): void => {
      if (g === null) return;
      const np = padTo(g.n, this.nr);
      const w = heap.floats(np * g.k);
      packPanels(g, w, this.nr);
      const b = heap.floats(np);
      b.set(g.bias);
      L[at] = w.byteOffset;
      L[at + 1] = np;
      L[at + 2] = b.byteOffset;
      L[at + 3] = heap.floats(chunk * np).byteOffset;
    };
    plan.layers.forEach((p, l) => {
      const L = rec.subarray(HEADER + PER_LAYER * l, HEADER + PER_LAYER * (l + 1));
      L[0] = p.input;
      L[1] = p.units;
      L[2] = p.stateOffset;
      L[3] = heap.floats(chunk * (p.input + p.units)).byteOffset;
      L[4] = p.input + p.units;
      gemm(p.g1, 5, L);
      if (p.peephole) {
        const pp = heap.floats(3 * p.units);
        pp.set(p.peephole);
        L[9] = pp.byteOffset;
      }
      // W2, N2, b2, G2 at 10..13; W3, N3, b3, G3 at 14..17.
      gemm(p.g2, 10, L);
      gemm(p.g3, 14, L);
      if (p.g3) L[18] = heap.floats(chunk * p.units).byteOffset;
      L[19] = l > 0 ? plan.layers[l - 1].stateOffset : 0;
    });
  }

  step(slots: Int32Array, count: number, inputs: Float32Array, arena: Float32Array, out: Float32Array): void {
    checkStepArgs(this, slots, count, inputs, arena, out);
    if (this.native) {
      // In place on the caller's arrays; the addon checks every length and slot again.
      this.native(this.inst.buffer, this.planPtr, count, slots, inputs, arena, out);
      return;
    }
    const { xBuf, outBuf, stateSize: ss } = this;
    for (let i = 0; i < count * this.inputSize; i++) xBuf[i] = inputs[i];
    const own = arena.buffer === this.inst.buffer;
    let slotsPtr: number;
    let statePtr: number;
    if (own) {
      for (let r = 0; r < count; r++) this.slotsBuf[r] = slots[r];
      slotsPtr = this.slotsBuf.byteOffset;
      statePtr = arena.byteOffset;
    } else {
      const g = this.gather;
      for (let r = 0; r < count; r++) {
        const from = slots[r] * ss;
        for (let i = 0; i < ss; i++) g[r * ss + i] = arena[from + i];
      }
      slotsPtr = this.identity.byteOffset;
      statePtr = g.byteOffset;
    }
    this.x.step(this.planPtr, count, slotsPtr, xBuf.byteOffset, statePtr, outBuf.byteOffset);
    if (!own) {
      const g = this.gather;
      for (let r = 0; r < count; r++) {
        const to = slots[r] * ss;
        for (let i = 0; i < ss; i++) arena[to + i] = g[r * ss + i];
      }
    }
    for (let i = 0; i < count * this.outputSize; i++) out[i] = outBuf[i];
  }
}
