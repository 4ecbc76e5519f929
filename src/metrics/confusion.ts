/**
 * C×C confusion matrix for closed-set segmentation: rows = ground-truth label, columns = prediction.
 * Counts are float64 (exact integers up to 2⁵³ ≈ 9·10¹⁵ pixels). Pixels whose label equals the ignore
 * index are excluded; the matrix is the sufficient statistic for IoU / accuracy and adds across images and
 * workers with {@link mergeConfusion}.
 */
import { IGNORE_INDEX } from '../constants.js';
import { ShapeError, ValueError } from '../errors.js';
import { assertInt } from '../shape.js';

/** Default ignore index (Cityscapes / mmsegmentation convention): `IGNORE_INDEX` of `src/constants.ts`. */
export const DEFAULT_IGNORE_INDEX = IGNORE_INDEX;

/** Confusion counts. `counts[label · C + pred]`. */
export interface Confusion {
  numClasses: number;
  /** Row-major [C, C]: row = label, column = prediction. */
  counts: Float64Array;
}

/** An all-zero C×C matrix. */
export function createConfusion(numClasses: number): Confusion {
  assertInt(numClasses, 1, 65536, 'numClasses', 'createConfusion');
  return { numClasses, counts: new Float64Array(numClasses * numClasses) };
}

/**
 * Adds one image (any shape, flattened; `pred` and `label` the same length) to `cm` in place.
 * Labels equal to `ignoreIndex` are skipped whatever the prediction. Any other label outside [0, C), or a
 * prediction outside [0, C) at a non-ignored pixel, is a ValueError naming the value and its flat index;
 * the matrix is left unchanged in that case.
 */
export function accumulateConfusion(
  cm: Confusion,
  pred: ArrayLike<number>,
  label: ArrayLike<number>,
  ignoreIndex: number = DEFAULT_IGNORE_INDEX,
): Confusion {
  if (pred.length !== label.length) {
    throw new ShapeError(
      `accumulateConfusion: 'pred' has ${pred.length} values but 'label' has ${label.length}; they must match pixel for pixel`,
    );
  }
  const C = cm.numClasses;
  for (let i = 0; i < label.length; i++) {
    const l = label[i] as number;
    if (l === ignoreIndex) continue;
    if (!Number.isInteger(l) || l < 0 || l >= C) {
      throw new ValueError(
        `accumulateConfusion: label value ${l} at flat index ${i} is outside [0, ${C}) and is not the ignore index ${ignoreIndex}`,
      );
    }
    const p = pred[i] as number;
    if (!Number.isInteger(p) || p < 0 || p >= C) {
      throw new ValueError(`accumulateConfusion: prediction value ${p} at flat index ${i} is outside [0, ${C})`);
    }
  }
  const counts = cm.counts;
  for (let i = 0; i < label.length; i++) {
    const l = label[i] as number;
    if (l === ignoreIndex) continue;
    const idx = l * C + (pred[i] as number);
    counts[idx] = (counts[idx] as number) + 1;
  }
  return cm;
}

/** Confusion matrix of one (pred, label) pair. */
export function confusionFromArrays(
  pred: ArrayLike<number>,
  label: ArrayLike<number>,
  numClasses: number,
  ignoreIndex: number = DEFAULT_IGNORE_INDEX,
): Confusion {
  return accumulateConfusion(createConfusion(numClasses), pred, label, ignoreIndex);
}

/** Element-wise sum of two matrices with the same number of classes (a new matrix). */
export function mergeConfusion(a: Confusion, b: Confusion): Confusion {
  if (a.numClasses !== b.numClasses) {
    throw new ShapeError(
      `mergeConfusion: matrices have ${a.numClasses} and ${b.numClasses} classes; only equal-sized matrices merge`,
    );
  }
  return { numClasses: a.numClasses, counts: a.counts.map((v, i) => v + (b.counts[i] as number)) };
}

/** Count at (label, pred). */
export function confusionAt(cm: Confusion, label: number, pred: number): number {
  return cm.counts[label * cm.numClasses + pred] as number;
}
