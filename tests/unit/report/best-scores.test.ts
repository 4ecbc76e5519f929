import test from 'node:test';
import assert from 'node:assert/strict';
import { anomalyLeaders, bestScoreJson, leadersSentence } from '../../../src/report/best-scores.js';
import { summaryTable } from '../../../src/report/experiment.js';
import type { AnomalyRow } from '../../../src/report/markdown.js';
import type { HeadOutcome } from '../../../src/train/experiment.js';

const row = (model: string, score: string, ap: number, fpr95: number, auroc: number): AnomalyRow => ({
  model,
  score,
  ap,
  fpr95,
  auroc,
});

test('anomalyLeaders: AP and AUROC highest, FPR95 lowest, each metric on its own', () => {
  const rows = [
    row('softmax', 'msp', 0.6669, 0.6912, 0.8868),
    row('gmm', 'gmm', 0.6217, 0.5988, 0.8774),
    row('gmm', 'msp', 0.5489, 0.7564, 0.8416),
  ];
  assert.deepEqual(anomalyLeaders(rows), [
    { metric: 'ap', value: 0.6669, leaders: [{ model: 'softmax', score: 'msp' }] },
    { metric: 'fpr95', value: 0.5988, leaders: [{ model: 'gmm', score: 'gmm' }] },
    { metric: 'auroc', value: 0.8868, leaders: [{ model: 'softmax', score: 'msp' }] },
  ]);
  assert.equal(
    leadersSentence(anomalyLeaders(rows)),
    'Best anomaly score: AP softmax / msp 66.69 %; FPR95 gmm / gmm 59.88 %; AUROC softmax / msp 88.68 %.',
  );
});

test('anomalyLeaders: ties are all leaders (report order); NaN rows do not compete; none finite → no leader', () => {
  const rows = [row('a', 'x', NaN, 0.2, NaN), row('b', 'y', 0.5, 0.2, NaN), row('c', 'z', 0.5, 0.3, NaN)];
  const leaders = anomalyLeaders(rows);
  assert.deepEqual(leaders[0]?.leaders, [
    { model: 'b', score: 'y' },
    { model: 'c', score: 'z' },
  ]);
  assert.deepEqual(leaders[1]?.leaders, [
    { model: 'a', score: 'x' },
    { model: 'b', score: 'y' },
  ]);
  assert.ok(Number.isNaN(leaders[2]?.value));
  assert.deepEqual(leaders[2]?.leaders, []);
  assert.equal(
    leadersSentence(leaders),
    'Best anomaly score: AP b / y and c / z 50.00 %; FPR95 a / x and b / y 20.00 %.',
  );
  assert.equal(leadersSentence(anomalyLeaders([])), '');
});

test("bestScoreJson: the reports' bestAnomalyScore object, metric → value and leaders", () => {
  const rows = [row('softmax', 'msp', 0.6, 0.3, 0.9), row('gmm', 'gmm', 0.6, 0.2, 0.8)];
  assert.deepEqual(bestScoreJson(rows), {
    ap: {
      value: 0.6,
      leaders: [
        { model: 'softmax', score: 'msp' },
        { model: 'gmm', score: 'gmm' },
      ],
    },
    fpr95: { value: 0.2, leaders: [{ model: 'gmm', score: 'gmm' }] },
    auroc: { value: 0.9, leaders: [{ model: 'softmax', score: 'msp' }] },
  });
});

test('summaryTable: the table, then the best score of each metric over every head', () => {
  const metrics = (ap: number, fpr95: number, auroc: number) => ({ ap, fpr95, auroc });
  const outcomes = [
    {
      head: 'softmax',
      closedSet: { segmentation: { miou: 0.8522 } },
      calibration: { score: 'msp' },
      anomaly: { anomaly: { msp: metrics(0.6669, 0.6912, 0.8868) } },
    },
    {
      head: 'gmm',
      closedSet: { segmentation: { miou: 0.8592 } },
      calibration: { score: 'gmm' },
      anomaly: { anomaly: { gmm: metrics(0.6217, 0.5988, 0.8774) } },
    },
  ] as unknown as HeadOutcome[];
  assert.equal(
    summaryTable(outcomes),
    [
      '| head | mIoU (%) | anomaly score | AP (%) | FPR95 (%) | AUROC (%) |',
      '|---|---:|---|---:|---:|---:|',
      '| softmax | 85.22 | msp (primary) | 66.69 | 69.12 | 88.68 |',
      '| gmm | 85.92 | gmm (primary) | 62.17 | 59.88 | 87.74 |',
      '',
      'Best anomaly score: AP softmax / max softmax (MSP) 66.69 %; FPR95 gmm / GMM −max log p(x|c) 59.88 %; ' +
        'AUROC softmax / max softmax (MSP) 88.68 %.',
      '',
    ].join('\n'),
  );
});
