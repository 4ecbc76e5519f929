/**
 * Diagonal-Gaussian log-densities of N features under C·K components as one matrix product per chunk.
 *
 * ℓ[n, j] = −(D/2)·ln 2π − Σ_d ln σ_jd − ½ Σ_d (x_nd − μ_jd)² / σ_jd²
 *         = [x², x]_n · W[:, j] + b_j   with
 *   W[d, j] = −½ / σ_jd²,   W[D + d, j] = μ_jd / σ_jd²,   b_j = −(D/2)·ln 2π − Σ_d ln σ_jd − ½ Σ_d μ_jd² / σ_jd².
 * So the N×(C·K)×D broadcast of the reference is never formed: one [n, 2D] × [2D, C·K] GEMM plus a bias per chunk.
 * σ is a standard deviation (the reference's `scale_diag`), never a variance.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { assertLength, assertShape } from '../shape.js';

/** The GEMM operands of the log-density: W [2D, C·K] and b [C·K] (float32, computed in float64). */
export interface DensityMatrix {
  /** C·K: number of (class, component) slots, i.e. columns of W. */
  slots: number;
  /** D */
  dim: number;
  /** [2D, C·K]: rows 0..D−1 multiply x², rows D..2D−1 multiply x. */
  weights: Float32Array;
  /** [C·K] */
  bias: Float32Array;
}

/**
 * Builds W and b from component means and standard deviations.
 * @param means [C·K, D] (row c·K + k)
 * @param stds [C·K, D], all > 0
 * @param slots C·K (all components of all classes)
 */
export function densityMatrix(means: Float32Array, stds: Float32Array, slots: number, dim: number): DensityMatrix {
  assertLength(means.length, [slots, dim], 'means', 'densityMatrix');
  assertLength(stds.length, [slots, dim], 'stds', 'densityMatrix');
  const weights = new Float32Array(2 * dim * slots);
  const bias = new Float32Array(slots);
  const logNorm = -0.5 * dim * Math.log(2 * Math.PI);
  for (let j = 0; j < slots; j++) {
    let b = logNorm;
    for (let d = 0; d < dim; d++) {
      const s = stds[j * dim + d] as number;
      if (!(s > 0) || !Number.isFinite(s))
        throw new ValueError(`densityMatrix: stds[${j}, ${d}] = ${s}; standard deviations must be finite and > 0`);
      const mu = means[j * dim + d] as number;
      const prec = 1 / (s * s);
      weights[d * slots + j] = -0.5 * prec;
      weights[(dim + d) * slots + j] = mu * prec;
      b += -Math.log(s) - 0.5 * mu * mu * prec;
    }
    bias[j] = b;
  }
  return { slots, dim, weights, bias };
}

/** The density matrix as engine tensors (dispose with {@link disposeDensityTensors}). */
export interface DensityTensors {
  weights: tf.Tensor2D;
  bias: tf.Tensor1D;
}

/** Uploads a density matrix to the engine. */
export function densityTensors(m: DensityMatrix): DensityTensors {
  return { weights: tf.tensor2d(m.weights, [2 * m.dim, m.slots]), bias: tf.tensor1d(m.bias) };
}

/** Frees the tensors of {@link densityTensors}. */
export function disposeDensityTensors(t: DensityTensors): void {
  t.weights.dispose();
  t.bias.dispose();
}

/**
 * Component log-densities for one block of features, differentiable in `x` (means and stds are constants).
 * Forward: one GEMM with the bias added inside it. Gradient: only dx = 2x ⊙ (dy·W_x²ᵀ) + dy·W_xᵀ — the same float32
 * values as the tape's gradient of the ops (× 2 is exact; a sum of two terms is commutative) — where tfjs's own
 * gradient of the fused product (a customGrad over all its inputs) also computed dW = lhsᵀ·dy ([2D, N] × [N, C·K])
 * and db although W and b are constants: a third of the demo's GMM-head step.
 * @param x [n, D]
 * @returns [n, C·K], column c·K + k
 */
export function componentLogDensity(x: tf.Tensor2D, dt: DensityTensors): tf.Tensor2D {
  const [twoD, slots] = dt.weights.shape;
  assertShape(x.shape, [null, twoD / 2], 'x', 'componentLogDensity');
  assertShape(dt.bias.shape, [slots], 'bias', 'componentLogDensity');
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    save([input, dt.weights]); // kept for the gradient: the caller may dispose dt before backprop
    const lhs = tf.concat([tf.square(input), input], 1);
    return {
      value: tf.fused.matMul({ a: lhs, b: dt.weights, bias: dt.bias }),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [gSquare, gLinear] = tf.split(tf.matMul(dy as tf.Tensor2D, saved[1] as tf.Tensor2D, false, true), 2, 1);
        return tf.add(tf.mul(gSquare as tf.Tensor, tf.mul(saved[0] as tf.Tensor, 2)), gLinear as tf.Tensor);
      },
    };
  });
  return op(x) as tf.Tensor2D;
}
