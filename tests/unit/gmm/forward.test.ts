import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { classScoresFromLogDensity } from '../../../src/gmm/class-scores.js';
import { makeGmmConfig } from '../../../src/gmm/config.js';
import { embedFeatures, normalizeRowsArray } from '../../../src/gmm/embed.js';
import { gmmForward, headDensityTensors } from '../../../src/gmm/forward.js';
import { createHeadState, headForward } from '../../../src/gmm/head.js';
import { componentLogDensity, densityMatrix, disposeDensityTensors } from '../../../src/gmm/log-density.js';
import { createRng, normal } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

await initEngine();

const cfg = makeGmmConfig({ classes: 4, componentsPerClass: 3, embedDim: 8, memoryPerComponent: 8, chunkRows: 7 });

function setup(seed: number) {
  const rng = createRng(seed);
  const state = createHeadState(cfg, rng);
  state.gmm.stds = Float32Array.from(state.gmm.stds, () => 0.2 + 0.5 * Math.abs(normal(rng)));
  state.gmm.means = Float32Array.from(state.gmm.means, (v) => 3 * v); // unnormalised on purpose
  const feats = Float32Array.from({ length: 2 * 5 * 4 * cfg.embedDim }, () => normal(rng));
  return { state, feats };
}

test('headDensityTensors unit-normalises the means on a copy', () => {
  const { state } = setup(1);
  const before = Float32Array.from(state.gmm.means);
  const dt = headDensityTensors(state);
  const { classes: C, componentsPerClass: K, embedDim: D } = cfg;
  const expected = densityMatrix(normalizeRowsArray(before, D), state.gmm.stds, C * K, D);
  assert.deepEqual(Array.from(dt.weights.dataSync()), Array.from(expected.weights));
  assert.deepEqual(Array.from(dt.bias.dataSync()), Array.from(expected.bias));
  assert.deepEqual(Array.from(state.gmm.means), Array.from(before));
  disposeDensityTensors(dt);
});

test('training and inference run the same forward: same logits and class scores (inference chunked by 7 rows)', () => {
  const { state, feats } = setup(2);
  const N = feats.length / cfg.embedDim;
  const dt = headDensityTensors(state);
  const [train, infer] = (['training', 'inference'] as const).map((mode) =>
    tf.tidy(() => {
      const out = gmmForward(state, tf.tensor2d(feats, [N, cfg.embedDim]), dt, mode);
      return { logits: out.logits.dataSync(), scores: out.classScores.dataSync(), kept: out.logDensity !== null };
    }),
  );
  disposeDensityTensors(dt);
  assert.deepEqual([train?.kept, infer?.kept], [true, false]);
  expectClose(infer?.logits as Float32Array, train?.logits as Float32Array, { rtol: 1e-5, atol: 1e-5 }, 'logits');
  expectClose(infer?.scores as Float32Array, train?.scores as Float32Array, { rtol: 1e-5, atol: 1e-5 }, 'scores');
  // headForward is the inference mode reshaped to [B, h, w, C]
  const out = headForward(state, tf.tensor4d(feats, [2, 5, 4, cfg.embedDim]));
  assert.deepEqual(out.logits.shape, [2, 5, 4, cfg.classes]);
  assert.deepEqual(Array.from(out.logits.dataSync()), Array.from(infer?.logits as Float32Array));
  [out.logits, out.classScores].forEach((t) => t.dispose());
});

test('the training forward is embed → log-density → class score → class LayerNorm, step by step', () => {
  const { state, feats } = setup(3);
  const N = feats.length / cfg.embedDim;
  const dt = headDensityTensors(state);
  const n = state.norms;
  tf.tidy(() => {
    const x = tf.tensor2d(feats, [N, cfg.embedDim]);
    const out = gmmForward(state, x, dt, 'training');
    const embedded = embedFeatures(x, n.featNormWeight, n.featNormBias, cfg.layerNormEps);
    const l = componentLogDensity(embedded, dt);
    assert.deepEqual(Array.from(out.embedded.dataSync()), Array.from(embedded.dataSync()));
    assert.deepEqual(Array.from((out.logDensity as tf.Tensor2D).dataSync()), Array.from(l.dataSync()));
    const scores = classScoresFromLogDensity(l, cfg.classes, cfg.componentsPerClass, 'max');
    assert.deepEqual(Array.from(out.classScores.dataSync()), Array.from(scores.dataSync()));
    assert.deepEqual(out.logits.shape, [N, cfg.classes]);
  });
  disposeDensityTensors(dt);
});

test('gmmForward refuses features of the wrong width', () => {
  const { state } = setup(4);
  const dt = headDensityTensors(state);
  assert.throws(() => tf.tidy(() => void gmmForward(state, tf.zeros([3, 5]) as tf.Tensor2D, dt, 'training')), /feats/);
  disposeDensityTensors(dt);
});
