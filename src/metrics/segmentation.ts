/**
 * Closed-set segmentation metrics from a confusion matrix, as mmsegmentation's `total_area_to_metrics`
 * defines them: per class, intersect = diagonal, area_label = row sum, area_pred = column sum,
 * union = area_label + area_pred − intersect;
 * IoU = intersect / union (NaN when the class is absent from both labels and predictions),
 * per-class accuracy = intersect / area_label (NaN when absent from the labels),
 * mIoU = mean IoU over the classes whose IoU is not NaN, aAcc (pixel accuracy) = Σ intersect / Σ area_label.
 */
import { ValueError } from '../errors.js';
import type { Confusion } from './confusion.js';

/** Metrics of one confusion matrix. Fractions in [0, 1]; NaN where a class is undefined (see module comment). */
export interface SegmentationMetrics {
  /** Per-class IoU. [C] */
  iou: Float64Array;
  /** NaN-mean of `iou`. */
  miou: number;
  /** Overall pixel accuracy (mmseg aAcc). */
  accuracy: number;
  /** Per-class accuracy (recall). [C] */
  classAccuracy: Float64Array;
  /** NaN-mean of `classAccuracy` (mmseg mAcc). */
  meanAccuracy: number;
  /** Pixels counted (labels other than the ignore index). */
  numPixels: number;
}

/** NaN-ignoring mean; NaN if every value is NaN. */
export function nanMean(values: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isNaN(v)) {
      s += v;
      n++;
    }
  }
  return n === 0 ? NaN : s / n;
}

/** IoU, mIoU, accuracies of a confusion matrix; throws if it counts no pixel at all. */
export function segmentationMetrics(cm: Confusion): SegmentationMetrics {
  const C = cm.numClasses;
  const iou = new Float64Array(C);
  const classAccuracy = new Float64Array(C);
  let total = 0;
  let correct = 0;
  for (let c = 0; c < C; c++) {
    let row = 0;
    let col = 0;
    for (let k = 0; k < C; k++) {
      row += cm.counts[c * C + k] as number;
      col += cm.counts[k * C + c] as number;
    }
    const inter = cm.counts[c * C + c] as number;
    const union = row + col - inter;
    iou[c] = union === 0 ? NaN : inter / union;
    classAccuracy[c] = row === 0 ? NaN : inter / row;
    total += row;
    correct += inter;
  }
  if (total === 0) {
    throw new ValueError(
      'segmentationMetrics: the confusion matrix is empty — no pixel had a label other than the ignore index',
    );
  }
  return {
    iou,
    miou: nanMean(iou),
    accuracy: correct / total,
    classAccuracy,
    meanAccuracy: nanMean(classAccuracy),
    numPixels: total,
  };
}
