import test from 'node:test';
import assert from 'node:assert/strict';
import type { Dataset, Sample } from '../../../src/data/sample.js';
import { ValueError } from '../../../src/errors.js';
import { classPixelCounts, classWeightsFor, enetClassWeights } from '../../../src/train/class-weights.js';
import { makeTrainConfig } from '../../../src/train/train-config.js';
import { expectClose } from '../../helpers/close.js';

/** A dataset of label maps only (images are not read by the counter). */
function labelsOnly(maps: number[][], classes = ['a', 'b', 'c']): Dataset {
  return {
    name: 'maps',
    classes,
    length: maps.length,
    hasAnomaly: false,
    pairs: [],
    skipped: [],
    get: async (i: number) =>
      ({
        id: `m${i}`,
        label: { width: (maps[i] as number[]).length, height: 1, data: Uint8Array.from(maps[i] as number[]) },
      }) as unknown as Sample,
  };
}

test('classPixelCounts: labelled pixels per class over every sample, ignore left out', async () => {
  const counts = await classPixelCounts(
    labelsOnly([
      [0, 0, 1, 255],
      [2, 0, 255, 255, 1],
    ]),
  );
  assert.deepEqual(Array.from(counts), [3, 2, 1]);
});

test('classPixelCounts: a label value that is not a class names the dataset and the sample', async () => {
  await assert.rejects(classPixelCounts(labelsOnly([[0], [3]])), (e: Error) => {
    assert.ok(e instanceof ValueError);
    assert.match(e.message, /maps sample 'm1': label value 3 is not a class \(0…2\)/);
    return true;
  });
});

test('enetClassWeights: 1 / ln(offset + p) hand-computed, scaled to a mean of 1 per labelled pixel', () => {
  const counts = [6, 3, 1, 0];
  const p = [0.6, 0.3, 0.1, 0];
  const raw = p.map((v) => 1 / Math.log(1.1 + v));
  const mean = p.reduce((s, v, c) => s + v * (raw[c] as number), 0);
  const got = enetClassWeights(counts, 1.1);
  got.forEach((w, c) => expectClose(w, (raw[c] as number) / mean, { rtol: 1e-12, atol: 0 }, `class ${c}`));
  expectClose(
    got.reduce((s, w, c) => s + w * (p[c] as number), 0),
    1,
    { rtol: 1e-12, atol: 0 },
    'mean weight',
  );
  assert.ok((got[2] as number) > (got[1] as number) && (got[1] as number) > (got[0] as number), 'rarer = heavier');
  // a smaller offset weighs the rare class more strongly
  const strong = enetClassWeights(counts, 1.02);
  assert.ok((strong[2] as number) / (strong[0] as number) > (got[2] as number) / (got[0] as number));
});

test('enetClassWeights: refuses an offset ≤ 1, a negative count and a set with no labelled pixel', () => {
  assert.throws(() => enetClassWeights([1, 2], 1), /offset must be > 1, got 1/);
  assert.throws(() => enetClassWeights([1, -2], 1.1), /class pixel count 1 is -2/);
  assert.throws(() => enetClassWeights([0, 0], 1.1), /at least one labelled pixel/);
});

test("classWeightsFor: 'none' gives no weights; 'enet' the weights of the set's histogram", async () => {
  const counts = await classPixelCounts(labelsOnly([[0, 0, 0, 1, 2, 2]]));
  assert.equal(classWeightsFor('none', 1.1, counts), undefined);
  assert.deepEqual(classWeightsFor('enet', 1.1, counts), enetClassWeights([3, 1, 2], 1.1));
});

test('training config: classWeighting is none or enet, the offset > 1', () => {
  assert.equal(makeTrainConfig().classWeighting, 'none');
  assert.equal(makeTrainConfig({ classWeighting: 'enet' }).classWeightOffset, 1.1);
  assert.throws(() => makeTrainConfig({ classWeighting: 'median' }), /classWeighting/);
  assert.throws(() => makeTrainConfig({ classWeightOffset: 1 }), /classWeightOffset/);
});
