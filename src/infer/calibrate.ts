/**
 * Anomaly thresholds calibrated on validation pixels (pure; the CLI stores the result in the model file).
 *
 * 1. {@link calibrateOnInliers} — "95% TPR on inlier validation pixels" (inliers are the positives of
 *    inlier detection): given the scores of the N inlier pixels (label 0; for a closed-set validation
 *    split, every non-ignored pixel), sorted ascending s₍₁₎ ≤ … ≤ s₍N₎, the threshold is
 *      thr = s₍k₎  with  k = the smallest integer such that k / N ≥ tpr  (tpr = `INLIER_TPR` = 0.95 by default),
 *    the lower empirical quantile (numpy `quantile(…, method='inverted_cdf')`). It is always one of the
 *    inlier scores. With the project's rule "anomalous ⇔ score > thr" at least k of the N inliers — at least
 *    95% — are kept as inliers; ties at s₍k₎ are all kept (so the achieved rate can exceed 95%, reported as
 *    `achievedTpr`), and if all scores are equal thr is that value and no inlier is flagged. The inlier
 *    median m = s₍⌈N/2⌉₎ (same rule, q = 0.5) is returned too; `heatmap.ts` centres the colour scale on
 *    [m, 2·thr − m].
 * 2. {@link thresholdAtTpr} — when anomaly-labelled validation pixels exist: from a {@link TieTable}, the first
 *    operating point, walking the distinct scores downwards, where TPR = (anomalies with score ≥ t) / P ≥ 0.95;
 *    identical to `metricsFromTieTable(...).tpr95Threshold` and to sklearn's
 *    `thresholds[argmax(tpr >= 0.95)]`. Its rule is inclusive (score ≥ threshold; `thresholdMask(s, t, true)`).
 *
 * NaN or infinite scores are rejected; an empty set of scores is a ValueError.
 */
import { INLIER_TPR } from '../constants.js';
import { ValueError } from '../errors.js';
import { firstAtTpr, sweepTies, type TieTable } from '../metrics/tie-sweep.js';

/** The result of calibrating on inlier validation pixels. */
export interface InlierCalibration {
  /** s₍k₎: flag pixels with score > threshold. */
  threshold: number;
  /** The requested inlier true-positive rate (e.g. 0.95). */
  targetTpr: number;
  /** Fraction of the inliers with score ≤ threshold (≥ targetTpr; larger when there are ties at the threshold). */
  achievedTpr: number;
  /** Lower median of the inlier scores, s₍⌈N/2⌉₎. */
  inlierMedian: number;
  /** N, the number of inlier scores. */
  numInliers: number;
}

/** An operating point read from a tie table. */
export interface TprOperatingPoint {
  /** Flag pixels with score ≥ threshold. */
  threshold: number;
  /** Achieved anomaly TPR at this point (≥ the target). */
  tpr: number;
  /** Inlier FPR at this point (NaN when the table has no inlier pixel). */
  fpr: number;
  /** Index of the operating point in `table.thresholds`. */
  index: number;
}

function checkRate(rate: number, argName: string, fnName: string): void {
  if (!(rate > 0 && rate <= 1)) throw new ValueError(`${fnName}: '${argName}' must be in (0, 1], got ${rate}`);
}

/** The smallest k in 1..n with k / n ≥ q (floating-point division, as the definition reads). */
export function quantileRank(n: number, q: number): number {
  let k = Math.min(n, Math.max(1, Math.ceil(q * n)));
  while (k > 1 && (k - 1) / n >= q) k--;
  while (k < n && k / n < q) k++;
  return k;
}

/** Lower empirical quantile (inverted CDF) of ascending-sorted values: sorted[k − 1], k = {@link quantileRank}. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new ValueError(`quantileSorted: no values`);
  checkRate(q, 'q', 'quantileSorted');
  return sorted[quantileRank(sorted.length, q) - 1] as number;
}

/** Calibrates the anomaly threshold on inlier validation scores `[N]` (module comment, rule 1). */
export function calibrateOnInliers(inlierScores: ArrayLike<number>, tpr = INLIER_TPR): InlierCalibration {
  const fn = 'calibrateOnInliers';
  checkRate(tpr, 'tpr', fn);
  const n = inlierScores.length;
  if (n === 0) throw new ValueError(`${fn}: 'inlierScores' is empty; calibration needs inlier validation pixels`);
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = inlierScores[i] as number;
    if (!Number.isFinite(s)) throw new ValueError(`${fn}: 'inlierScores' has the non-finite value ${s} at index ${i}`);
    sorted[i] = s + 0; // −0 → +0
  }
  sorted.sort();
  const k = quantileRank(n, tpr);
  const threshold = sorted[k - 1] as number;
  let kept = k;
  while (kept < n && sorted[kept] === threshold) kept++;
  return { threshold, targetTpr: tpr, achievedTpr: kept / n, inlierMedian: quantileSorted(sorted, 0.5), numInliers: n };
}

/** The first operating point with anomaly TPR ≥ `tpr` (module comment, rule 2); needs anomaly pixels. */
export function thresholdAtTpr(table: TieTable, tpr = INLIER_TPR): TprOperatingPoint {
  const fn = 'thresholdAtTpr';
  checkRate(tpr, 'tpr', fn);
  const sw = sweepTies(table);
  const { numPos: P, numNeg: N } = sw;
  if (P === 0)
    throw new ValueError(
      `${fn}: the tie table has no anomaly pixel (label 1); a TPR threshold needs anomaly-labelled validation pixels`,
    );
  const j = firstAtTpr(sw, tpr);
  if (j < 0) throw new ValueError(`${fn}: TPR never reached ${tpr}; the tie table's counts are inconsistent`);
  const tp = sw.tp[j] as number;
  const fp = sw.fp[j] as number;
  const threshold = sw.thresholds[j] as number;
  return { threshold, tpr: tp / P, fpr: N > 0 ? fp / N : NaN, index: sw.index[j] as number };
}
