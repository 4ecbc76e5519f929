/**
 * The engine half of the GMM head: the one forward shared by inference (`headForward`, head.ts) and training
 * (`headTrainForward`, train-forward.ts). Reference §1.2 steps 1–8:
 *   feats [N, D] → LayerNorm over D + L2 (embed) → component log-densities [N, C·K] against the unit-normalised means
 *   → class scores [N, C] (max over the K components of each class, or the exact mixture log-likelihood)
 *   → LayerNorm over the C class scores (`mask_norm`) → logits [N, C].
 * Nothing here reads from the device. Inference computes the log-densities `chunkRows` pixels at a time and keeps
 * only the class scores; training keeps the whole [N, C·K] matrix, which the contrast loss needs.
 */
import * as tf from '@tensorflow/tfjs';
import { assertShape } from '../shape.js';
import { classScoresChunked, classScoresFromLogDensity } from './class-scores.js';
import { embedFeatures, normalizeRowsArray } from './embed.js';
import type { HeadModel } from './head-types.js';
import { layerNorm } from './layer-norm.js';
import { componentLogDensity, densityMatrix, densityTensors, type DensityTensors } from './log-density.js';

/** 'inference': chunked, no [N, C·K] kept; 'training': unchunked, the log-densities kept for the contrast loss. */
export type ForwardMode = 'inference' | 'training';

/** Engine tensors of one forward (owned by the caller's tidy scope or gradient tape). */
export interface ForwardTensors {
  /** [N, D] embedded features (after LayerNorm + L2). */
  embedded: tf.Tensor2D;
  /** [N, C·K] component log-densities, column c·K + k; null in inference mode. */
  logDensity: tf.Tensor2D | null;
  /** [N, C] class log-likelihood scores before the class LayerNorm. */
  classScores: tf.Tensor2D;
  /** [N, C] segmentation logits after the class LayerNorm. */
  logits: tf.Tensor2D;
}

/**
 * The log-density GEMM operands of a head: its means unit-normalised (on a copy: the reference's in-place
 * renormalisation of step 4, made pure) and its stds. Dispose with `disposeDensityTensors`.
 */
export function headDensityTensors(model: HeadModel): DensityTensors {
  const { classes: C, componentsPerClass: K, embedDim: D } = model.config;
  return densityTensors(densityMatrix(normalizeRowsArray(model.gmm.means, D), model.gmm.stds, C * K, D));
}

/**
 * The forward on flattened features. Differentiable in `feats` and the LayerNorm affines; call it inside a tidy
 * scope or gradient tape.
 * @param feats [N, D] extractor output, pixels in (b, y, x) order
 * @param dt from {@link headDensityTensors}
 */
export function gmmForward(
  model: HeadModel,
  feats: tf.Tensor2D,
  dt: DensityTensors,
  mode: ForwardMode,
): ForwardTensors {
  const { config: cfg, norms } = model;
  const { classes: C, componentsPerClass: K, embedDim: D } = cfg;
  assertShape(feats.shape, [null, D], 'feats', 'gmmForward');
  const embedded = embedFeatures(feats, norms.featNormWeight, norms.featNormBias, cfg.layerNormEps);
  let logDensity: tf.Tensor2D | null = null;
  let classScores: tf.Tensor2D;
  if (mode === 'training') {
    logDensity = componentLogDensity(embedded, dt);
    classScores = classScoresFromLogDensity(logDensity, C, K, cfg.classScore);
  } else {
    classScores = classScoresChunked(embedded, dt, C, K, cfg.classScore, cfg.chunkRows);
  }
  const logits = layerNorm(classScores, norms.classNormWeight, norms.classNormBias, cfg.layerNormEps);
  return { embedded, logDensity, classScores, logits };
}
