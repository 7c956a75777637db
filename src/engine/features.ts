// A normalised value clipped so that one wild record cannot dominate a training target (fit-data's
// and the retraining replay buffer's). The model's inputs come from src/operators' StreamProcessor.

const CLIP = 8;

export function normalised(value: number, mean: number, std: number): number {
  const z = (value - mean) / std;
  return z > CLIP ? CLIP : z < -CLIP ? -CLIP : z;
}
