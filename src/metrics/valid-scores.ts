/**
 * The valid pixels of an anomaly score map: labels 1 (anomaly, positive) and 0 (inlier, negative); every other
 * label value is void and skipped. One scan ({@link scanValidScores}) counts them and summarises their scores,
 * so that each metric can check its own preconditions (finite scores, a score range, a float16 range) with its
 * own message; {@link splitValidScores} then copies the valid scores into one sorted array per class.
 */
import { ShapeError } from '../errors.js';

/** What one pass over the valid pixels found. */
export interface ValidScoreScan {
  /** Pixels with label 1. */
  numPos: number;
  /** Pixels with label 0. */
  numNeg: number;
  /** Valid pixels whose score is NaN. */
  nan: number;
  /** Valid pixels whose score is not NaN and has magnitude ≥ `limit` (with the default ∞: the infinite scores). */
  over: number;
  /** Smallest non-NaN valid score (+∞ when there is none). */
  min: number;
  /** Largest non-NaN valid score (−∞ when there is none). */
  max: number;
}

/** Throws the ShapeError for score and label maps of different sizes. */
export function checkSameLength(scores: ArrayLike<number>, labels: ArrayLike<number>, fnName: string): void {
  if (scores.length !== labels.length) {
    throw new ShapeError(
      `${fnName}: 'scores' has ${scores.length} values but 'labels' has ${labels.length}; they must match pixel for pixel`,
    );
  }
}

/** Counts and summarises the valid pixels of `scores [N]` / `labels [N]` (see {@link ValidScoreScan}). */
export function scanValidScores(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  fnName: string,
  limit = Infinity,
): ValidScoreScan {
  checkSameLength(scores, labels, fnName);
  const r: ValidScoreScan = { numPos: 0, numNeg: 0, nan: 0, over: 0, min: Infinity, max: -Infinity };
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as number;
    if (l !== 0 && l !== 1) continue;
    if (l === 1) r.numPos++;
    else r.numNeg++;
    const s = scores[i] as number;
    if (Number.isNaN(s)) {
      r.nan++;
      continue;
    }
    if (Math.abs(s) >= limit) r.over++;
    if (s < r.min) r.min = s;
    if (s > r.max) r.max = s;
  }
  return r;
}

/**
 * The valid scores split by class and sorted ascending, each passed through `cast` and then `+ 0` (so −0 becomes
 * +0 and equal scores sort together). `scan` is this map's {@link scanValidScores} result (it sizes the arrays).
 */
export function splitValidScores(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  scan: ValidScoreScan,
  cast?: (s: number) => number,
): { pos: Float64Array; neg: Float64Array } {
  const pos = new Float64Array(scan.numPos);
  const neg = new Float64Array(scan.numNeg);
  let ip = 0;
  let ineg = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as number;
    if (l !== 0 && l !== 1) continue;
    const raw = scores[i] as number;
    const s = (cast === undefined ? raw : cast(raw)) + 0;
    if (l === 1) pos[ip++] = s;
    else neg[ineg++] = s;
  }
  return { pos: pos.sort(), neg: neg.sort() };
}
