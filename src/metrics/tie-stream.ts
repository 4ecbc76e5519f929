/**
 * The exact tie table of a whole data set, built image by image without keeping any per-pixel array: the streaming
 * form of {@link tieTable} + {@link mergeTieTables} for float32 score maps (what prediction returns).
 *
 * Each valid score (label 1 = positive, 0 = negative, anything else void) becomes a uint32 key whose increasing
 * order is the scores' decreasing order (−0 is +0; NaN and ±∞ are errors, as in `ranking.ts`), counted per class in
 * a {@link KeyTable} (`key-table.ts`): O(1) per pixel on the way in, nothing sorted until the metrics are read, and
 * memory of at most 2 bytes per pixel and at most 256 KiB per occupied 1/128-octave of scores — bounded by the
 * scores' range, whatever the number of images (the binned histogram of `binned.ts` bounds it further).
 *
 * {@link TieStream.metrics} walks the positive and negative tables together from the highest score down through the
 * same {@link RankingSweep} as {@link metricsFromTieTable}: the same entries in the same order, so AUROC, AP and
 * FPR95 are bit-identical to the in-memory exact path (tested), i.e. equal to scikit-learn's. For data-parallel
 * evaluation the tables travel as varint-coded runs (`count-run.ts`, {@link TieStream.runs} / {@link TieStream.addRuns}).
 */
import { ValueError } from '../errors.js';
import { RunReader, RunWriter, type CountRun } from './count-run.js';
import { KeyTable, bucketEntries } from './key-table.js';
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

/** One class's table as a run (ascending keys). */
function tableToRun(t: KeyTable): CountRun {
  const w = new RunWriter(1024);
  const e = bucketEntries();
  for (let b = 0; b < 0x10000; b++) {
    if (!t.occupied(b)) continue;
    t.entries(b, e);
    for (let i = 0; i < e.n; i++) w.push(b * 0x10000 + (e.lows[i] as number), e.counts[i] as number);
  }
  return w.finish();
}

/** Adds every entry of a run to a table. */
function addRun(t: KeyTable, run: CountRun): void {
  const r = new RunReader(run);
  while (r.next()) t.addCount(r.key, r.count);
}

/** Curve table resolution: a thinned entry is closed once its ROC point moved ≥ this far (L1) from the last one. */
const CURVE_STEP = 1 / 4096;

/** Exact streaming tie table of float32 score maps (see the module comment). */
export class TieStream {
  private readonly pos = new KeyTable();
  private readonly neg = new KeyTable();
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
    this.pos.addKeys(posKeys, np);
    this.neg.addKeys(negKeys, nn);
  }

  /**
   * Everything added so far as one positive and one negative run (ascending keys; see `count-run.ts`), e.g. to send
   * to other workers; the stream keeps them and goes on accumulating.
   */
  runs(): { pos: CountRun; neg: CountRun } {
    return { pos: tableToRun(this.pos), neg: tableToRun(this.neg) };
  }

  /**
   * Adds runs taken from another stream's {@link TieStream.runs}: equal keys add their counts, so a stream fed the
   * runs of several streams holds exactly the table of all their pixels, whatever the order.
   */
  addRuns(pos: CountRun, neg: CountRun): void {
    addRun(this.pos, pos);
    addRun(this.neg, neg);
  }

  /** Positive (label 1) pixels added so far. */
  get numPos(): number {
    return this.pos.total;
  }

  /** Negative (label 0) pixels added so far. */
  get numNeg(): number {
    return this.neg.total;
  }

  /** Bytes held by the two key tables (their fixed indexes and the per-image key buffers, reused, not counted). */
  get bytes(): number {
    return this.pos.bytes + this.neg.bytes;
  }

  /**
   * Calls `visit(threshold, pos, neg)` for every distinct score, highest first, with its positive and negative
   * pixel counts — the entries of the exact tie table.
   */
  forEachEntry(visit: (threshold: number, pos: number, neg: number) => void): void {
    const ep = bucketEntries();
    const en = bucketEntries();
    for (let b = 0; b < 0x10000; b++) {
      const hasPos = this.pos.occupied(b);
      const hasNeg = this.neg.occupied(b);
      if (!hasPos && !hasNeg) continue;
      const p = hasPos ? this.pos.entries(b, ep) : ((ep.n = 0), ep);
      const q = hasNeg ? this.neg.entries(b, en) : ((en.n = 0), en);
      let i = 0;
      let j = 0;
      while (i < p.n || j < q.n) {
        const lp = i < p.n ? (p.lows[i] as number) : 0x10000;
        const lq = j < q.n ? (q.lows[j] as number) : 0x10000;
        const low = Math.min(lp, lq);
        const cp = lp === low ? (p.counts[i++] as number) : 0;
        const cq = lq === low ? (q.counts[j++] as number) : 0;
        visit(scoreOfKey(b * 0x10000 + low), cp, cq);
      }
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
