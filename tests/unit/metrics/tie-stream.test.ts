import test from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../../src/errors.js';
import { mergeTieTables, metricsFromTieTable, tieTable, type TieTable } from '../../../src/metrics/ranking.js';
import { sweepTies } from '../../../src/metrics/tie-sweep.js';
import { TieStream } from '../../../src/metrics/tie-stream.js';
import { createRng, normal, randInt, uniform, type Rng } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

const TOL = { rtol: 0, atol: 1e-12 };

/** One random float32 map with labels 0 / 1 / void; `kind` picks the score law (continuous, heavy ties, extremes). */
function randomMap(rng: Rng, kind: number): { scores: Float32Array; labels: Uint8Array } {
  const n = 1 + randInt(rng, 2000);
  const labels = new Uint8Array(n);
  const scores = new Float32Array(n);
  const k = 1 + randInt(rng, 12);
  for (let i = 0; i < n; i++) {
    const u = uniform(rng);
    const l = u < 0.1 ? 255 : u < 0.12 ? 2 : uniform(rng) < 0.3 ? 1 : 0;
    labels[i] = l;
    const shift = l === 1 ? 0.7 : 0;
    if (kind === 0) scores[i] = normal(rng) + shift;
    else if (kind === 1) scores[i] = randInt(rng, k);
    else if (kind === 2) scores[i] = 1 / (1 + Math.exp(-(normal(rng) * 4 + 3 * shift)));
    else if (kind === 3) scores[i] = (randInt(rng, 3) - 1) * 1e6 + randInt(rng, 2);
    else if (kind === 4) scores[i] = [-0, 0, -3.4e38, 3.4e38, 1e-45, -1e-45, -1, 1][randInt(rng, 8)] as number;
    else scores[i] = -(randInt(rng, k) / k) + shift; // MSP-like, negative with ties
  }
  return { scores, labels };
}

/** The in-memory exact path of `evaluateModel` before streaming: per-map tie tables merged. */
function exactTable(maps: { scores: Float32Array; labels: Uint8Array }[]): TieTable {
  return maps.map((m) => tieTable(m.scores, m.labels)).reduce(mergeTieTables);
}

test('the streamed table and metrics equal the in-memory exact ones bit for bit (random maps, ties, extremes)', () => {
  const rng = createRng(20261204);
  for (let trial = 0; trial < 60; trial++) {
    const maps = Array.from({ length: 1 + randInt(rng, 12) }, () => randomMap(rng, randInt(rng, 6)));
    const stream = new TieStream();
    for (const m of maps) stream.add(m.scores, m.labels);
    const want = exactTable(maps);
    assert.deepEqual(stream.table(), want, `trial ${trial} table`);
    const sw = sweepTies(want);
    if (sw.numPos === 0 || sw.numNeg === 0) {
      assert.throws(() => stream.metrics(), ValueError);
      continue;
    }
    const { curve, ...got } = stream.metrics();
    assert.deepEqual(got, metricsFromTieTable(want), `trial ${trial} metrics`);
    assert.ok(curve.thresholds.length <= 2 * 4096 + 2);
  }
});

test("sklearn's documented example and hand-computed ties through the stream", () => {
  const s = new TieStream();
  s.add(Float32Array.of(0.1, 0.4), Uint8Array.of(0, 0));
  s.add(Float32Array.of(0.35, 0.8), Uint8Array.of(1, 1));
  const m = s.metrics();
  expectClose([m.auroc, m.ap, m.fpr95], [0.75, 5 / 6, 0.5], TOL, 'sklearn example');
  assert.equal(m.tpr95Threshold, Math.fround(0.35));
  const t = new TieStream();
  t.add(Float32Array.of(3, 2, 2), Uint8Array.of(1, 1, 1));
  t.add(Float32Array.of(2, 1), Uint8Array.of(0, 0));
  const h = t.metrics();
  expectClose([h.auroc, h.ap, h.fpr95], [1 / 3 + 1 / 2, 1 / 3 + 0.5, 0.5], TOL, 'hand-computed ties');
});

test('the curve table is a subset of the exact operating points, with both ends', () => {
  const rng = createRng(3);
  const stream = new TieStream();
  const maps = Array.from({ length: 40 }, () => randomMap(rng, 0));
  for (const m of maps) stream.add(m.scores, m.labels);
  const exact = sweepTies(exactTable(maps));
  const thin = sweepTies(stream.metrics().curve);
  const at = new Map<number, [number, number]>();
  exact.thresholds.forEach((t, j) => at.set(t, [exact.tp[j] as number, exact.fp[j] as number]));
  thin.thresholds.forEach((t, j) => assert.deepEqual([thin.tp[j], thin.fp[j]], at.get(t), `point ${t}`));
  assert.equal(thin.thresholds[thin.thresholds.length - 1], exact.thresholds[exact.thresholds.length - 1]);
  assert.deepEqual([thin.numPos, thin.numNeg], [exact.numPos, exact.numNeg]);
  assert.ok(thin.thresholds.length <= 2 * 4096 + 2 && thin.thresholds.length < exact.thresholds.length / 2);
});

test('memory is bounded: a repeated score costs one dense bucket per class however many maps, distinct ones ≤ 4 B/pixel + 32 B/bucket', () => {
  const s = new TieStream();
  const labels = Uint8Array.from({ length: 10000 }, (_, i) => i % 2);
  for (let i = 0; i < 100; i++) s.add(new Float32Array(10000).fill(0.25), labels);
  const once = s.bytes;
  assert.ok(once <= 2 * 4 * 65536, `${once} bytes`);
  for (let i = 0; i < 100; i++) s.add(new Float32Array(10000).fill(0.25), labels);
  assert.equal(s.bytes, once);
  assert.deepEqual([s.numPos, s.numNeg], [1000000, 1000000]);
  const rng = createRng(5);
  const d = new TieStream();
  for (let i = 0; i < 20; i++)
    d.add(
      Float32Array.from({ length: 10000 }, () => normal(rng)),
      labels,
    );
  assert.ok(d.bytes <= 4 * 200000, `${d.bytes} bytes for 200 000 distinct scores`);
});

test('errors: non-finite valid scores (nothing added), length mismatch, one class missing', () => {
  const s = new TieStream();
  s.add(Float32Array.of(1, 2), Uint8Array.of(0, 1));
  assert.throws(
    () => s.add(Float32Array.of(NaN, Infinity, NaN, 3), Uint8Array.of(1, 0, 255, 1)),
    (e: unknown) => e instanceof ValueError && /1 NaN and 1 infinite values among the 3 valid pixels/.test(e.message),
  );
  assert.deepEqual([s.numPos, s.numNeg], [1, 1]);
  assert.throws(() => s.add(Float32Array.of(1), Uint8Array.of(0, 1)), ShapeError);
  const only = new TieStream();
  only.add(Float32Array.of(1, 2), Uint8Array.of(0, 0));
  assert.throws(() => only.metrics(), /no anomaly pixels/);
  assert.throws(() => new TieStream().metrics(), /no valid pixels/);
});

test('streams of a split set, merged through runs() / addRuns(), hold the whole set’s table bit for bit', () => {
  const rng = createRng(77);
  for (let trial = 0; trial < 20; trial++) {
    const maps = Array.from({ length: 1 + randInt(rng, 9) }, () => randomMap(rng, randInt(rng, 6)));
    const W = 1 + randInt(rng, 4);
    const whole = new TieStream();
    const parts = Array.from({ length: W }, () => new TieStream());
    maps.forEach((m, i) => {
      whole.add(m.scores, m.labels);
      (parts[i % W] as TieStream).add(m.scores, m.labels);
    });
    const merged = new TieStream();
    for (const p of parts) {
      const { pos, neg } = p.runs();
      merged.addRuns(pos, neg);
    }
    assert.deepEqual(merged.table(), whole.table());
    assert.equal(merged.numPos, whole.numPos);
    assert.equal(merged.numNeg, whole.numNeg);
    if (whole.numPos > 0 && whole.numNeg > 0) assert.deepEqual(merged.metrics(), whole.metrics());
    // a part keeps accumulating after runs()
    const extra = randomMap(rng, 0);
    (parts[0] as TieStream).add(extra.scores, extra.labels);
    whole.add(extra.scores, extra.labels);
    const again = new TieStream();
    for (const p of parts) again.addRuns(p.runs().pos, p.runs().neg);
    assert.deepEqual(again.table(), whole.table());
  }
});
