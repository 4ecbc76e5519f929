/**
 * Writes an experiment's results into a folder: one model file per head (with metrics and the calibrated threshold),
 * `report.json`, `report.md`, ROC and PR curves (SVG + PNG) of every anomaly score, and example pictures
 * (image | class map | anomaly heat map | overlay with flagged regions outlined) for a few anomaly images.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { encodeRgbPng } from '../data/image-io.js';
import type { Dataset } from '../data/sample.js';
import { heatmap, scaleFromCalibration, thresholdMask } from '../infer/heatmap.js';
import { outlineMask, overlay, sideBySide } from '../infer/overlay.js';
import { colorizeLabels, paletteFor } from '../infer/palette.js';
import { predictImage, type AnomalyScoreName, type PredictOptions } from '../infer/predict.js';
import type { AnomalyMetrics } from '../metrics/ranking.js';
import { segModelToFile } from '../model/seg-model-file.js';
import { curvesPng, curvesSvg, prSeries, rocSeries, type CurveSeries } from '../report/curves.js';
import { formatReport, type AnomalyRow, type EvalReport } from '../report/markdown.js';
import type { HeadOutcome } from '../train/experiment.js';
import { writeFileAtomic, writeModelFile } from './fs-io.js';

/** Run description for the report. */
export interface RunMeta {
  title: string;
  engine: string;
  machine: string;
  command: string;
  seconds: number;
  train: Record<string, unknown>;
  predict: PredictOptions;
}

const SCORE_LABEL: Record<AnomalyScoreName, string> = { gmm: 'GMM −max log p(x|c)', msp: 'max softmax (MSP)', maxLogit: 'max logit', energy: 'energy' };

/** Plain numbers of a metrics object (drops the tie table). */
function metricsOf(m: AnomalyMetrics): { ap: number; fpr95: number; auroc: number } {
  return { ap: m.ap, fpr95: m.fpr95, auroc: m.auroc };
}

/** The JSON report: per head miou, per-class IoU, accuracy, and anomaly metrics per score (primary first). */
export function reportJson(outcomes: readonly HeadOutcome[], meta: RunMeta): Record<string, unknown> {
  const heads: Record<string, unknown> = {};
  for (const o of outcomes) {
    const seg = o.closedSet.segmentation;
    const scores = Object.fromEntries(Object.entries(o.anomaly.anomaly).map(([k, m]) => [k, metricsOf(m)]));
    const primary = o.anomaly.anomaly[o.calibration.score];
    heads[o.head] = {
      miou: seg?.miou ?? null,
      accuracy: seg?.accuracy ?? null,
      iou: seg ? Array.from(seg.iou, (v) => (Number.isNaN(v) ? null : v)) : [],
      anomaly: primary ? metricsOf(primary) : null,
      anomalyScore: o.calibration.score,
      anomalyScores: scores,
      threshold: o.calibration.threshold,
      trainSeconds: o.trainSeconds,
      finalLoss: o.finalLoss,
    };
  }
  return { title: meta.title, engine: meta.engine, machine: meta.machine, command: meta.command, seconds: meta.seconds, train: meta.train, ...heads };
}

/** The Markdown report. */
export function reportMarkdown(outcomes: readonly HeadOutcome[], meta: RunMeta, classes: readonly string[]): string {
  const anomaly: AnomalyRow[] = [];
  for (const o of outcomes) for (const [k, m] of Object.entries(o.anomaly.anomaly) as [AnomalyScoreName, AnomalyMetrics][]) anomaly.push({ model: o.head, score: SCORE_LABEL[k], ...metricsOf(m) });
  const report: EvalReport = {
    title: meta.title,
    engine: meta.engine,
    machine: meta.machine,
    command: meta.command,
    seconds: meta.seconds,
    classes,
    closedSet: outcomes.flatMap((o) => (o.closedSet.segmentation ? [{ model: o.head, miou: o.closedSet.segmentation.miou, accuracy: o.closedSet.segmentation.accuracy, iou: Array.from(o.closedSet.segmentation.iou, (v) => (Number.isNaN(v) ? null : v)) }] : [])),
    anomaly,
  };
  return formatReport(report);
}

/** Writes everything into `dir`; returns the written paths. */
export async function writeExperimentOutputs(dir: string, outcomes: readonly HeadOutcome[], meta: RunMeta, anomalySet: Dataset, pictures = 4): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const put = async (name: string, bytes: Uint8Array | string): Promise<void> => {
    const p = path.join(dir, name);
    await writeFileAtomic(p, typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
    written.push(p);
  };
  const json = reportJson(outcomes, meta);
  for (const o of outcomes) {
    const calibration = { score: o.calibration.score, threshold: o.calibration.threshold, inlierMedian: o.calibration.inlierMedian, targetTpr: o.calibration.targetTpr, heatScale: scaleFromCalibration(o.calibration.threshold, o.calibration.inlierMedian) };
    const metrics = { ...(json[o.head] as Record<string, unknown>), dataset: anomalySet.name, command: meta.command, engine: meta.engine };
    const p = path.join(dir, `${o.head}.gmmseg`);
    await writeModelFile(p, segModelToFile(o.model, { metrics: stripNull(metrics), calibration, train: meta.train, preprocessing: { input: 'RGB uint8 0..255, NHWC', sizeMultiple: o.model.extractor.sizeMultiple, stride: o.model.extractor.stride } }));
    written.push(p);
  }
  await put('report.json', `${JSON.stringify(json, null, 2)}\n`);
  await put('report.md', reportMarkdown(outcomes, meta, outcomes[0]?.model.classes ?? []));
  const roc: CurveSeries[] = [];
  const pr: CurveSeries[] = [];
  for (const o of outcomes) for (const [k, m] of Object.entries(o.anomaly.anomaly) as [AnomalyScoreName, AnomalyMetrics & { table: Parameters<typeof rocSeries>[1] }][]) {
    roc.push(rocSeries(`${o.head}: ${SCORE_LABEL[k]}`, m.table));
    pr.push(prSeries(`${o.head}: ${SCORE_LABEL[k]}`, m.table));
  }
  const size = { width: 640, height: 480 };
  await put('roc.svg', curvesSvg(roc, 'roc', size));
  await put('pr.svg', curvesSvg(pr, 'pr', size));
  await put('roc.png', await curvesPng(roc, 'roc', size));
  await put('pr.png', await curvesPng(pr, 'pr', size));
  for (const o of outcomes) {
    for (let i = 0; i < Math.min(pictures, anomalySet.length); i++) await put(`example-${o.head}-${i}.png`, encodeRgbPng(await examplePicture(o, anomalySet, i, meta.predict)));
  }
  return written;
}

/** image | class map | heat map (fixed scale from the calibration) | overlay with flagged regions outlined. */
export async function examplePicture(o: HeadOutcome, ds: Dataset, i: number, predict: PredictOptions) {
  const s = await ds.get(i);
  const p = predictImage(o.model, s.image, predict);
  const scores = p.scores[o.calibration.score] as Float32Array;
  const { width, height } = s.image;
  const heat = heatmap({ width, height, data: scores }, scaleFromCalibration(o.calibration.threshold, o.calibration.inlierMedian));
  const classes = colorizeLabels({ width, height, data: p.classMap }, paletteFor(o.model.classes));
  const flagged = thresholdMask(scores, o.calibration.threshold);
  return sideBySide([s.image, classes, heat, outlineMask(overlay(s.image, heat, 0.5, flagged), flagged, [0, 255, 255])]);
}

function stripNull(o: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(o, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))) as Record<string, unknown>;
}
