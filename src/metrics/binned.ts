/**
 * Streaming anomaly metrics for datasets too large to hold (e.g. 1000 images × 2048×1024 ≈ 2·10⁹ pixels):
 * a fixed-edge histogram of positive and negative pixel counts, mergeable across images and workers,
 * evaluated by treating every bin as one tied threshold (its lower edge).
 *
 * Bins: B bins over strictly increasing edges e₀ < … < e_B; bin b holds scores in [e_b, e_{b+1}), the
 * last bin is closed. A valid score outside [e₀, e_B] is an error (choose edges from a first pass with
 * {@link scoreRange} / {@link mergeRanges} and {@link uniformEdges}, or give them yourself).
 *
 * Error bound (proved in {@link binnedErrorBounds}, tested against the exact path). Bins are intervals, so
 * the order between pixels in different bins is exact; only the order inside a bin is lost. With pᵦ / nᵦ
 * positives / negatives in bin b, P / N in total, and TPᵦ / FPᵦ the cumulative counts from the top down to
 * and including bin b:
 * - AUROC equals the Mann–Whitney statistic with ties counted ½; binning turns every within-bin pair into a
 *   tie, so |AUROC_binned − AUROC_exact| ≤ Σᵦ pᵦ·nᵦ / (2·P·N).
 * - Every binned operating point (end of a bin) is also an exact operating point, so FPR95 is read at the end
 *   of the bin b* in which TPR first reaches 0.95, while the exact point lies inside that bin:
 *   0 ≤ FPR95_binned − FPR95_exact ≤ n_{b*} / N.
 * - AP: inside bin b every exact operating point that adds recall has precision between
 *   lo_b = (TP_{b−1}+1)/(TP_{b−1}+1+FP_b) and hi_b = TP_b/(TP_b+FP_{b−1}), and so does the binned precision
 *   TP_b/(TP_b+FP_b); the recall added in bin b is pᵦ/P either way, so |AP_binned − AP_exact| ≤ Σᵦ (pᵦ/P)(hi_b − lo_b).
 * When every distinct score has its own bin, the binned tie table is the exact one and the results are identical.
 */
import { INLIER_TPR } from '../constants.js';
import { ShapeError, ValueError } from '../errors.js';
import { assertBothClasses, metricsFromTieTable, type AnomalyMetrics } from './ranking.js';
import { firstAtTpr, sweepTies, type TieTable } from './tie-sweep.js';
import { scanValidScores } from './valid-scores.js';

/** Histogram of positive / negative valid pixels over fixed edges. */
export interface ScoreHistogram {
  /** Strictly increasing, finite. [B+1] */
  edges: Float64Array;
  /** Positive (label 1) counts per bin. [B] */
  pos: Float64Array;
  /** Negative (label 0) counts per bin. [B] */
  neg: Float64Array;
}

/** Worst-case differences between the binned and the exact metrics, from the bin counts alone. */
export interface BinnedErrorBounds {
  /** |AUROC_binned − AUROC_exact| ≤ auroc. */
  auroc: number;
  /** |AP_binned − AP_exact| ≤ ap. */
  ap: number;
  /** 0 ≤ FPR95_binned − FPR95_exact ≤ fpr95. */
  fpr95: number;
}

/** Range of the valid (label 0/1) scores; mergeable with {@link mergeRanges}. Empty → {min: +∞, max: −∞}. */
export interface ScoreRange {
  min: number;
  max: number;
}

/** First pass: min and max of the valid scores (NaN/∞ valid scores are an error). */
export function scoreRange(scores: ArrayLike<number>, labels: ArrayLike<number>): ScoreRange {
  const { nan, over, min, max } = scanValidScores(scores, labels, 'scoreRange');
  const bad = nan + over;
  if (bad > 0)
    throw new ValueError(
      `scoreRange: 'scores' has ${bad} NaN or infinite values among the valid pixels; anomaly scores must be finite`,
    );
  return { min, max };
}

/** Union of two ranges. */
export function mergeRanges(a: ScoreRange, b: ScoreRange): ScoreRange {
  return { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

/**
 * `bins` equal-width bins from min to max (last edge exactly max). If min == max a single bin
 * [min, min + max(1, |min|)] is returned, which holds every (tied) score.
 */
export function uniformEdges(range: ScoreRange, bins: number): Float64Array {
  const { min, max } = range;
  if (!Number.isInteger(bins) || bins < 1)
    throw new ValueError(`uniformEdges: argument 'bins' must be a positive integer, got ${bins}`);
  if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) {
    throw new ValueError(
      `uniformEdges: argument 'range' must be finite with min ≤ max, got [${min}, ${max}] (no valid pixels?)`,
    );
  }
  if (min === max) return Float64Array.of(min, min + Math.max(1, Math.abs(min)));
  const e = new Float64Array(bins + 1);
  const w = (max - min) / bins;
  for (let i = 0; i < bins; i++) e[i] = min + i * w;
  e[bins] = max;
  for (let i = 1; i <= bins; i++) {
    if (!((e[i] as number) > (e[i - 1] as number))) {
      throw new ValueError(
        `uniformEdges: ${bins} bins over [${min}, ${max}] are narrower than float64 resolution; use fewer bins`,
      );
    }
  }
  return e;
}

/** An empty histogram over `edges` (strictly increasing, finite, at least two). */
export function createHistogram(edges: ArrayLike<number>): ScoreHistogram {
  const e = Float64Array.from(edges);
  if (e.length < 2) throw new ValueError(`createHistogram: argument 'edges' needs at least 2 values, got ${e.length}`);
  for (let i = 0; i < e.length; i++) {
    if (!Number.isFinite(e[i] as number))
      throw new ValueError(`createHistogram: edge ${i} is ${e[i]}; edges must be finite`);
    if (i > 0 && !((e[i] as number) > (e[i - 1] as number))) {
      throw new ValueError(
        `createHistogram: edges must be strictly increasing, but edge ${i} (${e[i]}) ≤ edge ${i - 1} (${e[i - 1]})`,
      );
    }
  }
  return { edges: e, pos: new Float64Array(e.length - 1), neg: new Float64Array(e.length - 1) };
}

/** Bin index of s in [e₀, e_B]: uniform-guess then corrected against the real edges (half-open, last closed). */
function binOf(e: Float64Array, s: number, guessScale: number): number {
  const B = e.length - 1;
  let b = Math.floor((s - (e[0] as number)) * guessScale);
  if (b < 0) b = 0;
  if (b > B - 1) b = B - 1;
  while (b > 0 && s < (e[b] as number)) b--;
  while (b < B - 1 && s >= (e[b + 1] as number)) b++;
  return b;
}

/**
 * Adds the valid pixels of one score map to `h` (in place). NaN scores, or scores outside the edges, are an
 * error, checked before anything is added (so a failed call leaves `h` unchanged).
 */
export function accumulateHistogram(
  h: ScoreHistogram,
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
): ScoreHistogram {
  const e = h.edges;
  const lo = e[0] as number;
  const hi = e[e.length - 1] as number;
  const { nan, min, max } = scanValidScores(scores, labels, 'accumulateHistogram');
  if (min < lo || max > hi) {
    const i = firstOutside(scores, labels, lo, hi);
    const s = scores[i] as number;
    throw new ValueError(
      `accumulateHistogram: score ${s} at flat index ${i} is outside the bin edges [${lo}, ${hi}]; take the edges from a first pass over all scores (scoreRange)`,
    );
  }
  if (nan > 0)
    throw new ValueError(
      `accumulateHistogram: 'scores' has ${nan} NaN values among the valid pixels; anomaly scores must be finite`,
    );
  const scale = (e.length - 1) / (hi - lo);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as number;
    if (l !== 0 && l !== 1) continue;
    const b = binOf(e, scores[i] as number, scale);
    if (l === 1) h.pos[b] = (h.pos[b] as number) + 1;
    else h.neg[b] = (h.neg[b] as number) + 1;
  }
  return h;
}

/** Sum of two histograms with identical edges (e.g. from two workers). */
export function mergeHistograms(a: ScoreHistogram, b: ScoreHistogram): ScoreHistogram {
  if (a.edges.length !== b.edges.length || a.edges.some((v, i) => v !== b.edges[i])) {
    throw new ShapeError(
      `mergeHistograms: the histograms have different bin edges (${a.edges.length - 1} vs ${b.edges.length - 1} bins); merge only histograms built over the same edges`,
    );
  }
  return {
    edges: Float64Array.from(a.edges),
    pos: a.pos.map((v, i) => v + (b.pos[i] as number)),
    neg: a.neg.map((v, i) => v + (b.neg[i] as number)),
  };
}

/** The histogram as a tie table: bins from the top down, each with its lower edge as threshold; empty bins dropped. */
export function histogramToTieTable(h: ScoreHistogram): TieTable {
  const B = h.pos.length;
  const keep: number[] = [];
  for (let b = B - 1; b >= 0; b--) if ((h.pos[b] as number) > 0 || (h.neg[b] as number) > 0) keep.push(b);
  return {
    thresholds: Float64Array.from(keep, (b) => h.edges[b] as number),
    pos: Float64Array.from(keep, (b) => h.pos[b] as number),
    neg: Float64Array.from(keep, (b) => h.neg[b] as number),
  };
}

/** The bounds of the module comment, evaluated on the histogram's own counts. */
export function binnedErrorBounds(h: ScoreHistogram): BinnedErrorBounds {
  const sw = sweepTies(histogramToTieTable(h));
  const { numPos: P, numNeg: N } = sw;
  assertBothClasses(P, N, 'binnedErrorBounds');
  let auroc = 0;
  let ap = 0;
  for (let j = 0; j < sw.tp.length; j++) {
    const p = sw.pos[j] as number;
    const n = sw.neg[j] as number;
    const tp = j > 0 ? (sw.tp[j - 1] as number) : 0;
    const fp = j > 0 ? (sw.fp[j - 1] as number) : 0;
    auroc += (p * n) / (2 * P * N);
    if (p > 0) {
      const lo = (tp + 1) / (tp + 1 + fp + n);
      const hi = (tp + p) / (tp + p + fp);
      ap += (p / P) * (hi - lo);
    }
  }
  const at = firstAtTpr(sw, INLIER_TPR);
  const fpr95 = at >= 0 ? (sw.neg[at] as number) / N : NaN;
  return { auroc, ap, fpr95 };
}

/** AUROC / AP / FPR95 from the histogram (each bin one tied threshold), with the bounds of the module comment. */
export function binnedMetrics(h: ScoreHistogram): AnomalyMetrics & { bounds: BinnedErrorBounds } {
  const m = metricsFromTieTable(histogramToTieTable(h), 'binnedMetrics');
  return { ...m, bounds: binnedErrorBounds(h) };
}

/** Flat index of the first valid score outside [lo, hi] (−1 if none; NaN is never outside). */
function firstOutside(scores: ArrayLike<number>, labels: ArrayLike<number>, lo: number, hi: number): number {
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as number;
    if (l !== 0 && l !== 1) continue;
    const s = scores[i] as number;
    if (s < lo || s > hi) return i;
  }
  return -1;
}
