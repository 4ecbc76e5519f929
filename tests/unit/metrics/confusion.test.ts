import test from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../../src/errors.js';
import {
  accumulateConfusion,
  confusionAt,
  confusionFromArrays,
  createConfusion,
  mergeConfusion,
} from '../../../src/metrics/confusion.js';

test('rows = label, columns = prediction; ignore index 255 excluded whatever the prediction', () => {
  const label = [0, 0, 1, 1, 2, 255, 255];
  const pred = [0, 1, 1, 1, 0, 2, 99];
  const cm = confusionFromArrays(pred, label, 3);
  assert.equal(confusionAt(cm, 0, 0), 1);
  assert.equal(confusionAt(cm, 0, 1), 1);
  assert.equal(confusionAt(cm, 1, 1), 2);
  assert.equal(confusionAt(cm, 2, 0), 1);
  assert.equal(
    cm.counts.reduce((a, b) => a + b, 0),
    5,
  );
});

test('custom ignore index', () => {
  const cm = confusionFromArrays([0, 1, 1], [0, 1, 9], 2, 9);
  assert.deepEqual([...cm.counts], [1, 0, 0, 1]);
  assert.throws(
    () => confusionFromArrays([0, 1, 1], [0, 1, 255], 2, 9),
    /label value 255 at flat index 2 is outside \[0, 2\) and is not the ignore index 9/,
  );
});

test('merge across images equals accumulating the concatenation; accumulate is in place', () => {
  const a = { pred: [0, 1, 2, 2], label: [0, 1, 1, 255] };
  const b = { pred: [2, 2, 0], label: [2, 0, 0] };
  const merged = mergeConfusion(confusionFromArrays(a.pred, a.label, 3), confusionFromArrays(b.pred, b.label, 3));
  const whole = confusionFromArrays([...a.pred, ...b.pred], [...a.label, ...b.label], 3);
  assert.deepEqual(merged, whole);
  const cm = createConfusion(3);
  accumulateConfusion(cm, a.pred, a.label);
  accumulateConfusion(cm, b.pred, b.label);
  assert.deepEqual(cm, whole);
});

test('errors name the value: label out of range, prediction out of range, non-integer; matrix unchanged', () => {
  const cm = createConfusion(3);
  assert.throws(
    () => accumulateConfusion(cm, [0, 0], [0, 3]),
    (e: unknown) => e instanceof ValueError && /label value 3 at flat index 1/.test(e.message),
  );
  assert.throws(() => accumulateConfusion(cm, [0, -1], [0, 1]), /prediction value -1 at flat index 1/);
  assert.throws(() => accumulateConfusion(cm, [0, 0], [0.5, 1]), /label value 0.5/);
  assert.deepEqual([...cm.counts], new Array(9).fill(0));
  assert.throws(() => accumulateConfusion(cm, [0], [0, 1]), ShapeError);
  assert.throws(() => mergeConfusion(createConfusion(2), createConfusion(3)), ShapeError);
  assert.throws(() => createConfusion(0), ValueError);
});
