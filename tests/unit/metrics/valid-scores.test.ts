import test from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError } from '../../../src/errors.js';
import { scanValidScores, splitValidScores } from '../../../src/metrics/valid-scores.js';
import { expectClose } from '../../helpers/close.js';

const EXACT = { rtol: 0, atol: 0 };

test('scanValidScores: labels 0/1 counted, others void; NaN, over-limit, min and max of the valid scores', () => {
  const scores = [3, NaN, -Infinity, 7, 100, 2, -5];
  const labels = [1, 0, 0, 1, 255, 0, 2];
  const r = scanValidScores(scores, labels, 'f');
  expectClose([r.numPos, r.numNeg, r.nan, r.over], [2, 3, 1, 1], EXACT, 'counts');
  expectClose([r.min, r.max], [-Infinity, 7], EXACT, 'range');
  const lim = scanValidScores(scores, labels, 'f', 5);
  assert.equal(lim.over, 2, 'with a limit: −∞ and 7 have magnitude ≥ 5');
  const none = scanValidScores([1], [255], 'f');
  expectClose([none.numPos + none.numNeg, none.min, none.max], [0, Infinity, -Infinity], EXACT, 'empty');
});

test('scanValidScores rejects maps of different lengths, naming the function', () => {
  const named = (e: unknown): boolean => e instanceof ShapeError && /^myFn: 'scores' has 2/.test(e.message);
  assert.throws(() => scanValidScores([1, 2], [0], 'myFn'), named);
});

test('splitValidScores: sorted per class, cast applied, −0 turned into +0', () => {
  const scores = [0.5, -0, 2, 1.25, 9];
  const labels = [1, 0, 0, 1, 255];
  const scan = scanValidScores(scores, labels, 'f');
  const { pos, neg } = splitValidScores(scores, labels, scan);
  expectClose(pos, [0.5, 1.25], EXACT, 'pos');
  expectClose(neg, [0, 2], EXACT, 'neg');
  assert.ok(Object.is(neg[0], 0), '−0 → +0');
  const half = splitValidScores(scores, labels, scan, (s) => s * 2);
  expectClose(half.pos, [1, 2.5], EXACT, 'cast pos');
});
