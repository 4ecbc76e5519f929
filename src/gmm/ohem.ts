/**
 * Online hard example mining (OHEM) for the segmentation cross-entropy, as MMSeg's `OHEMPixelSampler` with a
 * probability threshold (`thresh`, `min_kept`): of the labelled pixels, those whose predicted probability of their
 * own class is below a threshold enter the loss; the threshold is raised so that at least `minKeptPerImage · B` of the
 * hardest pixels enter. Weights are constants (no gradient flows through the selection).
 *
 * MMSeg: `min_threshold = sorted_prob[min(batch_kept, n − 1)]`, `threshold = max(min_threshold, thresh)`, weight 1
 * where `prob < threshold`; no labelled pixel → every weight 0.
 */
import { ValueError } from '../errors.js';

/** The two OHEM settings (threshold 0 = off). */
export interface OhemOptions {
  /** Pixels whose probability of their own class is below this are kept, in (0, 1]. */
  threshold: number;
  /** At least this many hardest labelled pixels per image are kept (MMSeg's `min_kept`). */
  minKeptPerImage: number;
}

/**
 * The 0/1 OHEM weights of one batch.
 * @param trueProb [N] each pixel's predicted probability of its labelled class (any value where ignored)
 * @param labels [N] class index or `ignoreIndex`
 * @param batch B, the number of images the N pixels come from
 * @returns [N] 1 for a kept pixel, 0 otherwise (always 0 where ignored)
 */
export function ohemWeights(
  trueProb: Float32Array,
  labels: ArrayLike<number>,
  ignoreIndex: number,
  batch: number,
  options: OhemOptions,
): Float32Array {
  checkOhemOptions(options);
  if (labels.length !== trueProb.length)
    throw new ValueError(`ohemWeights: labels has ${labels.length} entries, trueProb ${trueProb.length}`);
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== ignoreIndex) n++;
  const weights = new Float32Array(trueProb.length);
  if (n === 0) return weights;
  const probs = new Float32Array(n);
  for (let i = 0, j = 0; i < labels.length; i++) if (labels[i] !== ignoreIndex) probs[j++] = trueProb[i] as number;
  const kept = Math.min(options.minKeptPerImage * batch, n - 1);
  const minThreshold = kthSmallest(probs, kept);
  const threshold = Math.max(minThreshold, options.threshold);
  for (let i = 0; i < labels.length; i++)
    if (labels[i] !== ignoreIndex && (trueProb[i] as number) < threshold) weights[i] = 1;
  return weights;
}

/** Refuses a threshold outside (0, 1] or a negative / fractional `minKeptPerImage`. */
export function checkOhemOptions(options: OhemOptions): void {
  const { threshold, minKeptPerImage } = options;
  if (!(threshold > 0 && threshold <= 1)) throw new ValueError(`OHEM threshold must be in (0, 1], got ${threshold}`);
  if (!Number.isInteger(minKeptPerImage) || minKeptPerImage < 0)
    throw new ValueError(`OHEM minKeptPerImage must be an integer ≥ 0, got ${minKeptPerImage}`);
}

/**
 * The k-th smallest value (0-based) of `values` (reordered in place): Hoare quickselect with a median-of-three pivot,
 * O(n) on average, deterministic.
 */
export function kthSmallest(values: Float32Array, k: number): number {
  if (k < 0 || k >= values.length) throw new ValueError(`kthSmallest: k ${k} outside 0…${values.length - 1}`);
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = medianOfThree(values[lo] as number, values[(lo + hi) >> 1] as number, values[hi] as number);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const t = values[i] as number;
        values[i++] = values[j] as number;
        values[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k] as number;
  }
  return values[k] as number;
}

function medianOfThree(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}
