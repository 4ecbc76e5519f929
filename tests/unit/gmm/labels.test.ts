import test from 'node:test';
import assert from 'node:assert/strict';
import { checkLabels, nearestResizeLabels, nearestSourceIndex, presentClasses } from '../../../src/gmm/labels.js';
import { ValueError } from '../../../src/errors.js';

test('nearest source index follows PyTorch: floor(i·in/out) in float32, identity and ×2 fast paths', () => {
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => nearestSourceIndex(i, 8, 4)),
    [0, 2, 4, 6],
  );
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map((i) => nearestSourceIndex(i, 10, 6)),
    [0, 1, 3, 5, 6, 8],
  );
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => nearestSourceIndex(i, 2, 4)),
    [0, 0, 1, 1],
  );
  assert.deepEqual(
    [0, 1, 2].map((i) => nearestSourceIndex(i, 3, 3)),
    [0, 1, 2],
  );
  assert.deepEqual(
    [0, 1, 2].map((i) => nearestSourceIndex(i, 7, 3)),
    [0, 2, 4],
  );
});

test('nearestResizeLabels picks every 2nd pixel of a [1, 4, 4] map', () => {
  const labels = Array.from({ length: 16 }, (_, i) => i);
  assert.deepEqual(Array.from(nearestResizeLabels(labels, 1, 4, 4, 2, 2)), [0, 2, 8, 10]);
  assert.deepEqual(
    Array.from(nearestResizeLabels([...labels, ...labels.map((v) => v + 100)], 2, 4, 4, 1, 2)),
    [0, 2, 100, 102],
  );
});

test('label checks and present classes', () => {
  assert.doesNotThrow(() => checkLabels([0, 2, 255], 3, 255, 'f'));
  assert.throws(
    () => checkLabels([0, 3], 3, 255, 'f'),
    (e: Error) => e instanceof ValueError && /label value 3 at flat index 1/.test(e.message),
  );
  assert.throws(() => checkLabels([-1], 3, 255, 'f'), ValueError);
  assert.deepEqual(presentClasses([2, 255, 0, 2], 255), [0, 2]);
});
