import test from 'node:test';
import assert from 'node:assert/strict';
import { sampleIndices } from '../../../src/data/sample-indices.js';
import { createRng } from '../../../src/random.js';

test('sampleIndices: every index without a cap (no draw), else a seeded sorted sample without repeats', () => {
  const rng = createRng(3);
  const untouched = createRng(3);
  assert.deepEqual(sampleIndices(5, 0, rng), [0, 1, 2, 3, 4]);
  assert.deepEqual(sampleIndices(5, 5, rng), [0, 1, 2, 3, 4]);
  assert.deepEqual(sampleIndices(5, 9, rng), [0, 1, 2, 3, 4]);
  assert.deepEqual(rng, untouched, 'no draw when every image is used');
  const a = sampleIndices(100, 10, createRng(7));
  assert.deepEqual(a, sampleIndices(100, 10, createRng(7)), 'same seed, same sample');
  assert.notDeepEqual(a, sampleIndices(100, 10, createRng(8)));
  assert.equal(new Set(a).size, 10);
  assert.deepEqual(
    a,
    [...a].sort((x, y) => x - y),
  );
  assert.ok(a.every((i) => Number.isInteger(i) && i >= 0 && i < 100));
  // Uniform: over many draws every index is picked about maxImages / count of the time.
  const hits = new Array<number>(20).fill(0);
  const r = createRng(11);
  for (let t = 0; t < 2000; t++) for (const i of sampleIndices(20, 5, r)) hits[i]! += 1;
  for (const h of hits) assert.ok(Math.abs(h - 500) < 100, `index picked ${h} times of ≈ 500`);
});
