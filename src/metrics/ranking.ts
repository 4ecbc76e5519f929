/**
 * Exact pixel-level anomaly metrics (the Fishyscapes / scikit-learn definitions, anchors.md §1.2):
 * AUROC (trapezoid on the ROC points), AP = Σ (Rₙ − Rₙ₋₁)·Pₙ (sklearn `average_precision_score`, no
 * interpolation) and FPR at the first operating point with TPR ≥ 0.95.
 *
 * Labels: 1 = anomaly (positive), 0 = inlier (negative), any other value = void (dropped).
 * Scores: higher = more anomalous; every run of equal scores is one operating point (ties collapsed).
 *
 * Sufficient statistic: a {@link TieTable} — the distinct scores in descending order with the number of
 * positive and negative pixels at each. It is mergeable across images and workers ({@link mergeTieTables}),
 * and its size is the number of distinct scores (≤ 65 536 for float16 maps), so a dataset can be evaluated
 * exactly without holding all pixels when the scores are quantised; otherwise use `binned.ts`.
 *
 * Undefined cases throw a `ValueError`: no valid pixel, or only one class present (AUROC, AP and FPR95 all
 * need both anomaly and inlier pixels), and non-finite scores (NaN counted and named, like sklearn's check).
 */
import { ShapeError, ValueError } from '../errors.js';

/** Distinct thresholds (descending) with the count of positive / negative pixels having exactly that score. */
export interface TieTable {
  /** Distinct scores, strictly descending. [K] */
  thresholds: Float64Array;
  /** Positive (label 1) pixel count per threshold. [K] */
  pos: Float64Array;
  /** Negative (label 0) pixel count per threshold. [K] */
  neg: Float64Array;
}

/** The three pixel metrics plus the counts they were computed from. Fractions in [0, 1]. */
export interface AnomalyMetrics {
  auroc: number;
  ap: number;
  fpr95: number;
  /** Score of the operating point where FPR95 was read (pixels with score ≥ it are called anomalous). */
  tpr95Threshold: number;
  numPos: number;
  numNeg: number;
}

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
  if (scores.length !== labels.length) {
    throw new ShapeError(`${fnName}: 'scores' has ${scores.length} values but 'labels' has ${labels.length}; they must match pixel for pixel`);
  }
  let np = 0;
  let nn = 0;
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as number;
    if (l !== 0 && l !== 1) continue;
    const s = scores[i] as number;
    if (Number.isNaN(s)) nan++;
    else if (!Number.isFinite(s)) inf++;
    if (l === 1) np++;
    else nn++;
  }
  if (nan > 0 || inf > 0) {
    throw new ValueError(
      `${fnName}: 'scores' has ${nan} NaN and ${inf} infinite values among the ${np + nn} valid pixels; ` +
        'anomaly scores must be finite',
    );
  }
  const pos = new Float64Array(np);
  const neg = new Float64Array(nn);
  let ip = 0;
  let ineg = 0;
  const cast = opts.castFloat32 === true;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as number;
    if (l !== 0 && l !== 1) continue;
    let s = (scores[i] as number) + 0; // −0 → +0, so equal scores sort together
    if (cast) s = Math.fround(s);
    if (l === 1) pos[ip++] = s;
    else neg[ineg++] = s;
  }
  pos.sort();
  neg.sort();
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

/** Neumaier-compensated running sum. */
class Sum {
  private s = 0;
  private c = 0;
  add(x: number): void {
    const t = this.s + x;
    this.c += Math.abs(this.s) >= Math.abs(x) ? this.s - t + x : x - t + this.s;
    this.s = t;
  }
  get value(): number {
    return this.s + this.c;
  }
}

/** Throws the ValueError for an evaluation set that lacks one class (or all valid pixels). */
export function assertBothClasses(numPos: number, numNeg: number, fnName: string): void {
  if (numPos + numNeg === 0) {
    throw new ValueError(`${fnName}: no valid pixels — every label is void (only labels 0 = inlier and 1 = anomaly are evaluated)`);
  }
  if (numPos === 0) {
    throw new ValueError(`${fnName}: no anomaly pixels (label 1) among the ${numNeg} valid pixels; AUROC, AP and FPR95 are undefined with only inliers`);
  }
  if (numNeg === 0) {
    throw new ValueError(`${fnName}: no inlier pixels (label 0) among the ${numPos} valid pixels; AUROC, AP and FPR95 are undefined with only anomalies`);
  }
}

/**
 * AUROC, AP and FPR95 from a tie table; each entry is one operating point (entries with no pixel are
 * skipped). Identical to sklearn `roc_auc_score` / `average_precision_score` and to the Fishyscapes evaluator.
 */
export function metricsFromTieTable(t: TieTable, fnName = 'metricsFromTieTable'): AnomalyMetrics {
  let P = 0;
  let N = 0;
  for (let k = 0; k < t.thresholds.length; k++) {
    P += t.pos[k] as number;
    N += t.neg[k] as number;
  }
  assertBothClasses(P, N, fnName);
  const auc = new Sum();
  const ap = new Sum();
  let tp = 0;
  let fp = 0;
  let fpr95 = NaN;
  let tpr95Threshold = NaN;
  for (let k = 0; k < t.thresholds.length; k++) {
    const dp = t.pos[k] as number;
    const dn = t.neg[k] as number;
    if (dp === 0 && dn === 0) continue;
    const tpPrev = tp;
    const fpPrev = fp;
    tp += dp;
    fp += dn;
    // ROC trapezoid between (fpPrev/N, tpPrev/P) and (fp/N, tp/P).
    if (dn > 0) auc.add(((fp / N - fpPrev / N) * (tp / P + tpPrev / P)) / 2);
    // AP step: recall increase times precision at this threshold.
    if (dp > 0) ap.add((tp / P - tpPrev / P) * (tp / (tp + fp)));
    if (Number.isNaN(fpr95) && tp / P >= 0.95) {
      fpr95 = fp / N;
      tpr95Threshold = t.thresholds[k] as number;
    }
  }
  return { auroc: auc.value, ap: ap.value, fpr95, tpr95Threshold, numPos: P, numNeg: N };
}

/** Exact AUROC / AP / FPR95 of a score map against a label map (any shape, flattened; same length). */
export function anomalyMetricsExact(scores: ArrayLike<number>, labels: ArrayLike<number>, opts: RankingOptions = {}): AnomalyMetrics {
  const { pos, neg } = splitByLabel(scores, labels, 'anomalyMetricsExact', opts);
  assertBothClasses(pos.length, neg.length, 'anomalyMetricsExact');
  return metricsFromTieTable(tieTableFromSorted(pos, neg), 'anomalyMetricsExact');
}
