import test from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../../src/errors.js';
import type { Sample } from '../../../src/data/sample.js';
import type { Prediction } from '../../../src/infer/predict.js';
import { metricsFromTieTable, tieTable } from '../../../src/metrics/ranking.js';
import { AccumulatorThread } from '../../../src/train/accumulate-worker.js';

const map = (data: number[]) => ({ width: data.length, height: 1, data: Uint8Array.from(data) });
const sample = (id: string, mask: number[]): Sample => ({
  id,
  image: { width: mask.length, height: 1, data: new Uint8Array(mask.length * 3) },
  label: map(mask.map(() => 0)),
  anomaly: map(mask),
});
const prediction = (gmm: number[]): Prediction => ({
  width: gmm.length,
  height: 1,
  classMap: new Uint8Array(gmm.length),
  scores: { gmm: Float32Array.from(gmm) },
});

test('the worker accumulates what it is sent, in order, with the exact metrics; callers may reuse their buffers', async () => {
  const t = new AccumulatorThread([{ key: 'a', name: 'toy' }], 2, 1);
  const p = prediction([0.1, 0.4, 0.35, 0.8]);
  await t.add('a', sample('x', [0, 0, 1, 1]), p);
  p.scores.gmm?.fill(99); // reused by the caller after add: the worker has its own copy
  await t.add('a', sample('y', [255, 0, 1, 255]), prediction([5, 0.2, 0.3, 5]));
  const { results, tieBytes } = await t.results();
  const r = results['a'];
  assert.equal(r?.dataset, 'toy');
  assert.equal(r?.images, 2);
  const want = metricsFromTieTable(tieTable([0.1, 0.4, 0.35, 0.8, 0.2, 0.3].map(Math.fround), [0, 0, 1, 1, 0, 1]));
  const { table, ...got } = r?.anomaly.gmm ?? { table: undefined };
  assert.deepEqual(got, want);
  assert.ok(table && tieBytes > 0);
  assert.equal(r?.segmentation?.numPixels, 8); // every pixel is labelled class 0
});

test('a worker-side error comes back as the same error class naming the sample, and the worker stops', async () => {
  const t = new AccumulatorThread([{ key: 'a', name: 'toy' }], 2, 0);
  await assert.rejects(
    async () => {
      await t.add('a', sample('bad-frame', [0, 1]), prediction([NaN, 1]));
      await t.results();
    },
    (e: unknown) => e instanceof ValueError && /bad-frame/.test(e.message) && /1 NaN/.test(e.message),
  );
  await t.close();
});
