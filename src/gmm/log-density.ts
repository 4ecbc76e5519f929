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
 * @param x [n, D]
 * @returns [n, C·K], column c·K + k
 */
export function componentLogDensity(x: tf.Tensor2D, dt: DensityTensors): tf.Tensor2D {
  const [twoD, slots] = dt.weights.shape;
  assertShape(x.shape, [null, twoD / 2], 'x', 'componentLogDensity');
  assertShape(dt.bias.shape, [slots], 'bias', 'componentLogDensity');
  return tf.tidy(() => {
    const lhs = tf.concat([tf.square(x), x], 1);
    // A plain product + bias, not tf.fused.matMul: the fused op's gradient is a customGrad that computes the
    // gradients of all its inputs, so every training step paid for dW = lhsᵀ·dy ([2D, N] × [N, C·K]) and the bias's
    // although W and b are constants here; the plain ops' gradients are pruned to what reaches the variables.
    return tf.add(tf.matMul(lhs, dt.weights), dt.bias) as tf.Tensor2D;
  });
}
