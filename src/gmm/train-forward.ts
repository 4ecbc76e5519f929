/**
 * The differentiable part of one training step of the GMM head, with its engine/host boundary:
 *
 *   engine  gmmForward (the same forward as inference, log-densities kept)     embed → ℓ [N, C·K] → scores → logits
 *   read 1  one device→host read of what the host uses: embedded [N, D], own-class ℓ [N, K], logits [N, C]
 *   host    E-step: Sinkhorn component targets per class present (labels at feature resolution come from the
 *           caller's host labels; they are uploaded once for the segmentation loss and never read back)
 *   engine  losses: segmentation CE + weight · contrast CE (the contrast CE needs the targets)
 *   read 2  the two loss values, for reporting
 *
 * The result is one {@link HeadCapture} that the no-gradient host part (`advanceHead`: memory, M-step) consumes.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { assertLength, assertShape } from '../shape.js';
import type { GmmConfig } from './config.js';
import { gmmForward, headDensityTensors, type ForwardTensors } from './forward.js';
import type { HeadModel } from './head-types.js';
import { checkLabels, nearestResizeLabels } from './labels.js';
import { disposeDensityTensors } from './log-density.js';
import { contrastLoss, likelihoodLoss, segmentationLoss, type CeWeighting } from './losses.js';
import { ownClassTargets, type ComponentTargets } from './targets.js';

/** What one training forward hands to the host part of the step (memory and M-step), all host arrays. */
export interface HeadCapture {
  /** [N, D] embedded features (after LayerNorm + L2). */
  embedded: Float32Array;
  /** [N] labels at feature resolution (from the host labels). */
  labelsSmall: Int32Array;
  /** [N, C] class logits. */
  logits: Float32Array;
  /** The E-step's per-pixel targets, assignments and memory eligibility. */
  targets: ComponentTargets;
  segLoss: number;
  contrastLoss: number;
}

/**
 * The differentiable part of a step for one (micro-)batch: forward, Sinkhorn targets, total loss. Call it inside a
 * gradient tape (tf.variableGrads / optimizer.minimize); the capture feeds `advanceHead`.
 * @param feats [B, h, w, D]
 * @param labels [B, H, W] class indices or the ignore index
 * @param weighting OHEM and class weights of the segmentation CE (omitted: every labelled pixel counts 1, the reference)
 * @returns the total loss (scalar tensor) and the capture
 */
export function headTrainForward(
  model: HeadModel,
  feats: tf.Tensor4D,
  labels: ArrayLike<number>,
  labelShape: readonly [number, number, number],
  weighting: CeWeighting = {},
): { loss: tf.Scalar; capture: HeadCapture } {
  const cfg = model.config;
  const { classes: C, embedDim: D } = cfg;
  const [B, H, W] = labelShape;
  assertLength(labels.length, [B, H, W], 'labels', 'headTrainForward');
  checkLabels(labels, C, cfg.ignoreIndex, 'headTrainForward');
  assertShape(feats.shape, [B, null, null, D], 'features', 'headTrainStep');
  const [, h, w] = feats.shape;
  const labelsSmall = nearestResizeLabels(labels, B, H, W, h, w);
  const dt = headDensityTensors(model);
  const labelsFull = tf.tensor3d(Int32Array.from(labels), [B, H, W], 'int32');
  try {
    const fwd = gmmForward(model, tf.reshape(feats, [-1, D]), dt, 'training');
    const read = readForHost(fwd, labelsSmall, cfg);
    const targets = ownClassTargets(read.ownLogDensity, labelsSmall, argmaxRows(read.logits, C), {
      classes: C,
      componentsPerClass: cfg.componentsPerClass,
      ignoreIndex: cfg.ignoreIndex,
      contrastTargetCollision: cfg.contrastTargetCollision,
      memoryAdmission: cfg.memoryAdmission,
      iterations: cfg.sinkhornIterations,
      epsilon: cfg.sinkhornEpsilon,
    });
    const logits4 = tf.reshape(fwd.logits, [B, h, w, C]) as tf.Tensor4D;
    const valid = cfg.segLossReduction === 'valid-pixels' ? countValid(labels, cfg.ignoreIndex) : undefined;
    const seg = segmentationLoss(logits4, labelsFull, cfg.ignoreIndex, cfg.segLossReduction, {
      ...weighting,
      ...(valid === undefined ? {} : { validCount: valid }),
      hostLabels: labels,
    });
    const con = contrastLoss(fwd.logDensity as tf.Tensor2D, targets.targets);
    let total = tf.add(seg, tf.mul(con, cfg.contrastLossWeight)) as tf.Scalar;
    if (cfg.likelihoodLossWeight > 0) {
      const nll = likelihoodLoss(fwd.logDensity as tf.Tensor2D, targets.targets, D);
      total = tf.add(total, tf.mul(nll, cfg.likelihoodLossWeight)) as tf.Scalar;
    }
    const [segLoss, conLoss] = tf.tidy(() => Array.from(tf.stack([seg, con]).dataSync()));
    const capture: HeadCapture = {
      embedded: read.embedded,
      labelsSmall,
      logits: read.logits,
      targets,
      segLoss: segLoss as number,
      contrastLoss: conLoss as number,
    };
    return { loss: total, capture };
  } finally {
    disposeDensityTensors(dt);
    labelsFull.dispose();
  }
}

/** The host's view of one training forward. */
interface HostRead {
  /** [N, D] */
  embedded: Float32Array;
  /** [N, K] ℓ of each pixel's own class (class 0's for ignored pixels; unused). */
  ownLogDensity: Float32Array;
  /** [N, C] */
  logits: Float32Array;
}

/**
 * The one device→host read of the E-step's inputs: the own-class columns of ℓ are gathered on the device (K of the
 * C·K values per pixel), and the three blocks are concatenated into one flat tensor. Refuses non-finite embeddings.
 * @param labelsSmall [N] labels at feature resolution
 */
function readForHost(fwd: ForwardTensors, labelsSmall: Int32Array, cfg: GmmConfig): HostRead {
  const { classes: C, componentsPerClass: K, embedDim: D } = cfg;
  const N = labelsSmall.length;
  const rows = Int32Array.from(labelsSmall, (y, n) => n * C + (y === cfg.ignoreIndex ? 0 : y));
  const flatT = tf.tidy(() => {
    const own = tf.gather(tf.reshape(fwd.logDensity as tf.Tensor2D, [N * C, K]), tf.tensor1d(rows, 'int32'));
    return tf.concat([fwd.embedded, own, fwd.logits].map((t) => tf.reshape(t, [-1])));
  });
  // Read outside the tidy: a typed array returned from a tidy is walked element by element by tfjs (≈ 40 % of a
  // CUDA training step at 8 × 352 × 480 before this).
  const flat = flatT.dataSync() as Float32Array;
  flatT.dispose();
  const embedded = flat.slice(0, N * D);
  assertFiniteEmbedding(embedded, D);
  return { embedded, ownLogDensity: flat.slice(N * D, N * (D + K)), logits: flat.slice(N * (D + K)) };
}

function assertFiniteEmbedding(embedded: Float32Array, D: number): void {
  for (let i = 0; i < embedded.length; i++) {
    if (!Number.isFinite(embedded[i] as number)) {
      const pixel = Math.floor(i / D);
      throw new ValueError(
        `headTrainStep: features produce a non-finite embedding at pixel ${pixel}; ` +
          'NaN/Inf features are not fed into the GMM',
      );
    }
  }
}

function countValid(labels: ArrayLike<number>, ignoreIndex: number): number {
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== ignoreIndex) n++;
  return n;
}

/** Per row of [N, C], the first index of the largest value. */
function argmaxRows(values: Float32Array, C: number): Int32Array {
  const N = values.length / C;
  const out = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    let best = 0;
    for (let c = 1; c < C; c++) if ((values[n * C + c] as number) > (values[n * C + best] as number)) best = c;
    out[n] = best;
  }
  return out;
}
