import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { segmentationLoss } from '../../../src/gmm/losses.js';
import { kthSmallest, ohemWeights } from '../../../src/gmm/ohem.js';
import { createRng, normal, randInt, uniform } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

await initEngine();

const IGNORE = 255;

/** MMSeg's OHEMPixelSampler (thresh form) written plainly: sort the labelled probabilities, index, compare. */
function naiveWeights(prob: number[], labels: number[], batch: number, threshold: number, minKept: number): number[] {
  const sorted = prob.filter((_, i) => labels[i] !== IGNORE).sort((a, b) => a - b);
  if (sorted.length === 0) return prob.map(() => 0);
  const minThreshold = sorted[Math.min(minKept * batch, sorted.length - 1)] as number;
  const t = Math.max(minThreshold, threshold);
  return prob.map((p, i) => (labels[i] !== IGNORE && p < t ? 1 : 0));
}

test('OHEM weights: hand-computed — threshold alone, then raised by minKeptPerImage; ignored pixels never kept', () => {
  const prob = Float32Array.of(0.9, 0.2, 0.5, 0.8, 0.1);
  const labels = [0, 1, 2, 0, IGNORE];
  // threshold 0.7, min_kept 0: sorted labelled [0.2, 0.5, 0.8, 0.9] → max(0.2, 0.7) = 0.7
  assert.deepEqual(
    Array.from(ohemWeights(prob, labels, IGNORE, 1, { threshold: 0.7, minKeptPerImage: 0 })),
    [0, 1, 1, 0, 0],
  );
  // min_kept 3 (1 image): sorted[3] = 0.9 → threshold 0.9 keeps the three hardest
  assert.deepEqual(
    Array.from(ohemWeights(prob, labels, IGNORE, 1, { threshold: 0.7, minKeptPerImage: 3 })),
    [0, 1, 1, 1, 0],
  );
  // min_kept larger than the labelled pixels: index clamps to n − 1 (the easiest pixel stays out, as MMSeg)
  assert.deepEqual(
    Array.from(ohemWeights(prob, labels, IGNORE, 2, { threshold: 0.3, minKeptPerImage: 9 })),
    [0, 1, 1, 1, 0],
  );
  // nothing labelled: every weight 0
  assert.deepEqual(
    Array.from(
      ohemWeights(
        prob,
        labels.map(() => IGNORE),
        IGNORE,
        1,
        { threshold: 1, minKeptPerImage: 4 },
      ),
    ),
    [0, 0, 0, 0, 0],
  );
});

test('OHEM weights equal the plain sort-based sampler on random batches with ties', () => {
  const rng = createRng(11);
  for (let trial = 0; trial < 40; trial++) {
    const n = 1 + randInt(rng, 300);
    const batch = 1 + randInt(rng, 4);
    // quantised probabilities so that ties are common
    const prob = Array.from({ length: n }, () => Math.fround(randInt(rng, 20) / 20));
    const labels = Array.from({ length: n }, () => (uniform(rng) < 0.2 ? IGNORE : randInt(rng, 5)));
    const threshold = Math.max(0.05, randInt(rng, 21) / 20);
    const minKept = randInt(rng, 60);
    const got = ohemWeights(Float32Array.from(prob), labels, IGNORE, batch, { threshold, minKeptPerImage: minKept });
    assert.deepEqual(Array.from(got), naiveWeights(prob, labels, batch, threshold, minKept), `trial ${trial}`);
  }
});

test('kthSmallest equals sorting for every k', () => {
  const rng = createRng(3);
  for (let trial = 0; trial < 20; trial++) {
    const n = 1 + randInt(rng, 200);
    const values = Float32Array.from({ length: n }, () => Math.fround(randInt(rng, 30) - 15 + 0.5 * normal(rng)));
    const sorted = Array.from(values).sort((a, b) => a - b);
    for (let k = 0; k < n; k++) assert.equal(kthSmallest(Float32Array.from(values), k), sorted[k], `n ${n} k ${k}`);
  }
  assert.throws(() => kthSmallest(Float32Array.of(1, 2), 2), /k 2 outside 0…1/);
});

test('OHEM options out of range are refused with the setting named', () => {
  const p = Float32Array.of(0.5);
  assert.throws(() => ohemWeights(p, [0], IGNORE, 1, { threshold: 0, minKeptPerImage: 0 }), /OHEM threshold .* got 0/);
  assert.throws(() => ohemWeights(p, [0], IGNORE, 1, { threshold: 1.5, minKeptPerImage: 0 }), /threshold/);
  assert.throws(() => ohemWeights(p, [0], IGNORE, 1, { threshold: 0.7, minKeptPerImage: -1 }), /minKeptPerImage/);
});

test('segmentation CE with OHEM: value equals a float64 oracle, and only kept pixels get a gradient', () => {
  const rng = createRng(5);
  const [B, H, W, C] = [2, 3, 4, 3];
  const logitsData = Array.from({ length: B * H * W * C }, () => 2 * normal(rng));
  const labelData = Array.from({ length: B * H * W }, () => (uniform(rng) < 0.15 ? IGNORE : randInt(rng, C)));
  const ohem = { threshold: 0.6, minKeptPerImage: 5 };
  // oracle: softmax in float64; logits already at label size, so the bilinear resize is the identity
  const prob: number[] = [];
  const nll: number[] = [];
  for (let i = 0; i < B * H * W; i++) {
    const row = logitsData.slice(i * C, i * C + C);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    const y = labelData[i] as number;
    const l = y === IGNORE ? 0 : lse - (row[y] as number);
    nll.push(l);
    prob.push(Math.exp(-l));
  }
  const keep = naiveWeights(prob, labelData, B, ohem.threshold, ohem.minKeptPerImage);
  const kept = keep.reduce((s, v) => s + v, 0);
  assert.ok(kept > 0 && kept < labelData.filter((y) => y !== IGNORE).length, 'the case keeps some, not all, pixels');
  const want = nll.reduce((s, l, i) => s + l * (keep[i] as number), 0) / (B * H * W);
  const logits = tf.tensor4d(logitsData, [B, H, W, C]);
  const labels = tf.tensor3d(labelData, [B, H, W], 'int32');
  const { value, grad: grads } = tf.valueAndGrad((x: tf.Tensor) =>
    segmentationLoss(x as tf.Tensor4D, labels, IGNORE, 'all-pixels', { ohem }),
  )(logits);
  expectClose(value.dataSync()[0] as number, want, { rtol: 1e-5, atol: 1e-6 }, 'OHEM loss');
  const g = grads.dataSync() as Float32Array;
  for (let i = 0; i < B * H * W; i++) {
    const norm = Array.from(g.subarray(i * C, i * C + C)).reduce((s, v) => s + Math.abs(v), 0);
    if (keep[i] === 1) assert.ok(norm > 0, `kept pixel ${i} has a gradient`);
    else assert.equal(norm, 0, `pixel ${i} (not kept) has no gradient`);
  }
  // threshold 1 with min_kept 0 keeps every labelled pixel whose probability is below 1: the plain loss
  const all = segmentationLoss(logits, labels, IGNORE, 'all-pixels', {
    ohem: { threshold: 1, minKeptPerImage: 0 },
  });
  const plain = segmentationLoss(logits, labels, IGNORE, 'all-pixels');
  expectClose(all.dataSync()[0] as number, plain.dataSync()[0] as number, { rtol: 1e-6, atol: 1e-7 }, 'threshold 1');
  // with class weights too: each kept pixel's CE times its class's weight
  const classWeights = Array.from({ length: C }, (_, c) => 0.5 + c);
  const wantWeighted =
    nll.reduce((s, l, i) => s + l * (keep[i] as number) * (classWeights[labelData[i] as number] ?? 0), 0) / (B * H * W);
  const weighted = segmentationLoss(logits, labels, IGNORE, 'all-pixels', { ohem, classWeights });
  expectClose(weighted.dataSync()[0] as number, wantWeighted, { rtol: 1e-5, atol: 1e-6 }, 'OHEM + class weights');
  [logits, labels, value, grads, all, plain, weighted].forEach((t) => t.dispose());
});
