import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { makeGmmConfig } from '../../../src/gmm/config.js';
import { anomalyScore, createHeadState, headForward, type HeadState } from '../../../src/gmm/head.js';
import { componentTargets } from '../../../src/gmm/targets.js';
import { headTrainStep } from '../../../src/gmm/train-step.js';
import { ValueError } from '../../../src/errors.js';
import { createRng, normal, randInt, type Rng } from '../../../src/random.js';

await initEngine();

const cfg = makeGmmConfig({
  classes: 3,
  componentsPerClass: 2,
  embedDim: 8,
  memoryPerComponent: 64,
  maxSamplesPerStep: 10,
  gmmUpdateEvery: 2,
  meanMomentum: 0.5,
});

/** Features: class c pixels near prototype c (two sub-prototypes per class), labels at 2× resolution. */
function batch(rng: Rng, protos: Float32Array[], B = 2, h = 6, w = 6) {
  const D = cfg.embedDim;
  const feats = new Float32Array(B * h * w * D);
  const small = new Int32Array(B * h * w);
  for (let n = 0; n < B * h * w; n++) {
    const c = randInt(rng, 3);
    small[n] = c;
    const p = protos[c * 2 + randInt(rng, 2)] as Float32Array;
    for (let d = 0; d < D; d++) feats[n * D + d] = (p[d] as number) + 0.15 * normal(rng);
  }
  const labels = new Int32Array(B * 2 * h * 2 * w);
  for (let b = 0; b < B; b++)
    for (let y = 0; y < 2 * h; y++)
      for (let x = 0; x < 2 * w; x++)
        labels[(b * 2 * h + y) * 2 * w + x] = small[(b * h + (y >> 1)) * w + (x >> 1)] as number;
  labels[5] = 255;
  return { features: tf.tensor4d(feats, [B, h, w, D]), labels, labelShape: [B, 2 * h, 2 * w] as const, small };
}

function prototypes(rng: Rng): Float32Array[] {
  return Array.from({ length: 6 }, () => Float32Array.from({ length: cfg.embedDim }, () => normal(rng)));
}

test('training the LayerNorms with Adam through the losses lowers the loss and separates the classes', () => {
  const rng = createRng(11);
  const protos = prototypes(rng);
  let state: HeadState = createHeadState(cfg, rng, true);
  const optimizer = tf.train.adam(0.05);
  const losses: number[] = [];
  const updated: boolean[] = [];
  for (let i = 0; i < 30; i++) {
    const b = batch(rng, protos);
    const r = headTrainStep(state, b, { optimizer });
    b.features.dispose();
    state = r.state;
    losses.push(r.loss);
    updated.push(r.gmmUpdated);
  }
  assert.deepEqual(updated.slice(0, 6), [true, false, true, false, true, false]);
  assert.equal(state.step, 30);
  const first = (losses[0] as number) + (losses[1] as number);
  const last = (losses[28] as number) + (losses[29] as number);
  assert.ok(last < 0.7 * first, `loss should fall: ${losses.map((l) => l.toFixed(3)).join(' ')}`);
  const test = batch(rng, protos);
  const { logits, classScores } = headForward(state, test.features);
  const pred = tf.argMax(logits, -1).dataSync();
  let correct = 0;
  pred.forEach((p, n) => (correct += p === test.small[n] ? 1 : 0));
  assert.ok(correct / pred.length > 0.9, `accuracy ${correct / pred.length}`);
  // anomaly: a far-off feature scores higher than in-distribution ones
  const odd = tf.tidy(() => tf.mul(tf.onesLike(test.features), -1)) as tf.Tensor4D;
  const inScore = tf.tidy(() => tf.mean(anomalyScore(classScores)).dataSync()[0] as number);
  const outScore = tf.tidy(() => tf.mean(anomalyScore(headForward(state, odd).classScores)).dataSync()[0] as number);
  assert.ok(outScore > inScore, `anomaly ${outScore} vs ${inScore}`);
  [logits, classScores, test.features, odd].forEach((t) => t.dispose());
});

test('the running-statistics memory trains too (no queue)', () => {
  const rng = createRng(12);
  const protos = prototypes(rng);
  let state = createHeadState(makeGmmConfig({ ...cfg, memoryKind: 'running' }), rng, false);
  for (let i = 0; i < 6; i++) {
    const b = batch(rng, protos);
    state = headTrainStep(state, b).state;
    b.features.dispose();
  }
  assert.ok(state.gmm.stds.every((s) => s >= 0.1 - 1e-6 && s < 1));
});

test('a consumed state is refused; NaN features and bad labels are errors that leave the memory untouched', () => {
  const rng = createRng(13);
  const protos = prototypes(rng);
  const s0 = createHeadState(cfg, rng);
  const b = batch(rng, protos);
  const s1 = headTrainStep(s0, b).state;
  assert.throws(
    () => headTrainStep(s0, b),
    (e: Error) => e instanceof ValueError && /already advanced/.test(e.message),
  );
  const version = s1.memory.version;
  const nan = tf.tidy(() => tf.concat([tf.fill([1, 6, 6, 8], NaN), tf.zeros([1, 6, 6, 8])])) as tf.Tensor4D;
  assert.throws(
    () => headTrainStep(s1, { ...b, features: nan }),
    (e: Error) => e instanceof ValueError && /non-finite embedding at pixel 0/.test(e.message),
  );
  const bad = Int32Array.from(b.labels);
  bad[3] = 7;
  assert.throws(
    () => headTrainStep(s1, { ...b, labels: bad }),
    (e: Error) => e instanceof ValueError && /label value 7 at flat index 3/.test(e.message),
  );
  assert.throws(() => headTrainStep(s1, { ...b, labelShape: [2, 12, 11] }), /'labels' has 288 values/);
  assert.equal(s1.memory.version, version);
  assert.doesNotThrow(() => headTrainStep(s1, b));
  [b.features, nan].forEach((t) => t.dispose());
});

test('component target K·c + k = 255 is kept in the fixed mode and dropped in the reference mode', () => {
  const [C, K] = [52, 5];
  const logDensity = new Float32Array(C * K).map((_, j) => -50 - j * 0.01);
  const opts = { classes: C, componentsPerClass: K, ignoreIndex: 255, iterations: 3, epsilon: 0.05 };
  // one pixel of class 51: after the row normalisation every component is tied, so Sinkhorn picks component 0 → 255
  const fixed = componentTargets(logDensity, Int32Array.of(51), Int32Array.of(51), {
    ...opts,
    contrastTargetCollision: 'fixed',
  });
  const ref = componentTargets(logDensity, Int32Array.of(51), Int32Array.of(51), {
    ...opts,
    contrastTargetCollision: 'reference',
  });
  assert.deepEqual([fixed.targets[0], fixed.assignment[0], fixed.eligible[0]], [255, 0, 1]);
  assert.deepEqual([ref.targets[0], ref.assignment[0]], [-1, 0]);
});

test("memory admission: 'correct' (reference) admits only correctly classified pixels, 'labelled' every labelled one", () => {
  const [C, K] = [3, 2];
  const logDensity = new Float32Array(4 * C * K).map((_, j) => -10 - (j % 5) * 0.3);
  const labels = Int32Array.of(0, 1, 255, 2);
  const predicted = Int32Array.of(0, 2, 1, 1);
  const opts = { classes: C, componentsPerClass: K, ignoreIndex: 255, iterations: 3, epsilon: 0.05 };
  const base = { ...opts, contrastTargetCollision: 'fixed' as const };
  const correct = componentTargets(logDensity, labels, predicted, base);
  const labelled = componentTargets(logDensity, labels, predicted, { ...base, memoryAdmission: 'labelled' });
  assert.deepEqual(Array.from(correct.eligible), [1, 0, 0, 0]);
  assert.deepEqual(Array.from(labelled.eligible), [1, 1, 0, 1]);
  assert.deepEqual(labelled.targets, correct.targets, 'targets do not depend on admission');
  assert.deepEqual(labelled.assignment, correct.assignment);
});

test('headForward is pure: state arrays are not modified', () => {
  const rng = createRng(14);
  const state = createHeadState(cfg, rng);
  state.gmm.means[0] = 3; // unnormalised on purpose
  const before = Float32Array.from(state.gmm.means);
  const f = tf.randomNormal([1, 3, 3, 8], 0, 1, 'float32', 5) as tf.Tensor4D;
  const out = headForward(state, f);
  assert.deepEqual(Array.from(state.gmm.means), Array.from(before));
  [f, out.logits, out.classScores].forEach((t) => t.dispose());
});
