import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { IGNORE_INDEX } from '../../../src/constants.js';
import { buildDigitScenes } from '../../../src/data/digit-scenes.js';
import type { Dataset } from '../../../src/data/sample.js';
import { mappedDataset } from '../../../src/data/subset.js';
import { initEngine } from '../../../src/engine/engine.js';
import { makeGmmConfig } from '../../../src/gmm/config.js';
import { createHeadState } from '../../../src/gmm/head.js';
import { predictImage, type AnomalyScoreName } from '../../../src/infer/predict.js';
import { accumulateConfusion, createConfusion } from '../../../src/metrics/confusion.js';
import { mergeTieTables, metricsFromTieTable, tieTable, type TieTable } from '../../../src/metrics/ranking.js';
import { segmentationMetrics } from '../../../src/metrics/segmentation.js';
import type { SegModel } from '../../../src/model/seg-model.js';
import { createMbv3Extractor } from '../../../src/nn/mbv3-extractor.js';
import { createRng } from '../../../src/random.js';
import { evaluateModel, evaluateSets } from '../../../src/train/evaluate.js';

await initEngine();
const scenes = await buildDigitScenes({ seed: 9, width: 64, height: 48, trainCount: 1, testCount: 3, anomalyCount: 3 });
const classes = [...scenes.train.classes];
const rng = createRng(4);
const extractor = await createMbv3Extractor({ embedDim: 16, channels: 16, rng });
const gmm = makeGmmConfig({ classes: classes.length, componentsPerClass: 2, embedDim: 16, memoryPerComponent: 8 });
const model: SegModel = { classes, extractor, head: { kind: 'gmm', state: createHeadState(gmm, rng, true) } };
const whole = { mode: 'whole' } as const;

/** The evaluation as it was before streaming: every map's tie table kept and merged at the end. */
async function inMemoryReference(ds: Dataset): Promise<{
  miou: number;
  anomaly: Partial<Record<AnomalyScoreName, ReturnType<typeof metricsFromTieTable>>>;
}> {
  const cm = createConfusion(classes.length);
  const tables: Partial<Record<AnomalyScoreName, TieTable>> = {};
  for (let i = 0; i < ds.length; i++) {
    const s = await ds.get(i);
    const p = predictImage(model, s.image, whole);
    if (s.label.data.some((v) => v !== IGNORE_INDEX)) accumulateConfusion(cm, p.classMap, s.label.data);
    for (const [name, scores] of Object.entries(p.scores) as [AnomalyScoreName, Float32Array][]) {
      if (!s.anomaly) continue;
      const t = tieTable(scores, s.anomaly.data);
      tables[name] = tables[name] ? mergeTieTables(tables[name] as TieTable, t) : t;
    }
  }
  const anomaly = Object.fromEntries(
    Object.entries(tables).map(([k, t]) => [k, metricsFromTieTable(t as TieTable)]),
  ) as Partial<Record<AnomalyScoreName, ReturnType<typeof metricsFromTieTable>>>;
  return { miou: segmentationMetrics(cm).miou, anomaly };
}

test('streamed evaluation equals the in-memory exact evaluation bit for bit, and leaks no tensor', async () => {
  const before = tf.memory().numTensors;
  const got = await evaluateModel(model, scenes.anomaly, whole);
  assert.equal(tf.memory().numTensors, before);
  const want = await inMemoryReference(scenes.anomaly);
  assert.equal(got.images, 3);
  assert.equal(got.segmentation?.miou, want.miou);
  assert.deepEqual(Object.keys(got.anomaly).sort(), ['energy', 'gmm', 'maxLogit', 'msp']);
  for (const [name, m] of Object.entries(got.anomaly)) {
    const { table, ...metrics } = m;
    assert.deepEqual(metrics, want.anomaly[name as AnomalyScoreName], name);
    assert.ok(table.thresholds.length > 0);
  }
});

test('closed set + anomaly set over the same images: one forward per image, results as evaluated alone', async () => {
  const closed = mappedDataset(scenes.anomaly, { name: 'closed-view', hasAnomaly: false }, (s) => ({
    id: s.id,
    image: s.image,
    label: s.label,
  }));
  let progressCalls = 0;
  const r = await evaluateSets(model, { closedSet: closed, anomaly: scenes.anomaly }, whole, {
    onProgress: (done, total) => {
      progressCalls++;
      assert.equal(total, 6);
      assert.ok(done <= total);
    },
  });
  assert.equal(r.forwards, 3);
  assert.ok(progressCalls > 0);
  assert.deepEqual(r.closedSet, await evaluateModel(model, closed, whole));
  assert.deepEqual(r.anomaly, await evaluateModel(model, scenes.anomaly, whole));
  // different images of the same count: one forward each
  const apart = await evaluateSets(model, { closedSet: scenes.test, anomaly: scenes.anomaly }, whole);
  assert.equal(apart.forwards, 6);
  assert.deepEqual(apart.closedSet, await evaluateModel(model, scenes.test, whole));
});

test('accumulating on the calling thread gives the same results as the worker', async () => {
  const onThread = await evaluateSets(model, { anomaly: scenes.anomaly }, whole, { worker: false });
  const onWorker = await evaluateSets(model, { anomaly: scenes.anomaly }, whole, { worker: true });
  assert.deepEqual(onThread.anomaly, onWorker.anomaly);
  assert.ok(onWorker.tieBytes > 0);
  assert.equal(onThread.tieBytes, onWorker.tieBytes);
});
