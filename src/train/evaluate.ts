/**
 * Evaluation runner: a model over a dataset → closed-set metrics (dataset-level confusion, mIoU) and, where the
 * dataset has anomaly masks, pixel-level AUROC / AP / FPR95 for every anomaly score the head provides, plus the
 * inlier scores' statistics needed for threshold calibration. No I/O; progress through a callback.
 */
import type { Dataset } from '../data/sample.js';
import { predictImage, type AnomalyScoreName, type PredictOptions } from '../infer/predict.js';
import { accumulateConfusion, createConfusion } from '../metrics/confusion.js';
import {
  mergeTieTables,
  metricsFromTieTable,
  tieTable,
  type AnomalyMetrics,
  type TieTable,
} from '../metrics/ranking.js';
import { segmentationMetrics, type SegmentationMetrics } from '../metrics/segmentation.js';
import type { SegModel } from '../model/seg-model.js';
import { IGNORE_INDEX } from '../constants.js';

/** What an evaluation measured. */
export interface EvalResult {
  dataset: string;
  images: number;
  /** Closed-set metrics (absent when the dataset has no semantic labels). */
  segmentation?: SegmentationMetrics;
  /** Per anomaly score: metrics and the merged tie table (for curves and calibration). */
  anomaly: Partial<Record<AnomalyScoreName, AnomalyMetrics & { table: TieTable }>>;
}

/** Progress callback: images done, total. */
export type EvalProgress = (done: number, total: number) => void;

/** Runs the model over every sample of `dataset`. */
export async function evaluateModel(
  model: SegModel,
  dataset: Dataset,
  opts: PredictOptions,
  onProgress: EvalProgress = () => undefined,
): Promise<EvalResult> {
  const cm = createConfusion(model.classes.length);
  let labelled = 0;
  const tables: Partial<Record<AnomalyScoreName, TieTable[]>> = {};
  for (let i = 0; i < dataset.length; i++) {
    const s = await dataset.get(i);
    const p = predictImage(model, s.image, opts);
    if (s.label.data.some((v) => v !== IGNORE_INDEX)) {
      accumulateConfusion(cm, p.classMap, s.label.data, IGNORE_INDEX);
      labelled++;
    }
    if (s.anomaly) {
      for (const [name, scores] of Object.entries(p.scores) as [AnomalyScoreName, Float32Array][])
        (tables[name] ??= []).push(tieTable(scores, s.anomaly.data));
    }
    onProgress(i + 1, dataset.length);
  }
  const anomaly: EvalResult['anomaly'] = {};
  for (const [name, list] of Object.entries(tables) as [AnomalyScoreName, TieTable[]][]) {
    const table = mergeAll(list);
    anomaly[name] = { ...metricsFromTieTable(table, `evaluate ${dataset.name} (${name})`), table };
  }
  const out: EvalResult = { dataset: dataset.name, images: dataset.length, anomaly };
  if (labelled > 0) out.segmentation = segmentationMetrics(cm);
  return out;
}

/** Balanced pairwise merge (O(n log k) instead of O(n·k) for k tables). */
export function mergeAll(tables: TieTable[]): TieTable {
  let level = tables;
  if (level.length === 0)
    return { thresholds: new Float64Array(0), pos: new Float64Array(0), neg: new Float64Array(0) };
  while (level.length > 1) {
    const next: TieTable[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(
        i + 1 < level.length ? mergeTieTables(level[i] as TieTable, level[i + 1] as TieTable) : (level[i] as TieTable),
      );
    level = next;
  }
  return level[0] as TieTable;
}
