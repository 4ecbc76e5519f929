/**
 * Threshold calibration after training: the head's primary anomaly score on the inlier (labelled) pixels of a
 * validation set, thresholded at the inlier true-positive rate `INLIER_TPR`; the record stored in the model file.
 * Data parallel (`group`): each rank predicts images r, r + W, … and the inlier scores are all-gathered
 * (`eval-reduce.ts`), so every rank computes the single-process threshold.
 */
import { IGNORE_INDEX, INLIER_TPR } from '../constants.js';
import type { Dataset } from '../data/sample.js';
import { calibrateOnInliers, type InlierCalibration } from '../infer/calibrate.js';
import { predictImage, type AnomalyScoreName, type PredictOptions } from '../infer/predict.js';
import type { CalibrationRecord } from '../model/sections.js';
import { primaryScore, type SegModel } from '../model/seg-model.js';
import type { Collective } from './data-parallel.js';
import { gatherFloat32, shardByRank } from './eval-reduce.js';

/** A calibration with its score and validation set. */
export type ScoreCalibration = InlierCalibration & { score: AnomalyScoreName; dataset: string };

/** Threshold of `score` at `INLIER_TPR` of the inlier pixels of `ds`. */
export async function calibrate(
  model: SegModel,
  ds: Dataset,
  score: AnomalyScoreName,
  predict: PredictOptions,
  group?: Collective,
): Promise<InlierCalibration> {
  const mine = group ? shardByRank(ds, group) : ds;
  const inliers: number[] = [];
  for (let i = 0; i < mine.length; i++) {
    const s = await mine.get(i);
    const scores = predictImage(model, s.image, predict).scores[score];
    if (!scores) continue;
    s.label.data.forEach((v, p) => {
      if (v !== IGNORE_INDEX) inliers.push(scores[p] as number);
    });
  }
  // the scores are float32 values: a float32 array carries them exactly
  const all = group ? gatherFloat32(group, Float32Array.from(inliers)) : inliers;
  return calibrateOnInliers(all, INLIER_TPR);
}

/** Calibrates the model's primary score (GMM: 'gmm', softmax: 'msp') on `ds`. */
export async function calibratePrimary(
  model: SegModel,
  ds: Dataset,
  predict: PredictOptions,
  group?: Collective,
): Promise<ScoreCalibration> {
  const score = primaryScore(model.head.kind);
  return { ...(await calibrate(model, ds, score, predict, group)), score, dataset: ds.name };
}

/** The record stored in a model file's `calibration` section. */
export function calibrationRecord(c: ScoreCalibration): CalibrationRecord {
  const { score, threshold, inlierMedian, targetTpr, dataset } = c;
  return { score, threshold, inlierMedian, targetTpr, dataset };
}
