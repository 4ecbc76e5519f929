import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { contrastLoss, likelihoodLoss, segmentationLoss } from '../../../src/gmm/losses.js';
import { expectClose } from '../../helpers/close.js';

await initEngine();

test('segmentation CE: hand-computed on a 1×1 logit map upsampled to 1×2 with one ignored pixel', () => {
  const logits = tf.tensor4d([0, Math.log(3)], [1, 1, 1, 2]); // softmax = [0.25, 0.75] everywhere after upsampling
  const labels = tf.tensor3d([1, 255], [1, 1, 2], 'int32');
  const all = segmentationLoss(logits, labels, 255, 'all-pixels').dataSync()[0] as number;
  const valid = segmentationLoss(logits, labels, 255, 'valid-pixels').dataSync()[0] as number;
  expectClose(all, -Math.log(0.75) / 2, { rtol: 1e-6, atol: 1e-7 }, 'all-pixels');
  expectClose(valid, -Math.log(0.75), { rtol: 1e-6, atol: 1e-7 }, 'valid-pixels');
  [logits, labels].forEach((t) => t.dispose());
});

test('segmentation CE uses bilinear upsampling with half-pixel centres (align_corners = false)', () => {
  // 1×2 logits → 1×4: x-coordinates 0.25·… : src = (i + 0.5)/2 − 0.5 = [−0.25, 0.25, 0.75, 1.25] → weights of column 1: [0, .25, .75, 1]
  const a = 2;
  const logits = tf.tensor4d([0, 0, a, 0], [1, 1, 2, 2]); // class-0 logit 0 then a; class-1 logit 0
  const labels = tf.tensor3d([0, 0, 0, 0], [1, 1, 4], 'int32');
  const got = segmentationLoss(logits, labels, 255, 'all-pixels').dataSync()[0] as number;
  const z = [0, 0.25 * a, 0.75 * a, a];
  const want = z.reduce((s, v) => s - Math.log(Math.exp(v) / (Math.exp(v) + 1)), 0) / 4;
  expectClose(got, want, { rtol: 1e-6, atol: 1e-7 });
  [logits, labels].forEach((t) => t.dispose());
});

test('contrast CE: mean over valid targets; 0 (not NaN) when every target is ignored; target 255 is valid', () => {
  const J = 256;
  const row = Array.from({ length: J }, (_, j) => (j === 255 ? 1 : 0));
  const l = tf.tensor2d([...row, ...row], [2, J]);
  const lse = Math.log(255 + Math.E);
  expectClose(
    contrastLoss(l, Int32Array.of(255, -1)).dataSync()[0] as number,
    lse - 1,
    { rtol: 1e-5, atol: 1e-6 },
    'target 255',
  );
  expectClose(
    contrastLoss(l, Int32Array.of(0, 255)).dataSync()[0] as number,
    (lse + lse - 1) / 2,
    { rtol: 1e-5, atol: 1e-6 },
    'two targets',
  );
  expectClose(contrastLoss(l, Int32Array.of(-1, -1)).dataSync()[0] as number, 0, { rtol: 0, atol: 0 }, 'no targets');
  l.dispose();
});

test('likelihood loss: −ℓ of each valid pixel at its own target, averaged over valid pixels and divided by D', () => {
  // 3 pixels × 4 slots; pixel 0 → slot 2 (ℓ = 5), pixel 1 ignored, pixel 2 → slot 0 (ℓ = −3); D = 8
  const l = tf.tensor2d([1, 2, 5, 4, 9, 9, 9, 9, -3, 0, 0, 0], [3, 4]);
  const got = likelihoodLoss(l, Int32Array.of(2, -1, 0), 8).dataSync()[0] as number;
  expectClose(got, -(5 + -3) / 2 / 8, { rtol: 1e-6, atol: 1e-7 }, 'two valid pixels');
  expectClose(likelihoodLoss(l, Int32Array.of(-1, -1, -1), 8).dataSync()[0] as number, 0, { rtol: 0, atol: 0 }, 'none');
  l.dispose();
});

test('segmentation CE with class weights: each labelled pixel weighted by its class; divisor unchanged', () => {
  // softmax = [0.25, 0.75] everywhere; labels 1, 0, ignore
  const logits = tf.tensor4d([0, Math.log(3)], [1, 1, 1, 2]);
  const labels = tf.tensor3d([1, 0, 255], [1, 1, 3], 'int32');
  const classWeights = [2, 0.5];
  const want = (0.5 * -Math.log(0.75) + 2 * -Math.log(0.25)) / 3; // class 1 (weight 0.5) at p 0.75, class 0 (2) at 0.25
  const got = segmentationLoss(logits, labels, 255, 'all-pixels', { classWeights }).dataSync()[0] as number;
  expectClose(got, want, { rtol: 1e-6, atol: 1e-7 }, 'all-pixels');
  const valid = segmentationLoss(logits, labels, 255, 'valid-pixels', { classWeights }).dataSync()[0] as number;
  expectClose(valid, (want * 3) / 2, { rtol: 1e-6, atol: 1e-7 }, 'valid-pixels');
  const ones = segmentationLoss(logits, labels, 255, 'all-pixels', { classWeights: [1, 1] }).dataSync()[0] as number;
  const plain = segmentationLoss(logits, labels, 255, 'all-pixels').dataSync()[0] as number;
  expectClose(ones, plain, { rtol: 1e-6, atol: 1e-7 }, 'unit weights = the plain CE');
  assert.throws(() => segmentationLoss(logits, labels, 255, 'all-pixels', { classWeights: [1] }), /classWeights/);
  [logits, labels].forEach((t) => t.dispose());
});
