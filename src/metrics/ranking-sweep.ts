/**
 * The metric walk over operating points, fed one tie-table entry at a time from the highest score down: AUROC
 * (trapezoid on the ROC points), AP = Σ (Rₙ − Rₙ₋₁)·Pₙ and FPR at the first operating point with TPR ≥
 * `INLIER_TPR`. {@link metricsFromTieTable} (`ranking.ts`) runs it over a whole table and the streaming tie table
 * (`tie-stream.ts`) over its merged runs, so both compute with the same operations in the same order and give
 * bit-identical results for the same entries.
 */
import { INLIER_TPR } from '../constants.js';

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

/** Neumaier-compensated running sum. */
export class Sum {
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

/**
 * Accumulates AUROC / AP / FPR95 over entries given in strictly descending score order. `P` and `N` are the
 * totals the entries will add up to (both > 0; the caller checks with `assertBothClasses`).
 */
export class RankingSweep {
  private readonly auc = new Sum();
  private readonly ap = new Sum();
  private tp = 0;
  private fp = 0;
  private reached = false;
  private fpr95 = NaN;
  private tpr95Threshold = NaN;

  constructor(
    readonly P: number,
    readonly N: number,
  ) {}

  /** True positives so far (positives with score ≥ the last threshold added). */
  get truePositives(): number {
    return this.tp;
  }

  /** False positives so far. */
  get falsePositives(): number {
    return this.fp;
  }

  /** One entry: `pos` / `neg` pixels with exactly score `threshold`; an entry with no pixel is skipped. */
  add(threshold: number, pos: number, neg: number): void {
    if (pos === 0 && neg === 0) return;
    const { P, N } = this;
    const tpPrev = this.tp;
    const fpPrev = this.fp;
    const tp = tpPrev + pos;
    const fp = fpPrev + neg;
    this.tp = tp;
    this.fp = fp;
    // ROC trapezoid between (fpPrev/N, tpPrev/P) and (fp/N, tp/P).
    if (neg > 0) this.auc.add(((fp / N - fpPrev / N) * (tp / P + tpPrev / P)) / 2);
    // AP step: recall increase times precision at this threshold.
    if (pos > 0) this.ap.add((tp / P - tpPrev / P) * (tp / (tp + fp)));
    if (!this.reached && tp / P >= INLIER_TPR) {
      this.reached = true;
      this.fpr95 = fp / N;
      this.tpr95Threshold = threshold;
    }
  }

  /** The metrics of the entries added so far (complete once they add up to P and N). */
  result(): AnomalyMetrics {
    return {
      auroc: this.auc.value,
      ap: this.ap.value,
      fpr95: this.fpr95,
      tpr95Threshold: this.tpr95Threshold,
      numPos: this.P,
      numNeg: this.N,
    };
  }
}
