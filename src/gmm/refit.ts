/**
 * Offline refit of one class's mixture on clean embeddings: Sinkhorn EM run to convergence on a fixed sample, with the
 * same E-step (log-domain Sinkhorn-Knopp, uniform component marginals, hard assignment) and the same M-step formula as
 * the online head (mean = direction of the sum, second moment around it, σ = sqrt(v + floor)), but without momentum and
 * without a memory that still holds random initial vectors or stale features.
 *
 * Why (issue 11's diagnosis, measured on CamVid): the online statistics lag the final extractor (mean momentum, a memory
 * spanning hundreds of steps, rare classes' memories still partly random, dead components); rebuilding the mixtures on
 * clean training pixels of the final embedding lifted the likelihood's anomaly AP from 0.28 to 0.44–0.47.
 *
 * Pure host code in float64; `x` rows must be unit vectors (the head's embedding).
 */
import { ValueError } from '../errors.js';
import { randInt, uniform, type Rng } from '../random.js';
import { assertLength } from '../shape.js';
import { L2_EPS, normalizeRowsArray } from './embed.js';
import { sinkhornAssign, type SinkhornOptions } from './sinkhorn.js';

/** Settings of {@link refitClassMixture}. */
export interface RefitOptions {
  /** K: components of the class. */
  componentsPerClass: number;
  /** EM iterations (each: densities → Sinkhorn assignment → M-step). */
  iterations: number;
  /** Variance floor added to every dimension: σ = sqrt(v + floor). */
  stdFloorVariance: number;
  sinkhorn: SinkhornOptions;
}

/** One class's fitted mixture. */
export interface ClassMixture {
  /** [K, D] unit-normalised means. */
  means: Float32Array;
  /** [K, D] standard deviations. */
  stds: Float32Array;
  /** [K] rows assigned to each component at the last E-step. */
  counts: Int32Array;
}

/**
 * Fits K diagonal Gaussians to the rows of `x` by Sinkhorn EM from a k-means++-style (cosine) seeding.
 * @param x [n, D] unit-norm embeddings of one class (n ≥ K)
 */
export function refitClassMixture(x: Float32Array, dim: number, opts: RefitOptions, rng: Rng): ClassMixture {
  const K = opts.componentsPerClass;
  const n = x.length / dim;
  assertLength(x.length, [n, dim], 'x', 'refitClassMixture');
  if (!Number.isInteger(n) || n < K) throw new ValueError(`refitClassMixture: x has ${n} rows; need at least K = ${K}`);
  const means = seedMeans(x, n, dim, K, rng);
  const stds = new Float64Array(K * dim).fill(1);
  let assign: Int32Array = new Int32Array(n);
  for (let it = 0; it < opts.iterations; it++) {
    assign = sinkhornAssign(logDensities(x, n, dim, means, stds, K), n, K, opts.sinkhorn);
    mStepHard(x, n, dim, assign, K, opts.stdFloorVariance, means, stds);
  }
  const counts = new Int32Array(K);
  for (let i = 0; i < n; i++) counts[assign[i] as number]! += 1;
  return { means: Float32Array.from(means), stds: Float32Array.from(stds), counts };
}

/**
 * Component log-densities of every row, [n, K] row-major: −½ Σ_d ((x_d − μ_d)/σ_d)² − Σ_d log σ_d − D/2 · log 2π.
 * Means are used unit-normalised (as the head does).
 */
export function logDensities(
  x: Float32Array,
  n: number,
  dim: number,
  means: Float64Array,
  stds: Float64Array,
  K: number,
): Float64Array {
  const out = new Float64Array(n * K);
  const c0 = -0.5 * dim * Math.log(2 * Math.PI);
  const unit = normalizeRowsArray(Float32Array.from(means), dim); // float32 unit means, as the head uses them
  const prec = stds.map((s) => 1 / (s * s));
  const logDet = new Float64Array(K);
  for (let k = 0; k < K; k++) for (let d = 0; d < dim; d++) logDet[k]! += Math.log(stds[k * dim + d] as number);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      let q = 0;
      for (let d = 0; d < dim; d++) {
        const e = (x[i * dim + d] as number) - (unit[k * dim + d] as number);
        q += e * e * (prec[k * dim + d] as number);
      }
      out[i * K + k] = c0 - 0.5 * q - (logDet[k] as number);
    }
  }
  return out;
}

/** The head's M-step on hard assignments, in place: f = normalise(Σ x), v = E[(x − f)²], σ = sqrt(v + floor). */
function mStepHard(
  x: Float32Array,
  n: number,
  dim: number,
  assign: Int32Array,
  K: number,
  floor: number,
  means: Float64Array,
  stds: Float64Array,
): void {
  const s1 = new Float64Array(K * dim);
  const s2 = new Float64Array(K * dim);
  const cnt = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    const k = assign[i] as number;
    cnt[k]! += 1;
    for (let d = 0; d < dim; d++) {
      const v = x[i * dim + d] as number;
      s1[k * dim + d]! += v;
      s2[k * dim + d]! += v * v;
    }
  }
  for (let k = 0; k < K; k++) {
    if (cnt[k] === 0) continue; // keep a component that received nothing (Sinkhorn's equal partition makes it rare)
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += (s1[k * dim + d] as number) ** 2;
    const inv = 1 / Math.max(Math.sqrt(norm), L2_EPS);
    for (let d = 0; d < dim; d++) {
      const i = k * dim + d;
      const f = (s1[i] as number) * inv;
      const m1 = (s1[i] as number) / (cnt[k] as number);
      const m2 = (s2[i] as number) / (cnt[k] as number);
      means[i] = f;
      stds[i] = Math.sqrt(Math.max(m2 - 2 * f * m1 + f * f, 0) + floor);
    }
  }
}

/** k-means++ seeding with cosine distance 1 − x·μ (rows are unit vectors): spread-out starting means. */
function seedMeans(x: Float32Array, n: number, dim: number, K: number, rng: Rng): Float64Array {
  const means = new Float64Array(K * dim);
  const best = new Float64Array(n).fill(Infinity);
  let pick = randInt(rng, n);
  for (let k = 0; k < K; k++) {
    for (let d = 0; d < dim; d++) means[k * dim + d] = x[pick * dim + d] as number;
    let total = 0;
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += (x[i * dim + d] as number) * (means[k * dim + d] as number);
      best[i] = Math.min(best[i] as number, Math.max(1 - dot, 0));
      total += best[i] as number;
    }
    if (k + 1 < K) pick = total > 0 ? drawProportional(best, total, rng) : randInt(rng, n);
  }
  return means;
}

function drawProportional(weights: Float64Array, total: number, rng: Rng): number {
  let u = uniform(rng) * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i] as number;
    if (u < 0) return i;
  }
  return weights.length - 1;
}
