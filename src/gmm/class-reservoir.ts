/**
 * A bounded, uniform sample of embedding rows per class (reservoir sampling, Algorithm R), filled image by image: the
 * training pixels that {@link refitClassMixture} is fitted on. Seeded, so a refit is reproducible.
 */
import { ValueError } from '../errors.js';
import { randInt, type Rng } from '../random.js';
import { assertLength } from '../shape.js';

/** Per-class reservoirs: `rows[c]` holds `filled[c]` rows of D floats (capacity `perClass`). */
export interface ClassReservoir {
  dim: number;
  perClass: number;
  rows: Float32Array[];
  filled: Int32Array;
  /** Rows offered so far per class (the reservoir's n). */
  seen: Float64Array;
}

/** Empty reservoirs for `classes` classes. */
export function createClassReservoir(classes: number, dim: number, perClass: number): ClassReservoir {
  if (!(perClass > 0)) throw new ValueError(`createClassReservoir: perClass must be > 0, got ${perClass}`);
  return {
    dim,
    perClass,
    rows: Array.from({ length: classes }, () => new Float32Array(perClass * dim)),
    filled: new Int32Array(classes),
    seen: new Float64Array(classes),
  };
}

/**
 * Offers the rows of `feats` whose label is a class (labels outside 0..C−1, e.g. the ignore value, are skipped).
 * Mutates `res` (it is an accumulator, like a confusion matrix).
 * @param feats [N, D]
 * @param labels [N]
 */
export function offerRows(res: ClassReservoir, feats: Float32Array, labels: ArrayLike<number>, rng: Rng): void {
  const { dim, perClass } = res;
  const N = labels.length;
  assertLength(feats.length, [N, dim], 'feats', 'offerRows');
  const C = res.rows.length;
  for (let i = 0; i < N; i++) {
    const c = labels[i] as number;
    if (!(c >= 0 && c < C)) continue;
    const seen = (res.seen[c] as number) + 1;
    res.seen[c] = seen;
    let slot: number;
    if (seen <= perClass) slot = seen - 1;
    else {
      const j = randInt(rng, seen);
      if (j >= perClass) continue;
      slot = j;
    }
    res.rows[c]!.set(feats.subarray(i * dim, (i + 1) * dim), slot * dim);
    res.filled[c] = Math.min(seen, perClass);
  }
}

/** The sampled rows of class c, [filled, D]. */
export function classRows(res: ClassReservoir, c: number): Float32Array {
  return res.rows[c]!.subarray(0, (res.filled[c] as number) * res.dim);
}
