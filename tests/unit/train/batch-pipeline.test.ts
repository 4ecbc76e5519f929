import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { Dataset, Sample } from '../../../src/data/sample.js';
import { initEngine } from '../../../src/engine/engine.js';
import { FormatError } from '../../../src/errors.js';
import { createRng, randInt } from '../../../src/random.js';
import { AugmentThread } from '../../../src/train/augment-worker.js';
import { loadImageBatch } from '../../../src/train/batch.js';
import { BatchPipeline, type MicroKey } from '../../../src/train/batch-pipeline.js';
import { makeTrainConfig, type TrainConfig } from '../../../src/train/train-config.js';
import { augmentOptionsOf, microPlan, nextMicro } from '../../../src/train/trainer.js';

await initEngine();

/** `n` random images of different sizes with 3 classes and some void; `get` resolves on a later turn. */
function memoryDataset(n: number, seed: number, failAt = -1): Dataset {
  const rng = createRng(seed);
  const samples: Sample[] = Array.from({ length: n }, (_, i) => {
    const [w, h] = [20 + randInt(rng, 30), 16 + randInt(rng, 20)];
    const image = Uint8Array.from({ length: w * h * 3 }, () => randInt(rng, 256));
    const label = Uint8Array.from({ length: w * h }, () => [0, 1, 2, 255][randInt(rng, 4)] as number);
    return { id: `s${i}`, image: { width: w, height: h, data: image }, label: { width: w, height: h, data: label } };
  });
  return {
    name: 'memory',
    classes: ['a', 'b', 'c'],
    length: n,
    skipped: [],
    get: async (i: number) => {
      await new Promise((r) => setImmediate(r));
      if (i === failAt) throw new FormatError(`memory: sample ${i} is broken`);
      return samples[i] as Sample;
    },
  } as unknown as Dataset;
}

const CFG = makeTrainConfig({
  steps: 4,
  batchSize: 3,
  accumulateSteps: 2,
  cropSize: [16, 24],
  scaleRange: [0.5, 2],
  flip: true,
  photometric: true,
  catMaxRatio: 0.75,
  seed: 9,
});

function pipelineOf(ds: Dataset, cfg: TrainConfig, rank = 0, ranks = 1): BatchPipeline {
  const micros = cfg.accumulateSteps * ranks;
  return new BatchPipeline(ds, {
    plan: (k) => microPlan(cfg, k, micros, ds.length),
    next: (k) => nextMicro(cfg, k, rank),
    augment: augmentOptionsOf(cfg),
  });
}

async function expectSameBatch(p: BatchPipeline, ds: Dataset, k: MicroKey, micros: number): Promise<void> {
  const plan = microPlan(CFG, k, micros, ds.length);
  const want = await loadImageBatch(ds, plan.indices, createRng(plan.seed), augmentOptionsOf(CFG));
  const got = await p.batch(k);
  assert.deepEqual(got.labelShape, want.labelShape);
  assert.deepEqual(got.labels, want.labels, `labels of ${k.step}:${k.micro}`);
  assert.deepEqual(got.images.dataSync(), want.images.dataSync(), `images of ${k.step}:${k.micro}`);
  tf.dispose([got.images, want.images]);
}

test('BatchPipeline: every micro-batch of a run is the batch loadImageBatch builds (same bytes), also out of order', async () => {
  const ds = memoryDataset(7, 1);
  const p = pipelineOf(ds, CFG);
  try {
    for (let step = 0; step < CFG.steps; step++)
      for (let micro = 0; micro < CFG.accumulateSteps; micro++) await expectSameBatch(p, ds, { step, micro }, 2);
    await expectSameBatch(p, ds, { step: 1, micro: 1 }, 2); // asked again, after the run's end
    await expectSameBatch(p, ds, { step: 3, micro: 0 }, 2);
  } finally {
    await p.close();
  }
});

test('nextMicro: a rank runs its own micro-batches of every step and stops after the last step', () => {
  const order: string[] = [];
  for (let k: MicroKey | undefined = { step: 0, micro: 2 }; k; k = nextMicro(CFG, k, 1))
    order.push(`${k.step}:${k.micro}`);
  assert.deepEqual(order, ['0:2', '0:3', '1:2', '1:3', '2:2', '2:3', '3:2', '3:3']);
  const single = makeTrainConfig({ ...CFG, accumulateSteps: 1 });
  assert.deepEqual(nextMicro(single, { step: 2, micro: 0 }, 0), { step: 3, micro: 0 });
  assert.equal(nextMicro(single, { step: 3, micro: 0 }, 0), undefined);
});

test('BatchPipeline: a rank of a data-parallel run gets its share of the global micro-batches', async () => {
  const ds = memoryDataset(9, 2);
  const p = pipelineOf(ds, CFG, 1, 2);
  try {
    for (const k of [
      { step: 0, micro: 2 },
      { step: 0, micro: 3 },
      { step: 1, micro: 2 },
    ])
      await expectSameBatch(p, ds, k, 4);
  } finally {
    await p.close();
  }
});

test("BatchPipeline: a dataset's error reaches the step that needs the sample, with its class and message", async () => {
  const ds = memoryDataset(7, 3, 4);
  const bad = [0, 1, 2, 3].flatMap((step) =>
    [0, 1]
      .filter((micro) => microPlan(CFG, { step, micro }, 2, 7).indices.includes(4))
      .map((micro) => ({ step, micro })),
  )[0] as MicroKey;
  const p = pipelineOf(ds, CFG);
  try {
    // the batches before it come out (the failing one is being decoded ahead meanwhile, unreported)
    for (
      let k: MicroKey | undefined = { step: 0, micro: 0 };
      k && (k.step !== bad.step || k.micro !== bad.micro);
      k = nextMicro(CFG, k, 0)
    )
      tf.dispose((await p.batch(k)).images);
    await assert.rejects(
      p.batch(bad),
      (e: unknown) => e instanceof FormatError && /sample 4 is broken/.test(e.message),
    );
  } finally {
    await p.close();
  }
});

test('AugmentThread: an error on the worker comes back as an error with its message; closed, it refuses work', async () => {
  const t = new AugmentThread();
  const [s] = [await memoryDataset(1, 4).get(0)];
  const opts = { ...augmentOptionsOf(CFG), cropSize: [-1, 4] as const };
  await assert.rejects(t.augment([s], 1, opts), /Invalid typed array length/);
  const ok = await t.augment([s], 1, augmentOptionsOf(CFG));
  assert.deepEqual(ok.shape, [1, 16, 24]);
  await t.close();
  await assert.rejects(t.augment([s], 1, augmentOptionsOf(CFG)), /augmentation worker closed/);
});
