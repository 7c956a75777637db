import type { Param } from '../models/cell-config.js';
import type { Kernels } from '../models/kernels/kernels.js';
import { portableKernels } from '../models/kernels/portable.js';

// First-order optimisers over a fixed list of params; per-param state is allocated on first use.

export interface Optimiser {
  readonly name: string;
  /** One update from the params' grads; `kernels` runs the fused update where the optimiser has one. */
  step(params: readonly Param[], kernels?: Kernels): void;
}

export interface SgdOptions {
  readonly learningRate: number;
  readonly momentum?: number;
}

export class Sgd implements Optimiser {
  readonly name = 'sgd';
  /** May be changed between steps (schedules). */
  learningRate: number;
  private readonly momentum: number;
  private velocity: Float32Array[] = [];

  constructor(options: SgdOptions) {
    this.learningRate = options.learningRate;
    this.momentum = options.momentum ?? 0;
  }

  step(params: readonly Param[]): void {
    if (this.velocity.length !== params.length) this.velocity = params.map((p) => new Float32Array(p.data.length));
    for (let k = 0; k < params.length; k++) {
      const { data, grad } = params[k];
      const v = this.velocity[k];
      for (let i = 0; i < data.length; i++) {
        v[i] = this.momentum * v[i] + grad[i];
        data[i] -= this.learningRate * v[i];
      }
    }
  }
}

export interface AdamOptions {
  readonly learningRate?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

export class Adam implements Optimiser {
  readonly name = 'adam';
  /** May be changed between steps (schedules). */
  learningRate: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private t = 0;
  private m: Float32Array[] = [];
  private v: Float32Array[] = [];

  constructor(options: AdamOptions = {}) {
    this.learningRate = options.learningRate ?? 1e-3;
    this.b1 = options.beta1 ?? 0.9;
    this.b2 = options.beta2 ?? 0.999;
    this.eps = options.epsilon ?? 1e-7;
  }

  step(params: readonly Param[], kernels: Kernels = portableKernels): void {
    if (this.m.length !== params.length) {
      this.m = params.map((p) => new Float32Array(p.data.length));
      this.v = params.map((p) => new Float32Array(p.data.length));
    }
    this.t++;
    const { b1, b2, eps } = this;
    const lrT = (this.learningRate * Math.sqrt(1 - b2 ** this.t)) / (1 - b1 ** this.t);
    // One fused float32 pass per param (kernels.adam): m, v and the weights in a single sweep.
    for (let k = 0; k < params.length; k++) {
      const { data, grad } = params[k];
      kernels.adam(data.length, data, grad, this.m[k], this.v[k], lrT, b1, b2, eps);
    }
  }
}
