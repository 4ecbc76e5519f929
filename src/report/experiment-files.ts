/**
 * The files of an experiment's report folder, as bytes (the caller writes them): one model file per head (with its
 * metrics and calibrated threshold), `report.json`, `report.md`, ROC and PR curves (SVG + PNG) of every anomaly score,
 * and example pictures (image | class map | anomaly heat map | overlay with flagged regions outlined) for a few
 * anomaly images. Pure: no file system.
 */
import { OUTLINE_RGB } from '../constants.js';
import { encodeRgbPng } from '../data/image-io.js';
import type { Dataset, RgbImage } from '../data/sample.js';
import { heatmap, scaleFromCalibration, thresholdMask } from '../infer/heatmap.js';
import { outlineMask, overlay, sideBySide } from '../infer/overlay.js';
import { colorizeLabels, paletteFor } from '../infer/palette.js';
import { predictImage, type AnomalyScoreName, type PredictOptions } from '../infer/predict.js';
import type { AnomalyMetrics, TieTable } from '../metrics/ranking.js';
import { encodeModel } from '../model/format.js';
import { segModelToFile } from '../model/seg-model-file.js';
import { calibrationRecord } from '../train/calibration.js';
import type { HeadOutcome } from '../train/experiment.js';
import { curvesPng, curvesSvg, prSeries, rocSeries, type CurveSeries } from './curves.js';
import { headReport, reportJson, reportMarkdown, SCORE_LABEL, type RunMeta } from './experiment.js';
import { DATASET_PALETTES } from '../data/palettes.js';

/** One output file. */
export interface OutputFile {
  /** File name inside the report folder. */
  name: string;
  bytes: Uint8Array;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * The model file of one head, with its metrics (non-finite numbers as null), its calibration and the run's test-time
 * views (whole mode), so later predictions default to how it was evaluated.
 */
export function headModelBytes(o: HeadOutcome, meta: RunMeta, anomalySet: Dataset): Uint8Array {
  const metrics = { ...headReport(o), dataset: anomalySet.name, command: meta.command, engine: meta.engine };
  const calibration = calibrationRecord(o.calibration);
  const p = meta.predict;
  const views = p.mode === 'whole' ? { views: { scales: [...(p.scales ?? [1])], flip: p.flip ?? false } } : {};
  return encodeModel(
    segModelToFile(o.model, { metrics: finiteOrNull(metrics), calibration, train: meta.train, ...views }),
  );
}

/** Every file of the report folder, in writing order. */
export async function* experimentFiles(
  outcomes: readonly HeadOutcome[],
  meta: RunMeta,
  anomalySet: Dataset,
  pictures = 4,
): AsyncGenerator<OutputFile> {
  for (const o of outcomes) yield { name: `${o.head}.gmmseg`, bytes: headModelBytes(o, meta, anomalySet) };
  yield { name: 'report.json', bytes: text(`${JSON.stringify(reportJson(outcomes, meta), null, 2)}\n`) };
  yield { name: 'report.md', bytes: text(reportMarkdown(outcomes, meta, outcomes[0]?.model.classes ?? [])) };
  const roc: CurveSeries[] = [];
  const pr: CurveSeries[] = [];
  for (const o of outcomes) {
    const scores = Object.entries(o.anomaly.anomaly) as [AnomalyScoreName, AnomalyMetrics & { table: TieTable }][];
    for (const [k, m] of scores) {
      // m.table is thinned for plotting; the legends carry the exact metrics
      roc.push({ ...rocSeries(`${o.head}: ${SCORE_LABEL[k]}`, m.table), summary: m.auroc });
      pr.push({ ...prSeries(`${o.head}: ${SCORE_LABEL[k]}`, m.table), summary: m.ap });
    }
  }
  const size = { width: 640, height: 480 };
  yield { name: 'roc.svg', bytes: text(curvesSvg(roc, 'roc', size)) };
  yield { name: 'pr.svg', bytes: text(curvesSvg(pr, 'pr', size)) };
  yield { name: 'roc.png', bytes: await curvesPng(roc, 'roc', size) };
  yield { name: 'pr.png', bytes: await curvesPng(pr, 'pr', size) };
  for (const o of outcomes) {
    for (let i = 0; i < Math.min(pictures, anomalySet.length); i++) {
      const picture = await examplePicture(o, anomalySet, i, meta.predict);
      yield { name: `example-${o.head}-${i}.png`, bytes: encodeRgbPng(picture) };
    }
  }
}

/** image | class map | heat map (fixed scale from the calibration) | overlay with flagged regions outlined. */
export async function examplePicture(
  o: HeadOutcome,
  ds: Dataset,
  i: number,
  predict: PredictOptions,
): Promise<RgbImage> {
  const s = await ds.get(i);
  const p = predictImage(o.model, s.image, predict);
  const scores = p.scores[o.calibration.score] as Float32Array;
  const { width, height } = s.image;
  const scale = scaleFromCalibration(o.calibration.threshold, o.calibration.inlierMedian);
  const heat = heatmap({ width, height, data: scores }, scale);
  const classes = colorizeLabels({ width, height, data: p.classMap }, paletteFor(o.model.classes, DATASET_PALETTES));
  const flagged = thresholdMask(scores, o.calibration.threshold);
  const outlined = outlineMask(overlay(s.image, heat, 0.5, flagged), flagged, OUTLINE_RGB);
  return sideBySide([s.image, classes, heat, outlined]);
}

function finiteOrNull(o: Record<string, unknown>): Record<string, unknown> {
  const json = JSON.stringify(o, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
  return JSON.parse(json) as Record<string, unknown>;
}
