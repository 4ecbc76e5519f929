/**
 * The tie table and the one walk over it that every ranking quantity is read from.
 *
 * A {@link TieTable} lists the distinct scores t₁ > t₂ > … > t_K with the number of positive (anomaly, label 1)
 * and negative (inlier, label 0) pixels at exactly each score. {@link sweepTies} walks it from the highest
 * score down, skipping entries with no pixel, and returns for each remaining entry (an operating point "flag
 * score ≥ tₖ") the counts at that entry and the cumulative counts TPₖ / FPₖ down to and including it, with the
 * totals P and N. AUROC / AP / FPR95 (`ranking.ts`), the binned error bounds (`binned.ts`), the calibrated
 * threshold (`infer/calibrate.ts`) and the ROC / PR curves (`report/curves.ts`) all read this one sweep;
 * {@link firstAtTpr} is the shared rule "the first operating point whose TPR = TPₖ / P reaches a level"
 * (sklearn `thresholds[argmax(tpr >= level)]`).
 *
 * The counts are added in table order, so the cumulative values are exactly those of a hand-written loop.
 */

/** Distinct thresholds (descending) with the count of positive / negative pixels having exactly that score. */
export interface TieTable {
  /** Distinct scores, strictly descending. [K] */
  thresholds: Float64Array;
  /** Positive (label 1) pixel count per threshold. [K] */
  pos: Float64Array;
  /** Negative (label 0) pixel count per threshold. [K] */
  neg: Float64Array;
}

/** The operating points of a tie table: its non-empty entries, highest score first. */
export interface TieSweep {
  /** Score of each operating point (flag pixels with score ≥ it), descending. [M] */
  thresholds: Float64Array;
  /** Index of each operating point in the table's arrays. [M] */
  index: Int32Array;
  /** Positive pixels at exactly this score. [M] */
  pos: Float64Array;
  /** Negative pixels at exactly this score. [M] */
  neg: Float64Array;
  /** Positives with score ≥ threshold (TP). [M] */
  tp: Float64Array;
  /** Negatives with score ≥ threshold (FP). [M] */
  fp: Float64Array;
  /** Total positives P (= last tp, 0 when M = 0). */
  numPos: number;
  /** Total negatives N (= last fp, 0 when M = 0). */
  numNeg: number;
}

/** Number of entries of `t` that hold at least one pixel. */
function countNonEmpty(t: TieTable): number {
  let m = 0;
  for (let k = 0; k < t.thresholds.length; k++) if ((t.pos[k] as number) !== 0 || (t.neg[k] as number) !== 0) m++;
  return m;
}

/** The operating points of `t` with their cumulative counts (see the module comment). */
export function sweepTies(t: TieTable): TieSweep {
  const m = countNonEmpty(t);
  const s: TieSweep = {
    thresholds: new Float64Array(m),
    index: new Int32Array(m),
    pos: new Float64Array(m),
    neg: new Float64Array(m),
    tp: new Float64Array(m),
    fp: new Float64Array(m),
    numPos: 0,
    numNeg: 0,
  };
  let tp = 0;
  let fp = 0;
  let j = 0;
  for (let k = 0; k < t.thresholds.length; k++) {
    const dp = t.pos[k] as number;
    const dn = t.neg[k] as number;
    if (dp === 0 && dn === 0) continue;
    tp += dp;
    fp += dn;
    s.thresholds[j] = t.thresholds[k] as number;
    s.index[j] = k;
    s.pos[j] = dp;
    s.neg[j] = dn;
    s.tp[j] = tp;
    s.fp[j] = fp;
    j++;
  }
  s.numPos = tp;
  s.numNeg = fp;
  return s;
}

/** Index (into the sweep) of the first operating point with TP / P ≥ `tpr`; −1 if none (e.g. P = 0). */
export function firstAtTpr(s: TieSweep, tpr: number): number {
  const P = s.numPos;
  for (let j = 0; j < s.tp.length; j++) if ((s.tp[j] as number) / P >= tpr) return j;
  return -1;
}
