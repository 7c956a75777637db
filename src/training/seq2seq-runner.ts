import type { CarriedStateGrad, LayerTape, RecurrentCell } from '../models/cell-config.js';
import type { Seq2SeqModel } from '../models/seq2seq-model.js';

// Forward and backward of the encoder-decoder over a batch of B windows: the encoder reads W steps
// from the zero state, the decoder unrolls H steps. Decoder input at step h > 1 is the observed value
// of step h-1 where `teacher` says so (teacher forcing; scheduled sampling draws that mask), else the
// model's own mean of step h-1 (free running), and the gradient flows back through that feedback.
// A relative model (the default) reads values minus the last observed one.
// Backward runs the encoder as one window and the decoder one step at a time (each step's input
// gradient reaches the step before through the fed-back mean); the cells hand the gradient of their
// carried-in state back, so the decoder's loss reaches the encoder.
// Buffers are sized once for (maxWindow, maxBatch) and reused; the backward tapes (views into them)
// are rebuilt only when the window or batch size changes.

export class Seq2SeqRunner {
  readonly model: Seq2SeqModel;
  readonly maxWindow: number;
  readonly maxBatch: number;
  /** Outputs of the last forward, H×B×2: mean (absolute), log-variance. */
  readonly outputs: Float32Array;
  private readonly h: Float32Array; // (maxWindow + H + 1) × B × u: encoder states 0..W, decoder W..W+H
  private readonly c: Float32Array;
  private readonly cache: Float32Array; // (maxWindow + H) × B × cacheWidth
  private readonly encIn: Float32Array; // W × B × inputSize (a copy: inputs may be reused by the caller)
  private readonly encPre: Float32Array; // W × B × gateWidth
  private readonly decIn: Float32Array; // H × B
  private readonly decPre: Float32Array; // H × B × gateWidth
  private readonly fed: Uint8Array; // H × B: 1 where the decoder input is the model's own mean
  private readonly last: Float32Array; // B
  private readonly fwdScratch: Float32Array;
  private readonly bwdScratch: Float32Array;
  private readonly encDA: Float32Array;
  private readonly encDAr: Float32Array;
  private readonly encDH: Float32Array; // W × B × u
  private readonly decDA: Float32Array;
  private readonly decDAr: Float32Array;
  private dh: Float32Array;
  private dhPrev: Float32Array;
  private readonly dc: Float32Array;
  private readonly dx: Float32Array;
  private readonly dHead: Float32Array; // B × 2
  private readonly fbGrad: Float32Array; // B: dLoss/dmean of the step before, through the feedback
  private W = 0;
  private B = 0;
  private tapesFor = '';
  private encTape: LayerTape | null = null;
  private decTapes: LayerTape[] = [];

  constructor(model: Seq2SeqModel, maxWindow: number, maxBatch: number) {
    this.model = model;
    this.maxWindow = maxWindow;
    this.maxBatch = maxBatch;
    const { units: u, horizon: H, inputSize } = model.config;
    const enc = model.encoder,
      dec = model.decoder;
    const steps = maxWindow + H;
    const g = enc.gateWidth;
    this.outputs = new Float32Array(H * maxBatch * 2);
    this.h = new Float32Array((steps + 1) * maxBatch * u);
    this.c = new Float32Array(enc.hasCellState ? (steps + 1) * maxBatch * u : 0);
    this.cache = new Float32Array(steps * maxBatch * enc.cacheWidth);
    this.encIn = new Float32Array(maxWindow * maxBatch * inputSize);
    this.encPre = new Float32Array(maxWindow * maxBatch * g);
    this.decIn = new Float32Array(H * maxBatch);
    this.decPre = new Float32Array(H * maxBatch * g);
    this.fed = new Uint8Array(H * maxBatch);
    this.last = new Float32Array(maxBatch);
    this.fwdScratch = new Float32Array(Math.max(1, enc.forwardScratchSize(maxBatch), dec.forwardScratchSize(maxBatch)));
    this.bwdScratch = new Float32Array(Math.max(1, enc.backwardScratchSize(maxBatch), dec.backwardScratchSize(maxBatch)));
    this.encDA = new Float32Array(maxWindow * maxBatch * g);
    this.encDAr = new Float32Array(maxWindow * maxBatch * enc.recWidth);
    this.encDH = new Float32Array(maxWindow * maxBatch * u);
    this.decDA = new Float32Array(maxBatch * g);
    this.decDAr = new Float32Array(maxBatch * dec.recWidth);
    this.dh = new Float32Array(maxBatch * u);
    this.dhPrev = new Float32Array(maxBatch * u);
    this.dc = new Float32Array(maxBatch * u);
    this.dx = new Float32Array(maxBatch);
    this.dHead = new Float32Array(maxBatch * 2);
    this.fbGrad = new Float32Array(maxBatch);
  }

  /**
   * inputs: W×B×inputSize from inOff (time-major); last: B values (the observed value at the window's
   * end, the decoder's first input and the base of its means); targets: H×B observed values (NaN:
   * none, never fed) and teacher: H×B flags (index (h-1)·B + b: feed the observed value of step h to
   * step h+1), both null for free running. Returns the outputs (H×B×2).
   */
  forward(
    W: number,
    B: number,
    inputs: Float32Array,
    inOff: number,
    last: Float32Array,
    targets: Float32Array | null = null,
    teacher: Uint8Array | null = null,
  ): Float32Array {
    if (W > this.maxWindow || B > this.maxBatch || W < 1)
      throw new RangeError(`window ${W}×${B} exceeds ${this.maxWindow}×${this.maxBatch}`);
    const m = this.model;
    const k = m.kernels;
    const { units: u, horizon: H, inputSize } = m.config;
    const enc = m.encoder,
      dec = m.decoder;
    this.W = W;
    this.B = B;
    const plane = B * u;
    const cw = enc.cacheWidth,
      g = enc.gateWidth;
    for (let b = 0; b < B; b++) this.last[b] = last[b];
    if (m.relative) for (let i = 0; i < W * B; i++) this.encIn[i] = inputs[inOff + i] - this.last[i % B];
    else for (let i = 0; i < W * B * inputSize; i++) this.encIn[i] = inputs[inOff + i];
    const base = m.relative ? this.last : null;
    this.h.fill(0, 0, plane);
    this.c.fill(0, 0, enc.hasCellState ? plane : 0);
    k.gemm(W * B, g, inputSize, this.encIn, 0, enc.kernel, 0, this.encPre, 0, 0);
    for (let t = 0; t < W; t++) this.stepCell(enc, this.encPre, t * B * g, t, B, cw);
    const K = m.headKernel.data,
      bias = m.headBias.data,
      out = this.outputs;
    for (let s = 0; s < H; s++) {
      for (let b = 0; b < B; b++) {
        const i = s * B + b;
        const shift = base === null ? 0 : base[b];
        if (s === 0) {
          this.decIn[i] = this.last[b] - shift;
          this.fed[i] = 0;
          continue;
        }
        const p = i - B;
        const useTeacher = teacher !== null && targets !== null && teacher[p] === 1 && !Number.isNaN(targets[p]);
        this.decIn[i] = (useTeacher ? (targets as Float32Array)[p] : out[2 * p]) - shift;
        this.fed[i] = useTeacher ? 0 : 1;
      }
      const t = W + s;
      k.gemm(B, g, 1, this.decIn, s * B, dec.kernel, 0, this.decPre, s * B * g, 0);
      this.stepCell(dec, this.decPre, s * B * g, t, B, cw);
      // Head on h_{t+1}: mean = last + change, log-variance.
      k.gemm(B, 2, u, this.h, (t + 1) * plane, K, 0, out, s * B * 2, 0);
      for (let b = 0; b < B; b++) {
        const o = (s * B + b) * 2;
        out[o] += bias[0] + this.last[b];
        out[o + 1] += bias[1];
      }
    }
    return out;
  }

  /** h_{t+1} (c_{t+1}) from h_t (c_t) and the step's x·W in pre. */
  private stepCell(cell: RecurrentCell, pre: Float32Array, preOff: number, t: number, B: number, cw: number): void {
    const plane = B * this.model.config.units;
    const cOff = cell.hasCellState ? plane : 0;
    cell.forward(
      this.model.kernels,
      B,
      pre,
      preOff,
      this.h,
      t * plane,
      this.c,
      t * cOff,
      this.h,
      (t + 1) * plane,
      this.c,
      (t + 1) * cOff,
      this.cache,
      t * B * cw,
      this.fwdScratch,
    );
  }

  /** Backpropagates dLoss/dOutputs (H×B×2) of the last forward into the params' grads (accumulated). */
  backward(dOut: Float32Array): void {
    const m = this.model;
    const k = m.kernels;
    const { units: u, horizon: H } = m.config;
    const { W, B } = this;
    const plane = B * u;
    this.buildTapes();
    const lstm = m.encoder.hasCellState;
    this.dh.fill(0, 0, plane);
    this.dc.fill(0, 0, plane);
    this.fbGrad.fill(0, 0, B);
    for (let s = H - 1; s >= 0; s--) {
      const t = W + s;
      for (let b = 0; b < B; b++) {
        const o = (s * B + b) * 2;
        this.dHead[2 * b] = dOut[o] + this.fbGrad[b];
        this.dHead[2 * b + 1] = dOut[o + 1];
      }
      k.gemmTransA(u, 2, B, this.h, (t + 1) * plane, this.dHead, 0, m.headKernel.grad, 0, 1);
      k.addColumnSums(B, 2, this.dHead, 0, m.headBias.grad, 0);
      k.gemmTransB(B, u, 2, this.dHead, 0, m.headKernel.data, 0, this.dh, 0, 1);
      const carried: CarriedStateGrad = { dh0: this.dhPrev, dc: lstm ? this.dc : null };
      m.decoder.backward(k, this.decTapes[s], this.dh, this.dx, carried);
      for (let b = 0; b < B; b++) this.fbGrad[b] = this.fed[s * B + b] === 1 ? this.dx[b] : 0;
      const swap = this.dh;
      this.dh = this.dhPrev;
      this.dhPrev = swap;
    }
    // The encoder's window: only its last state feeds the decoder.
    this.encDH.fill(0, 0, (W - 1) * plane);
    this.encDH.set(this.dh.subarray(0, plane), (W - 1) * plane);
    m.encoder.backward(k, this.encTape as LayerTape, this.encDH, null, { dh0: this.dhPrev, dc: lstm ? this.dc : null });
  }

  private buildTapes(): void {
    const key = `${this.W}x${this.B}`;
    if (key === this.tapesFor) return;
    const m = this.model;
    const { W, B } = this;
    const { units: u, horizon: H } = m.config;
    const enc = m.encoder;
    const plane = B * u;
    const cw = enc.cacheWidth,
      g = enc.gateWidth;
    this.encTape = {
      T: W,
      B,
      x: this.encIn,
      xOff: 0,
      h: this.h,
      c: this.c,
      pre: this.encPre,
      cache: this.cache,
      dA: this.encDA,
      dAr: enc.recWidth > 0 ? this.encDAr : this.encDA,
      scratch: this.bwdScratch,
    };
    this.decTapes = [];
    for (let s = 0; s < H; s++) {
      const t = W + s;
      this.decTapes.push({
        T: 1,
        B,
        x: this.decIn,
        xOff: s * B,
        h: this.h.subarray(t * plane),
        c: enc.hasCellState ? this.c.subarray(t * plane) : this.c,
        pre: this.decPre.subarray(s * B * g),
        cache: this.cache.subarray(t * B * cw),
        dA: this.decDA,
        dAr: m.decoder.recWidth > 0 ? this.decDAr : this.decDA,
        scratch: this.bwdScratch,
      });
    }
    this.tapesFor = key;
  }
}
