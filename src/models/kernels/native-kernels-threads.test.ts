import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { nativeKernels } from './native-kernels.js';
import { portableKernels } from './portable.js';
import { firstBitDifference, randomFloats, seededRandom } from './test-random.js';

// Worker threads may load the addon and call it at the same time (the background trainer): each
// thread must get its own gemmTransB scratch. Two workers and the main thread run transposed
// products of growing sizes concurrently; every result must equal the portable one.

const ADDON = new URL('../../../native/build/kernels-addon.node', import.meta.url).pathname;
const SIZES: Array<[number, number, number]> = [
  [8, 16, 32],
  [16, 64, 256],
  [32, 200, 300],
  [64, 256, 512],
];

// Plain JS so the worker needs no TS loader: same xorshift as test-random.ts.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const addon = require(workerData.addon);
function rand(seed) { let s = seed >>> 0 || 1; return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; }; }
const out = [];
for (let rep = 0; rep < workerData.reps; rep++) {
  for (const [m, n, k] of workerData.sizes) {
    const r = rand(m * 1000 + n + workerData.seed);
    const a = new Float32Array(m * k).map(() => r() * 2 - 1), b = new Float32Array(n * k).map(() => r() * 2 - 1);
    const c = new Float32Array(m * n);
    addon.gemmTransB(m, n, k, a, 0, b, 0, c, 0, 0);
    if (rep === workerData.reps - 1) out.push(c);
  }
}
parentPort.postMessage(out);
`;

function expected(seed: number): Float32Array[] {
  return SIZES.map(([m, n, k]) => {
    const r = seededRandom(m * 1000 + n + seed);
    const a = randomFloats(r, m * k),
      b = randomFloats(r, n * k);
    const c = new Float32Array(m * n);
    portableKernels.gemmTransB(m, n, k, a, 0, b, 0, c, 0, 0);
    return c;
  });
}

describe.skipIf(nativeKernels() === null)('native kernels across threads', () => {
  it('gives the portable bits in two workers and the main thread at once', async () => {
    const k = nativeKernels()!;
    const run = (seed: number) =>
      new Promise<Float32Array[]>((resolve, reject) => {
        const w = new Worker(WORKER, { eval: true, workerData: { addon: ADDON, sizes: SIZES, reps: 40, seed } });
        w.once('message', (m: Float32Array[]) => {
          resolve(m);
          void w.terminate();
        });
        w.once('error', reject);
      });
    const pending = [run(1), run(2)];
    const main: Float32Array[] = [];
    for (let rep = 0; rep < 40; rep++) {
      SIZES.forEach(([m, n, kk], i) => {
        const r = seededRandom(m * 1000 + n + 3);
        const a = randomFloats(r, m * kk),
          b = randomFloats(r, n * kk);
        const c = new Float32Array(m * n);
        k.gemmTransB(m, n, kk, a, 0, b, 0, c, 0, 0);
        main[i] = c;
      });
    }
    const [w1, w2] = await Promise.all(pending);
    for (const [got, seed] of [
      [w1, 1],
      [w2, 2],
      [main, 3],
    ] as const) {
      const want = expected(seed);
      got.forEach((c, i) => {
        expect(firstBitDifference(c, want[i]), `seed ${seed} size ${i}`).toBe(-1);
      });
    }
  });
});
