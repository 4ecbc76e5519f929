/**
 * What evaluation keeps of a data set while it streams through: the closed-set confusion matrix and, per anomaly
 * score, an exact streaming tie table (`metrics/tie-stream.ts`) — counts, never a per-pixel array of the set.
 * One accumulator per data set; `add` takes one sample with its prediction, `result` gives the metrics.
 * With data-parallel evaluation each rank accumulates its shard and `reduceOver` combines them exactly
 * (`eval-reduce.ts`).
 */
import { IGNORE_INDEX } from '../constants.js';
import type { Sample } from '../data/sample.js';
import type { AnomalyScoreName, Prediction } from '../infer/predict.js';
import { accumulateConfusion, createConfusion, type Confusion } from '../metrics/confusion.js';
import type { AnomalyMetrics, TieTable } from '../metrics/ranking.js';
import { segmentationMetrics, type SegmentationMetrics } from '../metrics/segmentation.js';
import { TieStream } from '../metrics/tie-stream.js';
import type { Collective } from './data-parallel.js';
import { gatherTieStream, namesOnAnyRank, sumOverRanks } from './eval-reduce.js';

/** What an evaluation measured. */
export interface EvalResult {
  dataset: string;
  images: number;
  /** Closed-set metrics (absent when the dataset has no semantic labels). */
  segmentation?: SegmentationMetrics;
  /**
   * Per anomaly score: exact metrics over every pixel, and `table`, the tie table's operating points thinned for
   * curves (a subset of the exact ROC / PR points, ≤ ≈ 8 200; see `TieStream.metrics`).
   */
  anomaly: Partial<Record<AnomalyScoreName, AnomalyMetrics & { table: TieTable }>>;
}

/** Confusion matrix and per-score tie streams of one data set. */
export class EvalAccumulator {
  private cm: Confusion;
  private streams: Partial<Record<AnomalyScoreName, TieStream>> = {};
  private labelled = 0;
  private images = 0;

  constructor(
    private readonly dataset: string,
    numClasses: number,
  ) {
    this.cm = createConfusion(numClasses);
  }

  /** Adds one sample (its labels and anomaly mask) with the model's prediction for its image. */
  add(sample: Sample, p: Prediction): void {
    if (sample.label.data.some((v) => v !== IGNORE_INDEX)) {
      accumulateConfusion(this.cm, p.classMap, sample.label.data, IGNORE_INDEX);
      this.labelled++;
    }
    if (sample.anomaly) {
      const fn = `evaluate ${this.dataset} (${sample.id})`;
      for (const [name, scores] of Object.entries(p.scores) as [AnomalyScoreName, Float32Array][])
        (this.streams[name] ??= new TieStream()).add(scores, sample.anomaly.data, fn);
    }
    this.images++;
  }

  /** A copy of the confusion matrix so far. */
  get confusion(): Confusion {
    return { numClasses: this.cm.numClasses, counts: this.cm.counts.slice() };
  }

  /** Bytes held by the tie streams (the memory that grows with the set). */
  get bytes(): number {
    return Object.values(this.streams).reduce((s, t) => s + t.bytes, 0);
  }

  /**
   * Replaces this rank's counts by the sum over all ranks of the group (a collective: every rank calls it, in the
   * same order for every accumulator); afterwards every rank holds what one accumulator fed every image holds.
   */
  reduceOver(group: Collective): void {
    const C = this.cm.numClasses;
    const sums = new Float64Array(C * C + 2);
    sums.set(this.cm.counts);
    sums[C * C] = this.labelled;
    sums[C * C + 1] = this.images;
    const total = sumOverRanks(group, sums);
    this.cm = { numClasses: C, counts: total.slice(0, C * C) };
    this.labelled = total[C * C] as number;
    this.images = total[C * C + 1] as number;
    const mine = Object.keys(this.streams) as AnomalyScoreName[];
    const names = namesOnAnyRank(group, mine);
    const gathered = new Map(names.map((n) => [n, gatherTieStream(group, this.streams[n])] as const));
    // keys in this rank's insertion order first (rank 0 holds image 0, so its order is the single-process one)
    const merged: typeof this.streams = {};
    for (const n of [...mine, ...names.filter((m) => !mine.includes(m))]) merged[n] = gathered.get(n) as TieStream;
    this.streams = merged;
  }

  /** The metrics of everything added. */
  result(): EvalResult {
    const anomaly: EvalResult['anomaly'] = {};
    for (const [name, stream] of Object.entries(this.streams) as [AnomalyScoreName, TieStream][]) {
      const { curve, ...m } = stream.metrics(`evaluate ${this.dataset} (${name})`);
      anomaly[name] = { ...m, table: curve };
    }
    const out: EvalResult = { dataset: this.dataset, images: this.images, anomaly };
    if (this.labelled > 0) out.segmentation = segmentationMetrics(this.cm);
    return out;
  }
}
