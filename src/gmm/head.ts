/**
 * The GMM classifier head: its initial state, and its inference forward (which never mutates anything; the forward
 * itself is forward.ts, shared with training).
 *
 * Forward (reference §1.2): feats [B,h,w,D] → LayerNorm over D + L2 → component log-densities against the
 * unit-normalised means → class score per class (max over components, or the exact mixture log-likelihood) →
 * LayerNorm over the C class scores (`mask_norm`) → logits [B,h,w,C].
 * The anomaly score is −max_c of the class scores *before* the class LayerNorm (which would erase the likelihood level).
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { normal, type Rng } from '../random.js';
import { assertShape } from '../shape.js';
import type { GmmConfig } from './config.js';
import { normalizeRowsArray } from './embed.js';
import { gmmForward, headDensityTensors } from './forward.js';
import type { GmmParams, HeadModel, HeadNorms, HeadState } from './head-types.js';
import { disposeDensityTensors } from './log-density.js';
import { createMemory } from './memory.js';

export type { GmmParams, HeadModel, HeadNorms, HeadState } from './head-types.js';

/**
 * Initial head state as in the reference: means ~ N(0, 0.02²) (the reference's trunc_normal_ bounds ±2 are absolute, so never reached) then unit-normalised, σ = 1, LayerNorms γ = 1, β = 0,
 * memory of random unit vectors (or neutral running moments), or empty with `memoryInit: 'empty'`.
 * @param trainableNorms make the LayerNorm parameters tf.Variables (for training)
 */
export function createHeadState(config: GmmConfig, rng: Rng, trainableNorms = false): HeadState {
  const { classes: C, componentsPerClass: K, embedDim: D } = config;
  const raw = Float32Array.from({ length: C * K * D }, () => 0.02 * normal(rng));
  const gmm: GmmParams = { means: normalizeRowsArray(raw, D), stds: new Float32Array(C * K * D).fill(1) };
  const memory = createMemory(config.memoryKind, C * K, config.memoryPerComponent, D, rng, config.memoryInit);
  const norms = makeNorms(
    new Float32Array(D).fill(1),
    new Float32Array(D),
    new Float32Array(C).fill(1),
    new Float32Array(C),
    trainableNorms,
  );
  return { config, norms, gmm, memory, memoryVersion: memory.version, step: 0 };
}

/** Builds LayerNorm parameter tensors (variables when `trainable`). */
export function makeNorms(
  featW: Float32Array,
  featB: Float32Array,
  classW: Float32Array,
  classB: Float32Array,
  trainable: boolean,
): HeadNorms {
  const mk = (a: Float32Array): tf.Tensor1D => (trainable ? tf.variable(tf.tensor1d(a), true) : tf.tensor1d(a));
  return { featNormWeight: mk(featW), featNormBias: mk(featB), classNormWeight: mk(classW), classNormBias: mk(classB) };
}

/** Frees the LayerNorm tensors of a head. */
export function disposeNorms(n: HeadNorms): void {
  [n.featNormWeight, n.featNormBias, n.classNormWeight, n.classNormBias].forEach((t) => t.dispose());
}

/** Inference outputs. */
export interface HeadOutputs {
  /** [B, h, w, C] after the class LayerNorm: the segmentation logits. */
  logits: tf.Tensor4D;
  /** [B, h, w, C] class log-likelihood scores before the class LayerNorm. */
  classScores: tf.Tensor4D;
}

/**
 * Inference forward; pure (the means are normalised on a copy). Works on any number of pixels: log-densities are
 * computed `config.chunkRows` pixels at a time.
 * @param feats [B, h, w, D] extractor output
 */
export function headForward(model: HeadModel, feats: tf.Tensor4D): HeadOutputs {
  const { classes: C, embedDim: D } = model.config;
  const [B, h, w] = feats.shape;
  assertShape(feats.shape, [null, null, null, D], 'feats', 'headForward');
  const finite = tf.tidy(() => tf.all(tf.isFinite(feats)).dataSync()[0] as number);
  if (!finite) throw new ValueError('headForward: feats contains NaN or Inf values');
  const dt = headDensityTensors(model);
  try {
    return tf.tidy(() => {
      const out = gmmForward(model, tf.reshape(feats, [-1, D]), dt, 'inference');
      return {
        logits: tf.reshape(out.logits, [B, h, w, C]) as tf.Tensor4D,
        classScores: tf.reshape(out.classScores, [B, h, w, C]) as tf.Tensor4D,
      };
    });
  } finally {
    disposeDensityTensors(dt);
  }
}

/**
 * Anomaly score from class scores: −max_c log p(x | c) (higher = more anomalous).
 * @param classScores [..., C]
 * @returns [...]
 */
export function anomalyScore<T extends tf.Tensor>(classScores: T): tf.Tensor {
  return tf.tidy(() => tf.neg(tf.max(classScores, -1)));
}
