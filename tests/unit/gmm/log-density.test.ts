import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import {
  classScores,
  classScoresChunked,
  maxOverComponents,
  mixtureLogLikelihood,
} from '../../../src/gmm/class-scores.js';
import {
  componentLogDensity,
  densityMatrix,
  densityTensors,
  disposeDensityTensors,
} from '../../../src/gmm/log-density.js';
import { ShapeError, ValueError } from '../../../src/errors.js';
import { createRng, normal, uniform } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';
import { logDensityOracle, unitRows } from './oracle.js';

await initEngine();

function problem(seed: number, N: number, C: number, K: number, D: number) {
  const rng = createRng(seed);
  const g = () => normal(rng);
  const feats = unitRows(N, D, g);
  const means = unitRows(C * K, D, g);
  const stds = Float32Array.from({ length: C * K * D }, () => 0.1 + 0.9 * uniform(rng));
  return { feats, means, stds };
}

test('GEMM log-density equals the float64 textbook formula (σ in [0.1, 1], D = 32)', () => {
  const [N, C, K, D] = [257, 3, 4, 32];
  const { feats, means, stds } = problem(1, N, C, K, D);
  const dt = densityTensors(densityMatrix(means, stds, C * K, D));
  const got = tf.tidy(() => componentLogDensity(tf.tensor2d(feats, [N, D]), dt).dataSync());
  disposeDensityTensors(dt);
  // float32 GEMM with |terms| up to ~3·10³ (σ = 0.1, D = 32): absolute error ~1e-3 at most; values span ±500.
  expectClose(got, logDensityOracle(feats, means, stds, N, C * K, D), { rtol: 1e-5, atol: 2e-3 }, 'log-density');
});

test('hand-computed: D = 1, μ = 0, σ = 1 gives −½ln2π − x²/2', () => {
  const dt = densityTensors(densityMatrix(Float32Array.of(0), Float32Array.of(1), 1, 1));
  const got = tf.tidy(() => componentLogDensity(tf.tensor2d([[1], [-1], [0]]), dt).dataSync());
  disposeDensityTensors(dt);
  const c = -0.5 * Math.log(2 * Math.PI);
  expectClose(got, [c - 0.5, c - 0.5, c], { rtol: 0, atol: 1e-6 });
});

test('class scores: max and log-sum-exp over components match the oracle; chunked equals unchunked', () => {
  const [N, C, K, D] = [1000, 5, 3, 16];
  const { feats, means, stds } = problem(2, N, C, K, D);
  const oracle = logDensityOracle(feats, means, stds, N, C * K, D);
  const wantMax = new Float64Array(N * C);
  const wantLse = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const vals = Array.from({ length: K }, (_, k) => oracle[n * C * K + c * K + k] as number);
      const m = Math.max(...vals);
      wantMax[n * C + c] = m;
      wantLse[n * C + c] = m + Math.log(vals.reduce((s, v) => s + Math.exp(v - m), 0)) - Math.log(K);
    }
  }
  const dt = densityTensors(densityMatrix(means, stds, C * K, D));
  const x = tf.tensor2d(feats, [N, D]);
  const full = tf.tidy(() => classScores(x, dt, C, K, 'max').dataSync());
  const chunked = tf.tidy(() => classScoresChunked(x, dt, C, K, 'max', 128).dataSync());
  const lse = tf.tidy(() => classScoresChunked(x, dt, C, K, 'logsumexp', 333).dataSync());
  x.dispose();
  disposeDensityTensors(dt);
  expectClose(full, wantMax, { rtol: 1e-5, atol: 1e-3 }, 'max');
  // Equal up to float32 GEMM rounding: BLAS may block a 128-row product differently from a 1000-row one (torch engine).
  expectClose(chunked, full, { rtol: 1e-6, atol: 1e-5 }, 'chunked vs full');
  expectClose(lse, wantLse, { rtol: 1e-5, atol: 1e-3 }, 'logsumexp');
});

test('mixture log-likelihood with explicit log-weights; no overflow at ℓ ≈ 88', () => {
  const l = tf.tensor2d([[88, 87, -100, 0]]);
  const w = tf.tensor2d([
    [Math.log(0.25), Math.log(0.75)],
    [Math.log(0.5), Math.log(0.5)],
  ]);
  const got = tf.tidy(() => mixtureLogLikelihood(l, 2, 2, w).dataSync());
  const want0 = Math.log(0.25 * Math.exp(0) + 0.75 * Math.exp(-1)) + 88;
  const want1 = Math.log(0.5 * Math.exp(-100) + 0.5);
  expectClose(got, [want0, want1], { rtol: 1e-6, atol: 1e-5 });
  const mx = tf.tidy(() => maxOverComponents(l, 2, 2).dataSync());
  expectClose(mx, [88, 0], { rtol: 0, atol: 0 });
  [l, w].forEach((t) => t.dispose());
});

test('bad inputs name the argument', () => {
  assert.throws(
    () => densityMatrix(new Float32Array(6), new Float32Array(5), 2, 3),
    (e: Error) => e instanceof ShapeError && /'stds'/.test(e.message),
  );
  assert.throws(
    () => densityMatrix(new Float32Array(2), Float32Array.of(1, 0), 2, 1),
    (e: Error) => e instanceof ValueError && /stds\[1, 0\] = 0/.test(e.message),
  );
  const dt = densityTensors(densityMatrix(new Float32Array(4), new Float32Array(4).fill(1), 2, 2));
  assert.throws(
    () => componentLogDensity(tf.zeros([3, 3]) as tf.Tensor2D, dt),
    (e: Error) => e instanceof ShapeError && /'x'.*\[3, 3\]/.test(e.message),
  );
  disposeDensityTensors(dt);
});

test('no tensors leak from chunked scoring', () => {
  const dt = densityTensors(densityMatrix(new Float32Array(8), new Float32Array(8).fill(1), 4, 2));
  const x = tf.randomNormal([50, 2]) as tf.Tensor2D;
  const before = tf.memory().numTensors;
  classScoresChunked(x, dt, 2, 2, 'max', 7).dispose();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  disposeDensityTensors(dt);
});

test('gradient in x: equals the float64 formula, and the constant W and b get no gradient computed', async () => {
  const [N, C, K, D] = [64, 3, 2, 8];
  const { feats, means, stds } = problem(3, N, C, K, D);
  const dt = densityTensors(densityMatrix(means, stds, C * K, D));
  const x = tf.tensor2d(feats, [N, D]);
  let grad: Float32Array = new Float32Array(0);
  // d/dx_nd Σ_j ℓ[n, j] = Σ_j −(x_nd − μ_jd) / σ_jd²
  const info = await tf.profile(() => {
    const g = tf.grad((v: tf.Tensor) => tf.sum(componentLogDensity(v as tf.Tensor2D, dt)))(x);
    grad = g.dataSync() as Float32Array;
    g.dispose();
  });
  const expected = new Float64Array(N * D);
  for (let n = 0; n < N; n++)
    for (let j = 0; j < C * K; j++)
      for (let d = 0; d < D; d++) {
        const s = stds[j * D + d] as number;
        expected[n * D + d]! -= ((feats[n * D + d] as number) - (means[j * D + d] as number)) / (s * s);
      }
  expectClose(grad, expected, { rtol: 1e-4, atol: 1e-3 }, 'dℓ/dx');
  // W's gradient would be a [2D, C·K] product (lhsᵀ · dy); a training step runs this at N ≈ 10⁴–10⁵ rows.
  const products = info.kernels.filter((k) => /MatMul/.test(k.name));
  assert.ok(products.length >= 2, 'the forward and dx products ran');
  const wShaped = products.filter((k) => k.outputShapes.some((s) => s?.slice(-2).join() === `${2 * D},${C * K}`));
  assert.deepEqual(wShaped, [], 'no product of W’s shape');
  x.dispose();
  disposeDensityTensors(dt);
});

test('gradient in x: bit-identical to the tape gradient of the ops (square, concat, product, bias)', () => {
  const [N, C, K, D] = [300, 4, 3, 16];
  const { feats, means, stds } = problem(4, N, C, K, D);
  const dt = densityTensors(densityMatrix(means, stds, C * K, D));
  const rng = createRng(5);
  const x = tf.tensor2d(feats, [N, D]);
  const r = tf.tensor2d(
    Float32Array.from({ length: N * C * K }, () => normal(rng)),
    [N, C * K],
  );
  const ops = (v: tf.Tensor2D): tf.Tensor2D =>
    tf.add(tf.matMul(tf.concat([tf.square(v), v], 1), dt.weights), dt.bias) as tf.Tensor2D;
  const grad = (f: (v: tf.Tensor2D) => tf.Tensor2D): Float32Array =>
    tf.tidy(
      () =>
        tf
          .grad((v: tf.Tensor) => tf.sum(tf.mul(f(v as tf.Tensor2D), r)))(x)
          .dataSync() as Float32Array,
    );
  assert.deepEqual(
    grad((v) => componentLogDensity(v, dt)),
    grad(ops),
  );
  tf.dispose([x, r]);
  disposeDensityTensors(dt);
});
