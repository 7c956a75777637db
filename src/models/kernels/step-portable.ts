import { sigmoid32, tanh32 } from './activations.js';
import { checkStepArgs, planStep, type FastStepSpec, type FastStepper, type GateGemm, type StepPlan } from './step-layout.js';

// The fused step in plain TypeScript: the reference the WASM stepper must equal bit for bit, and the
// fallback where WASM SIMD is unavailable. Same operand order as step-layout.ts describes.

const f = Math.fround;

/** out[j] = fround(Σ_p fround(a[p]·W[p][j]) + bias[j]), the sum running over p from 0. */
function gateRow(g: GateGemm, a: Float32Array, aOff: number, out: Float32Array, withBias: boolean): void {
  const { k, n, w, bias } = g;
  out.fill(0, 0, n);
  for (let p = 0; p < k; p++) {
    const av = a[aOff + p];
    const wp = p * n;
    for (let j = 0; j < n; j++) out[j] += f(av * w[wp + j]);
  }
  if (withBias) for (let j = 0; j < n; j++) out[j] += bias[j];
}

export function createPortableStepper(spec: FastStepSpec, maxBatch: number): FastStepper {
  return new PortableStepper(planStep(spec), maxBatch);
}

class PortableStepper implements FastStepper {
  readonly backend = 'portable' as const;
  readonly stateSize: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly maxBatch: number;
  readonly stateOffsets: readonly number[];
  private readonly plan: StepPlan;
  private readonly a: Float32Array;
  private readonly g1: Float32Array;
  private readonly g2: Float32Array;
  private readonly g3: Float32Array;
  private readonly a3: Float32Array;

  constructor(plan: StepPlan, maxBatch: number) {
    this.plan = plan;
    this.stateSize = plan.stateSize;
    this.inputSize = plan.inputSize;
    this.outputSize = plan.outputSize;
    this.maxBatch = maxBatch;
    this.stateOffsets = plan.layers.map((l) => l.stateOffset);
    const widest = Math.max(...plan.layers.map((l) => l.input + 4 * l.units), plan.outputSize);
    this.a = new Float32Array(widest);
    this.g1 = new Float32Array(widest);
    this.g2 = new Float32Array(widest);
    this.g3 = new Float32Array(widest);
    this.a3 = new Float32Array(widest);
  }

  step(slots: Int32Array, count: number, inputs: Float32Array, arena: Float32Array, out: Float32Array): void {
    checkStepArgs(this, slots, count, inputs, arena, out);
    const { plan, a } = this;
    for (let r = 0; r < count; r++) {
      const row = slots[r] * plan.stateSize;
      for (let l = 0; l < plan.layers.length; l++) {
        const L = plan.layers[l];
        if (l === 0) for (let p = 0; p < L.input; p++) a[p] = inputs[r * plan.inputSize + p];
        else {
          const prev = row + plan.layers[l - 1].stateOffset;
          for (let p = 0; p < L.input; p++) a[p] = arena[prev + p];
        }
        for (let p = 0; p < L.units; p++) a[L.input + p] = arena[row + L.stateOffset + p];
        this.layer(l, row + L.stateOffset, arena);
      }
      if (plan.outputSize > 0) this.head(row, arena, out, r * plan.outputSize);
    }
  }

  private layer(l: number, h: number, arena: Float32Array): void {
    const { plan, a, g1, g2, g3 } = this;
    const L = plan.layers[l];
    const u = L.units;
    gateRow(L.g1, a, 0, g1, true);
    if (plan.kind === 'rnn') {
      for (let j = 0; j < u; j++) arena[h + j] = tanh32(g1[j]);
      return;
    }
    if (plan.kind !== 'gru') {
      const pp = L.peephole;
      for (let j = 0; j < u; j++) {
        const c = arena[h + u + j];
        let zi = g1[j],
          zf = g1[u + j],
          zo = g1[3 * u + j];
        if (pp) {
          zi = f(zi + f(pp[j] * c));
          zf = f(zf + f(pp[u + j] * c));
        }
        const i = sigmoid32(zi),
          fg = sigmoid32(zf),
          g = tanh32(g1[2 * u + j]);
        const cn = f(f(fg * c) + f(i * g));
        if (pp) zo = f(zo + f(pp[2 * u + j] * cn));
        arena[h + u + j] = cn;
        arena[h + j] = f(sigmoid32(zo) * tanh32(cn));
      }
      return;
    }
    gateRow(L.g2!, a, 0, g2, true);
    if (plan.resetAfter) {
      gateRow(L.g3!, a, L.input, g3, true);
      for (let j = 0; j < u; j++) {
        const z = sigmoid32(g1[j]),
          r = sigmoid32(g1[u + j]);
        const hh = tanh32(f(g2[j] + f(r * g3[j])));
        arena[h + j] = f(f(z * arena[h + j]) + f(f(1 - z) * hh));
      }
      return;
    }
    const a3 = this.a3;
    for (let j = 0; j < u; j++) {
      g1[j] = sigmoid32(g1[j]);
      a3[j] = f(sigmoid32(g1[u + j]) * arena[h + j]);
    }
    gateRow(L.g3!, a3, 0, g3, false);
    for (let j = 0; j < u; j++) {
      const hh = tanh32(f(g2[j] + g3[j]));
      const z = g1[j];
      arena[h + j] = f(f(z * arena[h + j]) + f(f(1 - z) * hh));
    }
  }

  private head(row: number, arena: Float32Array, out: Float32Array, outOff: number): void {
    const { plan } = this;
    const last = plan.layers[plan.layers.length - 1];
    const n = plan.outputSize;
    const g = this.g1;
    g.fill(0, 0, n);
    for (let p = 0; p < last.units; p++) {
      const av = arena[row + last.stateOffset + p];
      for (let j = 0; j < n; j++) g[j] += f(av * plan.headW[p * n + j]);
    }
    for (let j = 0; j < n; j++) out[outOff + j] = f(g[j] + plan.headB[j]);
  }
}
