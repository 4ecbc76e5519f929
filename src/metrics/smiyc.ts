/**
 * SegmentMeIfYouCan pixel metrics exactly as the official evaluator computes them (anchors.md §1.3;
 * `road_anomaly_benchmark` at 1c7804e: `evaluation.py::save_output`, `metrics/pixel_classification.py`
 * config `PixBinaryClass` = 768 bins, 'percentiles', and `pixel_classification_curves.py::curves_from_cmats`),
 * under NumPy 1.23 (the version their requirements pin):
 *
 * 1. scores are cast to float16 (round to nearest even; |s| ≥ 65520 would become ∞ and is rejected here);
 * 2. per frame, over valid pixels: vmin/vmax of the float16 scores, vrange = vmax − vmin in float16,
 *    ε = max(vrange·0.01, 0.01) in float64 (NumPy 1.x promotes float16-scalar × Python float to float64);
 *    edges = unique({vmin − ε, vmax + ε} ∪ quantile(pos, linspace(0,1,min(384,#pos)))
 *    ∪ quantile(neg, linspace(0,1,min(384,#neg)))), quantiles by NumPy's 'linear' rule with b − a in float16;
 *    counts per bin with `np.histogram` semantics; each bin's threshold is its lower edge;
 * 3. all frames' (threshold, pos, neg) triples are concatenated, sorted by threshold descending, cumulated;
 * 4. `curves_from_cmats`: keep entry 0, the last entry of every run of equal thresholds and the final entry;
 *    prepend (TP=0, FP=0) at threshold max+1 if missing; precision = 1 where nothing is predicted;
 *    AP = Σ diff(recall)·precision[1:] (NumPy pairwise sum), AUROC = np.trapz(tpr, fpr),
 *    FPR95 = FPR at the first point with TPR ≥ 0.95 (1.0 if never), best F1 = first max of 2TP/(2TP+FP+FN).
 *
 * Deviations, all documented: labels other than 0/1/255 are void here (their code treats 1..254 as
 * anomaly for pixels and only 1 for components; SMIYC data has only 0/1/255); a frame with no valid
 * pixel is a ValueError (their code crashes in `np.min`).
 *
 * Tie order: step 3 sorts with `np.argsort(thresholds)[::-1]`, which is not stable; because step 4 keeps
 * entry 0 even inside a run of equal thresholds, the result depends on how equal thresholds of different
 * frames are ordered whenever the highest threshold is shared (typical when scores saturate at 1.0 in
 * float16: a 10⁻³ AP effect). We reproduce NumPy 1.23's scalar introsort exactly ({@link argsortNumpy});
 * newer NumPy builds with SIMD sorts order ties differently, so the official code's own output then varies.
 */
import { ValueError } from '../errors.js';
import { FLOAT16_OVERFLOW, float16Sub, toFloat16 } from '../float16.js';
import {
  componentFrameStats,
  SMIYC_ANOMALY_TRACK,
  type ComponentFrameStats,
  type ComponentOptions,
} from './components.js';
import {
  argsortNumpy,
  histogramSorted,
  linspace,
  pairwiseSum,
  quantileLinear,
  searchSorted,
  trapz,
  uniqueSorted,
} from './numpy-compat.js';
import { assertBothClasses, type AnomalyMetrics } from './ranking.js';
import { scanValidScores, splitValidScores } from './valid-scores.js';

/** `PixBinaryClass.num_bins`. */
export const SMIYC_NUM_BINS = 768;

/**
 * TPR level of the official FPR95 (`curves_from_cmats`: `np.searchsorted(tpr, 0.95)`). The same level as
 * `INLIER_TPR`, but fixed by the benchmark's code, so it stays its own constant: SMIYC numbers must not follow a
 * change of the project's default.
 */
const SMIYC_TPR_LEVEL = 0.95;

/** One frame's binned counts, from the highest bin down (the official `binary_confusion_matrix` result). */
export interface SmiycFrameBins {
  /** Lower bin edges, descending. [B] */
  thresholds: Float64Array;
  /** Positive pixels per bin. [B] */
  tpRel: Float64Array;
  /** Negative pixels per bin. [B] */
  fpRel: Float64Array;
  numPos: number;
  numNeg: number;
}

/** SMIYC pixel metrics: the three of every mode plus the best-F1 operating point (used by the component metrics). */
export interface SmiycPixelMetrics extends AnomalyMetrics {
  bestF1: number;
  /** The threshold maximising pixel F1; binarise with score > it (see {@link smiycBinarize}). */
  bestF1Threshold: number;
}

/** Float16 scores of the valid pixels split by class, sorted ascending. */
function frameScores(scores: ArrayLike<number>, labels: ArrayLike<number>): { pos: Float64Array; neg: Float64Array } {
  const scan = scanValidScores(scores, labels, 'smiycFrameBins', FLOAT16_OVERFLOW);
  const { numPos: np, numNeg: nn, nan, over: big } = scan;
  if (nan > 0)
    throw new ValueError(
      `smiycFrameBins: 'scores' has ${nan} NaN values among the ${np + nn} valid pixels; anomaly scores must be finite`,
    );
  if (big > 0) {
    throw new ValueError(
      `smiycFrameBins: ${big} valid scores have magnitude ≥ ${FLOAT16_OVERFLOW} and overflow float16 (the SMIYC storage format); rescale the scores`,
    );
  }
  if (np + nn === 0)
    throw new ValueError(
      'smiycFrameBins: the frame has no valid pixel (labels 0 or 1); the SMIYC evaluator cannot bin it',
    );
  return splitValidScores(scores, labels, scan, toFloat16);
}

/** Per-frame binning of `binary_confusion_matrix(..., bin_strategy='percentiles')`. Scores are cast to float16. */
export function smiycFrameBins(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  numBins: number = SMIYC_NUM_BINS,
): SmiycFrameBins {
  const { pos, neg } = frameScores(scores, labels);
  const first = (a: Float64Array): number => (a.length > 0 ? (a[0] as number) : Infinity);
  const last = (a: Float64Array): number => (a.length > 0 ? (a[a.length - 1] as number) : -Infinity);
  const vmin = Math.min(first(pos), first(neg));
  const vmax = Math.max(last(pos), last(neg));
  const vrange = float16Sub(vmax, vmin);
  const eps = Math.max(vrange * 1e-2, 1e-2);
  const parts: number[] = [vmin - eps, vmax + eps];
  const half = Math.floor(numBins / 2);
  for (const a of [pos, neg]) {
    if (a.length === 0) continue;
    const q = quantileLinear(a, linspace(0, 1, Math.min(half, a.length)), toFloat16);
    for (const v of q) parts.push(v);
  }
  const edges = uniqueSorted(parts);
  const tp = histogramSorted(pos, edges);
  const fp = histogramSorted(neg, edges);
  const B = edges.length - 1;
  const thresholds = new Float64Array(B);
  const tpRel = new Float64Array(B);
  const fpRel = new Float64Array(B);
  for (let k = 0; k < B; k++) {
    thresholds[k] = edges[B - 1 - k] as number;
    tpRel[k] = tp[B - 1 - k] as number;
    fpRel[k] = fp[B - 1 - k] as number;
  }
  return { thresholds, tpRel, fpRel, numPos: pos.length, numNeg: neg.length };
}

/** `aggregate_dynamic_bins` + `curves_from_cmats` over all frames of a dataset. */
export function smiycPixelMetrics(frames: readonly SmiycFrameBins[]): SmiycPixelMetrics {
  let P = 0;
  let N = 0;
  let L = 0;
  for (const f of frames) {
    P += f.numPos;
    N += f.numNeg;
    L += f.thresholds.length;
  }
  assertBothClasses(P, N, 'smiycPixelMetrics');
  const thr = new Float64Array(L);
  const tpRel = new Float64Array(L);
  const fpRel = new Float64Array(L);
  let o = 0;
  for (const f of frames) {
    thr.set(f.thresholds, o);
    tpRel.set(f.tpRel, o);
    fpRel.set(f.fpRel, o);
    o += f.thresholds.length;
  }
  // np.argsort(thresholds)[::-1], with NumPy 1.23's (unstable but deterministic) quicksort tie order.
  const order = argsortNumpy(thr).reverse();
  const cumTp = new Float64Array(L);
  const cumFp = new Float64Array(L);
  const sThr = new Float64Array(L);
  let tp = 0;
  let fp = 0;
  order.forEach((idx, k) => {
    tp += tpRel[idx] as number;
    fp += fpRel[idx] as number;
    cumTp[k] = tp;
    cumFp[k] = fp;
    sThr[k] = thr[idx] as number;
  });
  return curvesFromCmats(sThr, cumTp, cumFp, P, N);
}

/** `curves_from_cmats`, literally (see the module comment, step 4). */
function curvesFromCmats(
  thrAll: Float64Array,
  tpAll: Float64Array,
  fpAll: Float64Array,
  P: number,
  N: number,
): SmiycPixelMetrics {
  const L = thrAll.length;
  const keep = [0];
  for (let i = 0; i < L - 1; i++) if (thrAll[i] !== thrAll[i + 1]) keep.push(i);
  keep.push(L - 1);
  let thr = keep.map((i) => thrAll[i] as number);
  let tp = keep.map((i) => tpAll[i] as number);
  let fp = keep.map((i) => fpAll[i] as number);
  if ((tp[0] as number) !== 0 || (fp[0] as number) !== 0) {
    thr = [maxOf(thr) + 1, ...thr];
    tp = [0, ...tp];
    fp = [0, ...fp];
  }
  if ((tp[tp.length - 1] as number) !== P || (fp[fp.length - 1] as number) !== N) {
    thr = [...thr, maxOf(thr) - 1];
    tp = [...tp, P];
    fp = [...fp, N];
  }
  const n = tp.length;
  const tpr = new Float64Array(n);
  const fpr = new Float64Array(n);
  const precision = new Float64Array(n);
  const f1 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = tp[i] as number;
    const f = fp[i] as number;
    const fnI = P - t;
    const tn = N - f;
    tpr[i] = t / (t + fnI);
    fpr[i] = f / (f + tn);
    precision[i] = t + f > 0 ? t / (t + f) : 1;
    f1[i] = (2 * t) / (2 * t + f + fnI);
  }
  const i95 = searchSorted(tpr, SMIYC_TPR_LEVEL, 'left');
  const fpr95 = i95 < n ? (fpr[i95] as number) : 1.0;
  const tpr95Threshold = i95 < n ? (thr[i95] as number) : 0.0;
  let ix = -1;
  for (let i = 0; i < n; i++)
    if (!Number.isNaN(f1[i] as number) && (ix < 0 || (f1[i] as number) > (f1[ix] as number))) ix = i;
  const apTerms = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) apTerms[i - 1] = ((tpr[i] as number) - (tpr[i - 1] as number)) * (precision[i] as number);
  return {
    auroc: trapz(tpr, fpr),
    ap: pairwiseSum(apTerms),
    fpr95,
    tpr95Threshold,
    bestF1: f1[ix] as number,
    bestF1Threshold: thr[ix] as number,
    numPos: P,
    numNeg: N,
  };
}

/** np.max of a non-empty list (no argument spreading: the list can hold 10⁶ entries). */
function maxOf(a: readonly number[]): number {
  let m = -Infinity;
  for (const v of a) if (v > m) m = v;
  return m;
}

/** Convenience: SMIYC pixel metrics of a list of frames (each its own score and label map). */
export function smiycAnomalyMetrics(
  frames: ReadonlyArray<{ scores: ArrayLike<number>; labels: ArrayLike<number> }>,
): SmiycPixelMetrics {
  return smiycPixelMetrics(frames.map((f) => smiycFrameBins(f.scores, f.labels)));
}

/**
 * Binarisation of `default_instancer`: predicted anomaly ⇔ float16(score) > threshold, where NumPy 1.23 casts the
 * Python-float threshold to float16 for the comparison with the float16 map (to float32 beyond ±65000).
 */
export function smiycBinarize(scores: ArrayLike<number>, threshold: number): Uint8Array {
  const t = Math.abs(threshold) < 65000 ? toFloat16(threshold) : Math.fround(threshold);
  const out = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = toFloat16(scores[i] as number) > t ? 1 : 0;
  return out;
}

/** Component statistics of one frame [H, W] at the SMIYC threshold (default: anomaly track sizes). */
export function smiycComponentFrame(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  height: number,
  width: number,
  threshold: number,
  opts: ComponentOptions = SMIYC_ANOMALY_TRACK,
): ComponentFrameStats {
  return componentFrameStats(smiycBinarize(scores, threshold), labels, height, width, opts);
}
