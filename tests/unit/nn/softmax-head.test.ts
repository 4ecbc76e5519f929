import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { FormatError, ShapeError, ValueError } from '../../../src/errors.js';
import { createRng } from '../../../src/random.js';
import {
  createSoftmaxHead,
  disposeSoftmaxHead,
  energyScore,
  loadSoftmaxHead,
  maxLogitScore,
  mspScore,
  softmaxHeadLogits,
  softmaxPredict,
} from '../../../src/nn/softmax-head.js';
import { expectClose } from '../../helpers/close.js';

await initEngine();

const TOL = { rtol: 1e-5, atol: 1e-6 };

test('anomaly scores on hand-checked logits (higher = more anomalous)', () => {
  const logits = tf.tensor2d([0, Math.log(3), 5, -1, 2, 2], [3, 2]);
  const e6 = Math.exp(-6);
  expectClose(mspScore(logits).dataSync(), [-0.75, -1 / (1 + e6), -0.5], TOL, 'MSP');
  expectClose(maxLogitScore(logits).dataSync(), [-Math.log(3), -5, -2], TOL, 'max logit');
  expectClose(energyScore(logits).dataSync(), [-Math.log(4), -(5 + Math.log1p(e6)), -(2 + Math.log(2))], TOL, 'energy');
  assert.deepEqual(Array.from(softmaxPredict(logits).dataSync()), [1, 0, 0]);
  const big = tf.tensor4d([1000, 0, -1000, 0], [1, 1, 2, 2]);
  assert.deepEqual(energyScore(big).shape, [1, 1, 2]);
  expectClose(
    energyScore(big).dataSync(),
    [-1000, -Math.log1p(Math.exp(-1000))],
    TOL,
    'energy is stable for large logits',
  );
});

test('softmax head: logits = feats · W + b, shapes, gradients, deterministic init', () => {
  const head = createSoftmaxHead({ embedDim: 3, classes: 4, rng: createRng(1) });
  const feats = tf.randomNormal([2, 3, 5, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  head.params['conv_seg.bias']!.assign(tf.tensor1d([0.1, -0.2, 0.3, 0]));
  const logits = softmaxHeadLogits(head, feats);
  assert.deepEqual(logits.shape, [2, 3, 5, 4]);
  const manual = tf.add(
    tf.matMul(feats.reshape([30, 3]), head.params['conv_seg.weight']!.reshape([3, 4])),
    head.params['conv_seg.bias']!,
  );
  expectClose(logits.dataSync(), manual.dataSync(), TOL, 'linear 1×1 conv');
  const w = head.params['conv_seg.weight']!.dataSync();
  assert.ok(w.every((v) => Math.abs(v) <= 0.02) && w.some((v) => v !== 0), 'N(0, 0.01²) truncated at 2σ');
  assert.deepEqual(
    createSoftmaxHead({ embedDim: 3, classes: 4, rng: createRng(1) }).params['conv_seg.weight']!.dataSync(),
    w,
  );
  const { grads } = tf.variableGrads(
    () => tf.sum(tf.square(softmaxHeadLogits(head, feats))),
    Object.values(head.params),
  );
  for (const g of Object.values(grads)) assert.ok(g.abs().sum().dataSync()[0]! > 0);
  assert.throws(() => softmaxHeadLogits(head, tf.zeros([1, 2, 2, 5]) as tf.Tensor4D), ShapeError);
  disposeSoftmaxHead(head);
});

test('softmax head: save/load round trip; wrong classes or embedding size refused', () => {
  const head = createSoftmaxHead({ embedDim: 3, classes: 4, rng: createRng(5) });
  const tensors = {
    'conv_seg.weight': head.params['conv_seg.weight']!.clone(),
    'conv_seg.bias': head.params['conv_seg.bias']!.clone(),
  };
  const copy = loadSoftmaxHead(JSON.parse(JSON.stringify(head.config)), tensors);
  const feats = tf.randomNormal([1, 2, 2, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  assert.deepEqual(softmaxHeadLogits(copy, feats).dataSync(), softmaxHeadLogits(head, feats).dataSync());
  assert.throws(() => loadSoftmaxHead({ embedDim: 3, classes: 5 }, tensors), FormatError);
  assert.throws(() => loadSoftmaxHead({ embedDim: 4, classes: 4 }, tensors), FormatError);
  assert.throws(() => loadSoftmaxHead({ embedDim: 3, classes: 4, bias: true }, tensors), ValueError);
  assert.throws(() => createSoftmaxHead({ embedDim: 3, classes: 1, rng: createRng(1) }), ValueError);
  disposeSoftmaxHead(head);
  disposeSoftmaxHead(copy);
});
