import test from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../../src/errors.js';
import { calibrateOnInliers, quantileRank, quantileSorted, thresholdAtTpr } from '../../../src/infer/calibrate.js';
import { thresholdMask } from '../../../src/infer/heatmap.js';
import { metricsFromTieTable, tieTable } from '../../../src/metrics/ranking.js';
import { createRng, normal, uniform } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

const EXACT = { rtol: 0, atol: 0 };

test('quantileRank: smallest k with k/N ≥ q', () => {
  expectClose(
    [
      quantileRank(20, 0.95),
      quantileRank(100, 0.95),
      quantileRank(10, 0.95),
      quantileRank(3, 1 / 3),
      quantileRank(1, 0.95),
      quantileRank(7, 1),
    ],
    [19, 95, 10, 1, 1, 7],
    EXACT,
    'ranks',
  );
  expectClose(quantileSorted([1, 2, 3, 4], 0.5), 2, EXACT, 'lower median');
});

test('calibrateOnInliers: 20 distinct scores → the 19th smallest, 95% at or below', () => {
  const scores = Float32Array.from({ length: 20 }, (_, i) => 20 - i); // 20 … 1, unsorted order
  const c = calibrateOnInliers(scores);
  expectClose(
    [c.threshold, c.achievedTpr, c.inlierMedian, c.numInliers, c.targetTpr],
    [19, 0.95, 10, 20, 0.95],
    EXACT,
    'calibration',
  );
  const flagged = thresholdMask(scores, c.threshold).reduce((a, b) => a + b, 0);
  expectClose(flagged, 1, EXACT, 'one inlier of 20 flagged');
});

test('calibrateOnInliers with ties and with all-equal scores', () => {
  const t = calibrateOnInliers([3, 2, 1, 2, 2], 0.5);
  // sorted 1 2 2 2 3, k = 3 → 2; all three 2s are kept → 4/5
  expectClose([t.threshold, t.achievedTpr, t.inlierMedian], [2, 0.8, 2], EXACT, 'ties at the threshold');
  const top = calibrateOnInliers([3, 2, 1, 2, 2]);
  expectClose([top.threshold, top.achievedTpr], [3, 1], EXACT, 'k = N');
  const eq = calibrateOnInliers([7, 7, 7, 7]);
  expectClose([eq.threshold, eq.achievedTpr, eq.inlierMedian], [7, 1, 7], EXACT, 'all equal');
  expectClose(thresholdMask([7, 7, 7, 7], eq.threshold), [0, 0, 0, 0], EXACT, 'no inlier flagged');
  const small = calibrateOnInliers([5, 1, 3]);
  expectClose(small.threshold, 5, EXACT, 'N < 20 needs every inlier kept');
});

test('calibrateOnInliers equals the brute-force definition on random tied data', () => {
  const rng = createRng(7);
  for (let trial = 0; trial < 20; trial++) {
    const n = 1 + Math.floor(uniform(rng) * 300);
    const s = Array.from({ length: n }, () => Math.round(normal(rng) * 4) / 4);
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      // smallest inlier value v with #{s ≤ v} / n ≥ q
      const candidates = [...new Set(s)].sort((a, b) => a - b);
      const v = candidates.find((c) => s.filter((x) => x <= c).length / n >= q)!;
      const c = calibrateOnInliers(s, q);
      expectClose(
        [c.threshold, c.achievedTpr],
        [v, s.filter((x) => x <= v).length / n],
        EXACT,
        `trial ${trial} q ${q}`,
      );
      assert.ok(c.achievedTpr >= q);
    }
  }
});

test('calibrateOnInliers rejects empty input, non-finite scores and bad rates', () => {
  assert.throws(() => calibrateOnInliers([]), ValueError);
  assert.throws(
    () => calibrateOnInliers([1, NaN]),
    (e: unknown) => e instanceof ValueError && /index 1/.test(e.message),
  );
  assert.throws(() => calibrateOnInliers([1, Infinity]), ValueError);
  assert.throws(() => calibrateOnInliers([1], 0), ValueError);
  assert.throws(() => calibrateOnInliers([1], 1.2), ValueError);
});

test('thresholdAtTpr on the sklearn example: first threshold with TPR ≥ 0.95', () => {
  const table = tieTable([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
  const p = thresholdAtTpr(table);
  expectClose([p.threshold, p.tpr, p.fpr, p.index], [0.35, 1, 0.5, 2], EXACT, '95%');
  const half = thresholdAtTpr(table, 0.5);
  expectClose([half.threshold, half.tpr, half.fpr], [0.8, 0.5, 0], EXACT, '50%');
  const eq = thresholdAtTpr(tieTable([5, 5, 5], [1, 0, 1]));
  expectClose([eq.threshold, eq.tpr, eq.fpr], [5, 1, 1], EXACT, 'all equal');
  assert.throws(() => thresholdAtTpr(tieTable([1, 2], [0, 0])), ValueError);
  const onlyPos = thresholdAtTpr(tieTable([1, 2], [1, 1]));
  expectClose([onlyPos.threshold, onlyPos.fpr], [1, NaN], EXACT, 'no inliers: FPR NaN');
});

test('thresholdAtTpr agrees with metricsFromTieTable and with the inclusive mask on random tied data', () => {
  const rng = createRng(11);
  for (let trial = 0; trial < 10; trial++) {
    const n = 200;
    const labels = Uint8Array.from({ length: n }, () => (uniform(rng) < 0.3 ? 1 : 0));
    const scores = Float64Array.from(labels, (l) => Math.round((normal(rng) + l) * 3) / 3);
    const table = tieTable(scores, labels);
    const p = thresholdAtTpr(table);
    const m = metricsFromTieTable(table);
    expectClose([p.threshold, p.fpr], [m.tpr95Threshold, m.fpr95], EXACT, `trial ${trial}`);
    const mask = thresholdMask(scores, p.threshold, true);
    let tp = 0;
    let P = 0;
    labels.forEach((l, i) => {
      P += l;
      tp += l * mask[i]!;
    });
    expectClose(tp / P, p.tpr, EXACT, 'mask TPR');
  }
});
