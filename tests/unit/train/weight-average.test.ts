import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { createSegModel } from '../../../src/model/create-seg-model.js';
import type { SegModel } from '../../../src/model/seg-model.js';
import { createRng, uniform } from '../../../src/random.js';
import { accumulateAverage, applyAverage, isAverageStep } from '../../../src/train/weight-average.js';
import { expectClose } from '../../helpers/close.js';

await initEngine();

const CLASSES = ['background', 'a', 'b'];
const D = 8;

async function tiny(head: 'gmm' | 'softmax'): Promise<SegModel> {
  const h =
    head === 'gmm'
      ? { kind: 'gmm' as const, gmm: { componentsPerClass: 2, memoryPerComponent: 4 } }
      : { kind: 'softmax' as const };
  return createSegModel(
    { classes: CLASSES, extractor: { kind: 'mbv3', config: { embedDim: D, channels: D } }, head: h },
    createRng(3),
  );
}

/** Every averaged value of a model as float64 arrays, by file name. */
function values(model: SegModel): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  const read = (t: tf.Tensor): Float64Array => Float64Array.from(t.dataSync());
  for (const [k, v] of Object.entries(model.extractor.params)) out[`extractor.${k}`] = read(v);
  for (const [k, v] of Object.entries(model.extractor.state))
    if (v.dtype === 'float32') out[`extractor.state.${k}`] = read(v);
  if (model.head.kind === 'softmax')
    for (const [k, v] of Object.entries(model.head.head.params)) out[`head.${k}`] = read(v);
  else {
    out['gmm.means'] = Float64Array.from(model.head.state.gmm.means);
    out['gmm.stds'] = Float64Array.from(model.head.state.gmm.stds);
  }
  return out;
}

/** Moves every averaged value of `model` to a new seeded random point (variables in place, new GMM arrays). */
function perturb(model: SegModel, seed: number): SegModel {
  const rng = createRng(seed);
  const noise = (n: number): Float32Array => Float32Array.from({ length: n }, () => uniform(rng) * 2 - 1);
  const vars = [
    ...Object.values(model.extractor.params),
    ...Object.values(model.extractor.state).filter((v) => v.dtype === 'float32'),
    ...(model.head.kind === 'softmax' ? Object.values(model.head.head.params) : []),
  ];
  for (const v of vars) (v as tf.Variable).assign(tf.tensor(noise(v.size), v.shape));
  if (model.head.kind === 'softmax') return model;
  const s = model.head.state;
  const gmm = { means: noise(s.gmm.means.length), stds: noise(s.gmm.stds.length).map(Math.abs) };
  return { ...model, head: { kind: 'gmm', state: { ...s, gmm } } };
}

for (const head of ['gmm', 'softmax'] as const) {
  test(`weight average (${head} head): the applied average equals the float64 mean of the snapshots`, async () => {
    let model = await tiny(head);
    const snapshots: Record<string, Float64Array>[] = [];
    let avg;
    for (let i = 0; i < 3; i++) {
      model = perturb(model, 10 + i);
      snapshots.push(values(model));
      avg = accumulateAverage(avg, model, 5 + 2 * i);
    }
    assert.ok(avg);
    assert.deepEqual([avg.count, avg.fromStep, avg.toStep], [3, 5, 9]);
    model = perturb(model, 99); // the live weights move on; the average does not
    const averaged = values(applyAverage(model, avg));
    const first = snapshots[0] as Record<string, Float64Array>;
    assert.ok(Object.keys(first).length > 10);
    assert.deepEqual(Object.keys(averaged).sort(), Object.keys(first).sort());
    for (const k of Object.keys(first)) {
      const mean = first[k]?.map((_, j) => snapshots.reduce((s, snap) => s + (snap[k]?.[j] as number), 0) / 3);
      expectClose(averaged[k] as Float64Array, mean as Float64Array, { rtol: 1e-6, atol: 1e-6 }, k);
    }
  });
}

test('weight average: a model whose tensors changed layout is refused, naming the tensor', async () => {
  const avg = accumulateAverage(undefined, await tiny('softmax'), 1);
  const other = await tiny('gmm');
  assert.throws(() => accumulateAverage(avg, other, 2), /weight average has no tensor '[^']+'/);
  const model = await tiny('softmax');
  const cut = accumulateAverage(undefined, model, 1);
  const [key, t] = Object.entries(cut.tensors)[0] as [string, tf.Tensor];
  cut.tensors[key] = tf.zeros([t.size + 1]);
  t.dispose();
  assert.throws(() => applyAverage(model, cut), new RegExp(`weight average tensor '${key}' has ${t.size + 1} values`));
});

test('isAverageStep: from the first averaged step on, every n-th step; 0 = off', () => {
  const steps = (from: number, every: number): number[] =>
    Array.from({ length: 12 }, (_, i) => i + 1).filter((s) => isAverageStep(s, from, every));
  assert.deepEqual(steps(0, 1), []);
  assert.deepEqual(steps(9, 1), [9, 10, 11, 12]);
  assert.deepEqual(steps(4, 3), [4, 7, 10]);
});
