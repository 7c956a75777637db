// Echo state network rows of bench:step (issue 13): stream-steps per second of the engine's own step
// (ModelRunner over a keyed StateArena, as the daemon steps) for ESN reservoirs of 64 and 256 units
// and, on the same path, a 1×64 GRU (fused stepper) for scale. 8 inputs, horizon 1, one core
// (bench:step pins the process). The ESN has no fused kernel: it steps on BatchedStepper with the
// fastest GEMM kernels (native AVX-512 where built, else WASM SIMD).
// Alone: `npx tsx benchmarks/step-esn.ts [-- --json] [-- --quick]`.
import { fileURLToPath } from 'node:url';
import type { ModelSection } from '../src/config/sections.js';
import { ModelRunner } from '../src/engine/model-runner.js';
import { measureSync } from './step-measure.js';

export const ESN_ROWS = ['esn 1×64', 'esn 1×256', 'gru 1×64'] as const;
export type EsnRow = (typeof ESN_ROWS)[number];
export type EsnTable = Record<EsnRow, Record<string, number>> & { engines: Record<EsnRow, string> };

function runnerFor(row: EsnRow, B: number): ModelRunner {
  const [cell, size] = row.split(' ');
  const units = Number(size.split('×')[1]);
  const spec = {
    cell,
    layers: 1,
    units,
    horizon: 1,
    seed: 1,
    interval_z: 1.96,
    forecaster: 'hybrid',
    ...(cell === 'esn'
      ? { esn: { spectral_radius: 0.9, leak_rate: 0.3, input_scaling: 0.5, sparsity: 0.9, ridge: 1e-3, washout_steps: 48 } }
      : {}),
  } as ModelSection;
  return new ModelRunner(spec, 8, B);
}

export function measureEsnRows(sizes: readonly number[], budgetMs: number, log: (s: string) => void): EsnTable {
  const table = { engines: {} } as EsnTable;
  for (const row of ESN_ROWS) {
    table[row] = {};
    for (const B of sizes) {
      const runner = runnerFor(row, B);
      // Slots in shuffled order, as a keyed arena hands them out over time.
      const slots = Int32Array.from({ length: B }, (_, i) => runner.slotOf(`s${(i * 7919) % B}`));
      const x = Float32Array.from({ length: B * 8 }, (_, i) => Math.sin(i));
      const out = new Float32Array(B * runner.outputWidth);
      table[row][String(B)] = B * measureSync(() => runner.step(slots, B, x, out), budgetMs).callsPerSec;
      table.engines[row] = runner.engine;
    }
    log(`${row} (${table.engines[row]}): ${sizes.map((B) => `B=${B} ${fmt(table[row][String(B)])}`).join(', ')}`);
  }
  return table;
}

export function printEsnTable(t: EsnTable, sizes: readonly number[], log: (s: string) => void): void {
  log('\nEcho state network vs GRU on the engine path (ModelRunner, 8 in → horizon 1): stream-steps/s (one core)');
  log(`${'B'.padStart(6)} ${ESN_ROWS.map((r) => r.padStart(12)).join(' ')}   esn 1×64 vs gru 1×64`);
  for (const B of sizes) {
    const k = String(B);
    log(
      `${k.padStart(6)} ${ESN_ROWS.map((r) => fmt(t[r][k]).padStart(12)).join(' ')}   ${(t['esn 1×64'][k] / t['gru 1×64'][k]).toFixed(2)}x`,
    );
  }
  log(`Engines: ${ESN_ROWS.map((r) => `${r} ${t.engines[r]}`).join(', ')}`);
}

function fmt(v: number): string {
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const sizes = [1, 64, 1024, 16384];
  const log = (s: string): void => {
    (json ? process.stderr : process.stdout).write(`${s}\n`);
  };
  const t = measureEsnRows(sizes, args.includes('--quick') ? 250 : 1000, log);
  if (json) process.stdout.write(`${JSON.stringify(t)}\n`);
  else printEsnTable(t, sizes, log);
}
