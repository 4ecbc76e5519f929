import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { createRng, normal } from '../../../src/random.js';
import { BATCH_NORM_TRAIN, batchNormTrain, batchNormTrainOps } from '../../../src/nn/batch-norm-train.js';
import { expectClose } from '../../helpers/close.js';

await initEngine();

/** Whether this engine runs the fused kernels (the native one does; others run the ops). */
const fused = tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) !== undefined;

function values(n: number, seed: number, shift = 0, spread = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => shift + spread * normal(rng));
}

/**
 * Float64 oracle of training-mode batch norm (+ ReLU) over rows of C channels and of its gradient for the loss
 * Σ y·w: dx, dgamma, dbeta (the textbook formula, the ReLU mask on the pre-activation > 0).
 */
function oracle(
  x: Float32Array,
  c: number,
  gamma: Float32Array,
  beta: Float32Array,
  w: Float32Array,
  eps: number,
  relu: boolean,
) {
  const n = x.length / c;
  const mean = new Float64Array(c);
  const vari = new Float64Array(c);
  for (let i = 0; i < x.length; i++) mean[i % c]! += (x[i] as number) / n;
  for (let i = 0; i < x.length; i++) vari[i % c]! += ((x[i] as number) - (mean[i % c] as number)) ** 2 / n;
  const r = Array.from(vari, (v) => 1 / Math.sqrt(v + eps));
  const xhat = Array.from(x, (v, i) => (v - (mean[i % c] as number)) * (r[i % c] as number));
  const pre = xhat.map((v, i) => v * (gamma[i % c] as number) + (beta[i % c] as number));
  const y = pre.map((v) => (relu ? Math.max(v, 0) : v));
  const g = pre.map((v, i) => (relu && !(v > 0) ? 0 : (w[i] as number)));
  const sg = new Float64Array(c);
  const sgx = new Float64Array(c);
  g.forEach((v, i) => {
    sg[i % c]! += v;
    sgx[i % c]! += v * (xhat[i] as number);
  });
  const dx = g.map((v, i) => {
    const j = i % c;
    return (
      (((gamma[j] as number) * (r[j] as number)) / n) *
      (n * v - (sg[j] as number) - (xhat[i] as number) * (sgx[j] as number))
    );
  });
  return { y, mean: Array.from(mean), variance: Array.from(vari), dx, dgamma: Array.from(sgx), dbeta: Array.from(sg) };
}

function run(
  f: typeof batchNormTrain,
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  w: tf.Tensor,
  eps: number,
  relu: boolean,
) {
  const out = f(x, gamma, beta, eps, relu);
  const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(f(a, g as tf.Tensor1D, b as tf.Tensor1D, eps, relu).y, w));
  const [dx, dgamma, dbeta] = tf.grads(loss)([x, gamma, beta]) as [tf.Tensor, tf.Tensor, tf.Tensor];
  const read = (t: tf.Tensor) => Array.from(t.dataSync());
  const res = {
    y: read(out.y),
    mean: read(out.mean),
    variance: read(out.variance),
    dx: read(dx),
    dgamma: read(dgamma),
    dbeta: read(dbeta),
  };
  tf.dispose([out.y, out.mean, out.variance, dx, dgamma, dbeta]);
  return res;
}

for (const relu of [false, true]) {
  test(`batchNormTrain (relu ${relu}, ${fused ? 'fused kernels' : 'ops'}): the float64 formula, forward and gradient`, () => {
    const [B, H, W, C] = [3, 11, 37, 5]; // 1 221 rows: more than one block of the kernel's sums
    const xs = values(B * H * W * C, 1, 2, 3);
    const gs = values(C, 2, 1, 0.5);
    const bs = values(C, 3, 0, 0.5);
    const ws = values(B * H * W * C, 4);
    const x = tf.tensor4d(xs, [B, H, W, C]);
    const [gamma, beta] = [tf.tensor1d(gs), tf.tensor1d(bs)];
    const w = tf.tensor4d(ws, [B, H, W, C]);
    const got = run(batchNormTrain, x, gamma, beta, w, 1e-5, relu);
    const want = oracle(xs, C, gs, bs, ws, 1e-5, relu);
    const tol = { rtol: 1e-4, atol: 1e-4 };
    for (const k of ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'] as const) expectClose(got[k], want[k], tol, k);
    tf.dispose([x, gamma, beta, w]);
  });
}

test('batchNormTrain: equals the ops formula to float32 rounding, with a large mean and a tiny spread', () => {
  const [N, C] = [2000, 3];
  const xs = values(N * C, 5, 1000, 0.01);
  const x = tf.tensor2d(xs, [N, C]);
  const [gamma, beta] = [tf.tensor1d([1, 2, -1]), tf.tensor1d([0.5, 0, -0.5])];
  const w = tf.tensor2d(values(N * C, 6), [N, C]);
  const a = run(batchNormTrain, x, gamma, beta, w, 1e-5, true);
  const b = run(batchNormTrainOps, x, gamma, beta, w, 1e-5, true);
  const want = oracle(
    xs,
    C,
    Float32Array.from([1, 2, -1]),
    Float32Array.from([0.5, 0, -0.5]),
    Float32Array.from(w.dataSync()),
    1e-5,
    true,
  );
  // the fused kernel sums in double: at least as close to the float64 oracle as the float32 ops
  for (const k of ['y', 'variance', 'dgamma'] as const) {
    const err = (g: number[]) => Math.max(...g.map((v, i) => Math.abs(v - (want[k][i] as number))));
    assert.ok(err(a[k]) <= err(b[k]) * 1.01 + 1e-6, `${k}: ${err(a[k])} vs ops ${err(b[k])}`);
  }
  expectClose(a.y, b.y, { rtol: 1e-2, atol: 1e-2 }, 'y');
  tf.dispose([x, gamma, beta, w]);
});

test('batchNormTrain: no stray tensors, and the statistics live past the op (for the running averages)', () => {
  const x = tf.tensor4d(values(2 * 4 * 4 * 3, 7), [2, 4, 4, 3]);
  const [gamma, beta] = [tf.ones([3]) as tf.Tensor1D, tf.zeros([3]) as tf.Tensor1D];
  const before = tf.memory().numTensors;
  const { y, mean, variance } = batchNormTrain(x, gamma, beta, 1e-5, false);
  assert.equal(tf.memory().numTensors - before, 3, 'y, mean, variance');
  assert.deepEqual(mean.shape, [3]);
  assert.deepEqual(variance.shape, [3]);
  tf.dispose([y, mean, variance]);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, gamma, beta]);
});

test(
  'BatchNormTrain kernels: bad inputs are errors naming the argument',
  { skip: !fused && 'engine without the kernel' },
  () => {
    const x = tf.zeros([4, 3]);
    assert.throws(
      () =>
        tf
          .engine()
          .runKernel(BATCH_NORM_TRAIN, { x, gamma: tf.ones([2]), beta: tf.zeros([3]) }, { eps: 1e-5, relu: false }),
      /gamma.*\[3\]/,
    );
    assert.throws(
      () =>
        tf
          .engine()
          .runKernel(
            BATCH_NORM_TRAIN,
            { x: tf.zeros([4, 3], 'int32'), gamma: tf.ones([3]), beta: tf.zeros([3]) },
            { eps: 1e-5, relu: false },
          ),
      /'x' must be float32/,
    );
  },
);
