/**
 * A seeded uniform sample of a dataset's image indices, for passes that need a statistic of a large (e.g. generated)
 * training set rather than every image: the final refit's embeddings, the class weights' label histogram.
 */
import { randInt, type Rng } from '../random.js';

/**
 * Every index `0 … count − 1` when `max` is 0 or covers the set (no draw from `rng`), else a uniform sample of `max`
 * indices without repeats (partial Fisher–Yates), sorted.
 */
export function sampleIndices(count: number, max: number, rng: Rng): number[] {
  const all = Array.from({ length: count }, (_, i) => i);
  if (max <= 0 || max >= count) return all;
  for (let i = 0; i < max; i++) {
    const j = i + randInt(rng, count - i);
    [all[i], all[j]] = [all[j] as number, all[i] as number];
  }
  return all.slice(0, max).sort((a, b) => a - b);
}
