import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastStepSpec } from '../src/models/kernels/step-layout.js';
import { buildOnnxStepModel } from './onnx/rnn-model.js';
import { loadOnnxRuntime, type OrtTensor } from './peers/onnx-runtime.js';

// The peers of the fused step, each advancing B streams by one step per call and reading the
// forecast back to JS: tfjs layers (cpu / wasm backends) and onnxruntime-node LSTM/GRU ops. States
// stay in each library's own tensors between calls (no gather/scatter: that favours the peers).

export type StepFn = () => unknown;

let wasmConfigured = false;

/**
 * Switches tfjs to its wasm backend (one thread); false when it cannot start here. setBackend runs
 * on every call: a cached promise once let later sizes run on whatever backend was active (cpu).
 */
export async function tfjsWasmReady(): Promise<boolean> {
  if (!wasmConfigured) {
    const dir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    setWasmPaths(`${pathToFileURL(dir).href}/`);
    setThreadsCount(1);
    wasmConfigured = true;
  }
  try {
    return (await tf.setBackend('wasm')) && tf.getBackend() === 'wasm';
  } catch {
    return false;
  }
}

/** Makes `name` the active tfjs backend and checks that it is (the bench prints which ran). */
export async function useTfjsBackend(name: 'cpu' | 'wasm'): Promise<boolean> {
  if (name === 'wasm') return tfjsWasmReady();
  return (await tf.setBackend('cpu')) && tf.getBackend() === 'cpu';
}

/** The tfjs backend active now: read after each measurement, so a peer's row names what really ran. */
export function activeTfjsBackend(): string {
  return tf.getBackend();
}

/** Per gate: LSTM w = [K_g; R_g] (on [x | h]); GRU w = K_g, wh = R_g. */
interface TfGate {
  w: tf.Tensor2D;
  b: tf.Tensor1D;
  wh?: tf.Tensor2D;
  bh?: tf.Tensor1D;
}

/** Columns [g·u, (g+1)·u) of a rows×(G·u) Keras matrix. */
function gateCols(m: Float32Array, rows: number, u: number, G: number, g: number): Float32Array {
  const out = new Float32Array(rows * u);
  for (let r = 0; r < rows; r++) out.set(m.subarray(r * G * u + g * u, r * G * u + (g + 1) * u), r * u);
  return out;
}

/**
 * The step as raw tfjs ops (the fastest tfjs formulation found: tf.layers' predict() with initial
 * states, and tf.split of a fused gate matrix, were both several times slower). One matMul per gate.
 */
function tfjsWeights(spec: FastStepSpec): { layers: TfGate[][]; hw: tf.Tensor2D; hb: tf.Tensor1D } {
  let input = spec.inputSize;
  const lstm = spec.kind === 'lstm';
  const G = lstm ? 4 : 3;
  const layers = spec.layers.map((l) => {
    const u = l.units;
    const gates = Array.from({ length: G }, (_, g): TfGate => {
      const k = gateCols(l.kernel, input, u, G, g),
        r = gateCols(l.recurrentKernel, u, u, G, g);
      if (lstm) {
        const both = new Float32Array(k.length + r.length);
        both.set(k);
        both.set(r, k.length);
        return { w: tf.tensor2d(both, [input + u, u]), b: tf.tensor1d(l.bias.subarray(g * u, (g + 1) * u)) };
      }
      return {
        w: tf.tensor2d(k, [input, u]),
        b: tf.tensor1d(l.bias.subarray(g * u, (g + 1) * u)),
        wh: tf.tensor2d(r, [u, u]),
        bh: tf.tensor1d(l.bias.subarray((3 + g) * u, (4 + g) * u)),
      };
    });
    input = u;
    return gates;
  });
  return { layers, hw: tf.tensor2d(spec.head!.kernel, [input, spec.head!.bias.length]), hb: tf.tensor1d(spec.head!.bias) };
}

function lstmStep(L: TfGate[], x: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  const xh = tf.concat([x, h], 1);
  const [i, f, g, o] = L.map((G) => tf.add(tf.matMul(xh, G.w), G.b));
  const cn = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
  return [tf.mul(tf.sigmoid(o), tf.tanh(cn)) as tf.Tensor2D, cn];
}

function gruStep(L: TfGate[], x: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
  const [xz, xr, xh] = L.map((G) => tf.add(tf.matMul(x, G.w), G.b));
  const [hz, hr, hh] = L.map((G) => tf.add(tf.matMul(h, G.wh!), G.bh!));
  const z = tf.sigmoid(tf.add(xz, hz));
  const r = tf.sigmoid(tf.add(xr, hr));
  const cand = tf.tanh(tf.add(xh, tf.mul(r, hh)));
  return tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), cand)) as tf.Tensor2D;
}

export interface Peer {
  step: StepFn;
  dispose(): void;
  /** The forecasts of the last step (for the cross-check against the fused stepper). */
  output?: () => Float32Array;
}

export function tfjsPeer(spec: FastStepSpec, B: number, x: Float32Array): Peer {
  const W = tfjsWeights(spec);
  let states: tf.Tensor2D[] = [];
  for (const l of spec.layers) {
    states.push(tf.zeros([B, l.units]));
    if (spec.kind === 'lstm') states.push(tf.zeros([B, l.units]));
  }
  let last: Float32Array = new Float32Array(0);
  return {
    output: () => last,
    step: () => {
      const next = tf.tidy(() => {
        let input = tf.tensor2d(x, [B, spec.inputSize]);
        const out: tf.Tensor2D[] = [];
        W.layers.forEach((L, i) => {
          if (spec.kind === 'lstm') {
            const [h, c] = lstmStep(L, input, states[2 * i], states[2 * i + 1]);
            out.push(h, c);
            input = h;
          } else {
            input = gruStep(L, input, states[i]);
            out.push(input);
          }
        });
        return [tf.add(tf.matMul(input, W.hw), W.hb) as tf.Tensor2D, ...out];
      });
      last = next[0].dataSync() as Float32Array;
      next[0].dispose();
      for (const s of states) s.dispose();
      states = next.slice(1);
    },
    dispose: () => {
      for (const s of states) s.dispose();
      for (const G of W.layers.flat()) {
        G.w.dispose();
        G.b.dispose();
        G.wh?.dispose();
        G.bh?.dispose();
      }
      W.hw.dispose();
      W.hb.dispose();
    },
  };
}

export async function onnxPeer(spec: FastStepSpec, B: number, x: Float32Array): Promise<Peer | null> {
  const ort = loadOnnxRuntime();
  if (ort === null) return null;
  const { bytes, stateInputs } = buildOnnxStepModel(spec);
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds: Record<string, OrtTensor> = {};
  for (const s of stateInputs) feeds[s.name] = new ort.Tensor('float32', new Float32Array(B * s.units), [1, B, s.units]);
  return {
    step: async () => {
      feeds.x = new ort.Tensor('float32', x, [1, B, spec.inputSize]);
      const res = await session.run(feeds);
      void (res.y.data as Float32Array)[0];
      for (const s of stateInputs) feeds[s.name] = res[s.output] as OrtTensor;
    },
    dispose: () => {
      void session.release();
    },
  };
}

/** Single-thread native SGEMM rate (MLAS via onnxruntime MatMul), GFLOP/s, or null without ORT. */
export async function onnxGemmPeak(
  n: number,
  budgetMs: number,
  measure: (fn: StepFn, ms: number) => Promise<{ callsPerSec: number }>,
): Promise<number | null> {
  const ort = loadOnnxRuntime();
  if (ort === null) return null;
  const { matmulModel } = await import('./onnx/matmul-model.js');
  const session = await ort.InferenceSession.create(matmulModel(n), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const a = new ort.Tensor(
    'float32',
    Float32Array.from({ length: n * n }, (_, i) => (i % 7) / 7),
    [n, n],
  );
  const rate = await measure(async () => {
    await session.run({ a, b: a });
  }, budgetMs);
  void session.release();
  return (2 * n ** 3 * rate.callsPerSec) / 1e9;
}
