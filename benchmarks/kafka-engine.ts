import type { DeadLetter, Forecast, RawRecord } from '../src/core/types.js';
import { BatchedStepper } from '../src/models/batched-stepper.js';
import { StateArena } from '../src/models/state-arena.js';
import { randomModel } from '../src/models/testing/random-model.js';

// THE ENGINE HOOK of the Kafka benchmark. Until the daemon's pipeline exists, `standInEngine` stands in for
// it: JSON parse -> one LSTM step per record (batched over distinct streams) -> a forecast per record, with
// the stream's state bytes for the changelog. Swap in the real engine by returning the same shape from
// `createEngine` (parse -> operators -> model step -> forecasts; state rows from its StateArena).

export interface EngineOutput {
  readonly forecasts: Forecast[];
  readonly deadLetters: DeadLetter[];
  /** Streams whose state changed, with the input partition and the last offset included. */
  readonly touched: Map<string, { partition: number; offset: number }>;
}

export interface BenchEngine {
  readonly name: string;
  step(records: readonly RawRecord[]): EngineOutput;
  /** The stream's state as bytes for the changelog. */
  exportState(key: string): Uint8Array | undefined;
}

/** 'lstm': the stand-in model step; 'none': the same parse and outputs without a model (the connector path alone). */
export function createEngine(kind: 'lstm' | 'none' = 'lstm'): BenchEngine {
  return standInEngine(kind === 'lstm');
}

const UNITS = 32;

function standInEngine(withModel: boolean): BenchEngine {
  const model = randomModel({ kind: 'lstm', inputSize: 1, units: UNITS, layers: 1, horizon: 1, outputSize: 1, seed: 7 });
  const arena = new StateArena(model.stateSize, 4096);
  const maxWave = 1024;
  const stepper = new BatchedStepper(model, arena, maxWave);
  const slots = new Int32Array(maxWave);
  const inputs = new Float32Array(maxWave);
  const out = new Float32Array(maxWave * model.outputWidth);
  const waveKeys: string[] = [];
  const waveTimes = new Float64Array(maxWave);
  const inWave = new Set<string>();

  return {
    name: withModel ? `stand-in LSTM (1×${UNITS}, portable kernels)` : 'no model (connector path)',
    exportState: (key) => arena.exportState(key),
    step(records) {
      const forecasts: Forecast[] = [];
      const deadLetters: DeadLetter[] = [];
      const touched = new Map<string, { partition: number; offset: number }>();
      let n = 0;
      const flush = () => {
        if (withModel) stepper.step(slots, n, inputs, out);
        for (let i = 0; i < n; i++) {
          const w = model.outputWidth;
          const mean = out[i * w];
          const sd = Math.exp(0.5 * out[i * w + 1]);
          forecasts.push({
            pipeline: 'bench',
            key: waveKeys[i],
            t: waveTimes[i],
            stepMs: 1_000,
            modelVersion: 'bench-1',
            mean: Float64Array.of(mean),
            lower: Float64Array.of(mean - 1.96 * sd),
            upper: Float64Array.of(mean + 1.96 * sd),
          });
        }
        n = 0;
        waveKeys.length = 0;
        inWave.clear();
      };
      for (const r of records) {
        let t: unknown;
        let v: unknown;
        try {
          ({ t, v } = JSON.parse(r.payload) as { t: unknown; v: unknown });
        } catch {
          deadLetters.push({ record: r, code: 'parse_error', detail: 'invalid JSON', origin: r.origin });
          continue;
        }
        if (r.key === undefined || typeof t !== 'number' || typeof v !== 'number' || !Number.isFinite(v)) {
          deadLetters.push({ record: r, code: 'schema_mismatch', detail: 'expected key and numeric t, v', origin: r.origin });
          continue;
        }
        // One step per stream per call (the stepper's contract): a repeated stream starts the next wave.
        if (inWave.has(r.key) || n === maxWave) flush();
        inWave.add(r.key);
        slots[n] = arena.slotOf(r.key);
        inputs[n] = v;
        waveTimes[n] = t;
        waveKeys.push(r.key);
        n++;
        touched.set(r.key, { partition: r.origin.partition, offset: Number(r.origin.offset) });
      }
      if (n > 0) flush();
      return { forecasts, deadLetters, touched };
    },
  };
}
