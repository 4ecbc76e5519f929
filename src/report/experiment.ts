/**
 * The report of a GMM-vs-softmax experiment (`gmmseg demo`, `npm run bench:camvid`) as plain data and text:
 * `report.json`'s object, the Markdown report and the summary table printed at the end. Pure.
 */
import type { GmmConfig } from '../gmm/config.js';
import type { AnomalyScoreName, PredictOptions } from '../infer/predict.js';
import type { AnomalyMetrics } from '../metrics/ranking.js';
import type { HeadOutcome } from '../train/experiment.js';
import type { TrainConfig } from '../train/train-config.js';
import { anomalyLeaders, bestScoreJson, leadersSentence } from './best-scores.js';
import { formatReport, pct, type AnomalyRow, type EvalReport } from './markdown.js';

/** Run description for the report. */
export interface RunMeta {
  title: string;
  engine: string;
  machine: string;
  command: string;
  seconds: number;
  train: TrainConfig;
  /** GMM config overrides of the run (reported beside the training config). */
  gmm: Partial<GmmConfig>;
  predict: PredictOptions;
}

/** Display names of the anomaly scores. */
export const SCORE_LABEL: Record<AnomalyScoreName, string> = {
  gmm: 'GMM −max log p(x|c)',
  msp: 'max softmax (MSP)',
  maxLogit: 'max logit',
  energy: 'energy',
};

/** Plain numbers of a metrics object (drops the tie table). */
function metricsOf(m: AnomalyMetrics): { ap: number; fpr95: number; auroc: number } {
  return { ap: m.ap, fpr95: m.fpr95, auroc: m.auroc };
}

/** One head's entry of `report.json`: miou, per-class IoU, accuracy, anomaly metrics per score (primary first). */
export function headReport(o: HeadOutcome): Record<string, unknown> {
  const seg = o.closedSet.segmentation;
  const primary = o.anomaly.anomaly[o.calibration.score];
  return {
    miou: seg?.miou ?? null,
    accuracy: seg?.accuracy ?? null,
    iou: seg ? Array.from(seg.iou, (v) => (Number.isNaN(v) ? null : v)) : [],
    anomaly: primary ? metricsOf(primary) : null,
    anomalyScore: o.calibration.score,
    anomalyScores: Object.fromEntries(Object.entries(o.anomaly.anomaly).map(([k, m]) => [k, metricsOf(m)])),
    threshold: o.calibration.threshold,
    trainSeconds: o.trainSeconds,
    finalLoss: o.finalLoss,
  };
}

/** Every head × anomaly score as a report row (fractions); scores by display name, or by key (`msp`) for JSON. */
function anomalyRows(outcomes: readonly HeadOutcome[], names: 'label' | 'key' = 'label'): AnomalyRow[] {
  return outcomes.flatMap((o) =>
    (Object.entries(o.anomaly.anomaly) as [AnomalyScoreName, AnomalyMetrics][]).map(([k, m]) => ({
      model: o.head,
      score: names === 'label' ? SCORE_LABEL[k] : k,
      ...metricsOf(m),
    })),
  );
}

/**
 * The JSON report: run description, one entry per head, and `bestAnomalyScore`: per metric (ap, fpr95, auroc) the
 * best value over every head × score and which head and score (key, e.g. `msp`) reach it.
 */
export function reportJson(outcomes: readonly HeadOutcome[], meta: RunMeta): Record<string, unknown> {
  const heads = Object.fromEntries(outcomes.map((o) => [o.head, headReport(o)]));
  const bestAnomalyScore = bestScoreJson(anomalyRows(outcomes, 'key'));
  const { title, engine, machine, command, seconds } = meta;
  return {
    title,
    engine,
    machine,
    command,
    seconds,
    train: { ...meta.train, gmm: meta.gmm },
    ...heads,
    bestAnomalyScore,
  };
}

/** The Markdown report. */
export function reportMarkdown(outcomes: readonly HeadOutcome[], meta: RunMeta, classes: readonly string[]): string {
  const anomaly = anomalyRows(outcomes);
  const closedSet = outcomes.flatMap((o) => {
    const seg = o.closedSet.segmentation;
    const iou = seg ? Array.from(seg.iou, (v) => (Number.isNaN(v) ? null : v)) : [];
    return seg ? [{ model: o.head, miou: seg.miou, accuracy: seg.accuracy, iou }] : [];
  });
  const { title, engine, machine, command, seconds } = meta;
  const report: EvalReport = { title, engine, machine, command, seconds, classes, closedSet, anomaly };
  return formatReport(report);
}

/**
 * The summary printed at the end: per head and anomaly score, mIoU, AP, FPR95, AUROC (%), then the best score of each
 * anomaly metric.
 */
export function summaryTable(outcomes: readonly HeadOutcome[]): string {
  const rows = [
    '| head | mIoU (%) | anomaly score | AP (%) | FPR95 (%) | AUROC (%) |',
    '|---|---:|---|---:|---:|---:|',
  ];
  for (const o of outcomes) {
    for (const [name, m] of Object.entries(o.anomaly.anomaly)) {
      const score = `${name}${name === o.calibration.score ? ' (primary)' : ''}`;
      rows.push(
        `| ${o.head} | ${pct(o.closedSet.segmentation?.miou)} | ${score} | ${pct(m.ap)} | ${pct(m.fpr95)} | ${pct(m.auroc)} |`,
      );
    }
  }
  const best = leadersSentence(anomalyLeaders(anomalyRows(outcomes)));
  return `${rows.join('\n')}\n${best ? `\n${best}\n` : ''}`;
}
