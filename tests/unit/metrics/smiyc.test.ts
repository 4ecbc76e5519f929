import test from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../../src/errors.js';
import { binnedMetrics, type ScoreHistogram } from '../../../src/metrics/binned.js';
import { castFloat16 } from '../../../src/float16.js';
import { anomalyMetricsExact } from '../../../src/metrics/ranking.js';
import {
  smiycAnomalyMetrics,
  smiycBinarize,
  smiycComponentFrame,
  smiycFrameBins,
  smiycPixelMetrics,
} from '../../../src/metrics/smiyc.js';
import { createRng, normal, randInt, uniform } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

/** Bit-exact comparison through the project's tolerance helper. */
const EXACT = { rtol: 0, atol: 0 };

/**
 * Deterministic frame that a few lines of NumPy reproduce (the generator of the golden values below):
 * h = (i·2654435761 + 97f) mod 2³²; label 255 if h%10 = 0, 1 if h%10 < 3, else 0;
 * u = ((h>>8) % 10007)/10007; score = 0.6u + 0.4 (anomaly) or 0.7u (inlier); 1.0 if (h>>4) % 13 = 0; float32.
 */
function goldenFrame(f: number, n: number): { scores: Float32Array; labels: Uint8Array } {
  const scores = new Float32Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const h = (Math.imul(i, 2654435761 | 0) + f * 97) >>> 0;
    labels[i] = h % 10 === 0 ? 255 : h % 10 < 3 ? 1 : 0;
    const u = ((h >>> 8) % 10007) / 10007;
    let s = labels[i] === 1 ? u * 0.6 + 0.4 : u * 0.7;
    if ((h >>> 4) % 13 === 0) s = 1.0;
    scores[i] = s;
  }
  return { scores, labels };
}

test('golden: matches the official road_anomaly_benchmark@1c7804e PixBinaryClass on three frames', () => {
  // Expected values: `binary_confusion_matrix(..., 768, 'percentiles')` per frame on the float16 maps,
  // `aggregate_dynamic_bins`, `curves_from_cmats`, run unchanged except for NumPy-1.23 semantics of the
  // two version-dependent steps (ε promoted to float64; np.argsort = the compiled 1.23 introsort).
  // The frames share the top threshold 1.0 (saturated scores), so the tie order matters here.
  const frames = [goldenFrame(0, 1500), goldenFrame(1, 700), goldenFrame(2, 60)];
  const bins = frames.map((f) => smiycFrameBins(f.scores, f.labels));
  assert.deepEqual(
    bins.map((b) => b.thresholds.length + 1),
    [563, 484, 53],
  );
  assert.deepEqual(
    bins.map((b) => [b.numPos, b.numNeg]),
    [
      [293, 1060],
      [138, 494],
      [14, 41],
    ],
  );
  const m = smiycPixelMetrics(bins);
  expectClose(m.ap, 0.4557188446558144, EXACT, 'm.ap');
  expectClose(m.auroc, 0.8322320453664893, EXACT, 'm.auroc');
  expectClose(m.fpr95, 0.42758620689655175, EXACT, 'm.fpr95');
  expectClose(m.tpr95Threshold, 0.43310546875, EXACT, 'm.tpr95Threshold');
  expectClose(m.bestF1, 0.5890736342042755, EXACT, 'm.bestF1');
  expectClose(m.bestF1Threshold, 0.68603515625, EXACT, 'm.bestF1Threshold');
  assert.deepEqual(smiycAnomalyMetrics(frames), m);
});

test('frame bins: edges surround [vmin − ε, vmax + ε], thresholds are lower edges (descending), counts complete', () => {
  const scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
  const labels = [0, 0, 0, 0, 0, 1, 1, 0, 1];
  const b = smiycFrameBins(scores, labels);
  const s16 = castFloat16(scores);
  const vmin = s16[0] as number;
  // vrange = 0.8 in float16 → ε = max(0.8·0.01, 0.01) = 0.01
  assert.equal(b.thresholds[b.thresholds.length - 1], vmin - 0.01);
  for (let k = 1; k < b.thresholds.length; k++)
    assert.ok((b.thresholds[k] as number) < (b.thresholds[k - 1] as number));
  assert.equal(
    b.tpRel.reduce((a, c) => a + c, 0),
    3,
  );
  assert.equal(
    b.fpRel.reduce((a, c) => a + c, 0),
    6,
  );
  // Each inlier value gets a quantile edge, but NumPy's interpolation lands the one for 0.4 (float16
  // 0.39990234375) one ulp above it: level 0.6000000000000001 → virtual index 3.0000000000000004 →
  // a + diff·4.4e-16 rounds up to a + 2⁻⁵⁴. So 0.4 shares the bin [0.30004…, 0.39990…+2⁻⁵⁴) with 0.3.
  expectClose(b.thresholds[5], 0.39990234375 + 2 ** -54, EXACT, 'b.thresholds[5]');
  expectClose(b.thresholds[6], s16[2], EXACT, 'b.thresholds[6]');
  assert.equal(b.fpRel[6], 2);
  assert.deepEqual([...b.tpRel], [1, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...b.fpRel], [0, 1, 0, 0, 1, 0, 2, 1, 1, 0]);
});

test('one frame: SMIYC = the generic binned evaluator on its bins, within the binned error bound of exact(float16)', () => {
  const rng = createRng(41);
  for (let c = 0; c < 30; c++) {
    const n = 20 + randInt(rng, 1500);
    const labels = new Uint8Array(n);
    const scores = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const u = uniform(rng);
      labels[i] = u < 0.1 ? 255 : u < 0.45 ? 1 : 0;
      scores[i] = c % 2 === 0 ? normal(rng) + (labels[i] === 1 ? 1 : 0) : randInt(rng, 9) / 8;
    }
    const fb = smiycFrameBins(scores, labels);
    if (fb.numPos === 0 || fb.numNeg === 0) continue;
    const smiyc = smiycPixelMetrics([fb]);
    const B = fb.thresholds.length;
    const hist: ScoreHistogram = {
      edges: Float64Array.from({ length: B + 1 }, (_, k) =>
        k < B ? (fb.thresholds[B - 1 - k] as number) : (fb.thresholds[0] as number) + 1,
      ),
      pos: Float64Array.from({ length: B }, (_, k) => fb.tpRel[B - 1 - k] as number),
      neg: Float64Array.from({ length: B }, (_, k) => fb.fpRel[B - 1 - k] as number),
    };
    const binned = binnedMetrics(hist);
    const tol = { rtol: 0, atol: 1e-12 };
    expectClose(smiyc.ap, binned.ap, tol, `case ${c} ap`);
    expectClose(smiyc.auroc, binned.auroc, tol, `case ${c} auroc`);
    expectClose(smiyc.fpr95, binned.fpr95, tol, `case ${c} fpr95`);
    const exact = anomalyMetricsExact(castFloat16(scores), labels);
    expectClose(smiyc.ap, exact.ap, { rtol: 0, atol: binned.bounds.ap + 1e-12 }, `case ${c} ap within the bound`);
    expectClose(
      smiyc.auroc,
      exact.auroc,
      { rtol: 0, atol: binned.bounds.auroc + 1e-12 },
      `case ${c} auroc within the bound`,
    );
  }
});

test('FPR95 and best F1 on a hand-made two-threshold frame', () => {
  // float16-exact scores: anomalies at 1 (×3), inliers at 1 (×1) and 0 (×4)
  const m = smiycAnomalyMetrics([{ scores: [1, 1, 1, 1, 0, 0, 0, 0], labels: [1, 1, 1, 0, 0, 0, 0, 0] }]);
  // points: (0,0) → at t=1: TP 3, FP 1 → full at t=0: TP 3, FP 5
  expectClose(m.fpr95, 1 / 5, EXACT, 'm.fpr95');
  expectClose(m.tpr95Threshold, 1, EXACT, 'm.tpr95Threshold');
  expectClose(m.bestF1, 6 / 7, EXACT, 'm.bestF1'); // 2·3 / (2·3 + 1 + 0)
  expectClose(m.bestF1Threshold, 1, EXACT, 'm.bestF1Threshold');
  expectClose(m.ap, 3 / 4, { rtol: 0, atol: 1e-15 }, 'ap');
  expectClose(m.auroc, 0.9, { rtol: 0, atol: 1e-15 }, 'auroc'); // trapezoid: ½·(0.2·1) + 0.8·1
});

test('binarisation compares float16 scores with the float16-cast threshold, strictly', () => {
  // f16(0.1) = 0.0999755859375; 0.09996 also rounds to it, so "0.1 > 0.09996" is false in float16
  assert.deepEqual([...smiycBinarize([0.1, 0.2, 0.05], 0.09996)], [0, 1, 0]);
  assert.deepEqual([...smiycBinarize([0.1], 0.0999)], [1]);
  assert.deepEqual([...smiycBinarize([0.5], 0.5)], [0]);
});

test('component frame through the SMIYC threshold', () => {
  // 1×6 strip, GT anomaly at 1..2; scores above 0.5 at 1..3
  const st = smiycComponentFrame([0, 0.9, 0.9, 0.9, 0, 0], [0, 1, 1, 0, 0, 0], 1, 6, 0.5, {
    minPredSize: 0,
    minGtSize: 0,
    connectivity: 8,
  });
  expectClose([...st.sIoUGt], [2 / 3], EXACT, '[...st.sIoUGt]');
  expectClose([...st.precPred], [2 / 3], EXACT, '[...st.precPred]');
});

test('errors: NaN, float16 overflow, a frame with no valid pixel, one class in the whole set, lengths', () => {
  assert.throws(
    () => smiycFrameBins([NaN, 1, NaN], [0, 1, 0]),
    (e: unknown) => e instanceof ValueError && /2 NaN values/.test(e.message),
  );
  assert.throws(() => smiycFrameBins([1e5, 1], [0, 1]), /1 valid scores have magnitude ≥ 65520 and overflow float16/);
  assert.throws(() => smiycFrameBins([1, 2], [255, 255]), /no valid pixel/);
  assert.throws(
    () =>
      smiycAnomalyMetrics([
        { scores: [1, 2], labels: [0, 0] },
        { scores: [3], labels: [0] },
      ]),
    /no anomaly pixels/,
  );
  assert.throws(() => smiycFrameBins([1, 2], [0]), ShapeError);
  // a frame with only one class is fine when the dataset has both
  const m = smiycAnomalyMetrics([
    { scores: [0.2, 0.3], labels: [0, 0] },
    { scores: [0.9], labels: [1] },
  ]);
  expectClose(m.auroc, 1, EXACT, 'm.auroc');
});
