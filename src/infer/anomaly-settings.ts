/**
 * The anomaly settings of a loaded model — which score to read, the threshold that flags a pixel, and the fixed heat
 * map scale — derived once from the calibration stored in the model file and optional user overrides. `gmmseg
 * predict` and `gmmseg serve` both use this, so a picture and a service answer agree for the same model and flags.
 *
 * Rules:
 * - score: the override, else the calibrated score, else 'gmm' for a GMM head and 'msp' for a softmax head;
 *   'gmm' needs a GMM head.
 * - threshold: the override, else the calibrated threshold when the calibration is for this score; it must be finite.
 * - heat scale: {@link scaleFromCalibration}(threshold, inlier median) when the calibration is for this score, has an
 *   inlier median and no threshold override was given; otherwise [T − 10, T + 10] score units.
 */
import { ValueError } from '../errors.js';
import type { SegHead } from '../model/seg-model.js';
import { scaleFromCalibration, type HeatScale } from './heatmap.js';
import type { AnomalyScoreName } from './predict.js';

/** The anomaly scores a user may pick. */
export const ANOMALY_SCORE_NAMES: readonly AnomalyScoreName[] = ['gmm', 'msp', 'maxLogit', 'energy'];

/** Half-width of the heat scale, in score units, when there is no calibration to centre it on. */
export const UNCALIBRATED_HEAT_HALF_WIDTH = 10;

/** What the user asked for instead of the stored calibration. */
export interface AnomalyOverrides {
  /** Score name (checked against {@link ANOMALY_SCORE_NAMES}). */
  score?: string;
  /** Threshold in score units (must be finite). */
  threshold?: number;
}

/** The settings a prediction is read with. */
export interface AnomalySettings {
  score: AnomalyScoreName;
  /** Flag pixels with score > threshold. */
  threshold: number;
  /** Fixed colour scale of the heat map. */
  heatScale: HeatScale;
  /** True when the threshold came from the model's calibration (not an override). */
  calibrated: boolean;
}

/** The calibration fields this module reads (the rest of the stored object is ignored). */
interface StoredCalibration {
  score?: unknown;
  threshold?: unknown;
  inlierMedian?: unknown;
}

/**
 * Derives the anomaly settings of a model with a `headKind` head from its stored `calibration` and `overrides` (see
 * the module comment).
 *
 * @param source names the model in error messages (e.g. its file name).
 * @throws ValueError for an unknown score, 'gmm' on a softmax model, or no usable threshold.
 */
export function anomalySettings(headKind: SegHead['kind'], calibration: Record<string, unknown>, overrides: AnomalyOverrides = {}, source = 'the model'): AnomalySettings {
  const cal = calibration as StoredCalibration;
  const calScore = typeof cal.score === 'string' ? cal.score : undefined;
  const score = pickScore(headKind, overrides.score ?? calScore, source);
  const sameScore = calScore === score;
  const threshold = overrides.threshold ?? (sameScore && typeof cal.threshold === 'number' ? cal.threshold : undefined);
  if (threshold === undefined) {
    throw new ValueError(`no anomaly threshold for score '${score}': ${source} has no calibration for it; pass --threshold`);
  }
  if (!Number.isFinite(threshold)) throw new ValueError(`the anomaly threshold must be a finite number, got ${threshold}`);
  const calibrated = overrides.threshold === undefined;
  const heatScale =
    calibrated && sameScore && typeof cal.inlierMedian === 'number' && Number.isFinite(cal.inlierMedian)
      ? scaleFromCalibration(threshold, cal.inlierMedian)
      : { min: threshold - UNCALIBRATED_HEAT_HALF_WIDTH, max: threshold + UNCALIBRATED_HEAT_HALF_WIDTH };
  return { score, threshold, heatScale, calibrated };
}

/** The requested or default score, checked against the head kind. */
function pickScore(headKind: SegHead['kind'], requested: string | undefined, source: string): AnomalyScoreName {
  const score = requested ?? (headKind === 'gmm' ? 'gmm' : 'msp');
  if (!(ANOMALY_SCORE_NAMES as readonly string[]).includes(score)) {
    throw new ValueError(`the anomaly score must be ${ANOMALY_SCORE_NAMES.join(', ')}; got '${score}'`);
  }
  if (score === 'gmm' && headKind !== 'gmm') throw new ValueError(`score 'gmm' needs a GMM model; ${source} has a ${headKind} head`);
  return score as AnomalyScoreName;
}
