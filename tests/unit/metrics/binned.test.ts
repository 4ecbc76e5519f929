import test from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../../src/errors.js';
import {
  accumulateHistogram,
  binnedErrorBounds,
  binnedMetrics,
  createHistogram,
  mergeHistograms,
  mergeRanges,
  scoreRange,
  uniformEdges,
} from '../../../src/metrics/binned.js';
import { anomalyMetricsExact } from '../../../src/metrics/ranking.js';
import { createRng, normal, randInt, uniform, type Rng } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

/** Bit-exact comparison through the project's tolerance helper. */
const EXACT = { rtol: 0, atol: 0 };

const SLACK = 1e-12;

function randomData(rng: Rng, n: number, ties: boolean): { scores: Float64Array; labels: Uint8Array } {
  const scores = new Float64Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const u = uniform(rng);
    labels[i] = u < 0.05 ? 255 : u < 0.35 ? 1 : 0;
    const base = normal(rng) + (labels[i] === 1 ? 1.2 : 0);
    scores[i] = ties ? Math.round(base * 8) / 8 : base;
  }
  return { scores, labels };
}

function histogramOf(scores: ArrayLike<number>, labels: ArrayLike<number>, bins: number) {
  return accumulateHistogram(createHistogram(uniformEdges(scoreRange(scores, labels), bins)), scores, labels);
}

test('the stated error bounds hold against the exact path on random data (bins 2…200, with and without ties)', () => {
  const rng = createRng(99);
  for (let c = 0; c < 120; c++) {
    const { scores, labels } = randomData(rng, 50 + randInt(rng, 1500), c % 2 === 0);
    const bins = [2, 3, 7, 20, 64, 200][c % 6] as number;
    const exact = anomalyMetricsExact(scores, labels);
    const binned = binnedMetrics(histogramOf(scores, labels, bins));
    const b = binned.bounds;
    expectClose(binned.auroc, exact.auroc, { rtol: 0, atol: b.auroc + SLACK }, `case ${c}: AUROC within its bound`);
    expectClose(binned.ap, exact.ap, { rtol: 0, atol: b.ap + SLACK }, `case ${c}: AP within its bound`);
    const dF = binned.fpr95 - exact.fpr95;
    assert.ok(dF >= -SLACK && dF <= b.fpr95 + SLACK, `case ${c}: FPR95 diff ${dF} outside [0, ${b.fpr95}]`);
    assert.equal(binned.numPos, exact.numPos);
    assert.equal(binned.numNeg, exact.numNeg);
  }
});

test('bounds shrink with more bins and are small at 65536 bins on 20k pixels', () => {
  const rng = createRng(7);
  const { scores, labels } = randomData(rng, 20000, false);
  const coarse = binnedErrorBounds(histogramOf(scores, labels, 16));
  const fine = binnedMetrics(histogramOf(scores, labels, 65536));
  assert.ok(fine.bounds.auroc < coarse.auroc && fine.bounds.ap < coarse.ap);
  assert.ok(fine.bounds.auroc < 1e-4 && fine.bounds.ap < 1e-2 && fine.bounds.fpr95 < 1e-2, JSON.stringify(fine.bounds));
  const exact = anomalyMetricsExact(scores, labels);
  expectClose(fine.auroc, exact.auroc, { rtol: 0, atol: fine.bounds.auroc + SLACK }, 'AUROC within its bound');
});

test('the AUROC bound is attained: one bin with every positive above every negative', () => {
  const scores = [0.9, 0.8, 0.2, 0.1];
  const labels = [1, 1, 0, 0];
  const h = accumulateHistogram(createHistogram([0, 1]), scores, labels);
  const m = binnedMetrics(h);
  expectClose(m.auroc, 0.5, { rtol: 0, atol: 1e-15 }, 'binned auroc');
  expectClose(m.bounds.auroc, 0.5, { rtol: 0, atol: 1e-15 }, 'bound');
  expectClose(
    anomalyMetricsExact(scores, labels).auroc - m.auroc,
    m.bounds.auroc,
    { rtol: 0, atol: 1e-15 },
    'attained',
  );
});

test('one bin per distinct score gives exactly the exact result', () => {
  const rng = createRng(3);
  for (let c = 0; c < 20; c++) {
    const { scores, labels } = randomData(rng, 300 + randInt(rng, 300), true);
    const distinct = [...new Set(Array.from(scores).filter((_, i) => labels[i] !== 255))].sort((a, b) => a - b);
    const edges = [...distinct, (distinct[distinct.length - 1] as number) + 1];
    const m = binnedMetrics(accumulateHistogram(createHistogram(edges), scores, labels));
    const exact = anomalyMetricsExact(scores, labels);
    expectClose(m.auroc, exact.auroc, EXACT, 'm.auroc');
    expectClose(m.ap, exact.ap, EXACT, 'm.ap');
    expectClose(m.fpr95, exact.fpr95, EXACT, 'm.fpr95');
  }
});

test('streaming: per-image histograms merged = one histogram of everything; ranges merge', () => {
  const rng = createRng(12);
  const images = Array.from({ length: 6 }, () => randomData(rng, 400, false));
  const range = images.map((im) => scoreRange(im.scores, im.labels)).reduce(mergeRanges);
  const edges = uniformEdges(range, 128);
  const merged = images
    .map((im) => accumulateHistogram(createHistogram(edges), im.scores, im.labels))
    .reduce(mergeHistograms);
  const allS = Float64Array.from(images.flatMap((im) => Array.from(im.scores)));
  const allL = Uint8Array.from(images.flatMap((im) => Array.from(im.labels)));
  const single = accumulateHistogram(createHistogram(edges), allS, allL);
  assert.deepEqual(merged, single);
  const inPlace = createHistogram(edges);
  for (const im of images) accumulateHistogram(inPlace, im.scores, im.labels);
  assert.deepEqual(inPlace, single);
});

test('bin assignment: half-open bins, last bin closed, uniform edges end exactly at max', () => {
  const h = accumulateHistogram(createHistogram([0, 1, 2]), [0, 0.999, 1, 2], [0, 0, 1, 1]);
  assert.deepEqual([...h.neg], [2, 0]);
  assert.deepEqual([...h.pos], [0, 2]);
  const e = uniformEdges({ min: -1, max: 2 }, 3);
  assert.deepEqual([...e], [-1, 0, 1, 2]);
  // all scores tied: one bin that holds them
  const t = uniformEdges({ min: 5, max: 5 }, 10);
  assert.deepEqual([...t], [5, 10]);
  const m = binnedMetrics(accumulateHistogram(createHistogram(t), [5, 5, 5], [1, 0, 0]));
  expectClose(m.auroc, 0.5, { rtol: 0, atol: 1e-15 }, 'tied auroc');
});

test('errors: scores outside the edges, NaN, bad edges, edge mismatch on merge, lengths, single class', () => {
  const h = createHistogram([0, 1]);
  assert.throws(
    () => accumulateHistogram(h, [0.5, 1.5], [0, 1]),
    (e: unknown) => e instanceof ValueError && /score 1\.5 at flat index 1 is outside/.test(e.message),
  );
  assert.deepEqual([...h.pos, ...h.neg], [0, 0], 'a failed call leaves the histogram unchanged');
  assert.throws(() => accumulateHistogram(h, [NaN, NaN, 0.5], [0, 1, 1]), /2 NaN values/);
  accumulateHistogram(h, [7], [255]); // void pixels are not range-checked
  assert.throws(() => createHistogram([0, 0, 1]), /strictly increasing/);
  assert.throws(() => createHistogram([0]), /at least 2/);
  assert.throws(() => createHistogram([0, Infinity]), /finite/);
  assert.throws(() => mergeHistograms(createHistogram([0, 1]), createHistogram([0, 2])), ShapeError);
  assert.throws(() => accumulateHistogram(h, [0.5], [0, 1]), ShapeError);
  assert.throws(() => uniformEdges({ min: Infinity, max: -Infinity }, 10), /no valid pixels/);
  assert.throws(() => uniformEdges({ min: 0, max: 1 }, 0), /positive integer/);
  assert.throws(() => scoreRange([NaN], [1]), /NaN or infinite/);
  assert.throws(() => binnedMetrics(accumulateHistogram(createHistogram([0, 1]), [0.5], [1])), /no inlier pixels/);
});
