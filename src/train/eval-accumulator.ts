/**
 * What evaluation keeps of a data set while it streams through: the closed-set confusion matrix and, per anomaly
 * score, an exact streaming tie table (`metrics/tie-stream.ts`) — counts, never a per-pixel array of the set.
 * One accumulator per data set; `add` takes one sample with its prediction, `result` gives the metrics.
 */
import { IGNORE_INDEX } from '../constants.js';
import type { Sample } from '../data/sample.js';
import type { AnomalyScoreName, Prediction } from '../infer/predict.js';
import { accumulateConfusion, createConfusion, type Confusion } from '../metrics/confusion.js';
import type { AnomalyMetrics, TieTable } from '../metrics/ranking.js';
import { segmentationMetrics, type SegmentationMetrics } from '../metrics/segmentation.js';
import { TieStream } from '../metrics/tie-stream.js';

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
  private readonly cm: Confusion;
  private readonly streams: Partial<Record<AnomalyScoreName, TieStream>> = {};
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

  /** Bytes held by the tie streams (the memory that grows with the set). */
  get bytes(): number {
    return Object.values(this.streams).reduce((s, t) => s + t.bytes, 0);
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
