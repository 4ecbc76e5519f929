import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { makeGmmConfig } from '../../../src/gmm/config.js';
import { gmmForward, headDensityTensors } from '../../../src/gmm/forward.js';
import { createHeadState, type HeadState } from '../../../src/gmm/head.js';
import { nearestResizeLabels } from '../../../src/gmm/labels.js';
import { disposeDensityTensors } from '../../../src/gmm/log-density.js';
import { componentTargets, enqueueRows } from '../../../src/gmm/targets.js';
import { headTrainForward, type HeadCapture } from '../../../src/gmm/train-forward.js';
import { headTrainStep } from '../../../src/gmm/train-step.js';
import { createRng, normal, randInt } from '../../../src/random.js';

await initEngine();

const cfg = makeGmmConfig({
  classes: 3,
  componentsPerClass: 2,
  embedDim: 6,
  memoryPerComponent: 16,
  maxSamplesPerStep: 3,
});
const [B, h, w] = [2, 4, 5];
const labelShape = [B, 2 * h, 2 * w] as const;

function problem(seed: number): { state: HeadState; feats: Float32Array; labels: Int32Array } {
  const rng = createRng(seed);
  const state = createHeadState(cfg, rng, true);
  const feats = Float32Array.from({ length: B * h * w * cfg.embedDim }, () => normal(rng));
  const labels = Int32Array.from({ length: B * 4 * h * w }, () => (randInt(rng, 8) === 0 ? 255 : randInt(rng, 3)));
  return { state, feats, labels };
}

/** Counts the tensor reads (dataSync, data, arraySync, array) made while `fn` runs. */
function countReads<T>(fn: () => T): { result: T; reads: number } {
  const proto = tf.Tensor.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const names = ['dataSync', 'data', 'arraySync', 'array'];
  const saved = names.map((k) => proto[k] as (...a: unknown[]) => unknown);
  let reads = 0;
  names.forEach((k, i) => {
    proto[k] = function (this: unknown, ...a: unknown[]) {
      reads++;
      return (saved[i] as (...b: unknown[]) => unknown).apply(this, a);
    };
  });
  try {
    return { result: fn(), reads };
  } finally {
    names.forEach((k, i) => (proto[k] = saved[i] as (...a: unknown[]) => unknown));
  }
}

test('one training step reads the device twice (E-step inputs, loss values) and leaves no tensor behind', () => {
  const { state, feats, labels } = problem(1);
  const features = tf.tensor4d(feats, [B, h, w, cfg.embedDim]);
  const optimizer = tf.train.sgd(0.1);
  const warm = headTrainStep(state, { features, labels, labelShape }, { optimizer }).state;
  const before = tf.memory().numTensors;
  const { result, reads } = countReads(() => headTrainStep(warm, { features, labels, labelShape }, { optimizer }));
  assert.equal(reads, 2);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(result.state.step, 2);
  features.dispose();
  optimizer.dispose();
});

test('the capture holds the forward’s embedding and logits, host-resized labels and the full-matrix E-step', () => {
  const { state, feats, labels } = problem(2);
  const { classes: C, componentsPerClass: K, embedDim: D } = cfg;
  const N = B * h * w;
  let capture = undefined as unknown as HeadCapture;
  tf.tidy(() => void (capture = headTrainForward(state, tf.tensor4d(feats, [B, h, w, D]), labels, labelShape).capture));
  const dt = headDensityTensors(state);
  const ref = tf.tidy(() => {
    const out = gmmForward(state, tf.tensor2d(feats, [N, D]), dt, 'training');
    return {
      embedded: out.embedded.dataSync() as Float32Array,
      logDensity: (out.logDensity as tf.Tensor2D).dataSync() as Float32Array,
      logits: out.logits.dataSync() as Float32Array,
    };
  });
  disposeDensityTensors(dt);
  const small = nearestResizeLabels(labels, ...labelShape, h, w);
  assert.deepEqual(Array.from(capture.labelsSmall), Array.from(small));
  assert.deepEqual(Array.from(capture.embedded), Array.from(ref.embedded));
  assert.deepEqual(Array.from(capture.logits), Array.from(ref.logits));
  const predicted = Int32Array.from({ length: N }, (_, n) => {
    const row = Array.from(ref.logits.subarray(n * C, (n + 1) * C));
    return row.indexOf(Math.max(...row));
  });
  const opts = { classes: C, componentsPerClass: K, ignoreIndex: 255, iterations: 3, epsilon: 0.05 };
  const full = componentTargets(ref.logDensity, small, predicted, { ...opts, contrastTargetCollision: 'fixed' });
  assert.deepEqual(capture.targets, full);
  assert.ok(capture.targets.targets.some((t) => t >= 0) && capture.targets.targets.includes(-1));
  assert.ok(Number.isFinite(capture.segLoss) && capture.contrastLoss > 0);
});

test('enqueueRows: eligible pixels per slot in order, evenly subsampled to maxSamplesPerStep', () => {
  const labels = Int32Array.of(0, 0, 1, 0, 255, 0, 0, 0, 1);
  const t = {
    targets: new Int32Array(9),
    assignment: Int32Array.of(1, 1, 0, 1, -1, 1, 0, 1, 0),
    eligible: Uint8Array.of(1, 1, 1, 1, 0, 1, 1, 1, 0),
  };
  const rows = enqueueRows(labels, t, { componentsPerClass: 2, maxSamplesPerStep: 3, ignoreIndex: 255 });
  // slot 1 (class 0, component 1): pixels 0, 1, 3, 5, 7 → linspace(5, 3) = 0, 2, 4; slot 0: pixel 6; slot 2: pixel 2
  assert.deepEqual([...rows.keys()], [0, 1, 2]);
  assert.deepEqual(Array.from(rows.get(1) as Int32Array), [0, 3, 7]);
  assert.deepEqual(Array.from(rows.get(0) as Int32Array), [6]);
  assert.deepEqual(Array.from(rows.get(2) as Int32Array), [2]);
  const all = enqueueRows(labels, t, { componentsPerClass: 2, maxSamplesPerStep: -1, ignoreIndex: 255 });
  assert.deepEqual(Array.from(all.get(1) as Int32Array), [0, 1, 3, 5, 7]);
});
