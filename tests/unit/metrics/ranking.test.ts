import test from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../../src/errors.js';
import { anomalyMetricsExact, mergeTieTables, metricsFromTieTable, tieTable } from '../../../src/metrics/ranking.js';
import { createRng, normal, randInt, uniform, type Rng } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

/** Bit-exact comparison through the project's tolerance helper. */
const EXACT = { rtol: 0, atol: 0 };

const TOL = { rtol: 0, atol: 1e-9 };

/**
 * Naive float64 oracle following scikit-learn literally: `_binary_clf_curve` (mergesort argsort reversed,
 * distinct-value indices, cumulative TP, FP = 1 + idx − TP), `roc_curve(drop_intermediate=True)` + `auc`,
 * `precision_recall_curve` + `average_precision_score`, and the Fishyscapes FPR95 read-out.
 */
function sklearnOracle(yAll: number[], sAll: number[]): { auroc: number; ap: number; fpr95: number } {
  const y: number[] = [];
  const s: number[] = [];
  yAll.forEach((l, i) => {
    if (l === 0 || l === 1) {
      y.push(l);
      s.push(sAll[i] as number);
    }
  });
  const n = y.length;
  // np.argsort(y_score, kind="mergesort")[::-1]
  const order = s
    .map((_, i) => i)
    .sort((a, b) => (s[a] as number) - (s[b] as number) || a - b)
    .reverse();
  const ss = order.map((i) => s[i] as number);
  const yy = order.map((i) => y[i] as number);
  const idxs: number[] = [];
  for (let i = 0; i < n - 1; i++) if ((ss[i + 1] as number) - (ss[i] as number) !== 0) idxs.push(i);
  idxs.push(n - 1);
  const cum: number[] = [];
  yy.reduce((acc, v, i) => ((cum[i] = acc + v), acc + v), 0);
  let tps = idxs.map((i) => cum[i] as number);
  let fps = idxs.map((i, k) => 1 + i - (tps[k] as number));
  const rawTps = [...tps];
  const rawFps = [...fps];
  // roc_curve: drop collinear points, prepend (0, 0)
  if (tps.length > 2) {
    const keep = tps.map((_, i) => {
      if (i === 0 || i === tps.length - 1) return true;
      const d2f = (fps[i + 1] as number) - 2 * (fps[i] as number) + (fps[i - 1] as number);
      const d2t = (tps[i + 1] as number) - 2 * (tps[i] as number) + (tps[i - 1] as number);
      return d2f !== 0 || d2t !== 0;
    });
    tps = tps.filter((_, i) => keep[i]);
    fps = fps.filter((_, i) => keep[i]);
  }
  tps = [0, ...tps];
  fps = [0, ...fps];
  const P = tps[tps.length - 1] as number;
  const N = fps[fps.length - 1] as number;
  const fpr = fps.map((f) => f / N);
  const tpr = tps.map((t) => t / P);
  let auroc = 0;
  for (let i = 1; i < fpr.length; i++) auroc += ((fpr[i]! - fpr[i - 1]!) * (tpr[i]! + tpr[i - 1]!)) / 2;
  // precision_recall_curve + average_precision_score
  const precision = rawTps.map((t, i) => t / (t + rawFps[i]!));
  const recall = rawTps.map((t) => t / P);
  let lastInd = 0;
  while (rawTps[lastInd] !== P) lastInd++;
  const pr = [...precision.slice(0, lastInd + 1).reverse(), 1];
  const rc = [...recall.slice(0, lastInd + 1).reverse(), 0];
  let ap = 0;
  for (let i = 0; i < rc.length - 1; i++) ap -= (rc[i + 1]! - rc[i]!) * pr[i]!;
  // Fishyscapes FPR95: prepend (0,0) if missing, first TPR ≥ 0.95
  let ft = rawTps;
  let ff = rawFps;
  if (ft[0] !== 0 || ff[0] !== 0) {
    ft = [0, ...ft];
    ff = [0, ...ff];
  }
  const ftpr = ft.map((t) => t / P);
  let k = 0;
  while (ftpr[k]! < 0.95) k++;
  return { auroc, ap, fpr95: ff[k]! / N };
}

function randomCase(rng: Rng, c: number): { labels: number[]; scores: number[] } {
  const n = 1 + randInt(rng, 300);
  const kind = c % 6;
  const k = 1 + randInt(rng, 12);
  const pPos = uniform(rng);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = uniform(rng);
    const l = u < 0.1 ? 255 : u < 0.13 ? 2 : uniform(rng) < pPos ? 1 : 0;
    labels.push(l);
    const shift = l === 1 ? 0.7 : 0;
    let s: number;
    if (kind === 0) s = normal(rng) + shift;
    else if (kind === 1)
      s = randInt(rng, k); // heavy ties
    else if (kind === 2)
      s = randInt(rng, k) / k + (uniform(rng) < 0.3 ? uniform(rng) : 0) + shift; // mixed
    else if (kind === 3)
      s = 0.5; // all tied
    else if (kind === 4)
      s = Math.fround(1 / (1 + Math.exp(-(normal(rng) * 4 + 3 * shift)))); // saturating float32
    else s = (randInt(rng, 3) - 1) * 1e6 + randInt(rng, 2); // large magnitudes, negatives
    scores.push(s);
  }
  return { labels, scores };
}

test("sklearn's documented example: y=[0,0,1,1], s=[0.1,0.4,0.35,0.8] → AUROC 0.75, AP 0.8333…", () => {
  const m = anomalyMetricsExact([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
  expectClose(m.auroc, 0.75, TOL, 'auroc');
  expectClose(m.ap, 5 / 6, TOL, 'ap');
  // TPR reaches 1 ≥ 0.95 at threshold 0.35, where 1 of 2 negatives is above: FPR 0.5
  expectClose(m.fpr95, 0.5, TOL, 'fpr95');
  expectClose(m.tpr95Threshold, 0.35, EXACT, 'm.tpr95Threshold');
  assert.equal(m.numPos, 2);
  assert.equal(m.numNeg, 2);
});

test('hand-computed ties: tied scores are one operating point', () => {
  // scores: pos {3, 2, 2}, neg {2, 1}; points: (t=3: tp1 fp0), (t=2: tp3 fp1), (t=1: tp3 fp2)
  const m = anomalyMetricsExact([3, 2, 2, 2, 1], [1, 1, 1, 0, 0]);
  // ROC: (0,0) → (0,1/3) → (1/2,1) → (1,1): area = ½·(1/3 + 1)/2 + ½·1 = 1/3 + 1/2
  expectClose(m.auroc, 1 / 3 + 1 / 2, TOL, 'auroc');
  // AP = (1/3)·1 + (2/3)·(3/4)
  expectClose(m.ap, 1 / 3 + 0.5, TOL, 'ap');
  expectClose(m.fpr95, 0.5, TOL, 'fpr95');
});

test('all scores tied: AUROC ½, AP = positive fraction, FPR95 = 1', () => {
  const m = anomalyMetricsExact([7, 7, 7, 7, 7], [1, 0, 0, 1, 0]);
  expectClose(m.auroc, 0.5, TOL, 'auroc');
  expectClose(m.ap, 0.4, TOL, 'ap');
  expectClose(m.fpr95, 1, TOL, 'fpr95');
});

test('binary scores: FPR95 = 1 when the single positive point has TPR < 0.95 (anchors.md §1.2 item 9)', () => {
  const m = anomalyMetricsExact([1, 1, 0, 0, 1, 0], [1, 0, 1, 0, 0, 0]);
  expectClose(m.fpr95, 1, TOL, 'fpr95');
});

test('agrees with the literal sklearn oracle to 1e-9 on 400 seeded random inputs (ties, void, saturation)', () => {
  const rng = createRng(20261127);
  let compared = 0;
  for (let c = 0; c < 400; c++) {
    const { labels, scores } = randomCase(rng, c);
    const np = labels.filter((l) => l === 1).length;
    const nn = labels.filter((l) => l === 0).length;
    if (np === 0 || nn === 0) {
      assert.throws(() => anomalyMetricsExact(scores, labels), ValueError);
      continue;
    }
    const want = sklearnOracle(labels, scores);
    const got = anomalyMetricsExact(scores, labels);
    expectClose(got.auroc, want.auroc, TOL, `case ${c} auroc`);
    expectClose(got.ap, want.ap, TOL, `case ${c} ap`);
    expectClose(got.fpr95, want.fpr95, TOL, `case ${c} fpr95`);
    compared++;
  }
  assert.ok(compared > 300, `only ${compared} cases had both classes`);
});

test('castFloat32 rounds scores first (Fishyscapes), merging ties that float64 keeps apart', () => {
  const s = [1, 1 + 1e-12, 0.5];
  const l = [0, 1, 0];
  expectClose(anomalyMetricsExact(s, l).auroc, 1, TOL, 'float64');
  expectClose(anomalyMetricsExact(s, l, { castFloat32: true }).auroc, 0.75, TOL, 'float32');
});

test('tie tables merge across images: merged metrics equal the pooled computation', () => {
  const rng = createRng(5);
  const parts = Array.from({ length: 5 }, (_, c) => randomCase(rng, c * 6 + 2));
  const pooledS = parts.flatMap((p) => p.scores);
  const pooledL = parts.flatMap((p) => p.labels);
  const merged = parts.map((p) => tieTable(p.scores, p.labels)).reduce(mergeTieTables);
  assert.deepEqual(merged, tieTable(pooledS, pooledL));
  assert.deepEqual(metricsFromTieTable(merged), anomalyMetricsExact(pooledS, pooledL));
  // −0 and +0 are one threshold
  assert.equal(tieTable([-0, 0], [1, 0]).thresholds.length, 1);
});

test('errors: NaN / infinite scores counted, one class missing, nothing valid, length mismatch', () => {
  assert.throws(
    () => anomalyMetricsExact([NaN, 1, NaN, 0], [1, 0, 0, 1]),
    (e: unknown) => e instanceof ValueError && /2 NaN and 0 infinite/.test(e.message),
  );
  assert.throws(() => anomalyMetricsExact([Infinity, 1], [1, 0]), /0 NaN and 1 infinite/);
  // NaN at a void pixel is ignored
  expectClose(anomalyMetricsExact([NaN, 1, 0], [255, 1, 0]).auroc, 1, TOL, 'void NaN');
  assert.throws(
    () => anomalyMetricsExact([1, 2], [0, 0]),
    (e: unknown) => e instanceof ValueError && /no anomaly pixels \(label 1\)/.test(e.message),
  );
  assert.throws(
    () => anomalyMetricsExact([1, 2], [1, 255]),
    (e: unknown) => e instanceof ValueError && /no inlier pixels \(label 0\)/.test(e.message),
  );
  assert.throws(
    () => anomalyMetricsExact([1, 2], [255, 7]),
    (e: unknown) => e instanceof ValueError && /no valid pixels/.test(e.message),
  );
  assert.throws(() => anomalyMetricsExact([], []), /no valid pixels/);
  assert.throws(() => anomalyMetricsExact([1, 2, 3], [0, 1]), ShapeError);
  assert.throws(() => metricsFromTieTable(tieTable([1], [1])), /no inlier/);
});
