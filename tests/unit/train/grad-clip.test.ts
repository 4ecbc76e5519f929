import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { clipGradNorm, globalGradNorm } from '../../../src/train/grad-clip.js';
import { createRng, normal } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

await initEngine();

test('clipGradNorm: hand-computed case — norm 13 of (3, 4) and (12), clipped to 6.5 halves every gradient', () => {
  const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor2d([[12]]) };
  const out = clipGradNorm(grads, 6.5);
  expectClose([out.norm], [13], { rtol: 1e-6, atol: 0 }, 'norm');
  assert.equal(out.clipped, true);
  const coef = 6.5 / (13 + 1e-6);
  expectClose(Array.from(out.grads.a!.dataSync()), [3 * coef, 4 * coef], { rtol: 1e-6, atol: 0 }, 'a');
  expectClose(Array.from(out.grads.b!.dataSync()), [12 * coef], { rtol: 1e-6, atol: 0 }, 'b');
  assert.ok(grads.a.isDisposed && grads.b.isDisposed, 'inputs disposed when replaced');
  tf.dispose(Object.values(out.grads));
});

test('clipGradNorm: below the limit the same tensors come back untouched', () => {
  const grads = { a: tf.tensor1d([0.3, -0.4]) };
  const out = clipGradNorm(grads, 1);
  assert.equal(out.clipped, false);
  assert.equal(out.grads.a, grads.a);
  expectClose([out.norm], [0.5], { rtol: 1e-6, atol: 0 }, 'norm');
  grads.a.dispose();
});

test('clipGradNorm: the float64 norm of many tensors, and the clipped norm equals the limit', () => {
  const rng = createRng(5);
  const shapes = [[3, 3, 8, 16], [16], [128, 11], [1]];
  const values = shapes.map((s) => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => normal(rng)));
  const want = Math.sqrt(values.reduce((acc, v) => acc + v.reduce((a, x) => a + x * x, 0), 0));
  const grads = Object.fromEntries(shapes.map((s, i) => [`p${i}`, tf.tensor(values[i]!, s)]));
  expectClose([globalGradNorm(grads)], [want], { rtol: 1e-5, atol: 0 }, 'norm');
  const out = clipGradNorm(grads, want / 4);
  expectClose([globalGradNorm(out.grads)], [want / 4], { rtol: 1e-5, atol: 0 }, 'clipped norm');
  tf.dispose(Object.values(out.grads));
  assert.equal(globalGradNorm({}), 0, 'no gradients: norm 0');
});

test('clipGradNorm: a bad limit is an error naming it', () => {
  assert.throws(() => clipGradNorm({}, 0), /maxNorm must be finite and > 0, got 0/);
  assert.throws(() => clipGradNorm({}, Number.NaN), /maxNorm/);
});
