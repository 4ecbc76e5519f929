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
 * @param logits [B, h, w, C]
 * @param labels [B, H, W] int32 (class index or `ignoreIndex`; validated by the caller)
 * @param validCount for 'valid-pixels': the number of labelled pixels when the caller knows it from its host labels
 *   (saves a device→host read); counted on the device when omitted
 * @param ohem hard-pixel mining (`ohem.ts`): only the kept pixels' CE is summed (the divisor is unchanged, as MMSeg's
 *   sampler weights); one device→host read of the own-class probabilities. Omitted: every labelled pixel.
 * @param hostLabels for OHEM: `labels` as host values when the caller has them (saves a device→host read); read from
 *   the device when omitted
 * @returns scalar loss
 */
export function segmentationLoss(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  ignoreIndex: number,
  reduction: SegLossReduction,
  validCount?: number,
  ohem?: OhemOptions,
  hostLabels?: ArrayLike<number>,
): tf.Scalar {
  const [B, , , C] = logits.shape;
  const { H, W } = assertShape(labels.shape, [B, 'H', 'W'], 'labels', 'segmentationLoss');
  return tf.tidy(() => {
    const up = tf.image.resizeBilinear(logits, [H as number, W as number], false, true);
    const logp = tf.logSoftmax(up);
    const valid = tf.notEqual(labels, ignoreIndex);
    const target = tf.oneHot(tf.where(valid, labels, tf.fill(labels.shape, -1, 'int32')) as tf.Tensor3D, C);
    const total = ohem
      ? ohemSum(tf.mul(target, logp), hostLabels ?? labels.dataSync(), labels.shape[0], ignoreIndex, ohem)
      : tf.neg(tf.sum(tf.mul(target, logp)));
    const countValid = (): number => tf.sum(tf.cast(valid, 'float32')).dataSync()[0] as number;
    const count = reduction === 'all-pixels' ? labels.size : (validCount ?? countValid());
    return tf.div(total, Math.max(count, 1)) as tf.Scalar;
  });
}

/**
 * The CE summed over the pixels OHEM keeps (call inside a tidy).
 * @param targetLogp [B, H, W, C] one-hot target × log-softmax (all 0 where ignored)
 * @param labels [B·H·W] host labels
 */
function ohemSum(
  targetLogp: tf.Tensor,
  labels: ArrayLike<number>,
  batch: number,
  ignoreIndex: number,
  ohem: OhemOptions,
): tf.Scalar {
  const nll = tf.neg(tf.sum(targetLogp, -1));
  const trueProb = tf.exp(tf.neg(nll)).dataSync() as Float32Array;
  const weights = ohemWeights(trueProb, labels, ignoreIndex, batch, ohem);
  return tf.sum(tf.mul(nll, tf.tensor(weights, nll.shape, 'float32')));
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
