/**
 * From component log-densities to per-class scores. The one place that chooses between the two class scores
 * ({@link classScoresFromLogDensity}); inference runs it chunked over pixels so that the [N, C·K] matrix is never
 * materialised for large N (each chunk's temporaries are freed before the next; the engine's allocator reuses them).
 *
 * Names: `componentsPerClass` is K; the log-density columns are the C·K slots c·K + k.
 */
import * as tf from '@tensorflow/tfjs';
import { assertShape } from '../shape.js';
import { componentLogDensity, type DensityTensors } from './log-density.js';

/** How component log-densities combine into a class score. */
export type ClassScoreKind = 'max' | 'logsumexp';

/**
 * Max over components (the reference's `amax`): [N, C·K] → [N, C].
 * @param logDensity [N, C·K], column c·K + k
 */
export function maxOverComponents(logDensity: tf.Tensor2D, classes: number, componentsPerClass: number): tf.Tensor2D {
  assertShape(logDensity.shape, [null, classes * componentsPerClass], 'logDensity', 'maxOverComponents');
  return tf.tidy(() => tf.max(tf.reshape(logDensity, [-1, classes, componentsPerClass]), 2) as tf.Tensor2D);
}

/**
 * Exact mixture log-likelihood log Σ_k π_ck N(x; μ_ck, σ_ck) with log-weights (uniform −ln K when omitted),
 * by log-sum-exp (never exponentiates ℓ directly).
 * @param logDensity [N, C·K]
 * @param logWeights [C, K] log mixture weights, optional
 * @returns [N, C]
 */
export function mixtureLogLikelihood(
  logDensity: tf.Tensor2D,
  classes: number,
  componentsPerClass: number,
  logWeights?: tf.Tensor2D,
): tf.Tensor2D {
  const K = componentsPerClass;
  assertShape(logDensity.shape, [null, classes * K], 'logDensity', 'mixtureLogLikelihood');
  if (logWeights) assertShape(logWeights.shape, [classes, K], 'logWeights', 'mixtureLogLikelihood');
  return tf.tidy(() => {
    const l = tf.reshape(logDensity, [-1, classes, K]);
    const w = logWeights ? tf.add(l, logWeights) : tf.sub(l, Math.log(K));
    return tf.logSumExp(w, 2) as tf.Tensor2D;
  });
}

/**
 * The class score the config asks for, from component log-densities (differentiable).
 * @param logDensity [N, C·K]
 * @returns [N, C]
 */
export function classScoresFromLogDensity(
  logDensity: tf.Tensor2D,
  classes: number,
  componentsPerClass: number,
  kind: ClassScoreKind,
): tf.Tensor2D {
  return kind === 'max'
    ? maxOverComponents(logDensity, classes, componentsPerClass)
    : mixtureLogLikelihood(logDensity, classes, componentsPerClass);
}

/** Class scores of one block: [n, D] → [n, C]. Differentiable in x. */
export function classScores(
  x: tf.Tensor2D,
  dt: DensityTensors,
  classes: number,
  componentsPerClass: number,
  kind: ClassScoreKind,
): tf.Tensor2D {
  return tf.tidy(() => classScoresFromLogDensity(componentLogDensity(x, dt), classes, componentsPerClass, kind));
}

/**
 * Class scores for any number of pixels, `chunkRows` at a time (inference; no gradient needed).
 * Peak temporary memory is about chunkRows × (2D + C·K) floats instead of N × C·K.
 * @param x [N, D] embedded features
 * @returns [N, C]
 */
export function classScoresChunked(
  x: tf.Tensor2D,
  dt: DensityTensors,
  classes: number,
  componentsPerClass: number,
  kind: ClassScoreKind,
  chunkRows: number,
): tf.Tensor2D {
  assertShape(x.shape, ['N', 'D'], 'x', 'classScoresChunked');
  const N = x.shape[0];
  if (N <= chunkRows) return classScores(x, dt, classes, componentsPerClass, kind);
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < N; start += chunkRows) {
    const rows = Math.min(chunkRows, N - start);
    parts.push(tf.tidy(() => classScores(tf.slice(x, [start, 0], [rows, -1]), dt, classes, componentsPerClass, kind)));
  }
  const out = tf.concat(parts, 0);
  parts.forEach((p) => p.dispose());
  return out;
}
