import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { meanGradConfig, sumGradConfig } from '../../../src/engine/reduce-gradients.js';
import { createRng, normal } from '../../../src/random.js';

await initEngine();

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => 5 * normal(rng)),
    shape,
  );
}

/** tfjs's own formula (tfjs-core Sum_grad / Mean_grad): reshape(dy) · ones(x.shape) [/ n]. */
function tfjsFormula(dy: tf.Tensor, x: tf.Tensor, axes: number[], mean: boolean): tf.Tensor {
  const shape = x.shape.slice();
  for (const a of axes) shape[a] = 1;
  const prod = tf.mul(tf.reshape(dy, shape), tf.ones(x.shape, 'float32'));
  return mean
    ? tf.div(
        prod,
        axes.reduce((n, a) => n * (x.shape[a] as number), 1),
      )
    : prod;
}

const bits = (t: tf.Tensor) => new Uint32Array(Float32Array.from(t.dataSync()).buffer);

test('Sum and Mean gradients: installed by initEngine, bit-identical to tfjs formula with ones', () => {
  assert.equal(tf.getGradient('Sum')?.gradFunc, sumGradConfig.gradFunc);
  assert.equal(tf.getGradient('Mean')?.gradFunc, meanGradConfig.gradFunc);
  const cases: [number[], number | number[], boolean][] = [
    [[2, 3, 4, 5], [1, 2], false],
    [[2, 3, 4, 5], -1, true],
    [[7, 5], [0, 1], false],
    [[3, 1, 6], 0, true],
    [[4, 6], [], false],
  ];
  cases.forEach(([shape, axis, keepDims], i) => {
    const x = randomTensor(shape, i + 1);
    const axes = tf.util.parseAxisParam(axis, shape);
    const outShape = shape
      .filter((_, d) => keepDims || !axes.includes(d))
      .map((s, d) => (axes.includes(d) && keepDims ? 1 : s));
    const dy = randomTensor(keepDims ? shape.map((s, d) => (axes.includes(d) ? 1 : s)) : outShape, 100 + i);
    for (const mean of [false, true]) {
      const reduce = (v: tf.Tensor) => (mean ? tf.mean(v, axis, keepDims) : tf.sum(v, axis, keepDims));
      const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(reduce(v), dy)))(x);
      const want = tfjsFormula(dy, x, axes, mean);
      assert.deepEqual(grad.shape, x.shape);
      assert.deepEqual(bits(grad), bits(want), `${mean ? 'mean' : 'sum'} over ${JSON.stringify(axis)} of [${shape}]`);
      tf.dispose([grad, want]);
    }
    tf.dispose([x, dy]);
  });
});
