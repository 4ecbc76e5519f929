/**
 * Sinkhorn-Knopp component assignment (the E-step of Sinkhorn EM), as the reference computes it, in the log domain.
 *
 * Reference (GMMSeg.py:28-55): Z = P / max|P|; Q = exp(Z/ε)ᵀ, Q /= ΣQ; repeat `iterations` times: every row
 * (component) divided by its sum then by K, every column (pixel) divided by its sum then by n; Q *= n; argmax per pixel.
 * Here every step is done on log Q in float64 with log-sum-exp, so nothing overflows for any ε, and the argmax is the
 * same as the reference's (up to float32 ties in the reference itself).
 */
import { ValueError } from '../errors.js';
import { assertLength } from '../shape.js';

/** Sinkhorn settings. */
export interface SinkhornOptions {
  iterations: number;
  epsilon: number;
}

/**
 * Log of the transport plan.
 * @param logits [n, K] component log-densities of n pixels of one class (row-major)
 * @returns logQ [n, K] (row-major, float64); rows are pixels. Q's column sums are 1/K·n·(1/n) … see invariants in tests.
 */
export function sinkhornLogPlan(logits: ArrayLike<number>, n: number, K: number, opts: SinkhornOptions): Float64Array {
  assertLength(logits.length, [n, K], 'logits', 'sinkhornLogPlan');
  if (!(opts.epsilon > 0)) throw new ValueError(`sinkhornLogPlan: epsilon must be > 0, got ${opts.epsilon}`);
  let maxAbs = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i] as number;
    if (!Number.isFinite(v))
      throw new ValueError(`sinkhornLogPlan: logits has a non-finite value ${v} at flat index ${i}`);
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const scale = maxAbs > 0 ? 1 / (maxAbs * opts.epsilon) : 1 / opts.epsilon;
  const L = new Float64Array(n * K);
  for (let i = 0; i < L.length; i++) L[i] = (logits[i] as number) * scale;
  subtractAll(L, logSumExpAll(L));
  const logK = Math.log(K);
  const logN = Math.log(n);
  for (let it = 0; it < opts.iterations; it++) {
    for (let k = 0; k < K; k++) {
      const s = logSumExpColumn(L, n, K, k) + logK;
      for (let i = 0; i < n; i++) L[i * K + k] = (L[i * K + k] as number) - s;
    }
    for (let i = 0; i < n; i++) {
      const s = logSumExpRow(L, i, K) + logN;
      for (let k = 0; k < K; k++) L[i * K + k] = (L[i * K + k] as number) - s;
    }
  }
  subtractAll(L, -logN);
  return L;
}

/**
 * Hard assignment: the component of largest Q for every pixel (first index on exact ties, as `torch.argmax`).
 * @param logits [n, K]
 * @returns [n] component indices
 */
export function sinkhornAssign(logits: ArrayLike<number>, n: number, K: number, opts: SinkhornOptions): Int32Array {
  const L = sinkhornLogPlan(logits, n, K, opts);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestV = L[i * K] as number;
    for (let k = 1; k < K; k++) {
      const v = L[i * K + k] as number;
      if (v > bestV) {
        bestV = v;
        best = k;
      }
    }
    out[i] = best;
  }
  return out;
}

function logSumExpAll(a: Float64Array): number {
  let m = -Infinity;
  for (const v of a) m = Math.max(m, v);
  let s = 0;
  for (const v of a) s += Math.exp(v - m);
  return m + Math.log(s);
}

function logSumExpColumn(a: Float64Array, n: number, K: number, k: number): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) m = Math.max(m, a[i * K + k] as number);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp((a[i * K + k] as number) - m);
  return m + Math.log(s);
}

function logSumExpRow(a: Float64Array, i: number, K: number): number {
  let m = -Infinity;
  for (let k = 0; k < K; k++) m = Math.max(m, a[i * K + k] as number);
  let s = 0;
  for (let k = 0; k < K; k++) s += Math.exp((a[i * K + k] as number) - m);
  return m + Math.log(s);
}

function subtractAll(a: Float64Array, v: number): void {
  for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) - v;
}
