import test from 'node:test';
import assert from 'node:assert/strict';
import { buildDigitScenes } from '../../../src/data/digit-scenes.js';
import { initEngine } from '../../../src/engine/engine.js';
import { makeGmmConfig } from '../../../src/gmm/config.js';
import { createHeadState } from '../../../src/gmm/head.js';
import { nearestResizeLabels } from '../../../src/gmm/labels.js';
import type { SegModel } from '../../../src/model/seg-model.js';
import { createMbv3Extractor } from '../../../src/nn/mbv3-extractor.js';
import { createRng } from '../../../src/random.js';
import { refitGmmHead } from '../../../src/train/refit-head.js';
import { sampleIndices } from '../../../src/data/sample-indices.js';

await initEngine();
const scenes = await buildDigitScenes({ seed: 5, width: 64, height: 64, trainCount: 4, testCount: 1, anomalyCount: 1 });
const classes = [...scenes.train.classes];
const K = 2;

async function gmmModel(): Promise<SegModel> {
  const rng = createRng(1);
  const extractor = await createMbv3Extractor({ embedDim: 16, channels: 16, rng });
  const config = makeGmmConfig({
    classes: classes.length,
    componentsPerClass: K,
    embedDim: 16,
    memoryPerComponent: 32,
  });
  return { classes, extractor, head: { kind: 'gmm', state: createHeadState(config, rng, true) } };
}

test('refitGmmHead: counts every labelled grid pixel, refits classes with ≥ K rows, leaves the input model alone', async () => {
  const model = await gmmModel();
  if (model.head.kind !== 'gmm') throw new Error('unreachable');
  const before = {
    means: Float32Array.from(model.head.state.gmm.means),
    stds: Float32Array.from(model.head.state.gmm.stds),
  };
  const { model: refit, report } = await refitGmmHead(model, scenes.train, {
    perClass: 50,
    iterations: 5,
    seed: 0,
    correctOnly: false,
  });
  // Direct count of the labels picked at the 8×8 feature grid (stride 8 on 64×64 images).
  const direct = new Array<number>(classes.length).fill(0);
  for (let i = 0; i < scenes.train.length; i++) {
    const s = await scenes.train.get(i);
    for (const v of nearestResizeLabels(s.label.data, 1, 64, 64, 8, 8)) if (v < classes.length) direct[v]! += 1;
  }
  assert.deepEqual(report.pixelsPerClass, direct);
  assert.deepEqual(
    report.rowsPerClass,
    direct.map((n) => (n >= K ? Math.min(n, 50) : 0)),
  );
  assert.deepEqual(model.head.state.gmm.means, before.means, 'input model unchanged');
  assert.deepEqual(model.head.state.gmm.stds, before.stds);
  if (refit.head.kind !== 'gmm') throw new Error('unreachable');
  const D = 16;
  for (let c = 0; c < classes.length; c++) {
    const block = (a: Float32Array): number[] => Array.from(a.subarray(c * K * D, (c + 1) * K * D));
    if (report.rowsPerClass[c] === 0) assert.deepEqual(block(refit.head.state.gmm.means), block(before.means));
    else {
      assert.notDeepEqual(block(refit.head.state.gmm.stds), block(before.stds), `class ${c} refitted`);
      for (const s of block(refit.head.state.gmm.stds))
        assert.ok(s >= 0.1 - 1e-6, 'floor of the head config (0.01 → σ ≥ 0.1)');
    }
  }
  assert.equal(refit.extractor, model.extractor);
});

test('refitGmmHead refuses a softmax model and a dataset with another class count', async () => {
  const model = await gmmModel();
  const other = { ...scenes.train, classes: ['a', 'b'] };
  await assert.rejects(
    refitGmmHead(model, other, { perClass: 10, iterations: 1, seed: 0 }),
    /has 2 classes, the model 11/,
  );
});

test('refitGmmHead correctOnly (default): only pixels the model classifies correctly are sampled', async () => {
  const model = await gmmModel();
  const all = await refitGmmHead(model, scenes.train, { perClass: 50, iterations: 2, seed: 0, correctOnly: false });
  const correct = await refitGmmHead(model, scenes.train, { perClass: 50, iterations: 2, seed: 0 });
  const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
  correct.report.pixelsPerClass.forEach((n, c) => assert.ok(n <= (all.report.pixelsPerClass[c] as number)));
  assert.ok(
    sum(correct.report.pixelsPerClass) < sum(all.report.pixelsPerClass),
    'an untrained model gets some pixels wrong',
  );
});

test('refitGmmHead maxImages: counts the labelled grid pixels of the sampled images only', async () => {
  const model = await gmmModel();
  const picked = sampleIndices(scenes.train.length, 2, createRng(0));
  const { report } = await refitGmmHead(model, scenes.train, {
    perClass: 50,
    iterations: 2,
    seed: 0,
    correctOnly: false,
    maxImages: 2,
  });
  const direct = new Array<number>(classes.length).fill(0);
  for (const i of picked) {
    const s = await scenes.train.get(i);
    for (const v of nearestResizeLabels(s.label.data, 1, 64, 64, 8, 8)) if (v < classes.length) direct[v]! += 1;
  }
  assert.equal(picked.length, 2);
  assert.deepEqual(report.pixelsPerClass, direct);
});
