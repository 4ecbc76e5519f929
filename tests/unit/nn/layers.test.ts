import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { FormatError, ValueError } from '../../../src/errors.js';
import { createRng } from '../../../src/random.js';
import {
  batchNorm,
  conv2d,
  depthwiseConv2d,
  dropout2d,
  gelu,
  layerNormChannels,
  linear,
  noGrad,
  resizeBilinear,
  resizeBilinearMatrices,
} from '../../../src/nn/layers.js';
import {
  addBatchNorm,
  addConv,
  addDepthwise,
  addLayerNorm,
  addLinear,
  disposeAll,
  finishLoaded,
  loadedBuilder,
  randomBuilder,
  truncNormal,
} from '../../../src/nn/params.js';
import { expectClose } from '../../helpers/close.js';

await initEngine();

const TOL = { rtol: 1e-4, atol: 1e-4 };

test('dilated conv2d / depthwiseConv2d equal tfjs dilated ops (odd sizes, rates 2 and 3)', () => {
  const b = randomBuilder(createRng(1));
  addConv(b, 'c', 3, 2, 3, true);
  addDepthwise(b, 'd', 3, 2);
  const x = tf.randomNormal([2, 5, 7, 2], 0, 1, 'float32', 3) as tf.Tensor4D;
  for (const d of [2, 3]) {
    const ref = tf.add(
      tf.conv2d(x, b.params['c.weight'] as unknown as tf.Tensor4D, 1, 'same', 'NHWC', d),
      b.params['c.bias'] as tf.Tensor,
    );
    expectClose(conv2d(x, b.params, 'c', { dilation: d }).dataSync(), ref.dataSync(), TOL, `conv d=${d}`);
    const refD = tf.add(
      tf.depthwiseConv2d(x, b.params['d.weight'] as unknown as tf.Tensor4D, 1, 'same', 'NHWC', d),
      b.params['d.bias'] as tf.Tensor,
    );
    expectClose(
      depthwiseConv2d(x, b.params, 'd', { dilation: d }).dataSync(),
      refD.dataSync(),
      TOL,
      `depthwise d=${d}`,
    );
  }
  assert.deepEqual(conv2d(x, b.params, 'c', { stride: 2 }).shape, [2, 3, 4, 3]);
  assert.throws(() => conv2d(x, b.params, 'c', { stride: 2, dilation: 2 }), ValueError);
  disposeAll(b.params, b.state);
});

test('dilated conv2d weight gradient is exact (linear loss: grad_i = loss(e_i) by the tfjs dilated forward)', () => {
  const b = randomBuilder(createRng(2));
  addConv(b, 'c', 3, 2, 2);
  const w = b.params['c.weight'] as tf.Variable;
  const x = tf.randomNormal([1, 6, 5, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
  const r = tf.randomNormal([1, 6, 5, 2], 0, 1, 'float32', 5);
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(conv2d(x, b.params, 'c', { dilation: 2 }), r)), [w]);
  const got = (grads[Object.keys(grads)[0] as string] as tf.Tensor).dataSync();
  const n = w.size;
  const expected = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const e = tf.oneHot(i, n).reshape(w.shape).toFloat() as tf.Tensor4D;
    expected[i] = tf.sum(tf.mul(tf.conv2d(x, e, 1, 'same', 'NHWC', 2), r)).dataSync()[0] as number;
  }
  expectClose(got, expected, TOL, 'weight gradient');
  disposeAll(b.params);
});

test('batchNorm: training normalises with batch stats and updates running stats (momentum 0.1); eval leaves them', () => {
  const b = randomBuilder(createRng(3));
  addBatchNorm(b, 'bn', 2);
  const vals = [1, 10, 2, 20, 3, 30, 6, 60]; // [2, 2, 1, 2]: channel 0 = 1,2,3,6; channel 1 = ×10
  const x = tf.tensor4d(vals, [2, 2, 1, 2]);
  const y = batchNorm(x, b.params, b.state, 'bn', true);
  const { mean, variance } = tf.moments(y, [0, 1, 2]);
  expectClose(mean.dataSync(), [0, 0], TOL, 'normalised mean');
  expectClose(variance.dataSync(), [1, 1], { rtol: 1e-3, atol: 1e-3 }, 'normalised variance');
  // channel 0: mean 3, unbiased var ((4+1+0+9)/3) = 14/3
  expectClose(b.state['bn.running_mean']!.dataSync(), [0.3, 3], TOL, 'running mean');
  expectClose(
    b.state['bn.running_var']!.dataSync(),
    [0.9 + (0.1 * 14) / 3, 0.9 + (0.1 * 1400) / 3],
    TOL,
    'running var',
  );
  const before = b.state['bn.running_mean']!.dataSync().slice();
  const ye = batchNorm(x, b.params, b.state, 'bn', false);
  expectClose(b.state['bn.running_mean']!.dataSync(), before, { rtol: 0, atol: 0 }, 'eval keeps running mean');
  const rm = before[0] as number;
  const rv = b.state['bn.running_var']!.dataSync()[0] as number;
  expectClose(ye.dataSync()[0] as number, (1 - rm) / Math.sqrt(rv + 1e-5), TOL, 'eval output');
  assert.throws(() => batchNorm(tf.ones([1, 1, 1, 2]) as tf.Tensor4D, b.params, b.state, 'bn', true), ValueError);
  disposeAll(b.params, b.state);
});

test('layerNormChannels, linear, gelu and their gradients', () => {
  const b = randomBuilder(createRng(4));
  addLayerNorm(b, 'ln', 3);
  addLinear(b, 'fc', 3, 2);
  const x = tf.tensor3d([1, 2, 3, -1, 0, 5], [1, 2, 3]);
  const y = layerNormChannels(x, b.params, 'ln');
  const s = Math.sqrt(2 / 3 + 1e-6);
  expectClose(y.dataSync().slice(0, 3), [-1 / s, 0, 1 / s], TOL, 'layer norm row');
  assert.deepEqual(linear(y, b.params, 'fc').shape, [1, 2, 2]);
  expectClose(gelu(tf.tensor1d([-1, 0, 1, 3])).dataSync(), [-0.15865525, 0, 0.84134475, 2.99595031], TOL, 'gelu');
  const { grads } = tf.variableGrads(() =>
    tf.sum(tf.square(gelu(linear(layerNormChannels(x, b.params, 'ln'), b.params, 'fc')))),
  );
  for (const [k, g] of Object.entries(grads)) {
    const a = g.abs().sum().dataSync()[0] as number;
    assert.ok(Number.isFinite(a) && a > 0, `gradient of ${k} is ${a}`);
  }
  disposeAll(b.params, b.state);
});

test('dropout2d zeroes whole channels, scales the rest, and is deterministic per seed', () => {
  const x = tf.ones([2, 3, 3, 16]) as tf.Tensor4D;
  const a = dropout2d(x, 0.5, 7).arraySync() as number[][][][];
  for (const img of a) {
    for (let c = 0; c < 16; c++) {
      const v = img.flat().map((px) => px[c] as number);
      assert.ok(v.every((u) => u === v[0]) && (v[0] === 0 || v[0] === 2), `channel ${c} is whole`);
    }
  }
  assert.deepEqual(dropout2d(x, 0.5, 7).dataSync(), Float32Array.from(a.flat(3)));
  assert.notDeepEqual(dropout2d(x, 0.5, 8).dataSync(), Float32Array.from(a.flat(3)));
  assert.equal(dropout2d(x, 0, 7), x);
});

test('resizeBilinear uses half-pixel centres (PyTorch align_corners=False) and has a gradient', () => {
  const x = tf.tensor4d([0, 1], [1, 1, 2, 1]);
  expectClose(resizeBilinear(x, [1, 4]).dataSync(), [0, 0.25, 0.75, 1], TOL, 'upsample ×2');
  const v = tf.variable(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]));
  const g = tf.grad((z: tf.Tensor) => tf.sum(resizeBilinear(z as tf.Tensor4D, [4, 4])))(v);
  expectClose(g.dataSync(), [4, 4, 4, 4], TOL, 'resize gradient (each input spreads weight 4)');
  v.dispose();
  const z = tf.randomNormal([2, 3, 5, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
  for (const size of [
    [7, 4],
    [2, 2],
    [6, 10],
  ] as [number, number][]) {
    expectClose(
      resizeBilinear(z, size).dataSync(),
      tf.image.resizeBilinear(z, size, false, true).dataSync(),
      TOL,
      `resize to ${size}`,
    );
  }
});

test('resizeBilinear: the engine path equals the interpolation matrices, values and gradients (up, down, odd ratios)', () => {
  const z = tf.randomNormal([2, 6, 9, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  for (const size of [
    [12, 18],
    [3, 4],
    [11, 5],
    [48, 72],
  ] as [number, number][]) {
    const w = tf.randomNormal([2, size[0], size[1], 3], 0, 1, 'float32', 3);
    const loss = (f: typeof resizeBilinear) => (x: tf.Tensor) => tf.sum(tf.mul(f(x as tf.Tensor4D, size), w));
    expectClose(resizeBilinear(z, size).dataSync(), resizeBilinearMatrices(z, size).dataSync(), TOL, `value ${size}`);
    const [ga, gb] = [tf.grad(loss(resizeBilinear))(z), tf.grad(loss(resizeBilinearMatrices))(z)];
    expectClose(ga.dataSync(), gb.dataSync(), TOL, `gradient ${size}`);
    tf.dispose([w, ga, gb]);
  }
  z.dispose();
});

test('noGrad: outputs are constants to an enclosing gradient', () => {
  const v = tf.variable(tf.scalar(3));
  const { value, grads } = tf.variableGrads(
    () =>
      tf.add(
        tf.mul(v, 2),
        noGrad(() => tf.square(v)),
      ) as tf.Scalar,
    [v],
  );
  expectClose(value.dataSync(), [15], TOL, 'value');
  expectClose(Object.values(grads)[0]!.dataSync(), [2], TOL, 'gradient skips the noGrad branch');
  v.dispose();
});

test('init is deterministic per seed; truncNormal stays within ±2 std; loaded builder checks names and shapes', () => {
  const make = (seed: number) => {
    const b = randomBuilder(createRng(seed));
    addConv(b, 'c', 3, 4, 8);
    return b;
  };
  const [b1, b2, b3] = [make(9), make(9), make(10)];
  assert.deepEqual(b1.params['c.weight']!.dataSync(), b2.params['c.weight']!.dataSync());
  assert.notDeepEqual(b1.params['c.weight']!.dataSync(), b3.params['c.weight']!.dataSync());
  const t = truncNormal(createRng(1), [2000], 0.02).dataSync();
  assert.ok(t.every((u) => Math.abs(u) <= 0.04));
  const saved = { 'c.weight': b1.params['c.weight']!.clone() };
  const lb = loadedBuilder(saved, 'test');
  addConv(lb, 'c', 3, 4, 8);
  finishLoaded(lb, saved, 'test');
  assert.deepEqual(lb.params['c.weight']!.dataSync(), b1.params['c.weight']!.dataSync());
  assert.throws(() => addConv(loadedBuilder(saved, 'test'), 'c', 3, 4, 9), FormatError);
  assert.throws(() => addConv(loadedBuilder({}, 'test'), 'c', 3, 4, 8), FormatError);
  const extra = loadedBuilder({ ...saved, 'x.weight': tf.ones([1]) }, 'test');
  addConv(extra, 'c', 3, 4, 8);
  assert.throws(() => finishLoaded(extra, { ...saved, 'x.weight': tf.ones([1]) }, 'test'), FormatError);
  for (const b of [b1, b2, b3, lb]) disposeAll(b.params, b.state);
});
