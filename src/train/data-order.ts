/**
 * Deterministic data order: epoch e visits the dataset in the order of a permutation drawn from seed (seed, e).
 * Everything is a function of (seed, step), so a resumed run sees exactly the batches an uninterrupted run would.
 */
import { createRng, shuffle } from '../random.js';

/** Mixes integers into a 32-bit seed (splitmix-style). */
export function mixSeed(...parts: number[]): number {
  let h = 0x243f6a88;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x9e3779b1) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
    h = Math.imul(h, 0x85ebca77) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  return h;
}

/** The permutation of [0, n) used in epoch `epoch`. */
export function epochPermutation(seed: number, epoch: number, n: number): number[] {
  return shuffle(
    createRng(mixSeed(seed, 0x5eed, epoch)),
    Array.from({ length: n }, (_, i) => i),
  );
}

/**
 * Dataset indices of micro-batch `micro` of optimizer step `step`.
 * @param perStep samples per optimizer step (batchSize · accumulateSteps)
 */
export function batchIndices(
  seed: number,
  step: number,
  micro: number,
  batchSize: number,
  accumulateSteps: number,
  n: number,
): number[] {
  const perStep = batchSize * accumulateSteps;
  const out: number[] = [];
  let cachedEpoch = -1;
  let perm: number[] = [];
  for (let j = 0; j < batchSize; j++) {
    const global = step * perStep + micro * batchSize + j;
    const epoch = Math.floor(global / n);
    if (epoch !== cachedEpoch) {
      perm = epochPermutation(seed, epoch, n);
      cachedEpoch = epoch;
    }
    out.push(perm[global % n] as number);
  }
  return out;
}
