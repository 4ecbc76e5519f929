/** Naive float64 oracles for differential tests of the GMM head. */

/** ℓ[n, j] by the textbook formula, float64. feats [N, D], means/stds [J, D] → [N, J]. */
export function logDensityOracle(
  feats: ArrayLike<number>,
  means: ArrayLike<number>,
  stds: ArrayLike<number>,
  N: number,
  J: number,
  D: number,
): Float64Array {
  const out = new Float64Array(N * J);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < J; j++) {
      let s = -0.5 * D * Math.log(2 * Math.PI);
      for (let d = 0; d < D; d++) {
        const sd = stds[j * D + d] as number;
        const z = ((feats[n * D + d] as number) - (means[j * D + d] as number)) / sd;
        s += -Math.log(sd) - 0.5 * z * z;
      }
      out[n * J + j] = s;
    }
  }
  return out;
}

/** The reference's Sinkhorn in the linear domain, float64 (GMMSeg.py:28-55). logits [n, K] → Q [n, K]. */
export function sinkhornOracle(
  logits: ArrayLike<number>,
  n: number,
  K: number,
  iterations: number,
  epsilon: number,
): Float64Array {
  let maxAbs = 0;
  for (let i = 0; i < n * K; i++) maxAbs = Math.max(maxAbs, Math.abs(logits[i] as number));
  // Q is K × n
  const Q = new Float64Array(K * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < K; k++) Q[k * n + i] = Math.exp((logits[i * K + k] as number) / maxAbs / epsilon);
  let tot = 0;
  for (const v of Q) tot += v;
  for (let i = 0; i < Q.length; i++) Q[i] = (Q[i] as number) / tot;
  for (let it = 0; it < iterations; it++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += Q[k * n + i] as number;
      for (let i = 0; i < n; i++) Q[k * n + i] = (Q[k * n + i] as number) / s / K;
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += Q[k * n + i] as number;
      for (let k = 0; k < K; k++) Q[k * n + i] = (Q[k * n + i] as number) / s / n;
    }
  }
  const out = new Float64Array(n * K);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) out[i * K + k] = (Q[k * n + i] as number) * n;
  return out;
}

/** Random unit vectors [R, D] from a seeded generator function. */
export function unitRows(R: number, D: number, gauss: () => number): Float32Array {
  const out = new Float32Array(R * D);
  for (let r = 0; r < R; r++) {
    let s = 0;
    for (let d = 0; d < D; d++) {
      const v = gauss();
      out[r * D + d] = v;
      s += v * v;
    }
    for (let d = 0; d < D; d++) out[r * D + d] = (out[r * D + d] as number) / Math.sqrt(s);
  }
  return out;
}
