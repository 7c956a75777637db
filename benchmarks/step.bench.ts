import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { FastStepSpec } from '../src/models/kernels/step-layout.js';
import { nativeStep } from '../src/models/kernels/native-step.js';
import { createWasmStepper } from '../src/models/kernels/step-wasm.js';
import { createWasmKernels } from '../src/models/kernels/wasm-kernels.js';
import { portableKernels } from '../src/models/kernels/portable.js';
import { measure, measureSync } from './step-measure.js';
import { activeTfjsBackend, onnxGemmPeak, onnxPeer, tfjsPeer, useTfjsBackend, type Peer } from './step-peers.js';
import { tfjsTrainer, tidecastTrainer, trainFlopsPerWindowStep, type TrainWorkload } from './step-train.js';
import { fastestKernels } from '../src/models/kernels/fastest-kernels.js';
import { measureEsnRows, printEsnTable, type EsnTable } from './step-esn.js';

// npm run bench:step [-- --json] [-- --quick]
// Stream-steps per second of a 2-layer, 64-unit LSTM and GRU (8 inputs, dense head to 1 output) for
// B streams per call, one core, against tfjs (cpu, wasm) and onnxruntime-node; then TBPTT training
// throughput (windows of 32 steps × 64 streams, MSE, Adam) and GFLOP/s against the best GEMM here.
// `tidecast` is the engine the daemon steps on: the native addon (AVX-512) when built (npm run
// build:native, which this script runs first), else WASM SIMD128; `tidecast-wasm` joins when the
// native engine is the one measured as `tidecast`.

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const quick = args.includes('--quick');
const BUDGET_MS = quick ? 250 : 1000;
const SIZES = [1, 64, 1024, 16384] as const;
const BASE_IMPLS = ['tidecast', 'tfjs-cpu', 'tfjs-wasm', 'onnxruntime'] as const;
type Impl = (typeof BASE_IMPLS)[number] | 'tidecast-wasm';
const NATIVE = nativeStep();
const IMPLS: readonly Impl[] = NATIVE ? [...BASE_IMPLS, 'tidecast-wasm'] : BASE_IMPLS;
const MAX_CALL_SEC = quick ? 1 : 4;
const skipped: string[] = [];
const log = (s: string): void => {
  (asJson ? process.stderr : process.stdout).write(`${s}\n`);
};

const CORE = process.env.TIDECAST_BENCH_CPU ?? '0'; // another core on a shared machine

/** Re-runs this process under `taskset -c CORE` (once), so every library gets exactly one core. */
function pinToOneCore(): void {
  if (process.env.TIDECAST_BENCH_PINNED === '1') return;
  const probe = spawnSync('taskset', ['-c', CORE, 'true']);
  if (probe.status !== 0) {
    log('taskset unavailable: running unpinned.');
    return;
  }
  const res = spawnSync('taskset', ['-c', CORE, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, TIDECAST_BENCH_PINNED: '1', OMP_NUM_THREADS: '1' },
  });
  process.exit(res.status ?? 1);
}

function rand(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

function workload(kind: 'lstm' | 'gru'): FastStepSpec {
  const r = rand(kind.length);
  const f = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => r() * scale);
  const g = kind === 'lstm' ? 4 : 3;
  let input = 8;
  const layers = [64, 64].map((u) => {
    const l = {
      units: u,
      kernel: f(input * g * u, 0.4),
      recurrentKernel: f(u * g * u, 0.4),
      bias: f((kind === 'gru' ? 2 : 1) * g * u, 0.2),
    };
    input = u;
    return l;
  });
  return { kind, inputSize: 8, resetAfter: true, layers, head: { kernel: f(64, 0.4), bias: f(1, 0.1) } };
}

function flopsPerStreamStep(spec: FastStepSpec): number {
  const g = spec.kind === 'lstm' ? 4 : 3;
  let input = spec.inputSize,
    flops = 0;
  for (const l of spec.layers) {
    flops += 2 * (input + l.units) * g * l.units;
    input = l.units;
  }
  return flops + 2 * input * (spec.head?.bias.length ?? 0);
}

async function peerRate(impl: Impl, spec: FastStepSpec, B: number, x: Float32Array): Promise<number | null> {
  if (impl === 'tidecast' || impl === 'tidecast-wasm') {
    const native = impl === 'tidecast' && NATIVE !== null;
    // Native steps the caller's arena in place; WASM's arena lives in its own memory (no copies).
    const s = createWasmStepper(spec, B, { arenaSlots: native ? 0 : B, engine: native ? 'native' : 'wasm' });
    const arena = native ? new Float32Array(B * s.stateSize) : s.arena;
    // Slots in shuffled order: the gather/scatter of a real keyed arena is part of the cost.
    const slots = Int32Array.from({ length: B }, (_, i) => (i * 7919) % B);
    const out = new Float32Array(B);
    return B * measureSync(() => s.step(slots, B, x, arena, out), BUDGET_MS).callsPerSec;
  }
  let peer: Peer | null;
  if (impl === 'onnxruntime') peer = await onnxPeer(spec, B, x);
  else peer = (await useTfjsBackend(impl === 'tfjs-cpu' ? 'cpu' : 'wasm')) ? tfjsPeer(spec, B, x) : null;
  if (peer === null) return null;
  const minCalls = B >= 16384 || quick ? 1 : 3;
  const rate = await measure(peer.step, BUDGET_MS, minCalls);
  peer.dispose();
  if (!notePeerBackend(impl)) return null;
  return B * rate.callsPerSec;
}

/** What each peer ran on, checked after every measurement (meta.peerBackends; printed with the tables). */
const peerBackends: Record<string, string> = {};

/** Records the backend a tfjs row really ran on; false (the row is dropped) if it is not the one named. */
function notePeerBackend(impl: string): boolean {
  if (!impl.startsWith('tfjs-')) {
    peerBackends[impl] ??= impl === 'onnxruntime' ? 'onnxruntime-node CPU execution provider, 1 intra-op thread' : impl;
    return true;
  }
  const wanted = impl.slice('tfjs-'.length);
  const ran = activeTfjsBackend();
  const seen = peerBackends[impl];
  peerBackends[impl] = seen === undefined || seen === ran ? ran : `${seen}+${ran}`;
  if (ran !== wanted) log(`WARNING: ${impl} ran on the tfjs '${ran}' backend; its rate is dropped`);
  return ran === wanted;
}

const fmt = (v: number | null): string =>
  v === null ? 'n/a' : v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(1);
const ratio = (a: number | null, b: number | null): string => (a === null || b === null ? 'n/a' : `${(a / b).toFixed(2)}x`);

async function main(): Promise<void> {
  pinToOneCore();
  const result: Record<string, unknown> = {};
  const flops: Record<string, number> = {};
  for (const kind of ['lstm', 'gru'] as const) {
    const spec = workload(kind);
    flops[kind] = flopsPerStreamStep(spec);
    const table = Object.fromEntries(IMPLS.map((i) => [i, {}])) as Record<Impl, Record<string, number | null>>;
    const lastCallSec = new Map<Impl, number>();
    for (const B of SIZES) {
      const x = Float32Array.from({ length: B * 8 }, (_, i) => Math.sin(i));
      for (const impl of IMPLS) {
        // A peer whose call would take longer than MAX_CALL_SEC (linear in B) is skipped: null.
        const predicted = (lastCallSec.get(impl) ?? 0) * 16;
        const rate = predicted > MAX_CALL_SEC ? null : await peerRate(impl, spec, B, x);
        if (rate === null && predicted > MAX_CALL_SEC) skipped.push(`${kind} ${impl} B=${B}`);
        if (rate !== null) lastCallSec.set(impl, B / rate);
        table[impl][String(B)] = rate;
      }
      log(`${kind} B=${B}: ${IMPLS.map((i) => `${i} ${fmt(table[i][String(B)])}`).join(', ')}`);
    }
    result[kind] = table;
  }
  // Echo state network rows (issue 13): the engine's own step path, beside a GRU on the same path.
  result.esn = measureEsnRows(SIZES, BUDGET_MS, log);
  const w: TrainWorkload = { kind: 'lstm', inputSize: 8, units: 64, layers: 2, T: 32, B: 64 };
  const perCall = w.T * w.B;
  const train: Record<string, number | null> = {};
  const trainKernels = fastestKernels(); // native AVX-512 where built, else WASM (same bits)
  train.tidecast = perCall * (await measure(tidecastTrainer(w, trainKernels), BUDGET_MS * 2)).callsPerSec;
  log(
    `train tidecast (${trainKernels.name}): ${fmt(train.tidecast)} window-steps/s, ${((train.tidecast * trainFlopsPerWindowStep(w)) / 1e9).toFixed(1)} GFLOP/s`,
  );
  const trainPortable = perCall * (await measure(tidecastTrainer(w, portableKernels), BUDGET_MS)).callsPerSec;
  for (const backend of ['cpu', 'wasm'] as const) {
    if (!(await useTfjsBackend(backend))) {
      train[`tfjs-${backend}`] = null;
      continue;
    }
    const t = tfjsTrainer(w);
    const rate = perCall * (await measure(t.step, BUDGET_MS * 2, quick ? 1 : 2)).callsPerSec;
    train[`tfjs-${backend}`] = notePeerBackend(`tfjs-${backend}`) ? rate : null;
    log(`train tfjs-${backend}: ${fmt(train[`tfjs-${backend}`])} window-steps/s`);
    t.dispose();
  }
  train.onnxruntime = null; // onnxruntime-node has no training API
  result.train = train;
  const meta = await peaks(result, flops, trainPortable);
  result.meta = { ...meta, peerBackends };
  if (asJson) process.stdout.write(`${JSON.stringify(result)}\n`);
  else printTables(result, meta);
}

async function peaks(
  result: Record<string, unknown>,
  flops: Record<string, number>,
  trainPortable: number,
): Promise<Record<string, number | string | null>> {
  const k = createWasmKernels({ heapBytes: 16 << 20 });
  let wasmPeak = 0;
  for (const [m, n, kk] of [
    [256, 256, 256],
    [1024, 256, 72],
    [512, 512, 128],
  ]) {
    const a = k.alloc(m * kk),
      b = k.alloc(kk * n),
      c = k.alloc(m * n);
    a.fill(0.5);
    b.fill(0.25);
    const r = measureSync(() => k.gemm(m, n, kk, a, 0, b, 0, c, 0, 0), BUDGET_MS / 2);
    wasmPeak = Math.max(wasmPeak, (2 * m * n * kk * r.callsPerSec) / 1e9);
  }
  const nativePeak = await onnxGemmPeak(512, BUDGET_MS / 2, measure);
  const lstm = (result.lstm as Record<Impl, Record<string, number | null>>).tidecast['1024'] ?? 0;
  const gru = (result.gru as Record<Impl, Record<string, number | null>>).tidecast['1024'] ?? 0;
  const trainRate = (result.train as Record<string, number>).tidecast;
  const lstmGflops = (lstm * flops.lstm) / 1e9;
  const core = corePeaks();
  const pct = (v: number, of: number | null): number | null => (of ? (100 * v) / of : null);
  return {
    engine: NATIVE ? `native ${NATIVE.isa}` : 'wasm-simd128',
    wasmGemmPeakGflops: wasmPeak,
    nativeGemmPeakGflops: nativePeak,
    ...core,
    lstmStepGflopsAt1024: lstmGflops,
    lstmStepPctOfNativeGemm: pct(lstmGflops, nativePeak),
    lstmStepPctOfMulAddPeak: pct(lstmGflops, core.avx512MulAddPeakGflops),
    lstmStepPctOfNominalPeak: pct(lstmGflops, core.avx512NominalPeakGflops),
    gruStepGflopsAt1024: (gru * flops.gru) / 1e9,
    trainGflops: (trainRate * 3 * flops.lstm) / 1e9,
    trainPortableWindowStepsPerSec: trainPortable,
    lstmFlopsPerStreamStep: flops.lstm,
    gruFlopsPerStreamStep: flops.gru,
    pinned: process.env.TIDECAST_BENCH_PINNED === '1' ? `taskset -c ${CORE}` : 'no',
    notes:
      'tfjs peers run raw tf ops (tf.layers predict is slower); tfjs training uses tf.layers + trainOnBatch; onnxruntime-node has no training API.' +
      (skipped.length > 0 ? ` Skipped (a call would exceed ${MAX_CALL_SEC} s): ${skipped.join(', ')}.` : ''),
  };
}

/**
 * The core's float32 limits: nominal = 32 FLOP/cycle (one 16-lane mul and one add per cycle, or one
 * FMA, on Zen 4) × the clock /proc/cpuinfo reports (often the base clock, below turbo); measured =
 * the addon's register-only loops, the limit that counts.
 */
function corePeaks(): {
  cpuMHz: number | null;
  avx512NominalPeakGflops: number | null;
  avx512MulAddPeakGflops: number | null;
  avx512FmaPeakGflops: number | null;
} {
  let mhz: number | null = null;
  try {
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    mhz = m ? Number(m[1]) : null;
  } catch {
    /* not Linux */
  }
  const avx512 = NATIVE?.isa === 'avx512';
  const best = (fused: boolean): number | null => {
    if (!avx512) return null;
    let g = 0;
    for (let i = 0; i < 5; i++) g = Math.max(g, NATIVE.peakGflops(quick ? 2e6 : 1e7, fused));
    return g;
  };
  return {
    cpuMHz: mhz,
    avx512NominalPeakGflops: avx512 && mhz ? (32 * mhz) / 1e3 : null,
    avx512MulAddPeakGflops: best(false),
    avx512FmaPeakGflops: best(true),
  };
}

function printTables(result: Record<string, unknown>, meta: Record<string, number | string | null>): void {
  for (const kind of ['lstm', 'gru'] as const) {
    const t = result[kind] as Record<Impl, Record<string, number | null>>;
    log(`\n${kind.toUpperCase()} 2×64, 8 in → 1 out: stream-steps/s (one core)`);
    log(
      `${'B'.padStart(6)} ${IMPLS.map((i) => i.padStart(12)).join(' ')}   tidecast vs: ${IMPLS.slice(1)
        .map((i) => i.padStart(11))
        .join(' ')}`,
    );
    for (const B of SIZES) {
      const row = IMPLS.map((i) => fmt(t[i][String(B)]).padStart(12)).join(' ');
      const ratios = IMPLS.slice(1)
        .map((i) => ratio(t.tidecast[String(B)], t[i][String(B)]).padStart(11))
        .join(' ');
      log(`${String(B).padStart(6)} ${row}   ${''.padStart(11)} ${ratios}`);
    }
    const b1 = t.tidecast['1'];
    if (b1) log(`B=1 latency: ${(1e6 / b1).toFixed(2)} µs per step`);
  }
  printEsnTable(result.esn as EsnTable, SIZES, log);
  const tr = result.train as Record<string, number | null>;
  log('\nTraining (TBPTT window 32 × batch 64, MSE, Adam): window-steps/s');
  for (const [impl, v] of Object.entries(tr)) log(`${impl.padStart(12)} ${fmt(v).padStart(10)}   tidecast ${ratio(tr.tidecast, v)}`);
  log(`${'(portable)'.padStart(12)} ${fmt(meta.trainPortableWindowStepsPerSec as number).padStart(10)}`);
  const g = (v: unknown): string => (typeof v === 'number' ? v.toFixed(1) : 'n/a');
  const p = (v: unknown): string => (typeof v === 'number' ? `${v.toFixed(0)}%` : 'n/a');
  log(`\nTidecast engine: ${meta.engine}`);
  log(
    `Peers ran on: ${Object.entries(peerBackends)
      .filter(([k]) => !k.startsWith('tidecast'))
      .map(([k, v]) => `${k} = ${v}`)
      .join('; ')}`,
  );
  log(`GFLOP/s: WASM GEMM peak ${g(meta.wasmGemmPeakGflops)}, native MLAS SGEMM (onnxruntime, 1 thread) ${g(meta.nativeGemmPeakGflops)}`);
  log(
    `         AVX-512 register-only loop: mul+add ${g(meta.avx512MulAddPeakGflops)}, FMA ${g(meta.avx512FmaPeakGflops)}; nominal ${g(meta.avx512NominalPeakGflops)} (32 FLOP/cycle at the ${g(meta.cpuMHz)} MHz /proc/cpuinfo reports; turbo runs higher)`,
  );
  log(
    `         LSTM step B=1024 ${g(meta.lstmStepGflopsAt1024)} = ${p(meta.lstmStepPctOfNativeGemm)} of MLAS SGEMM, ${p(meta.lstmStepPctOfMulAddPeak)} of the mul+add loop, ${p(meta.lstmStepPctOfNominalPeak)} of nominal`,
  );
  log(`         GRU step B=1024 ${g(meta.gruStepGflopsAt1024)}, training ${g(meta.trainGflops)}`);
  log(`Pinned: ${meta.pinned}. ${meta.notes}`);
}

await main();
