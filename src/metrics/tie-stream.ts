/**
 * The exact tie table of a whole data set, built image by image without keeping any per-pixel array: the streaming
 * form of {@link tieTable} + {@link mergeTieTables} for float32 score maps (what prediction returns).
 *
 * Each valid score (label 1 = positive, 0 = negative, anything else void) becomes a uint32 key whose increasing
 * order is the scores' decreasing order (−0 is +0; NaN and ±∞ are errors, as in `ranking.ts`). An image's keys are
 * sorted and stored per class as one {@link CountRun} (distinct key → count, varint-coded); runs are merged
 * like a binary counter (a run is merged into the one below while that one is at most twice its size), so at any
 * time there are O(log images) runs and each key has been re-coded O(log images) times. Memory is therefore the
 * coded size of the distinct scores per class — one to three bytes each, plus a count where scores tie — never a
 * float per pixel, and at most 2³² distinct float32 values whatever the number of pixels (the binned histogram of
 * `binned.ts` bounds it further for sets too large even for that).
 *
 * {@link TieStream.metrics} merges the runs and walks the positive and negative runs together from the highest score
 * down through the same {@link RankingSweep} as {@link metricsFromTieTable}: the same entries in the same order, so
 * AUROC, AP and FPR95 are bit-identical to the in-memory exact path (tested), i.e. equal to scikit-learn's.
 */
import { ValueError } from '../errors.js';
import { EMPTY_RUN, RunReader, mergeRuns, runFromSorted, type CountRun } from './count-run.js';
import { assertBothClasses, type TieTable } from './ranking.js';
import { RankingSweep, type AnomalyMetrics } from './ranking-sweep.js';
import { checkSameLength } from './valid-scores.js';

const keyBits = new Uint32Array(1);
const keyFloat = new Float32Array(keyBits.buffer);

/** The score (as a float64 holding the float32 value) of a key. */
export function scoreOfKey(key: number): number {
  keyBits[0] = key >= 0x80000000 ? key : 0x7fffffff - key;
  return keyFloat[0] as number;
}

/** Runs of one class, merged like a binary counter. */
class RunStack {
  private runs: CountRun[] = [];

  push(run: CountRun): void {
    if (run.entries === 0) return;
    this.runs.push(run);
    for (let n = this.runs.length; n >= 2; n = this.runs.length) {
      const below = this.runs[n - 2] as CountRun;
      const top = this.runs[n - 1] as CountRun;
      if (below.bytes.length > 2 * top.bytes.length) break;
      this.runs.splice(n - 2, 2, mergeRuns(below, top));
    }
  }

  /** All runs merged into one (kept, so later pushes continue from it). */
  collapse(): CountRun {
    let acc = EMPTY_RUN;
    for (let i = this.runs.length - 1; i >= 0; i--) acc = mergeRuns(this.runs[i] as CountRun, acc);
    this.runs = acc.entries > 0 ? [acc] : [];
    return acc;
  }

  get bytes(): number {
    return this.runs.reduce((s, r) => s + r.bytes.length, 0);
  }

  get total(): number {
    return this.runs.reduce((s, r) => s + r.total, 0);
  }
}

/** Curve table resolution: a thinned entry is closed once its ROC point moved ≥ this far (L1) from the last one. */
const CURVE_STEP = 1 / 4096;

/** Exact streaming tie table of float32 score maps (see the module comment). */
export class TieStream {
  private readonly pos = new RunStack();
  private readonly neg = new RunStack();
  private posKeys = new Uint32Array(0);
  private negKeys = new Uint32Array(0);

  /**
   * Adds one map: `scores [N]` float32 and `labels [N]` (0 / 1 valid). Non-finite valid scores are a ValueError,
   * checked before anything is added.
   */
  add(scores: Float32Array, labels: ArrayLike<number>, fnName = 'TieStream.add'): void {
    checkSameLength(scores, labels, fnName);
    const n = labels.length;
    if (this.posKeys.length < n) {
      this.posKeys = new Uint32Array(n);
      this.negKeys = new Uint32Array(n);
    }
    const bits = new Uint32Array(scores.buffer, scores.byteOffset, n);
    const { posKeys, negKeys } = this;
    let np = 0;
    let nn = 0;
    let nan = 0;
    let inf = 0;
    for (let i = 0; i < n; i++) {
      const l = labels[i] as number;
      if (l !== 0 && l !== 1) continue;
      let b = bits[i] as number;
      if ((b & 0x7f800000) === 0x7f800000) {
        if ((b & 0x007fffff) === 0) inf++;
        else nan++;
        continue;
      }
      if (b === 0x80000000) b = 0;
      const key = b >= 0x80000000 ? b : 0x7fffffff - b;
      if (l === 1) posKeys[np++] = key;
      else negKeys[nn++] = key;
    }
    if (nan > 0 || inf > 0) {
      throw new ValueError(
        `${fnName}: 'scores' has ${nan} NaN and ${inf} infinite values among the ${np + nn + nan + inf} valid pixels; ` +
          'anomaly scores must be finite',
      );
    }
    this.pos.push(runFromSorted(posKeys.subarray(0, np).sort(), np));
    this.neg.push(runFromSorted(negKeys.subarray(0, nn).sort(), nn));
  }

  /**
   * Everything added so far as one positive and one negative run (ascending keys; see `count-run.ts`), e.g. to send
   * to other workers; the stream keeps them and goes on accumulating.
   */
  runs(): { pos: CountRun; neg: CountRun } {
    return { pos: this.pos.collapse(), neg: this.neg.collapse() };
  }

  /**
   * Adds runs taken from another stream's {@link TieStream.runs}: equal keys add their counts, so a stream fed the
   * runs of several streams holds exactly the table of all their pixels, whatever the order.
   */
  addRuns(pos: CountRun, neg: CountRun): void {
    this.pos.push(pos);
    this.neg.push(neg);
  }

  /** Positive (label 1) pixels added so far. */
  get numPos(): number {
    return this.pos.total;
  }

  /** Negative (label 0) pixels added so far. */
  get numNeg(): number {
    return this.neg.total;
  }

  /** Bytes held by the coded runs (the per-image key buffers, reused, are not counted). */
  get bytes(): number {
    return this.pos.bytes + this.neg.bytes;
  }

  /**
   * Calls `visit(threshold, pos, neg)` for every distinct score, highest first, with its positive and negative
   * pixel counts — the entries of the exact tie table.
   */
  forEachEntry(visit: (threshold: number, pos: number, neg: number) => void): void {
    const rp = new RunReader(this.pos.collapse());
    const rn = new RunReader(this.neg.collapse());
    let hp = rp.next();
    let hn = rn.next();
    while (hp || hn) {
      const key = hp && (!hn || rp.key <= rn.key) ? rp.key : rn.key;
      const p = hp && rp.key === key ? rp.count : 0;
      const q = hn && rn.key === key ? rn.count : 0;
      visit(scoreOfKey(key), p, q);
      if (p > 0) hp = rp.next();
      if (q > 0) hn = rn.next();
    }
  }

  /** The whole exact tie table (as `tieTable` of all pixels would give); its size is the number of distinct scores. */
  table(): TieTable {
    const thr: number[] = [];
    const tp: number[] = [];
    const fp: number[] = [];
    this.forEachEntry((t, p, q) => {
      thr.push(t);
      tp.push(p);
      fp.push(q);
    });
    return { thresholds: Float64Array.from(thr), pos: Float64Array.from(tp), neg: Float64Array.from(fp) };
  }

  /**
   * Exact AUROC / AP / FPR95 of every pixel added, and a curve table: the exact table's operating points thinned so
   * that consecutive kept points are ≥ 1/4096 apart on the ROC (L1), each kept entry summing the entries it
   * replaces — so its cumulative counts, hence its ROC and PR points, are a subset of the exact ones (≤ ≈ 8 200
   * entries, for plotting; metrics must come from here, not from it).
   */
  metrics(fnName = 'TieStream.metrics'): AnomalyMetrics & { curve: TieTable } {
    const P = this.numPos;
    const N = this.numNeg;
    assertBothClasses(P, N, fnName);
    const walk = new RankingSweep(P, N);
    const curve = { thr: [] as number[], pos: [] as number[], neg: [] as number[] };
    let groupPos = 0;
    let groupNeg = 0;
    let lastX = 0;
    let lastY = 0;
    this.forEachEntry((t, p, q) => {
      walk.add(t, p, q);
      groupPos += p;
      groupNeg += q;
      const x = walk.falsePositives / N;
      const y = walk.truePositives / P;
      const end = walk.truePositives === P && walk.falsePositives === N;
      if (!end && x - lastX + (y - lastY) < CURVE_STEP) return;
      curve.thr.push(t);
      curve.pos.push(groupPos);
      curve.neg.push(groupNeg);
      [groupPos, groupNeg, lastX, lastY] = [0, 0, x, y];
    });
    const table = {
      thresholds: Float64Array.from(curve.thr),
      pos: Float64Array.from(curve.pos),
      neg: Float64Array.from(curve.neg),
    };
    return { ...walk.result(), curve: table };
  }
}
