/**
 * Exact pixel-level anomaly metrics (the Fishyscapes / scikit-learn definitions, anchors.md §1.2):
 * AUROC (trapezoid on the ROC points), AP = Σ (Rₙ − Rₙ₋₁)·Pₙ (sklearn `average_precision_score`, no
 * interpolation) and FPR at the first operating point with TPR ≥ 0.95 (`INLIER_TPR`).
 *
 * Labels: 1 = anomaly (positive), 0 = inlier (negative), any other value = void (dropped).
 * Scores: higher = more anomalous; every run of equal scores is one operating point (ties collapsed).
 *
 * Sufficient statistic: a {@link TieTable} (`tie-sweep.ts`, with the one walk over it) — the distinct scores in
 * descending order with the number of positive and negative pixels at each. It is mergeable across images and
 * workers ({@link mergeTieTables}), and its size is the number of distinct scores. For a whole data set of float32
 * maps, `tie-stream.ts` keeps the same table compressed (sorted runs of varint-coded counts) and walks it with the
 * same {@link RankingSweep}; `binned.ts` bounds memory by a fixed number of bins for sets too large even for that.
 *
 * Undefined cases throw a `ValueError`: no valid pixel, or only one class present (AUROC, AP and FPR95 all
 * need both anomaly and inlier pixels), and non-finite scores (NaN counted and named, like sklearn's check).
 */
import { ValueError } from '../errors.js';
import { RankingSweep, type AnomalyMetrics } from './ranking-sweep.js';
import { sweepTies, type TieTable } from './tie-sweep.js';
import { scanValidScores, splitValidScores } from './valid-scores.js';

export type { TieTable } from './tie-sweep.js';
export type { AnomalyMetrics } from './ranking-sweep.js';

/** Options for reading scores. */
export interface RankingOptions {
  /** Round scores to float32 first (the Fishyscapes evaluator casts to float32). Default false (sklearn). */
  castFloat32?: boolean;
}

/** Positive and negative scores of the valid pixels, sorted ascending; throws on non-finite valid scores. */
export function splitByLabel(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  fnName: string,
  opts: RankingOptions = {},
): { pos: Float64Array; neg: Float64Array; void: number } {
  const scan = scanValidScores(scores, labels, fnName);
  const { numPos: np, numNeg: nn, nan, over: inf } = scan;
  if (nan > 0 || inf > 0) {
    throw new ValueError(
      `${fnName}: 'scores' has ${nan} NaN and ${inf} infinite values among the ${np + nn} valid pixels; ` +
        'anomaly scores must be finite',
    );
  }
  const { pos, neg } = splitValidScores(scores, labels, scan, opts.castFloat32 === true ? Math.fround : undefined);
  return { pos, neg, void: labels.length - np - nn };
}

/** Merges two ascending-sorted score lists into a descending tie table. */
export function tieTableFromSorted(pos: Float64Array, neg: Float64Array): TieTable {
  const cap = pos.length + neg.length;
  const thr = new Float64Array(cap);
  const tp = new Float64Array(cap);
  const fp = new Float64Array(cap);
  let i = pos.length - 1;
  let j = neg.length - 1;
  let k = 0;
  while (i >= 0 || j >= 0) {
    const a = i >= 0 ? (pos[i] as number) : -Infinity;
    const b = j >= 0 ? (neg[j] as number) : -Infinity;
    const v = i >= 0 && (j < 0 || a >= b) ? a : b;
    let cp = 0;
    let cn = 0;
    while (i >= 0 && pos[i] === v) {
      cp++;
      i--;
    }
    while (j >= 0 && neg[j] === v) {
      cn++;
      j--;
    }
    thr[k] = v;
    tp[k] = cp;
    fp[k] = cn;
    k++;
  }
  return { thresholds: thr.slice(0, k), pos: tp.slice(0, k), neg: fp.slice(0, k) };
}

/** Tie table of one score map (any shape, flattened) with its label map. */
export function tieTable(scores: ArrayLike<number>, labels: ArrayLike<number>, opts: RankingOptions = {}): TieTable {
  const { pos, neg } = splitByLabel(scores, labels, 'tieTable', opts);
  return tieTableFromSorted(pos, neg);
}

/** Merges two tie tables (e.g. two images or two workers) into one; equal thresholds add their counts. */
export function mergeTieTables(a: TieTable, b: TieTable): TieTable {
  const cap = a.thresholds.length + b.thresholds.length;
  const thr = new Float64Array(cap);
  const tp = new Float64Array(cap);
  const fp = new Float64Array(cap);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.thresholds.length || j < b.thresholds.length) {
    const x = i < a.thresholds.length ? (a.thresholds[i] as number) : -Infinity;
    const y = j < b.thresholds.length ? (b.thresholds[j] as number) : -Infinity;
    const takeA = i < a.thresholds.length && (j >= b.thresholds.length || x >= y);
    const takeB = j < b.thresholds.length && (i >= a.thresholds.length || y >= x);
    thr[k] = takeA ? x : y;
    tp[k] = (takeA ? (a.pos[i] as number) : 0) + (takeB ? (b.pos[j] as number) : 0);
    fp[k] = (takeA ? (a.neg[i] as number) : 0) + (takeB ? (b.neg[j] as number) : 0);
    if (takeA) i++;
    if (takeB) j++;
    k++;
  }
  return { thresholds: thr.slice(0, k), pos: tp.slice(0, k), neg: fp.slice(0, k) };
}

/** Throws the ValueError for an evaluation set that lacks one class (or all valid pixels). */
export function assertBothClasses(numPos: number, numNeg: number, fnName: string): void {
  if (numPos + numNeg === 0) {
    throw new ValueError(
      `${fnName}: no valid pixels — every label is void (only labels 0 = inlier and 1 = anomaly are evaluated)`,
    );
  }
  if (numPos === 0) {
    throw new ValueError(
      `${fnName}: no anomaly pixels (label 1) among the ${numNeg} valid pixels; AUROC, AP and FPR95 are undefined with only inliers`,
    );
  }
  if (numNeg === 0) {
    throw new ValueError(
      `${fnName}: no inlier pixels (label 0) among the ${numPos} valid pixels; AUROC, AP and FPR95 are undefined with only anomalies`,
    );
  }
}

/**
 * AUROC, AP and FPR95 from a tie table; each entry is one operating point (entries with no pixel are
 * skipped). Identical to sklearn `roc_auc_score` / `average_precision_score` and to the Fishyscapes evaluator.
 */
export function metricsFromTieTable(t: TieTable, fnName = 'metricsFromTieTable'): AnomalyMetrics {
  const sw = sweepTies(t);
  const { numPos: P, numNeg: N } = sw;
  assertBothClasses(P, N, fnName);
  const walk = new RankingSweep(P, N);
  for (let j = 0; j < sw.tp.length; j++) walk.add(sw.thresholds[j] as number, sw.pos[j] as number, sw.neg[j] as number);
  return walk.result();
}

/** Exact AUROC / AP / FPR95 of a score map against a label map (any shape, flattened; same length). */
export function anomalyMetricsExact(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  opts: RankingOptions = {},
): AnomalyMetrics {
  const { pos, neg } = splitByLabel(scores, labels, 'anomalyMetricsExact', opts);
  assertBothClasses(pos.length, neg.length, 'anomalyMetricsExact');
  return metricsFromTieTable(tieTableFromSorted(pos, neg), 'anomalyMetricsExact');
}
