import type { Seq2SeqModel } from '../models/seq2seq-model.js';

// Forward and backward of the encoder-decoder over a batch of B windows: the encoder reads W steps
// from the zero state, the decoder unrolls H steps. Decoder input at step h > 1 is the observed value
// of step h-1 where `teacher` says so (teacher forcing; scheduled sampling draws that mask), else the
// model's own mean of step h-1 (free running), and the gradient flows back through that feedback.
// A relative model (the default) reads values minus the last observed one.
// Buffers are sized once for (maxWindow, maxBatch) and reused: nothing is allocated per call.

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
  private readonly decIn: Float32Array; // H × B
  private readonly fed: Uint8Array; // H × B: 1 where the decoder input is the model's own mean
  private readonly last: Float32Array; // B
  private readonly scratch: Float32Array;
  private readonly dh: Float32Array;
  private readonly dhPrev: Float32Array;
  private readonly dc: Float32Array;
  private readonly dx: Float32Array;
  private readonly dHead: Float32Array; // B × 2
  private readonly fbGrad: Float32Array; // B: dLoss/dmean of the step before, through the feedback
  private W = 0;
  private B = 0;

  constructor(model: Seq2SeqModel, maxWindow: number, maxBatch: number) {
    this.model = model;
    this.maxWindow = maxWindow;
    this.maxBatch = maxBatch;
    const { units: u, horizon: H, inputSize } = model.config;
    const steps = maxWindow + H;
    this.outputs = new Float32Array(H * maxBatch * 2);
    this.h = new Float32Array((steps + 1) * maxBatch * u);
    this.c = new Float32Array(model.encoder.hasCellState ? (steps + 1) * maxBatch * u : 0);
    this.cache = new Float32Array(steps * maxBatch * model.encoder.cacheWidth);
    this.encIn = new Float32Array(maxWindow * maxBatch * inputSize);
    this.decIn = new Float32Array(H * maxBatch);
    this.fed = new Uint8Array(H * maxBatch);
    this.last = new Float32Array(maxBatch);
    this.scratch = new Float32Array(Math.max(model.encoder.scratchSize(maxBatch), model.decoder.scratchSize(maxBatch)));
    this.dh = new Float32Array(maxBatch * u);
    this.dhPrev = new Float32Array(maxBatch * u);
    this.dc = new Float32Array(maxBatch * u);
    this.dx = new Float32Array(maxBatch * Math.max(1, inputSize));
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
    const { units: u, horizon: H, inputSize } = m.config;
    this.W = W;
    this.B = B;
    const plane = B * u;
    const cw = m.encoder.cacheWidth;
    for (let b = 0; b < B; b++) this.last[b] = last[b];
    if (m.relative) for (let i = 0; i < W * B; i++) this.encIn[i] = inputs[inOff + i] - this.last[i % B];
    else for (let i = 0; i < W * B * inputSize; i++) this.encIn[i] = inputs[inOff + i];
    const base = m.relative ? this.last : null;
    this.h.fill(0, 0, plane);
    this.c.fill(0, 0, m.encoder.hasCellState ? plane : 0);
    for (let t = 0; t < W; t++) {
      m.encoder.forward(
        B,
        this.encIn,
        t * B * inputSize,
        this.h,
        t * plane,
        this.c,
        t * plane,
        this.h,
        (t + 1) * plane,
        this.c,
        (t + 1) * plane,
        this.cache,
        t * B * cw,
        this.scratch,
      );
    }
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
      m.decoder.forward(
        B,
        this.decIn,
        s * B,
        this.h,
        t * plane,
        this.c,
        t * plane,
        this.h,
        (t + 1) * plane,
        this.c,
        (t + 1) * plane,
        this.cache,
        t * B * cw,
        this.scratch,
      );
      // Head on h_{t+1}: mean = last + change, log-variance.
      m.kernels.gemm(B, 2, u, this.h, (t + 1) * plane, K, 0, out, s * B * 2, 0);
      for (let b = 0; b < B; b++) {
        const o = (s * B + b) * 2;
        out[o] += bias[0] + this.last[b];
        out[o + 1] += bias[1];
      }
    }
    return out;
  }

  /** Backpropagates dLoss/dOutputs (H×B×2) of the last forward into the params' grads (accumulated). */
  backward(dOut: Float32Array): void {
    const m = this.model;
    const k = m.kernels;
    const { units: u, horizon: H, inputSize } = m.config;
    const { W, B } = this;
    const plane = B * u;
    const cw = m.encoder.cacheWidth;
    let dh = this.dh,
      dhPrev = this.dhPrev;
    dh.fill(0, 0, plane);
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
      k.gemmTransB(B, u, 2, this.dHead, 0, m.headKernel.data, 0, dh, 0, 1);
      m.decoder.backward(
        B,
        this.decIn,
        s * B,
        this.h,
        t * plane,
        this.c,
        t * plane,
        this.cache,
        t * B * cw,
        dh,
        this.dc,
        dhPrev,
        this.dx,
        this.scratch,
      );
      for (let b = 0; b < B; b++) this.fbGrad[b] = this.fed[s * B + b] === 1 ? this.dx[b] : 0;
      const swap = dh;
      dh = dhPrev;
      dhPrev = swap;
    }
    for (let t = W - 1; t >= 0; t--) {
      m.encoder.backward(
        B,
        this.encIn,
        t * B * inputSize,
        this.h,
        t * plane,
        this.c,
        t * plane,
        this.cache,
        t * B * cw,
        dh,
        this.dc,
        dhPrev,
        null,
        this.scratch,
      );
      const swap = dh;
      dh = dhPrev;
      dhPrev = swap;
    }
  }
}
