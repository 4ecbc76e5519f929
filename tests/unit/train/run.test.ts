import test from 'node:test';
import assert from 'node:assert/strict';
import { INLIER_TPR } from '../../../src/constants.js';
import { buildDigitScenes } from '../../../src/data/digit-scenes.js';
import { initEngine } from '../../../src/engine/engine.js';
import { createSegModel } from '../../../src/model/create-seg-model.js';
import { decodeModel, encodeModel } from '../../../src/model/format.js';
import { createRng } from '../../../src/random.js';
import { createAdamWState } from '../../../src/train/adamw.js';
import { checkpointFile, resumeFromCheckpoint } from '../../../src/train/checkpoint.js';
import { classPixelCounts, enetClassWeights } from '../../../src/train/class-weights.js';
import { sampleIndices } from '../../../src/data/sample-indices.js';
import { runTraining, type RunEvent } from '../../../src/train/run.js';
import { makeTrainConfig, trainConfigSchema } from '../../../src/train/train-config.js';
import type { TrainState } from '../../../src/train/trainer.js';
import { expectClose } from '../../helpers/close.js';

await initEngine();
const scenes = await buildDigitScenes({ seed: 2, width: 64, height: 64, trainCount: 4, testCount: 2, anomalyCount: 1 });
const TINY = { embedDim: 16, channels: 16 };
const cfg = makeTrainConfig({
  steps: 4,
  batchSize: 2,
  cropSize: [64, 64],
  warmupSteps: 1,
  learningRate: 1e-3,
  checkpointEvery: 2,
  validateEvery: 2,
  seed: 5,
});

async function fresh(): Promise<TrainState> {
  const head = { kind: 'gmm' as const, gmm: { componentsPerClass: 2, memoryPerComponent: 16, gmmUpdateEvery: 1 } };
  const model = await createSegModel(
    { classes: scenes.train.classes, extractor: { kind: 'mbv3', config: TINY }, head },
    createRng(cfg.seed),
  );
  return { step: 0, model, optimizer: createAdamWState() };
}

const losses = (events: RunEvent[]): number[] => events.flatMap((e) => (e.kind === 'step' ? [e.losses.loss] : []));

test('runTraining: steps, checkpoint cadence through the handler, periodic validation, final calibration', async () => {
  const events: RunEvent[] = [];
  const checkpoints: number[] = [];
  const r = await runTraining({
    state: await fresh(),
    config: cfg,
    train: scenes.train,
    validation: scenes.test,
    calibration: scenes.test,
    onCheckpoint: async (s) => void checkpoints.push(s.step),
    onEvent: (e) => events.push(e),
  });
  assert.equal(r.state.step, 4);
  assert.deepEqual(checkpoints, [2, 4, 4], 'every 2 steps and once at the end');
  assert.deepEqual(
    events.map((e) => (e.kind === 'validation' ? `v${e.step}` : e.kind === 'step' ? `s${e.step}` : e.kind)),
    ['s1', 's2', 'v2', 's3', 's4', 'v4'],
  );
  assert.ok(losses(events).every(Number.isFinite));
  assert.equal(r.finalLoss, losses(events)[3]);
  assert.ok(r.validation?.segmentation && r.validation.segmentation.miou >= 0);
  assert.equal(r.calibration?.score, 'gmm');
  assert.equal(r.calibration?.targetTpr, INLIER_TPR);
  assert.equal(r.calibration?.dataset, scenes.test.name);
  assert.ok(Number.isFinite(r.calibration?.threshold));
});

test('runTraining: a run resumed from its checkpoint file continues bit for bit', async () => {
  const straight: RunEvent[] = [];
  await runTraining({ state: await fresh(), config: cfg, train: scenes.train, onEvent: (e) => straight.push(e) });
  const half: RunEvent[] = [];
  let saved: Uint8Array | undefined;
  const interrupt = new Error('interrupted after the checkpoint at step 2');
  const first = runTraining({
    state: await fresh(),
    config: cfg,
    train: scenes.train,
    onEvent: (e) => half.push(e),
    onCheckpoint: async (s) => {
      saved = encodeModel(checkpointFile(s, cfg));
      throw interrupt;
    },
  });
  await assert.rejects(first, interrupt);
  const resumed = await resumeFromCheckpoint(decodeModel(saved as Uint8Array), {}, 'test checkpoint');
  assert.equal(resumed.state.step, 2);
  assert.deepEqual(resumed.config, cfg);
  const rest: RunEvent[] = [];
  await runTraining({
    state: resumed.state,
    config: resumed.config,
    train: scenes.train,
    onEvent: (e) => rest.push(e),
  });
  assert.deepEqual([...losses(half), ...losses(rest)], losses(straight));
});

test('resumeFromCheckpoint refuses an inference model file', async () => {
  const { segModelToFile } = await import('../../../src/model/seg-model-file.js');
  const file = segModelToFile((await fresh()).model);
  await assert.rejects(resumeFromCheckpoint(file, {}, 'm.gmmseg'), /m.gmmseg: not a checkpoint/);
});

test('runTraining with refitPixelsPerClass: the final model carries the refitted mixtures, the run reports them', async () => {
  const refitCfg = makeTrainConfig({
    ...cfg,
    steps: 2,
    checkpointEvery: 0,
    validateEvery: 0,
    refitPixelsPerClass: 40,
    refitIterations: 3,
    refitStdFloorVariance: 1e-4,
  });
  const events: RunEvent[] = [];
  const plain = await runTraining({
    state: await fresh(),
    config: { ...refitCfg, refitPixelsPerClass: 0 },
    train: scenes.train,
  });
  const r = await runTraining({
    state: await fresh(),
    config: refitCfg,
    train: scenes.train,
    onEvent: (e) => events.push(e),
  });
  assert.ok(r.refit && plain.refit === undefined);
  assert.deepEqual(
    events.filter((e) => e.kind === 'refit').map((e) => (e.kind === 'refit' ? e.done : 0)),
    [1, 2, 3, 4],
  );
  if (r.state.model.head.kind !== 'gmm' || plain.state.model.head.kind !== 'gmm') throw new Error('unreachable');
  const refitted = r.refit.rowsPerClass.findIndex((n) => n > 0);
  assert.ok(refitted >= 0, 'background has labelled pixels');
  const D = 16;
  const K = 2;
  const block = (a: Float32Array): number[] => Array.from(a.subarray(refitted * K * D, (refitted + 1) * K * D));
  assert.notDeepEqual(block(r.state.model.head.state.gmm.stds), block(plain.state.model.head.state.gmm.stds));
  assert.ok(
    block(r.state.model.head.state.gmm.stds).some((s) => s < 0.1),
    'the refit floor (σ ≥ 0.01), not the head floor',
  );
});

test('training config: predictScales/predictFlip default to one view; older stored configs without them read so', () => {
  assert.deepEqual([cfg.predictScales, cfg.predictFlip], [[1], false]);
  const { predictScales: _s, predictFlip: _f, ...older } = cfg;
  const read = trainConfigSchema.parse(older);
  assert.deepEqual([read.predictScales, read.predictFlip], [[1], false]);
  assert.deepEqual(makeTrainConfig({ predictScales: [1, 1.5], predictFlip: true }).predictScales, [1, 1.5]);
  assert.throws(() => makeTrainConfig({ predictScales: [] }), /predictScales/);
});

test("runTraining with classWeighting 'enet': the training set's weights are reported and change the CE", async () => {
  const oneStep = { ...cfg, steps: 1, validateEvery: 0, checkpointEvery: 0 };
  const run = async (config: typeof cfg): Promise<RunEvent[]> => {
    const events: RunEvent[] = [];
    await runTraining({ state: await fresh(), config, train: scenes.train, onEvent: (e) => events.push(e) });
    return events;
  };
  const plain = await run(oneStep);
  const weighted = await run({ ...oneStep, classWeighting: 'enet', classWeightOffset: 1.02 });
  assert.ok(!plain.some((e) => e.kind === 'class-weights'), 'no weights without weighting');
  const reported = weighted.find((e) => e.kind === 'class-weights');
  const want = enetClassWeights(await classPixelCounts(scenes.train), 1.02);
  assert.deepEqual(reported?.kind === 'class-weights' ? reported.weights : undefined, want);
  const seg = (events: RunEvent[]): number =>
    events.flatMap((e) => (e.kind === 'step' ? [e.losses.segLoss] : []))[0] as number;
  assert.ok(
    Number.isFinite(seg(weighted)) && seg(weighted) !== seg(plain),
    'the weighted CE differs from the plain one',
  );
});

test('runTraining: the class counts are returned and, given back, used instead of a new pass over the set', async () => {
  const oneStep = { ...cfg, steps: 1, validateEvery: 0, checkpointEvery: 0, classWeighting: 'enet' as const };
  let reads = 0;
  const counted = { ...scenes.train, get: (i: number) => (reads++, scenes.train.get(i)) };
  const first = await runTraining({ state: await fresh(), config: oneStep, train: counted });
  assert.deepEqual(first.classCounts, await classPixelCounts(scenes.train));
  const afterFirst = reads;
  const events: RunEvent[] = [];
  const halved = Float64Array.from(first.classCounts ?? [], (n, c) => (c === 0 ? n / 2 : n));
  const second = await runTraining({
    state: await fresh(),
    config: oneStep,
    train: counted,
    classCounts: halved,
    onEvent: (e) => events.push(e),
  });
  assert.equal(reads - afterFirst, afterFirst - scenes.train.length, 'only the step reads images, not a count pass');
  const reported = events.find((e) => e.kind === 'class-weights');
  assert.deepEqual(reported?.kind === 'class-weights' ? reported.weights : undefined, enetClassWeights(halved, 1.1));
  assert.equal(second.classCounts, halved);
  const plain = await runTraining({
    state: await fresh(),
    config: { ...oneStep, classWeighting: 'none' },
    train: counted,
  });
  assert.equal(plain.classCounts, undefined);
});

test('runTraining with classWeightImages: the class counts come from the seeded sample of that many images', async () => {
  const oneStep = { ...cfg, steps: 1, validateEvery: 0, checkpointEvery: 0, classWeighting: 'enet' as const };
  const r = await runTraining({
    state: await fresh(),
    config: { ...oneStep, classWeightImages: 2 },
    train: scenes.train,
  });
  const picked = sampleIndices(scenes.train.length, 2, createRng(oneStep.seed));
  assert.equal(picked.length, 2);
  assert.deepEqual(r.classCounts, await classPixelCounts(scenes.train, picked));
  assert.notDeepEqual(r.classCounts, await classPixelCounts(scenes.train));
});

/** The extractor's parameters and the GMM means as one flat float64 array (what the weight average covers). */
function flatWeights(state: TrainState): Float64Array {
  const parts = Object.values(state.model.extractor.params).map((v) => Array.from(v.dataSync()));
  if (state.model.head.kind === 'gmm') parts.push(Array.from(state.model.head.state.gmm.means));
  return Float64Array.from(parts.flat());
}

test('runTraining with weight averaging: the final weights are the mean of the snapshots, validated after', async () => {
  const avgCfg = makeTrainConfig({ ...cfg, checkpointEvery: 1, weightAverageFromStep: 2, weightAverageEvery: 1 });
  const seen: Float64Array[] = [];
  const r = await runTraining({
    state: await fresh(),
    config: avgCfg,
    train: scenes.train,
    validation: scenes.test,
    onCheckpoint: async (s) => void seen.push(flatWeights(s)),
  });
  assert.deepEqual(r.weightAverage, { snapshots: 3, fromStep: 2, toStep: 4 });
  assert.equal(r.state.average, undefined, 'the average is applied and dropped');
  // checkpoints after steps 1, 2, 3, 4 (the last step's weights), then the final one (the averaged weights)
  assert.equal(seen.length, 5);
  const [, s2, s3, s4, final] = seen as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const mean = s2.map((v, i) => (v + (s3[i] as number) + (s4[i] as number)) / 3);
  expectClose(final, mean, { rtol: 1e-5, atol: 1e-6 }, 'averaged weights');
  expectClose(flatWeights(r.state), mean, { rtol: 1e-5, atol: 1e-6 }, 'returned model');
  assert.ok(r.validation?.segmentation, 'the final validation describes the averaged model');
  const plain = await runTraining({ state: await fresh(), config: cfg, train: scenes.train });
  assert.equal(plain.weightAverage, undefined);
  assert.deepEqual(flatWeights(plain.state), s4, 'the same run without averaging ends at the last step');
});

test('runTraining: batches prepared ahead on the worker thread train exactly as batches built at each step', async () => {
  const photometric = makeTrainConfig({ ...cfg, scaleRange: [0.5, 2], photometric: true, flip: true });
  const ahead = await runTraining({ state: await fresh(), config: photometric, train: scenes.train });
  const inline = await runTraining({
    state: await fresh(),
    config: photometric,
    train: scenes.train,
    prepareBatchesAhead: false,
  });
  assert.equal(ahead.finalLoss, inline.finalLoss);
  assert.deepEqual(flatWeights(ahead.state), flatWeights(inline.state));
});

test('runTraining with weight averaging: resumed from a checkpoint holding the average, it ends bit for bit', async () => {
  const avgCfg = makeTrainConfig({ ...cfg, steps: 5, weightAverageFromStep: 2, weightAverageEvery: 1 });
  const straight = await runTraining({ state: await fresh(), config: avgCfg, train: scenes.train });
  let saved: Uint8Array | undefined;
  const interrupt = new Error('interrupted after the checkpoint at step 4');
  const first = runTraining({
    state: await fresh(),
    config: avgCfg,
    train: scenes.train,
    onCheckpoint: async (s) => {
      if (s.step < 4) return;
      assert.equal(s.average?.count, 3);
      saved = encodeModel(checkpointFile(s, avgCfg));
      throw interrupt;
    },
  });
  await assert.rejects(first, interrupt);
  const resumed = await resumeFromCheckpoint(decodeModel(saved as Uint8Array), {}, 'test checkpoint');
  assert.deepEqual([resumed.state.average?.count, resumed.state.average?.fromStep], [3, 2]);
  const rest = await runTraining({ state: resumed.state, config: resumed.config, train: scenes.train });
  assert.deepEqual(rest.weightAverage, { snapshots: 4, fromStep: 2, toStep: 5 });
  assert.deepEqual(flatWeights(rest.state), flatWeights(straight.state));
});

test('training config: weightAverageFromStep beyond steps is refused, naming the key', () => {
  assert.throws(() => makeTrainConfig({ steps: 10, weightAverageFromStep: 11 }), /weightAverageFromStep/);
  assert.equal(makeTrainConfig({ steps: 10, weightAverageFromStep: 10 }).weightAverageEvery, 1);
});

test('runTraining refuses frozen maps of another training set (a different image count), naming both counts', async () => {
  const state = await fresh();
  await assert.rejects(
    runTraining({ state, config: { ...cfg, cacheFrozen: true }, train: scenes.train, frozen: [] }),
    (e: Error) =>
      e.name === 'ValueError' && /frozen holds the maps of 0 images/.test(e.message) && / has 4;/.test(e.message),
  );
});
