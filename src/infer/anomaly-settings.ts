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
 *
 * The overrides' own rules (a known score name, a finite threshold) live here once, in {@link anomalyOverridesSchema}:
 * the service options reuse its fields and the CLI's `--score` / `--threshold` flags parse to the same rule.
 */
import { z } from 'zod';
import { ValueError } from '../errors.js';
import { parseWith } from '../validation.js';
import { primaryScore, type SegHead } from '../model/seg-model.js';
import { scaleFromCalibration, type HeatScale } from './heatmap.js';
import type { AnomalyScoreName } from './predict.js';

/** The anomaly scores a user may pick. */
export const ANOMALY_SCORE_NAMES: readonly AnomalyScoreName[] = ['gmm', 'msp', 'maxLogit', 'energy'];

/** Half-width of the heat scale, in score units, when there is no calibration to centre it on. */
export const UNCALIBRATED_HEAT_HALF_WIDTH = 10;

/** True for a score name a user may pick. */
export function isAnomalyScoreName(name: unknown): name is AnomalyScoreName {
  return typeof name === 'string' && (ANOMALY_SCORE_NAMES as readonly string[]).includes(name);
}

/**
 * The rules of the user's overrides: `score` one of {@link ANOMALY_SCORE_NAMES}, `threshold` a finite number (score
 * units). Both optional.
 */
export const anomalyOverridesSchema = z.object({
  score: z
    .custom<AnomalyScoreName>(isAnomalyScoreName, (v) => ({
      message: `the anomaly score must be ${ANOMALY_SCORE_NAMES.join(', ')}; got '${String(v)}'`,
    }))
    .optional(),
  threshold: z
    .custom<number>(
      (v) => typeof v === 'number' && Number.isFinite(v),
      (v) => ({
        message: `the anomaly threshold must be a finite number, got ${String(v)}`,
      }),
    )
    .optional(),
});

/** What the user asked for instead of the stored calibration (checked by {@link anomalyOverridesSchema}). */
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
export function anomalySettings(
  headKind: SegHead['kind'],
  calibration: Record<string, unknown>,
  overrides: AnomalyOverrides = {},
  source = 'the model',
): AnomalySettings {
  const given = parseWith(anomalyOverridesSchema, overrides, 'invalid anomaly settings');
  const cal = calibration as StoredCalibration;
  const calScore = typeof cal.score === 'string' ? cal.score : undefined;
  const score = pickScore(headKind, given.score ?? calScore, source);
  const sameScore = calScore === score;
  const threshold = given.threshold ?? (sameScore && typeof cal.threshold === 'number' ? cal.threshold : undefined);
  if (threshold === undefined) {
    throw new ValueError(
      `no anomaly threshold for score '${score}': ${source} has no calibration for it; pass --threshold`,
    );
  }
  if (!Number.isFinite(threshold)) {
    throw new ValueError(`the stored anomaly threshold of ${source} is not finite: ${threshold}`);
  }
  const calibrated = given.threshold === undefined;
  const heatScale =
    calibrated && sameScore && typeof cal.inlierMedian === 'number' && Number.isFinite(cal.inlierMedian)
      ? scaleFromCalibration(threshold, cal.inlierMedian)
      : { min: threshold - UNCALIBRATED_HEAT_HALF_WIDTH, max: threshold + UNCALIBRATED_HEAT_HALF_WIDTH };
  return { score, threshold, heatScale, calibrated };
}

/** The requested (or calibrated) score, else the head's default, checked against the head kind. */
function pickScore(headKind: SegHead['kind'], requested: string | undefined, source: string): AnomalyScoreName {
  const score = requested ?? primaryScore(headKind);
  if (!isAnomalyScoreName(score)) {
    const valid = ANOMALY_SCORE_NAMES.join(', ');
    throw new ValueError(`${source} is calibrated for an unknown anomaly score '${score}'; valid: ${valid}`);
  }
  if (score === 'gmm' && headKind !== 'gmm')
    throw new ValueError(`score 'gmm' needs a GMM model; ${source} has a ${headKind} head`);
  return score;
}
