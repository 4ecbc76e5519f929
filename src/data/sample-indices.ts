/**
 * A seeded uniform sample of a dataset's image indices, for passes that need a statistic of a large (e.g. generated)
 * training set rather than every image: the final refit's embeddings, the class weights' label histogram.
 */
import { shuffle, type Rng } from '../random.js';

/**
 * Every index `0 … count − 1` when `max` is 0 or covers the set (no draw from `rng`), else the first `max` indices of
 * a seeded shuffle (a uniform sample without repeats), sorted.
 */
export function sampleIndices(count: number, max: number, rng: Rng): number[] {
  const all = Array.from({ length: count }, (_, i) => i);
  if (max <= 0 || max >= count) return all;
  return shuffle(rng, all)
    .slice(0, max)
    .sort((a, b) => a - b);
}
