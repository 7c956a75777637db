import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { selectTfjsBackend } from './tfjs-backend.js';

it('falls back to a backend that computes correctly', async () => {
  const name = await selectTfjsBackend(['tensorflow', 'wasm', 'cpu']);
  expect(['tensorflow', 'wasm', 'cpu']).toContain(name);
  expect(tf.getBackend()).toBe(name);
  expect(Array.from(tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync())).toEqual([11]);
  expect(await selectTfjsBackend(['cpu'])).toBe('cpu');
});
