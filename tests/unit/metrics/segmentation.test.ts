import test from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../../src/errors.js';
import { confusionFromArrays, createConfusion } from '../../../src/metrics/confusion.js';
import { nanMean, segmentationMetrics } from '../../../src/metrics/segmentation.js';
import { expectClose } from '../../helpers/close.js';

/** Bit-exact comparison through the project's tolerance helper. */
const EXACT = { rtol: 0, atol: 0 };

const TOL = { rtol: 0, atol: 1e-15 };

test('hand-computed IoU / accuracy with an absent class (NaN) and a predicted-only class (IoU 0)', () => {
  // 4 classes. label: 0 0 0 1 1 255 ; pred: 0 0 1 1 2 3
  // class 0: inter 2, label 3, pred 2 → IoU 2/3, acc 2/3
  // class 1: inter 1, label 2, pred 2 → IoU 1/3, acc 1/2
  // class 2: inter 0, label 0, pred 1 → IoU 0, acc NaN (absent from labels)
  // class 3: only predicted on an ignored pixel → absent from both → IoU NaN
  const m = segmentationMetrics(confusionFromArrays([0, 0, 1, 1, 2, 3], [0, 0, 0, 1, 1, 255], 4));
  expectClose(m.iou, [2 / 3, 1 / 3, 0, NaN], TOL, 'iou');
  expectClose(m.miou, (2 / 3 + 1 / 3 + 0) / 3, TOL, 'miou');
  expectClose(m.accuracy, 3 / 5, TOL, 'accuracy');
  expectClose(m.classAccuracy, [2 / 3, 1 / 2, NaN, NaN], TOL, 'classAccuracy');
  expectClose(m.meanAccuracy, (2 / 3 + 1 / 2) / 2, TOL, 'meanAccuracy');
  assert.equal(m.numPixels, 5);
});

test('perfect prediction: every present class IoU 1, absent class NaN', () => {
  const m = segmentationMetrics(confusionFromArrays([0, 1, 1], [0, 1, 1], 3));
  expectClose(m.iou, [1, 1, NaN], TOL, 'iou');
  expectClose(m.miou, 1, EXACT, 'm.miou');
  expectClose(m.accuracy, 1, EXACT, 'm.accuracy');
});

test('empty matrix (everything ignored) is a clear error; nanMean of all-NaN is NaN', () => {
  assert.throws(
    () => segmentationMetrics(createConfusion(3)),
    (e: unknown) => e instanceof ValueError && /no pixel had a label other than the ignore index/.test(e.message),
  );
  assert.ok(Number.isNaN(nanMean([NaN, NaN])));
  expectClose(nanMean([1, NaN, 3]), 2, EXACT, 'nanMean([1, NaN, 3])');
});
