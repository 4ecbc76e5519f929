/**
 * Which anomaly score wins: for each metric of an anomaly table, the model × score rows with the best value (AP and
 * AUROC highest, FPR95 lowest). Rows whose value is NaN or missing do not compete; rows that tie on the best value
 * are all leaders. Pure; the reports (Markdown, `report.json`, the printed summary) say it in one line.
 */
import type { AnomalyRow } from './markdown.js';

/** An anomaly metric of the report rows. */
export type AnomalyMetricName = 'ap' | 'fpr95' | 'auroc';

/** The best value of one metric and the rows that reach it. */
export interface MetricLeaders {
  metric: AnomalyMetricName;
  /** The best value (fraction); NaN when no row has a finite value. */
  value: number;
  /** Model × score of every row with that value (report order); empty when no row has a finite value. */
  leaders: { model: string; score: string }[];
}

/** The metrics in report order, with their direction and display name. */
const METRICS: readonly { metric: AnomalyMetricName; higherIsBetter: boolean; label: string }[] = [
  { metric: 'ap', higherIsBetter: true, label: 'AP' },
  { metric: 'fpr95', higherIsBetter: false, label: 'FPR95' },
  { metric: 'auroc', higherIsBetter: true, label: 'AUROC' },
];

/** The leaders of AP, FPR95 and AUROC (in that order) over `rows`. */
export function anomalyLeaders(rows: readonly AnomalyRow[]): MetricLeaders[] {
  return METRICS.map(({ metric, higherIsBetter }) => {
    const finite = rows.filter((r) => Number.isFinite(r[metric]));
    if (finite.length === 0) return { metric, value: NaN, leaders: [] };
    const values = finite.map((r) => r[metric]);
    const value = higherIsBetter ? Math.max(...values) : Math.min(...values);
    const leaders = finite.filter((r) => r[metric] === value).map((r) => ({ model: r.model, score: r.score }));
    return { metric, value, leaders };
  });
}

/** The `bestAnomalyScore` object of the JSON reports: metric → {value, leaders: [{model, score}]} (AP, FPR95, AUROC). */
export function bestScoreJson(rows: readonly AnomalyRow[]): Record<AnomalyMetricName, Omit<MetricLeaders, 'metric'>> {
  const entries = anomalyLeaders(rows).map((l) => [l.metric, { value: l.value, leaders: l.leaders }] as const);
  return Object.fromEntries(entries) as Record<AnomalyMetricName, Omit<MetricLeaders, 'metric'>>;
}

/**
 * One sentence naming the best score per metric, e.g.
 * `Best anomaly score: AP softmax / max softmax (MSP) 66.69 %; FPR95 gmm / GMM … 59.88 %; AUROC …`.
 * Metrics no row reports are left out; '' when none is reported.
 */
export function leadersSentence(leaders: readonly MetricLeaders[]): string {
  const parts = leaders
    .filter((l) => l.leaders.length > 0)
    .map((l) => {
      const label = METRICS.find((m) => m.metric === l.metric)?.label ?? l.metric;
      const who = l.leaders.map((r) => `${r.model} / ${r.score}`).join(' and ');
      return `${label} ${who} ${(100 * l.value).toFixed(2)} %`;
    });
  return parts.length > 0 ? `Best anomaly score: ${parts.join('; ')}.` : '';
}
