/**
 * The two training losses of the GMM head.
 *
 * - Segmentation CE on the class logits bilinearly upsampled (align_corners = false) to label size. Reduction
 *   'all-pixels' is the reference's (MMSeg 0.22: mean over all B·H·W pixels, ignored ones counting zero);
 *   'valid-pixels' averages over labelled pixels only.
 * - Contrast CE over all C·K component log-densities with Sinkhorn component targets (mean over valid targets).
 * - Optional likelihood loss (a departure, weight 0 by default): −ℓ/D of each labelled pixel's own component.
 *   Targets use −1 as the ignore value, so K·c + k = 255 is a real target (the reference's collision, §8.2 item 4,
 *   is fixed). A batch with no valid target gives 0 instead of the reference's NaN (§8.2 item 12).
 */
import * as tf from '@tensorflow/tfjs';
import { assertShape } from '../shape.js';
import { ohemWeights, type OhemOptions } from './ohem.js';

/** Segmentation CE reductions. */
export type SegLossReduction = 'all-pixels' | 'valid-pixels';

/**
 * How the segmentation CE weighs its labelled pixels (both omitted: every labelled pixel counts 1, the reference).
 * The divisor of the reduction never changes (as MMSeg's `class_weight` and pixel samplers).
 */
export interface CeWeighting {
  /** Hard-pixel mining (`ohem.ts`): only the kept pixels' CE is summed; one device→host read per call. */
  ohem?: OhemOptions;
  /** [C] a weight per class: each labelled pixel's CE is multiplied by its class's weight (`train/class-weights.ts`). */
  classWeights?: readonly number[];
}

/** {@link CeWeighting} plus what saves device→host reads when the caller already has it. */
export interface SegLossOptions extends CeWeighting {
  /** For 'valid-pixels': the number of labelled pixels (counted on the device when omitted). */
  validCount?: number;
  /** For OHEM: `labels` as host values (read from the device when omitted). */
  hostLabels?: ArrayLike<number>;
}

/**
 * @param logits [B, h, w, C]
 * @param labels [B, H, W] int32 (class index or `ignoreIndex`; validated by the caller)
 * @returns scalar loss: Σ over labelled pixels of weight · CE, divided by B·H·W ('all-pixels') or the labelled count
 */
export function segmentationLoss(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  ignoreIndex: number,
  reduction: SegLossReduction,
  options: SegLossOptions = {},
): tf.Scalar {
  const [B, , , C] = logits.shape;
  const { H, W } = assertShape(labels.shape, [B, 'H', 'W'], 'labels', 'segmentationLoss');
  const { ohem, classWeights } = options;
  if (classWeights) assertShape([classWeights.length], [C], 'classWeights', 'segmentationLoss');
  return tf.tidy(() => {
    const up = tf.image.resizeBilinear(logits, [H as number, W as number], false, true);
    const logp = tf.logSoftmax(up);
    const valid = tf.notEqual(labels, ignoreIndex);
    const target = tf.oneHot(tf.where(valid, labels, tf.fill(labels.shape, -1, 'int32')) as tf.Tensor3D, C);
    const nll = tf.neg(tf.sum(tf.mul(target, logp), -1)); // [B, H, W], 0 where ignored
    let weighted = classWeights ? tf.mul(nll, tf.sum(tf.mul(target, tf.tensor1d([...classWeights])), -1)) : nll;
    if (ohem) {
      const keep = ohemWeights(
        tf.exp(tf.neg(nll)).dataSync() as Float32Array,
        options.hostLabels ?? labels.dataSync(),
        ignoreIndex,
        B,
        ohem,
      );
      weighted = tf.mul(weighted, tf.tensor(keep, nll.shape, 'float32'));
    }
    const countValid = (): number => tf.sum(tf.cast(valid, 'float32')).dataSync()[0] as number;
    const count = reduction === 'all-pixels' ? labels.size : (options.validCount ?? countValid());
    return tf.div(tf.sum(weighted), Math.max(count, 1)) as tf.Scalar;
  });
}

/**
 * @param logDensity [N, C·K] component log-densities (the contrast logits; no temperature)
 * @param targets [N] component targets K·c + k, or −1 to ignore
 * @returns scalar loss (0 when every target is ignored)
 */
export function contrastLoss(logDensity: tf.Tensor2D, targets: Int32Array): tf.Scalar {
  const [N, slots] = logDensity.shape; // slots = C·K
  assertShape([targets.length], [N], 'targets', 'contrastLoss');
  let valid = 0;
  for (const t of targets) if (t >= 0) valid++;
  return tf.tidy(() => {
    const oh = tf.oneHot(tf.tensor1d(targets, 'int32'), slots);
    const total = tf.neg(tf.sum(tf.mul(oh, tf.logSoftmax(logDensity))));
    return tf.div(total, Math.max(valid, 1)) as tf.Scalar;
  });
}

/**
 * The likelihood loss: −(1/D)·mean over valid targets of ℓ[n, t_n], the log-density of each labelled pixel under its
 * own assigned component (a generative pull towards that component; not in the reference).
 * @param logDensity [N, C·K] component log-densities
 * @param targets [N] component targets K·c + k, or −1 to ignore
 * @param embedDim D, the per-dimension normaliser
 * @returns scalar loss (0 when every target is ignored)
 */
export function likelihoodLoss(logDensity: tf.Tensor2D, targets: Int32Array, embedDim: number): tf.Scalar {
  const [N, slots] = logDensity.shape;
  assertShape([targets.length], [N], 'targets', 'likelihoodLoss');
  let valid = 0;
  for (const t of targets) if (t >= 0) valid++;
  return tf.tidy(() => {
    const oh = tf.oneHot(tf.tensor1d(targets, 'int32'), slots);
    const total = tf.neg(tf.sum(tf.mul(oh, logDensity)));
    return tf.div(total, Math.max(valid, 1) * embedDim) as tf.Scalar;
  });
}
