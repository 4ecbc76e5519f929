import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { FormatError } from '../../../src/errors.js';
import { makeGmmConfig } from '../../../src/gmm/config.js';
import { createHeadState, headForward } from '../../../src/gmm/head.js';
import { flattenQueue, type QueueMemory } from '../../../src/gmm/memory.js';
import { headTrainStep } from '../../../src/gmm/train-step.js';
import { decodeModel, encodeModel } from '../../../src/model/format.js';
import { assertCompatible, headFromModel, headModelFile, headStateFromModel } from '../../../src/model/head-model.js';
import { createRng } from '../../../src/random.js';

await initEngine();

const cfg = makeGmmConfig({ classes: 3, componentsPerClass: 2, embedDim: 4, memoryPerComponent: 8 });

test('a head survives encode → decode with identical inference outputs', () => {
  const state = createHeadState(cfg, createRng(1));
  const file = decodeModel(encodeModel(headModelFile(state, ['a', 'b', 'c'], { metrics: { miou: 0.5 } })));
  const back = headFromModel(file);
  assert.deepEqual(back.config, cfg);
  const f = tf.randomNormal([1, 2, 3, 4], 0, 1, 'float32', 3) as tf.Tensor4D;
  const a = headForward(state, f);
  const b = headForward(back, f);
  assert.deepEqual(Array.from(a.logits.dataSync()), Array.from(b.logits.dataSync()));
  [f, a.logits, a.classScores, b.logits, b.classScores].forEach((t) => t.dispose());
});

test('a checkpoint with training state resumes with the same memory, pointer and counter', () => {
  let state = createHeadState(cfg, createRng(2));
  const features = tf.randomNormal([1, 2, 2, 4], 0, 1, 'float32', 4) as tf.Tensor4D;
  state = headTrainStep(state, { features, labels: [0, 1, 2, 0], labelShape: [1, 2, 2] }).state;
  const back = headStateFromModel(decodeModel(encodeModel(headModelFile(state, ['a', 'b', 'c'], {}, true))));
  assert.equal(back.step, 1);
  assert.deepEqual(Array.from((back.memory as QueueMemory).pointer), Array.from((state.memory as QueueMemory).pointer));
  assert.deepEqual(
    Array.from(flattenQueue(back.memory as QueueMemory)),
    Array.from(flattenQueue(state.memory as QueueMemory)),
  );
  assert.throws(
    () => headStateFromModel(decodeModel(encodeModel(headModelFile(state, ['a', 'b', 'c'])))),
    /no training state/,
  );
  features.dispose();
});

test("an 'empty'-started memory keeps its filled counts through a checkpoint; older files without them start full", () => {
  for (const memoryKind of ['queue', 'running'] as const) {
    let state = createHeadState(makeGmmConfig({ ...cfg, memoryKind, memoryInit: 'empty' }), createRng(2));
    const features = tf.randomNormal([1, 2, 2, 4], 0, 1, 'float32', 4) as tf.Tensor4D;
    state = headTrainStep(state, { features, labels: [0, 1, 2, 0], labelShape: [1, 2, 2] }).state;
    const filled = Array.from(state.memory.filled);
    assert.ok(filled.some((f) => f > 0) && filled.some((f) => f === 0), `${memoryKind}: some slots written`);
    const file = headModelFile(state, ['a', 'b', 'c'], {}, true);
    assert.deepEqual(Array.from(headStateFromModel(decodeModel(encodeModel(file))).memory.filled), filled);
    delete file.tensors['gmm.memoryFilled'];
    const old = headStateFromModel(decodeModel(encodeModel(file)));
    assert.ok(
      old.memory.filled.every((f) => f === cfg.memoryPerComponent),
      `${memoryKind}: full by default`,
    );
    features.dispose();
  }
});

test('inconsistent model files are refused with the tensor or setting named', () => {
  const state = createHeadState(cfg, createRng(3));
  const file = headModelFile(state, ['a', 'b', 'c']);
  assert.throws(
    () => headFromModel({ ...file, classes: ['a', 'b'] }),
    (e: Error) => e instanceof FormatError && /2 class names but its config has classes = 3/.test(e.message),
  );
  const { ['gmm.stds']: _drop, ...rest } = file.tensors;
  void _drop;
  assert.throws(() => headFromModel({ ...file, tensors: rest }), /no tensor 'gmm.stds'/);
  const badStd = {
    ...file,
    tensors: {
      ...file.tensors,
      'gmm.stds': { dtype: 'float32' as const, shape: [3, 2, 4], data: new Float32Array(24) },
    },
  };
  assert.throws(() => headFromModel(badStd), /invalid standard deviation 0/);
  const badShape = {
    ...file,
    tensors: {
      ...file.tensors,
      'gmm.means': { dtype: 'float32' as const, shape: [3, 2, 5], data: new Float32Array(30) },
    },
  };
  assert.throws(() => headFromModel(badShape), /'gmm.means' has shape \[3, 2, 5\], expected \[3, 2, 4\]/);
  assert.throws(() => headFromModel({ ...file, config: { ...file.config, componentsPerClass: 0 } }), FormatError);
  assert.throws(() => assertCompatible(cfg, { classes: 19 }, 'model x'), /built for 3 classes, but 19/);
  assert.throws(
    () => assertCompatible(cfg, { embedDim: 64 }, 'model x'),
    /embedding size 4, but the features here have 64/,
  );
});
