import * as tf from '@tensorflow/tfjs';
import { assertShape } from '../shape.js';
import { layerNorm } from './layer-norm.js';

/** Smallest norm used when normalising a vector (PyTorch `F.normalize` eps). */
export const L2_EPS = 1e-12;

/**
 * Scales every row to unit L2 norm: x / max(‖x‖₂, 1e-12). Differentiable.
 * @param x [N, D]
 * @returns [N, D]
 */
export function l2NormalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  assertShape(x.shape, ['N', 'D'], 'x', 'l2NormalizeRows');
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), L2_EPS)) as tf.Tensor2D);
}

/**
 * The head's feature embedding: LayerNorm over D with the learned `featNorm` affine, then L2 normalisation
 * (reference steps 2–3). Differentiable.
 * @param feats [N, D] raw extractor output, pixels in (b, y, x) order
 * @returns [N, D] unit vectors
 */
export function embedFeatures(
  feats: tf.Tensor2D,
  featNormWeight: tf.Tensor1D,
  featNormBias: tf.Tensor1D,
  eps: number,
): tf.Tensor2D {
  return tf.tidy(() => l2NormalizeRows(layerNorm(feats, featNormWeight, featNormBias, eps)));
}

/**
 * Unit-normalises the rows of a flat [R, D] array (float64 arithmetic, float32 result): the reference's
 * in-place renormalisation of the component means, as a pure function.
 * @param rows [R, D]
 */
export function normalizeRowsArray(rows: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(rows.length);
  for (let r = 0; r < rows.length / dim; r++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += (rows[r * dim + d] as number) ** 2;
    const inv = 1 / Math.max(Math.sqrt(s), L2_EPS);
    for (let d = 0; d < dim; d++) out[r * dim + d] = (rows[r * dim + d] as number) * inv;
  }
  return out;
}
