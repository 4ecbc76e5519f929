import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildDigitScenes } from '../../../src/data/digit-scenes.js';
import { initEngine } from '../../../src/engine/engine.js';
import { makeGmmConfig } from '../../../src/gmm/config.js';
import { createHeadState } from '../../../src/gmm/head.js';
import { flattenQueue, type QueueMemory } from '../../../src/gmm/memory.js';
import { EXTRACTOR_LOADERS } from '../../../src/model/extractors.js';
import { decodeModel, encodeModel } from '../../../src/model/format.js';
import { segModelFromFile, segModelToFile } from '../../../src/model/seg-model-file.js';
import type { SegModel } from '../../../src/model/seg-model.js';
import { createMbv3Extractor } from '../../../src/nn/mbv3-extractor.js';
import { createSoftmaxHead } from '../../../src/nn/softmax-head.js';
import { createRng } from '../../../src/random.js';
import { createAdamWState } from '../../../src/train/adamw.js';
import { evaluateModel } from '../../../src/train/evaluate.js';
import { buildFrozenCache } from '../../../src/train/frozen-cache.js';
import { makeTrainConfig, type TrainConfig } from '../../../src/train/train-config.js';
import { createSegModel } from '../../../src/model/create-seg-model.js';
import { GmmsegError, ValueError } from '../../../src/errors.js';
import { trainableVariables, trainStep, type TrainData, type TrainState } from '../../../src/train/trainer.js';

await initEngine();
const scenes = await buildDigitScenes({ seed: 5, width: 64, height: 64, trainCount: 6, testCount: 2, anomalyCount: 2 });
const classes = [...scenes.train.classes];
const cfg = makeTrainConfig({
  steps: 4,
  batchSize: 2,
  accumulateSteps: 2,
  cropSize: [64, 64],
  warmupSteps: 1,
  learningRate: 1e-3,
  seed: 3,
});

async function gmmModel(seed: number): Promise<SegModel> {
  const rng = createRng(seed);
  const extractor = await createMbv3Extractor({ embedDim: 16, channels: 16, rng });
  const head = createHeadState(
    makeGmmConfig({
      classes: classes.length,
      componentsPerClass: 2,
      embedDim: 16,
      memoryPerComponent: 32,
      gmmUpdateEvery: 2,
    }),
    rng,
    true,
  );
  return { classes, extractor, head: { kind: 'gmm', state: head } };
}

function snapshot(s: TrainState): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(trainableVariables(s.model))) out[k] = Array.from(v.dataSync());
  for (const [k, v] of Object.entries(s.model.extractor.state)) out[`state.${k}`] = Array.from(v.dataSync());
  if (s.model.head.kind === 'gmm') {
    out['means'] = Array.from(s.model.head.state.gmm.means);
    out['stds'] = Array.from(s.model.head.state.gmm.stds);
    out['memory'] = Array.from(flattenQueue(s.model.head.state.memory as QueueMemory));
  }
  return out;
}

/** Trains `state` until step `until` with config `c`; returns the state and each step's (loss, segLoss). */
async function run(
  state: TrainState,
  data: TrainData,
  until: number,
  c: TrainConfig = cfg,
): Promise<{ state: TrainState; losses: number[] }> {
  const losses: number[] = [];
  while (state.step < until) {
    const r = await trainStep(state, data, c);
    state = r.state;
    losses.push(r.losses.loss, r.losses.segLoss);
  }
  return { state, losses };
}

test('GMM training with augmentation and accumulation resumes bit for bit from a checkpoint file', async () => {
  const data: TrainData = { dataset: scenes.train };
  const straight = await run({ step: 0, model: await gmmModel(1), optimizer: createAdamWState() }, data, 4);
  const half = await run({ step: 0, model: await gmmModel(1), optimizer: createAdamWState() }, data, 2);
  const file = decodeModel(
    encodeModel(
      segModelToFile(half.state.model, { checkpoint: { step: half.state.step, optimizer: half.state.optimizer } }),
    ),
  );
  const loaded = await segModelFromFile(file, EXTRACTOR_LOADERS, true);
  assert.ok(loaded.checkpoint);
  const resumed = await run(
    { step: loaded.checkpoint.step, model: loaded.model, optimizer: loaded.checkpoint.optimizer },
    data,
    4,
  );
  assert.deepEqual([...half.losses, ...resumed.losses], straight.losses);
  assert.ok(straight.losses.every(Number.isFinite));
  assert.deepEqual(snapshot(resumed.state), snapshot(straight.state));
  assert.equal(resumed.state.model.head.kind === 'gmm' && resumed.state.model.head.state.step, 4);
});

test('softmax head on cached frozen maps trains, evaluates with MSP/max-logit/energy, and round-trips', async () => {
  const rng = createRng(2);
  const extractor = await createMbv3Extractor({ embedDim: 16, channels: 16, rng });
  const model: SegModel = {
    classes,
    extractor,
    head: { kind: 'softmax', head: createSoftmaxHead({ embedDim: 16, classes: classes.length, rng }) },
  };
  const frozen = await buildFrozenCache(extractor, scenes.train);
  const { state, losses } = await run(
    { step: 0, model, optimizer: createAdamWState() },
    { dataset: scenes.train, frozen },
    4,
  );
  assert.ok(losses.every(Number.isFinite));
  const before = tf.memory().numTensors;
  const result = await evaluateModel(state.model, scenes.anomaly, { mode: 'whole' });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(Object.keys(result.anomaly).sort(), ['energy', 'maxLogit', 'msp']);
  for (const m of Object.values(result.anomaly)) assert.ok(m.auroc >= 0 && m.auroc <= 1 && m.ap > 0);
  const loaded = await segModelFromFile(decodeModel(encodeModel(segModelToFile(state.model))), EXTRACTOR_LOADERS);
  const again = await evaluateModel(loaded.model, scenes.anomaly, { mode: 'whole' });
  assert.equal(again.anomaly.msp?.ap, result.anomaly.msp?.ap);
  assert.equal(again.segmentation?.miou, result.segmentation?.miou);
});

/** A tiny U-Net model with the auxiliary classifier (deep supervision). */
function auxModel(head: 'gmm' | 'softmax', seed: number): Promise<SegModel> {
  const extractor = {
    kind: 'unet',
    config: { embedDim: 8, width: [4, 8, 8, 16], contextDilations: [2], decoderWidth: [8, 8, 4] },
  };
  const headSpec =
    head === 'gmm'
      ? { kind: 'gmm' as const, gmm: { componentsPerClass: 2, memoryPerComponent: 16, gmmUpdateEvery: 1 } }
      : { kind: 'softmax' as const };
  return createSegModel({ classes, extractor, head: headSpec, aux: true }, createRng(seed));
}

test('deep supervision: the auxiliary CE adds weight × its value to the loss and trains the auxiliary classifier', async () => {
  const at = (w: number): TrainConfig => makeTrainConfig({ ...cfg, accumulateSteps: 1, auxLossWeight: w });
  const a = await auxModel('softmax', 4);
  assert.ok(a.aux && Object.keys(trainableVariables(a)).some((k) => k.startsWith('aux.')));
  const before = Array.from((a.aux.params['conv_seg.weight'] as tf.Variable).dataSync());
  const r1 = await trainStep({ step: 0, model: a, optimizer: createAdamWState() }, { dataset: scenes.train }, at(0.4));
  const r2 = await trainStep(
    { step: 0, model: await auxModel('softmax', 4), optimizer: createAdamWState() },
    { dataset: scenes.train },
    at(0.8),
  );
  // same model, same batch: the head's CE is the same, the auxiliary part doubles with the weight
  assert.equal(r1.losses.segLoss, r2.losses.segLoss);
  const aux1 = r1.losses.loss - r1.losses.segLoss;
  const aux2 = r2.losses.loss - r2.losses.segLoss;
  assert.ok(aux1 > 0.1, `auxiliary part ${aux1}`);
  assert.ok(Math.abs(aux2 / aux1 - 2) < 1e-4, `ratio ${aux2 / aux1}`);
  const after = Array.from((a.aux.params['conv_seg.weight'] as tf.Variable).dataSync());
  assert.notDeepEqual(after, before);
});

test('deep supervision: a GMM run with the auxiliary classifier resumes bit for bit; model files omit it', async () => {
  const c = makeTrainConfig({ ...cfg, accumulateSteps: 1, auxLossWeight: 0.4 });
  const data: TrainData = { dataset: scenes.train };
  const straight = await run({ step: 0, model: await auxModel('gmm', 2), optimizer: createAdamWState() }, data, 4, c);
  const half = await run({ step: 0, model: await auxModel('gmm', 2), optimizer: createAdamWState() }, data, 2, c);
  const ckpt = segModelToFile(half.state.model, { checkpoint: { step: 2, optimizer: half.state.optimizer } });
  assert.ok(ckpt.tensors['aux.conv_seg.weight']);
  const loaded = await segModelFromFile(decodeModel(encodeModel(ckpt)), EXTRACTOR_LOADERS, true);
  assert.ok(loaded.checkpoint && loaded.model.aux);
  const resumed = await run({ step: 2, model: loaded.model, optimizer: loaded.checkpoint.optimizer }, data, 4, c);
  assert.deepEqual([...half.losses, ...resumed.losses], straight.losses);
  assert.deepEqual(snapshot(resumed.state), snapshot(straight.state));
  const plain = segModelToFile(straight.state.model);
  assert.ok(Object.keys(plain.tensors).every((k) => !k.startsWith('aux.')));
  assert.equal((await segModelFromFile(decodeModel(encodeModel(plain)))).model.aux, undefined);
});

test('deep supervision is refused where it cannot run, with the reason', async () => {
  const c = makeTrainConfig({ ...cfg, accumulateSteps: 1, auxLossWeight: 0.4 });
  const plain = await gmmModel(3);
  await assert.rejects(
    trainStep({ step: 0, model: plain, optimizer: createAdamWState() }, { dataset: scenes.train }, c),
    (e: unknown) => e instanceof GmmsegError && /auxiliary classifier/.test(e.message),
  );
  const spec = { classes, extractor: { kind: 'mbv3', config: { embedDim: 16 } }, head: { kind: 'softmax' as const } };
  await assert.rejects(createSegModel({ ...spec, aux: true }, createRng(1)), (e: unknown) => {
    return e instanceof ValueError && /no auxiliary map/.test(e.message);
  });
});

test('OHEM: the same model and batch give a smaller head CE (kept hard pixels only), equal at threshold 1', async () => {
  const softmaxModel = async (): Promise<SegModel> => {
    const rng = createRng(6);
    const extractor = await createMbv3Extractor({ embedDim: 16, channels: 16, rng });
    const head = createSoftmaxHead({ embedDim: 16, classes: classes.length, rng });
    return { classes, extractor, head: { kind: 'softmax', head } };
  };
  for (const [kind, make] of [
    ['softmax', softmaxModel],
    ['gmm', () => gmmModel(6)],
  ] as const) {
    const step = async (extra: Record<string, unknown>): Promise<number> => {
      const c = makeTrainConfig({ ...cfg, accumulateSteps: 1, ...extra });
      const state = { step: 0, model: await make(), optimizer: createAdamWState() };
      const r = await trainStep(state, { dataset: scenes.train }, c);
      assert.ok(Number.isFinite(r.losses.loss), `${kind}: finite loss`);
      return r.losses.segLoss;
    };
    const plain = await step({});
    const all = await step({ ohemThreshold: 1 });
    // a tiny threshold with 500 of the 64×64 pixels per image: only (at most) the 1000 hardest of the batch enter
    const hardest = await step({ ohemThreshold: 1e-9, ohemMinKeptPerImage: 500 });
    assert.ok(Math.abs(all - plain) <= 1e-6 * plain, `${kind}: threshold 1 ${all} vs plain ${plain}`);
    assert.ok(hardest > 0 && hardest < plain, `${kind}: hardest pixels ${hardest} vs all ${plain}`);
  }
});

test('gradient clipping: the step reports the norm, a limit above it changes nothing, a limit far below it shrinks the step', async () => {
  const c = (extra: Record<string, unknown>) => makeTrainConfig({ ...cfg, accumulateSteps: 1, ...extra });
  const once = async (extra: Record<string, unknown>) => {
    const model = await gmmModel(8);
    const before = snapshot({ step: 0, model, optimizer: createAdamWState() });
    const r = await trainStep({ step: 0, model, optimizer: createAdamWState() }, { dataset: scenes.train }, c(extra));
    const after = snapshot(r.state);
    const key = Object.keys(before).find((k) => k.includes('decoder') && !k.startsWith('state.')) as string;
    const moved = Math.hypot(...(after[key] as number[]).map((v, i) => v - (before[key]![i] as number)));
    return { losses: r.losses, moved, after };
  };
  const plain = await once({});
  assert.equal(plain.losses.gradNorm, undefined, 'no norm without clipping');
  const logged = await once({ gradClipNorm: 1e9 });
  const norm = logged.losses.gradNorm as number;
  assert.ok(norm > 0 && Number.isFinite(norm), `norm ${norm}`);
  assert.deepEqual(logged.after, plain.after, 'a limit above the norm: the same step, bit for bit');
  // AdamW's first step moves a weight by ≈ lr·g/(|g| + ε): about lr whatever the gradient's scale, unless the
  // gradient is clipped down to the order of ε = 1e-8 — then the step shrinks with it
  const tiny = await once({ gradClipNorm: norm * 1e-9 });
  assert.equal(tiny.losses.gradNorm, norm, 'the norm before clipping');
  assert.ok(tiny.moved > 0 && tiny.moved < plain.moved / 2, `moved ${tiny.moved} vs ${plain.moved} unclipped`);
});
